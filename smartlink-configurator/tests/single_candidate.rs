//! `--unattended` with neither --environment nor --create on a first
//! binding with exactly one environment to take: bound, and said so;
//! `--no-single-candidate` leaves the decision to an administrator.

mod support;
use smartlink_testkit::TOKEN;
use smartlink_testkit::platforms::sandbox_in_background;
use support::run;

fn seed() -> smartlink_sandbox::Seed {
    serde_json::from_value(serde_json::json!({"environments": [
        {"id": "env_prd", "name": "Produção Única", "kind": "production"},
        {"id": "env_hml", "name": "Homologação", "kind": "homologation"}
    ]}))
    .unwrap()
}

/// `--unattended` against `url` with the state at `state`, in English, for
/// installation `id`.
fn unattended<'a>(state: &'a str, url: &'a str, id: &'a str) -> Vec<&'a str> {
    vec![
        "--unattended",
        "--state",
        state,
        "--locale",
        "en",
        "--platform-url",
        url,
        "--token",
        TOKEN,
        "--installation-id",
        id,
    ]
}

#[test]
fn the_only_candidate_is_bound_unless_turned_off() {
    for (flag, bound) in [(None, true), (Some("--no-single-candidate"), false)] {
        let sandbox = sandbox_in_background(&seed());
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let url = sandbox.url();
        let mut args = unattended(state.to_str().unwrap(), &url, "cli-one");
        args.extend(["--installation-name", "Matriz"]);
        args.extend(flag);
        let out = run(&args, "");
        if bound {
            assert_eq!(out.code, 0, "{out:?}");
            assert!(
                out.stdout.contains(
                    "First binding with nothing to decide: Produção Única was the only free environment of this kind and was bound."
                ),
                "{out:?}"
            );
            assert_eq!(sandbox.sandbox().platform().credentials_issued(), 1);
        } else {
            assert_eq!(out.code, 2, "an administrator decides (usage): {out:?}");
            assert!(!out.stdout.contains("nothing to decide"), "{out:?}");
            assert_eq!(sandbox.sandbox().platform().credentials_issued(), 0);
        }
    }
}

/// `--unattended` alone binds the only candidate without a name, as the
/// library's start-up configuration does; the help says the name is
/// needed with --environment or --create only.
#[test]
fn the_only_candidate_needs_no_name_and_the_help_says_so() {
    let sandbox = sandbox_in_background(&seed());
    let url = sandbox.url();
    let out = run(&unattended("memory", &url, "cli-no-name"), "");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("nothing to decide"), "{out:?}");
    let help = run(&["--locale", "en", "--help"], "");
    assert!(
        help.stdout
            .contains("needed by --unattended with --environment or --create unless already bound"),
        "{help:?}"
    );
}
