//! The committed header is exactly what the pinned cbindgen generates, and
//! its version macros match Cargo.toml.
//!
//! `SMARTLINK_UPDATE_HEADER=1 cargo test -p smartlink-ffi --test header`
//! (or `scripts/gen-header.sh`) rewrites it.

use std::path::PathBuf;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    crate_dir().join("../include/smartlink.h")
}

fn generate() -> String {
    let mut config = cbindgen::Config::from_file(crate_dir().join("cbindgen.toml"))
        .expect("cbindgen.toml parses");
    // The operations' ExecInClientDLL ids come from their one description
    // (smartlink-ffi/src/operations.rs), not from constants of their own.
    let after = config.after_includes.take().unwrap_or_default();
    config.after_includes = Some(after + &smartlink::operations::header_defines());
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir())
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("UTF-8 header")
}

#[test]
fn header_is_up_to_date() {
    let generated = generate();
    if std::env::var("SMARTLINK_UPDATE_HEADER").as_deref() == Ok("1") {
        std::fs::create_dir_all(header_path().parent().unwrap()).unwrap();
        std::fs::write(header_path(), &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(header_path())
        .expect("include/smartlink.h exists (run scripts/gen-header.sh)");
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map(|i| i + 1)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()) + 1);
        panic!(
            "include/smartlink.h differs from the generated header (first difference at line {line}); run scripts/gen-header.sh and commit"
        );
    }
}

#[test]
fn header_version_macros_match_cargo_toml() {
    let header = std::fs::read_to_string(header_path()).unwrap();
    let want = [
        format!(
            "#define SMARTLINK_VERSION_MAJOR {}",
            env!("CARGO_PKG_VERSION_MAJOR")
        ),
        format!(
            "#define SMARTLINK_VERSION_MINOR {}",
            env!("CARGO_PKG_VERSION_MINOR")
        ),
        format!(
            "#define SMARTLINK_VERSION_PATCH {}",
            env!("CARGO_PKG_VERSION_PATCH")
        ),
        format!(
            "#define SMARTLINK_VERSION \"{}\"",
            env!("CARGO_PKG_VERSION")
        ),
    ];
    for line in want {
        assert!(header.contains(&line), "the header lacks `{line}`");
    }
    let v = unsafe { std::ffi::CStr::from_ptr(smartlink::smartlink_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn every_function_in_the_header_documents_null_and_threads() {
    let header = std::fs::read_to_string(header_path()).unwrap();
    // Each exported function's comment block must say what NULL does and
    // what the threading rules are: a cheap guard against bare functions.
    let mut comment = String::new();
    let mut checked = 0;
    for line in header.lines() {
        let t = line.trim_start();
        if t.starts_with("//") {
            comment.push_str(t);
            comment.push('\n');
            continue;
        }
        let is_fn = !t.starts_with('*')
            && !t.starts_with("/*")
            && !t.starts_with('#')
            && (t.contains(" smartlink_")
                || t.contains("*smartlink_")
                || t.contains("ExecInClientDLL("))
            && t.contains('(');
        if is_fn {
            let lower = comment.to_lowercase();
            assert!(
                lower.contains("thread"),
                "no thread-safety note before `{t}`"
            );
            assert!(lower.contains("null"), "no NULL note before `{t}`");
            checked += 1;
        }
        if !t.is_empty() {
            comment.clear();
        }
    }
    assert!(
        checked >= 15,
        "only {checked} functions found in the header"
    );
}
