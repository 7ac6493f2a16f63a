//! Runs the examples against the sandbox: C (also under Valgrind), the
//! Protheus-style dlopen harness, Python ctypes and C# (Mono). On Unix; the
//! C example and the harness are built with MinGW and run under Wine by
//! `scripts/test-windows.sh`.
#![cfg(unix)]

mod common;

use std::process::Command;

use common::*;

/// The C example, compiled once per test process: two tests compiling to
/// one path at once would run a binary the linker is still writing
/// ("text file busy").
fn c_example() -> std::path::PathBuf {
    static EXE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    EXE.get_or_init(|| {
        cdylib();
        let out = scratch("c").join("first_binding");
        compile_c(
            &[&workspace().join("examples/c/first_binding.c")],
            &out,
            true,
            &["-pthread"],
        );
        out
    })
    .clone()
}

#[test]
fn c_example_runs_a_first_binding() {
    let exe = c_example();
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("erp").join("smartlink.json");
    let out = run_ok(
        Command::new(&exe).args([&sb.url(), TOKEN]).arg(&state),
        "C example",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("first binding done"));
    // The walk's end: the same installation in the example's own store.
    assert!(
        stdout.contains("own store: the secret is sealed in it"),
        "{stdout}"
    );
    assert!(stdout.contains("own store done"), "{stdout}");
    assert_private_state(&state);
}

#[test]
fn c_example_escapes_the_state_path_it_puts_into_json() {
    // Its own copy: another test may be rewriting c_example()'s meanwhile.
    cdylib();
    let exe = scratch("c-escape").join("first_binding");
    compile_c(
        &[&workspace().join("examples/c/first_binding.c")],
        &exe,
        true,
        &["-pthread"],
    );
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    // Backslashes and quotes are ordinary characters in a Unix file name;
    // pasted into JSON unescaped they would make the configuration invalid.
    let state = dir
        .path()
        .join(r#"C:\ERP\Produção "matriz""#)
        .join("smartlink.json");
    let out = run_ok(
        Command::new(&exe).args([&sb.url(), TOKEN]).arg(&state),
        "C example with a Windows-like path",
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("first binding done"));
    assert_private_state(&state);
}

#[test]
fn c_example_is_clean_under_valgrind() {
    require("valgrind");
    let exe = c_example();
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("smartlink.json");
    let out = run_ok(
        Command::new("valgrind")
            .args([
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite",
                "--show-leak-kinds=definite",
                "--quiet",
            ])
            .arg(&exe)
            .args([&sb.url(), TOKEN])
            .arg(&state),
        "C example under valgrind",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("definitely lost") || stderr.contains("definitely lost: 0 bytes"),
        "{stderr}"
    );
}

#[test]
fn protheus_harness_walks_a_first_binding_through_exec_in_client_dll() {
    let so = cdylib();
    let exe = scratch("protheus").join("harness");
    compile_c(
        &[&workspace().join("examples/protheus-harness/harness.c")],
        &exe,
        false,
        &["-ldl"],
    );
    let sb = sandbox();
    let out = run_ok(
        Command::new(&exe).arg(&so).args([&sb.url(), TOKEN]),
        "Protheus harness",
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("protheus harness done"));
}

#[test]
fn python_example_runs_a_first_binding() {
    require("python3");
    let so = cdylib();
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("smartlink.json");
    let out = run_ok(
        Command::new("python3")
            .arg(workspace().join("examples/python/first_binding.py"))
            .arg(&so)
            .args([&sb.url(), TOKEN])
            .arg(&state),
        "Python example",
    );
    assert_private_state(&state);
    assert!(String::from_utf8_lossy(&out.stdout).contains("python first binding done"));
}

#[test]
fn csharp_example_runs_a_first_binding_under_mono() {
    require("mcs");
    require("mono");
    let so = cdylib();
    let dir = scratch("csharp");
    let exe = dir.join("FirstBinding.exe");
    run_ok(
        Command::new("mcs")
            .arg("-warnaserror")
            .arg(format!("-out:{}", exe.display()))
            .arg(workspace().join("examples/csharp/FirstBinding.cs")),
        "mcs",
    );
    let sb = sandbox();
    let out = run_ok(
        Command::new("mono")
            .arg(&exe)
            .args([&sb.url(), TOKEN])
            .env("LD_LIBRARY_PATH", so.parent().unwrap()),
        "C# example",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("own store: configured, the secret sealed in it"),
        "{stdout}"
    );
    assert!(stdout.contains("csharp first binding done"), "{stdout}");
}

/// The state file the example left: present, owner-only, holding the binding.
fn assert_private_state(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains("\"binding\""),
        "the state records the binding"
    );
}
