//! `check` and `token` against a real, independent OAuth2 server (Authlib's
//! `AuthorizationServer`, client-credentials grant, see
//! `tests/oauth/authlib_server.py`), with the sandbox as the platform: the
//! platform bearer token and the installation's credentials get a line
//! each, every cause of a refusal is named, and every exit code's text says
//! what the code means.
//!
//! python3 with Authlib is a prerequisite (scripts/install-test-deps.sh): a
//! test fails, never skips, without it.

use std::path::{Path, PathBuf};

use serde_json::json;
use smartlink_core::{FileStateStore, LocalState, StateStore};

mod support;
use smartlink_sandbox::BackgroundSandbox;
use smartlink_testkit::TOKEN;
use smartlink_testkit::platforms::demo_sandbox;
use support::{Out, run_v};

use authlib::{AuthlibServer, CLIENT_ID, CLIENT_SECRET, bound_state};
use smartlink_testkit::authlib;

const INSTALLATION: &str = "authlib-cli";

/// A platform (the sandbox), an Authlib token endpoint, and a state file
/// holding credentials registered there.
struct Setup {
    sandbox: BackgroundSandbox,
    server: AuthlibServer,
    _dir: tempfile::TempDir,
    state: PathBuf,
}

impl Setup {
    fn new(server_args: &[&str]) -> Self {
        let server = AuthlibServer::start(server_args);
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        FileStateStore::open(&state)
            .unwrap()
            .save(&bound_state(INSTALLATION))
            .unwrap();
        Self {
            sandbox: demo_sandbox(),
            server,
            _dir: dir,
            state,
        }
    }

    /// The binary in English with the platform, the token URL and the state
    /// (a flag in `extra` replaces its default).
    fn run(&self, extra: &[&str]) -> Out {
        let defaults = [
            ("--locale", "en".to_owned()),
            ("--installation-id", INSTALLATION.to_owned()),
            ("--platform-url", self.sandbox.url()),
            ("--token", TOKEN.to_owned()),
            ("--token-url", self.server.token_url()),
            ("--state", self.state.to_str().unwrap().to_owned()),
        ];
        let mut args: Vec<String> = Vec::new();
        for (flag, value) in defaults {
            if !extra.contains(&flag) {
                args.push(flag.to_owned());
                args.push(value);
            }
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let out = run_v(&args, "");
        assert!(
            !out.all().contains(CLIENT_SECRET),
            "the secret was printed: {out:?}"
        );
        out
    }

    fn stored(&self) -> LocalState {
        load(&self.state)
    }
}

fn load(path: &Path) -> LocalState {
    FileStateStore::open(path).unwrap().load().unwrap().unwrap()
}

#[test]
fn check_proves_both_tokens_and_says_all_good_only_then() {
    let s = Setup::new(&[]);
    let out = s.run(&["check"]);
    assert_eq!(out.code, 0, "{out:?}");
    for expected in [
        "Platform bearer token (--token): accepted.",
        &format!(
            "Installation credentials (client {CLIENT_ID}): accepted by the token endpoint with client_secret_basic ("
        ),
        "Diagnostics complete: all good.",
    ] {
        assert!(out.stdout.contains(expected), "{expected}: {out:?}");
    }
    assert_eq!(s.server.requests(), 1);

    // A wrong platform bearer token: its own line, whatever the credentials.
    let out = s.run(&["check", "--token", "a-wrong-token"]);
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stdout
            .contains("Platform bearer token (--token): refused by the platform."),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("accepted by the token endpoint"),
        "{out:?}"
    );
    assert!(!out.stdout.contains("all good"), "{out:?}");
}

