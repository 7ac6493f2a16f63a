//! The `smartlink-sandbox` binary: prints its URL, serves, stops on Ctrl-C.

use std::path::Path;

use smartlink_testkit::processes::SandboxProcess;

#[test]
fn binary_prints_its_url_serves_and_stops_cleanly_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox.json");
    let running = SandboxProcess::start(
        Path::new(env!("CARGO_BIN_EXE_smartlink-sandbox")),
        &[
            "--listen",
            "127.0.0.1:0",
            "--token",
            "bin-token",
            "--state",
            state.to_str().unwrap(),
        ],
    );
    let url = running.url().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        let client = reqwest::Client::new();
        let r = client
            .post(format!("{url}/v1/environments"))
            .bearer_auth("bin-token")
            .header("Idempotency-Key", "1b4e28ba-2fa1-41d2-883f-0016d3cca427")
            .json(&serde_json::json!({"name": "Via binário", "kind": "custom"}))
            .send()
            .await
            .unwrap();
        r.status()
    });
    assert_eq!(status, 201);
    assert!(
        std::fs::read_to_string(&state)
            .unwrap()
            .contains("Via binário")
    );

    let (status, stderr) = running.interrupt();
    assert!(status.success(), "{status:?} {stderr}");
    assert!(stderr.contains("stopping"));
}

#[test]
fn binary_refuses_bad_usage() {
    let (code, stderr) = run_with(&["--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--token is required"));
}

fn run_with(args: &[&str]) -> (Option<i32>, String) {
    SandboxProcess::run_to_end(Path::new(env!("CARGO_BIN_EXE_smartlink-sandbox")), args)
}

#[test]
fn binary_never_echoes_the_value_of_a_bad_argument() {
    for (args, shown) in [
        (
            &["--token=s3cr3t-canary", "--bogus=x-canary"][..],
            "unknown argument \"--bogus=[redacted]\"",
        ),
        (
            &["--tokn=s3cr3t-canary"][..],
            "unknown argument \"--tokn=[redacted]\"",
        ),
        (
            &["--listen", "127.0.0.1:0", "s3cr3t-canary"][..],
            "unknown argument (not shown: it may be a secret)",
        ),
        (
            &["--token-lifetime=s3cr3t-canary"][..],
            "--token-lifetime must be a positive number of seconds",
        ),
        (
            &["--token-lifetime", "s3cr3t-canary"][..],
            "--token-lifetime must be a positive number of seconds",
        ),
        (&["--token="][..], "--token needs a value"),
        (
            &["--help=s3cr3t-canary"][..],
            "unknown argument \"--help=[redacted]\"",
        ),
    ] {
        let (code, stderr) = run_with(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(shown), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("canary"),
            "{args:?} echoed a value: {stderr}"
        );
        // The usage recommends the environment variable over the argument.
        assert!(
            stderr.contains(
                "prefer the environment\n                  variable SMARTLINK_SANDBOX_TOKEN"
            ),
            "{stderr}"
        );
    }
}

#[test]
fn binary_accepts_flag_equals_value() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox.json");
    // Every flag in the `--flag=value` form; the address cannot be bound, so
    // the run ends right after parsing, naming the address it was given.
    let (code, stderr) = run_with(&[
        "--token=eq-token",
        &format!("--state={}", state.display()),
        "--token-lifetime=5",
        "--listen=256.0.0.1:1",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot listen on 256.0.0.1:1"), "{stderr}");
    assert!(!stderr.contains("eq-token"), "{stderr}");
}
