//! A deployment script runs the same unattended command again: exit 0 and
//! "nothing to do"; a different target is still refused.

mod support;
use support::{Out, World};

#[test]
fn the_same_unattended_create_twice_has_nothing_to_do_the_second_time() {
    let w = World::new();
    let run = |target: &[&str]| -> Out {
        let mut args = vec![
            "--locale",
            "en",
            "--unattended",
            "--installation-name",
            "Deploy",
        ];
        args.extend(target);
        w.run(&args, "")
    };
    let first = run(&["--create", "Implantação"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(!first.stdout.contains("nothing to do"), "{first:?}");

    // Same command again, and the name typed in other case.
    for name in ["Implantação", "IMPLANTAÇÃO"] {
        let again = run(&["--create", name]);
        assert_eq!(again.code, 0, "{again:?}");
        assert!(
            again.stdout.contains(
                "Already configured as asked, on environment Implantação; nothing to do."
            ),
            "{again:?}"
        );
    }

    // Another target is refused (exit 3), and the configuration stays.
    let other = run(&["--create", "Outro"]);
    assert_eq!(other.code, 3, "{other:?}");
    let status = w.run(&["--locale", "en", "status"], "");
    assert_eq!(status.code, 0, "still configured: {status:?}");
}
