//! The C ABI under Valgrind: `tests/c/stress_cycles.c` walks every error
//! path, then runs create/step/free cycles, then the error paths again.
//!
//! Counts (each cycle creates a handle, whose tokio runtime starts a
//! thread): 1,000 cycles natively (10,000 with `SMARTLINK_LONG=1`); 10,000
//! under Valgrind with an empty
//! native trust store; 20 under Valgrind with the system's trust store (200
//! with `SMARTLINK_LONG=1`). Valgrind must be
//! installed (`scripts/install-test-deps.sh`): a missing Valgrind fails the
//! test, it never skips it.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use common::*;

fn long() -> bool {
    std::env::var("SMARTLINK_LONG").is_ok_and(|v| v == "1")
}

/// The compiled program (once per test process: the tests run in parallel).
fn stress_program() -> PathBuf {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM
        .get_or_init(|| {
            cdylib();
            let out = scratch("stress").join("stress_cycles");
            compile_c(
                &[&workspace().join("smartlink-ffi/tests/c/stress_cycles.c")],
                &out,
                true,
                &["-pthread"],
            );
            out
        })
        .clone()
}

/// A listener that accepts connections and never answers, for the
/// cancellation of a call in flight. Lives as long as the test process.
fn blackhole() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    url
}

fn check_output(out: &std::process::Output, cycles: u32) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("stress cycles done: {cycles}")),
        "{stdout}"
    );
    assert_eq!(stdout.matches("error paths: ok").count(), 1, "{stdout}");
}

#[test]
fn c_abi_cycles_and_error_paths_natively() {
    let exe = stress_program();
    // Natively each handle loads the system trust store (about 15 ms here),
    // so the default run keeps to 1,000 cycles; the 10,000 are under
    // Valgrind below, and here with SMARTLINK_LONG=1.
    let cycles: u32 = if long() { 10_000 } else { 1_000 };
    let started = Instant::now();
    let out = run_ok(
        Command::new(&exe).arg(cycles.to_string()).arg(blackhole()),
        "stress_cycles",
    );
    check_output(&out, cycles);
    eprintln!(
        "stress_cycles natively: {cycles} cycles in {:.1?}",
        started.elapsed()
    );
}

/// Runs the program under Valgrind; `trimmed_trust_store` points the
/// native trust store (`SSL_CERT_FILE`, `SSL_CERT_DIR`) at an empty file and
/// directory.
fn under_valgrind(exe: &std::path::Path, cycles: u32, trimmed_trust_store: bool) {
    require("valgrind");
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("valgrind");
    cmd.args([
        "--error-exitcode=99",
        "--leak-check=full",
        "--errors-for-leak-kinds=definite",
        "--show-leak-kinds=definite",
    ])
    .arg(exe)
    .arg(cycles.to_string())
    .arg(blackhole());
    if trimmed_trust_store {
        let file = empty.path().join("empty.pem");
        std::fs::write(&file, b"").unwrap();
        cmd.env("SSL_CERT_FILE", &file)
            .env("SSL_CERT_DIR", empty.path());
    }
    let started = Instant::now();
    let out = run_ok(&mut cmd, "stress_cycles under valgrind");
    check_output(&out, cycles);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // run_ok already failed on exit code 99; the summary says it too.
    assert!(
        stderr.contains("ERROR SUMMARY: 0 errors"),
        "valgrind reported errors:\n{stderr}"
    );
    assert!(
        !stderr.contains("definitely lost:") || stderr.contains("definitely lost: 0 bytes"),
        "{stderr}"
    );
    let summary: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            l.contains("definitely lost")
                || l.contains("ERROR SUMMARY")
                || l.contains("total heap usage")
        })
        .collect();
    eprintln!(
        "stress_cycles under valgrind ({} trust store): {cycles} cycles in {:.1?}\n{}",
        if trimmed_trust_store {
            "empty"
        } else {
            "system"
        },
        started.elapsed(),
        summary.join("\n")
    );
}

/// The cycles under Valgrind. Every handle loads the system's trust store
/// (`tls_built_in_native_certs`): under Valgrind that alone costs about
/// 0.9 s per handle here (~290 files in /etc/ssl/certs), so these cycles run
/// with an empty native store (the built-in webpki roots remain); the next
/// test covers the system store with fewer cycles.
#[test]
fn c_abi_cycles_and_error_paths_are_clean_under_valgrind() {
    let exe = stress_program();
    under_valgrind(&exe, 10_000, true);
}

/// A few cycles under Valgrind with the system's trust store loaded by
/// every handle: 20 by default, 200 with `SMARTLINK_LONG=1`.
#[test]
fn c_abi_cycles_with_the_system_trust_store_are_clean_under_valgrind() {
    let exe = stress_program();
    under_valgrind(&exe, if long() { 200 } else { 20 }, false);
}
