//! `smartlink-configurator token`: the access token alone on stdout, for
//! scripts; typed exit codes when there is none.

use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_smartlink-configurator");

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Out {
    let output = Command::new(BIN)
        .args(args)
        .env_remove("SMARTLINK_LOCALE")
        .env_remove("SMARTLINK_TOKEN")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    Out {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn base<'a>(sandbox: &'a Path, state: &'a Path) -> Vec<&'a str> {
    vec![
        "--sandbox-state",
        sandbox.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--locale",
        "en",
    ]
}

#[test]
fn token_prints_only_the_bearer_token() {
    let dir = tempfile::tempdir().unwrap();
    let (sb, state) = (
        dir.path().join("sandbox.json"),
        dir.path().join("state.json"),
    );
    let mut args = base(&sb, &state);
    args.extend([
        "--unattended",
        "--installation-name",
        "Script",
        "--environment",
        "Produção Nova",
    ]);
    let configured = run(&args);
    assert_eq!(configured.code, 0, "{}", configured.stderr);

    let mut args = base(&sb, &state);
    args.push("token");
    let out = run(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {:?}", out.stdout);
    let token = lines[0];
    assert!(token.starts_with("at_") && token.bytes().all(|b| b.is_ascii_graphic()));
    assert!(!out.stderr.contains(token), "the token is on stdout only");
}

#[test]
fn no_configuration_is_exit_3_with_nothing_on_stdout() {
    let out = run(&["--state", "memory", "--locale", "en", "token"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("not configured"), "{}", out.stderr);
}

#[test]
fn revoked_credentials_are_exit_3_and_reopen_the_configurator() {
    let dir = tempfile::tempdir().unwrap();
    let (sb, state) = (
        dir.path().join("sandbox.json"),
        dir.path().join("state.json"),
    );
    let mut args = base(&sb, &state);
    args.extend([
        "--unattended",
        "--installation-name",
        "Script",
        "--environment",
        "Produção Nova",
    ]);
    assert_eq!(run(&args).code, 0);
    // The platform revokes them (as when another installation takes over).
    let mut platform: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sb).unwrap()).unwrap();
    for record in platform["credentials"].as_array_mut().unwrap() {
        record["revoked"] = serde_json::Value::Bool(true);
    }
    std::fs::write(&sb, platform.to_string()).unwrap();

    let mut args = base(&sb, &state);
    args.push("token");
    let out = run(&args);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("revoked"), "{}", out.stderr);
    let mut args = base(&sb, &state);
    args.push("status");
    let status = run(&args);
    assert_eq!(status.code, 3, "the login gate is open again");
    assert!(
        status.stdout.contains("were refused by the platform") && status.stdout.contains("revoked"),
        "status says why: {}",
        status.stdout
    );
}