#[test]
fn check_names_a_wrong_authentication_method_and_the_fixed_flag_clears_the_refusal() {
    let s = Setup::new(&["--auth-method", "client_secret_post"]);
    let out = s.run(&["check"]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stdout.contains(&format!(
            "Installation credentials (client {CLIENT_ID}): refused with client_secret_basic, accepted with client_secret_post: wrong client authentication method. Use --client-auth post"
        )),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("Platform bearer token (--token): accepted.")
    );
    assert!(!out.stdout.contains("all good"), "{out:?}");
    // The secret is kept, marked refused; `token` says so and exits 3.
    let stored = s.stored();
    assert_eq!(
        stored.refused_credentials().unwrap().secret(),
        CLIENT_SECRET
    );
    let token = s.run(&["token"]);
    assert_eq!(token.code, 3, "{token:?}");
    assert!(token.stdout.is_empty());
    assert!(
        token
            .stderr
            .contains("client authentication method is not what the server expects"),
        "{token:?}"
    );

    let out = s.run(&["--client-auth", "post", "check"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("with client_secret_post ("), "{out:?}");
    assert!(
        out.stdout
            .contains("The earlier refusal of these credentials is cleared"),
        "{out:?}"
    );
    assert!(out.stdout.contains("Diagnostics complete: all good."));
    assert!(s.stored().revocation.is_none());
    let token = s.run(&["--client-auth", "post", "token"]);
    assert_eq!(token.code, 0, "{token:?}");
    assert!(token.stdout.trim().starts_with("at_"), "{token:?}");
}

#[test]
fn check_says_down_slow_and_revoked_apart() {
    let s = Setup::new(&[]);
    // Down: a 500 is a failing endpoint, never "unexpected", never a refusal.
    s.server.control(json!({"mode": "error500"}));
    let out = s.run(&["check"]);
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stdout
            .contains("Installation credentials: not checked: the token endpoint at")
            && out.stdout.contains("failed: Internal platform error."),
        "{out:?}"
    );
    assert!(!out.all().to_lowercase().contains("unexpected"), "{out:?}");
    let token = s.run(&["token"]);
    assert_eq!(token.code, 4, "{token:?}");
    assert!(
        token.stderr.contains("Internal platform error."),
        "{token:?}"
    );
    assert!(
        !token.all().to_lowercase().contains("unexpected"),
        "{token:?}"
    );
    assert!(s.stored().revocation.is_none());

    // Unreachable: nothing listens at the token URL.
    let out = s.run(&["--token-url", "http://127.0.0.1:9/oauth2/token", "check"]);
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stdout.contains("is down or unreachable"), "{out:?}");

    // Slow: every attempt's read timeout (1.5 s) passes; the time given
    // up after is said as measured (`6.4 s`, never a truncated `6s`).
    s.server
        .control(json!({"mode": "slow", "slow_seconds": 2.5}));
    let out = s.run(&["--read-timeout-ms", "1500", "check"]);
    assert_eq!(out.code, 4, "{out:?}");
    let seconds = measured_seconds(
        &out.stdout,
        "is too slow (gave up after ",
        " s without an answer)",
    );
    assert!(seconds >= 1.5, "{out:?}");
    let token = s.run(&["--read-timeout-ms", "1500", "--verbose", "token"]);
    assert_eq!(token.code, 4, "{token:?}");
    let seconds = measured_seconds(&token.stderr, "did not answer in time (", " s)");
    assert!(seconds >= 1.5, "{token:?}");
    assert!(s.stored().revocation.is_none());

    // Revoked (disabled at the server): 401, and no other method works.
    s.server
        .control(json!({"mode": "normal", "disabled": true}));
    let out = s.run(&["check"]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stdout.contains("refused by the token endpoint (invalid_client, HTTP 401) with client_secret_basic: revoked or expired at the platform, or the token URL"),
        "{out:?}"
    );
    assert!(s.stored().refused_credentials().is_some());

    // 400 invalid_client (the grant takes the body only).
    s.server
        .control(json!({"grant_methods": "client_secret_post",
                            "auth_method": "client_secret_post"}));
    let out = s.run(&["--client-auth", "post", "check"]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stdout.contains("(invalid_client, HTTP 400)"), "{out:?}");

    // Fixed at the server: the refusal recorded earlier is cleared by `check`.
    s.server.control(json!({"disabled": false}));
    let out = s.run(&["--client-auth", "post", "check"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(s.stored().revocation.is_none());
}

/// The duration between `before` and `after` in `text`, which must read as
/// measured: seconds with one decimal below 10 s (`1.5`, `6.4`), whole above.
fn measured_seconds(text: &str, before: &str, after: &str) -> f64 {
    let start = text
        .rfind(before)
        .unwrap_or_else(|| panic!("{before:?} missing: {text}"))
        + before.len();
    let end = start
        + text[start..]
            .find(after)
            .unwrap_or_else(|| panic!("{after:?} missing: {text}"));
    let shown = &text[start..end];
    let value: f64 = shown
        .parse()
        .unwrap_or_else(|_| panic!("{shown:?}: {text}"));
    if value < 10.0 {
        assert!(
            shown.len() >= 3 && shown.as_bytes()[shown.len() - 2] == b'.',
            "one decimal: {shown:?}"
        );
    }
    value
}

/// Every exit code `check` and `token` give, walked: each one's output says
/// what the code means (its `--help` line), and none says "unexpected"
/// unless the code is 1.
#[test]
fn every_exit_code_of_check_and_token_says_what_it_means() {
    let help = run_v(&["--help".into(), "--locale".into(), "en".into()], "");
    assert_eq!(help.code, 0);
    let meaning = |code: &str| -> String {
        help.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{code} ")))
            .unwrap_or_else(|| panic!("no help line for exit {code}: {help:?}"))
            .to_owned()
    };
    assert!(meaning("0").contains("check: all good"));
    assert!(meaning("1").contains("unexpected internal error"));
    assert!(meaning("2").contains("bad usage"));
    assert!(meaning("3").contains("the installation's credentials were refused"));
    assert!(meaning("4").contains("token endpoint down, slow or failing"));
    assert!(meaning("6").contains("local state error"));

    let s = Setup::new(&[]);
    let insecure = s._dir.path().join("open.json");
    FileStateStore::open(&insecure)
        .unwrap()
        .save(&bound_state(INSTALLATION))
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&insecure, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    // (scenario, server switches, arguments, exit code, what the output says)
    let walk: Vec<(&str, serde_json::Value, Vec<&str>, i32, &str)> = vec![
        (
            "check, all good",
            json!({}),
            vec!["check"],
            0,
            "Diagnostics complete: all good.",
        ),
        ("token, printed", json!({}), vec!["token"], 0, "at_"),
        (
            "a bad flag value",
            json!({}),
            vec!["--client-auth", "jwt", "check"],
            2,
            "Invalid value for --client-auth",
        ),
        (
            "check, endpoint failing",
            json!({"mode": "error500"}),
            vec!["check"],
            4,
            "Installation credentials: not checked: the token endpoint",
        ),
        (
            "token, endpoint failing",
            json!({"mode": "error500"}),
            vec!["token"],
            4,
            "Internal platform error.",
        ),
        (
            "check, refused",
            json!({"mode": "normal", "disabled": true}),
            vec!["check"],
            3,
            "refused by the token endpoint (invalid_client",
        ),
        (
            "token, refused",
            json!({"disabled": true}),
            vec!["token"],
            3,
            "The platform refused this installation's credentials",
        ),
        (
            "check, state unreadable",
            json!({"disabled": false}),
            vec!["--state", insecure.to_str().unwrap(), "check"],
            6,
            "Installation credentials: not checked (the state store failed, see above).",
        ),
        (
            "token, state unreadable",
            json!({}),
            vec!["--state", insecure.to_str().unwrap(), "token"],
            6,
            "Other users can read the state file; it must have mode 0600.",
        ),
    ];
    for (scenario, switches, args, code, says) in walk {
        s.server.control(switches);
        let out = s.run(&args);
        assert_eq!(out.code, code, "{scenario}: {out:?}");
        assert!(
            out.all().contains(says),
            "{scenario}: {says:?} missing: {out:?}"
        );
        assert!(
            !out.all().to_lowercase().contains("unexpected"),
            "{scenario}: exit {code} says unexpected: {out:?}"
        );
        if code == 3 || code == 4 {
            assert!(!out.all().contains("all good"), "{scenario}: {out:?}");
        }
    }

    // Exit 5, for completeness (130 is `cli.rs`'s Ctrl-C test; 1 has no
    // scenario: no failure this program knows maps to it).
    assert!(meaning("5").contains("inconsistent data"));
    let out = support::run(
        &[
            "--locale",
            "en",
            "--installation-id",
            "old-protheus-hml",
            "--kind",
            "production",
            "--state",
            "memory",
            "--unattended",
            "--installation-name",
            "X",
            "--environment",
            "Homologação",
        ],
        "",
    );
    assert_eq!(out.code, 5, "{out:?}");
    assert!(
        out.stderr
            .contains("This installation's data is inconsistent.")
            && out.stderr.contains("Send TOTVS support the code "),
        "{out:?}"
    );
    assert!(!out.all().to_lowercase().contains("unexpected"), "{out:?}");
}
