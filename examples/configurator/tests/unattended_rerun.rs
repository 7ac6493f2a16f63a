//! A deployment script runs the same unattended command again: exit 0 and
//! "nothing to do"; a different target is still refused.

use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_smartlink-configurator");

fn run(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(BIN)
        .args(args)
        .env_remove("SMARTLINK_LOCALE")
        .env_remove("SMARTLINK_TOKEN")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_same_unattended_create_twice_has_nothing_to_do_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = dir.path().join("sandbox.json");
    let state = dir.path().join("state.json");
    let args = |target: &[&'static str]| {
        let mut all = vec![
            "--locale".to_owned(),
            "en".to_owned(),
            "--sandbox-state".to_owned(),
            sandbox.display().to_string(),
            "--state".to_owned(),
            state.display().to_string(),
            "--unattended".to_owned(),
            "--installation-name".to_owned(),
            "Deploy".to_owned(),
        ];
        all.extend(target.iter().map(|s| s.to_string()));
        all
    };
    let first = args(&["--create", "Implantação"]);
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run(&first);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(!stdout.contains("nothing to do"), "{stdout}");

    // Same command again, and the name typed in other case.
    for again in [
        args(&["--create", "Implantação"]),
        args(&["--create", "IMPLANTAÇÃO"]),
    ] {
        let again: Vec<&str> = again.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = run(&again);
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        assert!(
            stdout.contains(
                "Already configured as asked, on environment Implantação; nothing to do."
            ),
            "{stdout}"
        );
    }

    // Another target is refused (exit 3), and the configuration stays.
    let other = args(&["--create", "Outro"]);
    let other: Vec<&str> = other.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run(&other);
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let status_args = [
        "--locale",
        "en",
        "--sandbox-state",
        sandbox.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "status",
    ];
    let (code, stdout, _) = run(&status_args);
    assert_eq!(code, 0, "still configured: {stdout}");
}
