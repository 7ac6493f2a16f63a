//! `smartlink-configurator token`: the access token alone on stdout, for
//! scripts; typed exit codes when there is none.

mod support;
use support::{Out, World, run};

/// A state file and sandbox where the installation was configured
/// unattended, as "Script", on "Produção Nova".
fn configured() -> World {
    let w = World::new();
    let configured = en(
        &w,
        &[
            "--unattended",
            "--installation-name",
            "Script",
            "--environment",
            "Produção Nova",
        ],
    );
    assert_eq!(configured.code, 0, "{}", configured.stderr);
    w
}

/// Runs the binary in `w` in English, with nothing on stdin.
fn en(w: &World, extra: &[&str]) -> Out {
    let mut args = vec!["--locale", "en"];
    args.extend(extra);
    w.run(&args, "")
}

#[test]
fn token_prints_only_the_bearer_token() {
    let w = configured();
    let out = en(&w, &["token"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {:?}", out.stdout);
    let token = lines[0];
    assert!(token.starts_with("at_") && token.bytes().all(|b| b.is_ascii_graphic()));
    assert!(!out.stderr.contains(token), "the token is on stdout only");
}

#[test]
fn no_configuration_is_exit_3_with_nothing_on_stdout() {
    let out = run(&["--state", "memory", "--locale", "en", "token"], "");
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("not configured"), "{}", out.stderr);
}

#[test]
fn revoked_credentials_are_exit_3_and_reopen_the_configurator() {
    let w = configured();
    let sb = w.sandbox();
    // The platform revokes them (as when another installation takes over).
    let mut platform: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sb).unwrap()).unwrap();
    for record in platform["credentials"].as_array_mut().unwrap() {
        record["revoked"] = serde_json::Value::Bool(true);
    }
    std::fs::write(&sb, platform.to_string()).unwrap();

    let out = en(&w, &["token"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("revoked"), "{}", out.stderr);
    let status = en(&w, &["status"]);
    assert_eq!(status.code, 3, "the login gate is open again");
    assert!(
        status.stdout.contains("were refused by the platform") && status.stdout.contains("revoked"),
        "status says why: {}",
        status.stdout
    );
}
