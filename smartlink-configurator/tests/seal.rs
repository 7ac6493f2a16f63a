//! `seal-key`, `--seal-key-file` and `reseal`: a sealed state file used by
//! the wizard's unattended mode and `status`, refused without its key or
//! with another one (and left as it was), and resealed with a new key.
#![cfg(unix)]

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use support::{BIND_MATRIZ_SP, World, listing, run};

fn key_arg(world: &World, name: &str) -> String {
    world.dir.path().join(name).to_str().unwrap().to_owned()
}

#[test]
fn seal_key_makes_an_owner_only_key_and_never_replaces_one() {
    let world = World::new();
    let key = key_arg(&world, "seal.key");
    let out = run(&["--locale", "en", "seal-key", "--out", &key], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Seal key written to"), "{out:?}");
    let meta = fs::metadata(&key).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.len(), 32);
    let before = fs::read(&key).unwrap();

    let again = run(&["--locale", "en", "seal-key", "--out", &key], "");
    assert_eq!(again.code, 6, "{again:?}");
    assert!(again.stderr.contains("already exists"), "{again:?}");
    assert_eq!(fs::read(&key).unwrap(), before);
    assert_eq!(listing(world.dir.path()), vec!["seal.key"]);

    // A folder that does not exist: the key file and the cause are named.
    let nowhere = key_arg(&world, "missing/seal.key");
    let out = run(&["--locale", "en", "seal-key", "--out", &nowhere], "");
    assert_eq!(out.code, 6, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "Could not write the seal key file {nowhere}: the file or its directory does not exist."
        )),
        "{out:?}"
    );
}

#[test]
fn a_sealed_state_is_used_with_its_key_and_refused_without_it() {
    let world = World::new();
    let key = key_arg(&world, "seal.key");
    let other = key_arg(&world, "other.key");
    for k in [&key, &other] {
        assert_eq!(run(&["seal-key", "--out", k], "").code, 0);
    }
    let bound = world.run(
        &[&["--seal-key-file", &key][..], BIND_MATRIZ_SP].concat(),
        "",
    );
    assert_eq!(bound.code, 0, "{bound:?}");
    let doc: serde_json::Value = serde_json::from_slice(&fs::read(world.state()).unwrap()).unwrap();
    assert_eq!(doc["sealed"]["alg"], "chacha20-poly1305", "{doc}");
    assert!(doc["state"]["credentials"].is_null(), "{doc}");

    let status = world.run(&["--locale", "en", "--seal-key-file", &key, "status"], "");
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stdout.contains("Produção Nova"), "{status:?}");
    let again = world.run(&["--seal-key-file", &key, "--unattended"], "");
    assert_eq!(again.code, 0, "{again:?}");

    // Without the key, or with another: refused by name, nothing changed.
    let before = fs::read(world.state()).unwrap();
    let names = listing(world.dir.path());
    for (extra, says) in [
        (vec![], "give --seal-key-file"),
        (vec!["--seal-key-file", other.as_str()], "not the one"),
    ] {
        for command in [&["status"][..], &["--unattended"][..], BIND_MATRIZ_SP] {
            let args = [&["--locale", "en"][..], &extra, command].concat();
            let out = world.run(&args, "");
            assert_ne!(out.code, 0, "{args:?}: {out:?}");
            assert!(out.all().contains(says), "{args:?}: {out:?}");
            assert_eq!(fs::read(world.state()).unwrap(), before, "{args:?}");
            assert_eq!(listing(world.dir.path()), names, "{args:?}");
        }
    }
}

#[test]
fn reseal_moves_the_state_to_a_new_key() {
    let world = World::new();
    let old = key_arg(&world, "old.key");
    let new = key_arg(&world, "new.key");
    for k in [&old, &new] {
        assert_eq!(run(&["seal-key", "--out", k], "").code, 0);
    }
    // A state written in clear is sealed by `reseal` too.
    world.bind();
    let resealed = world.run(&["--locale", "en", "reseal", "--to", &old], "");
    assert_eq!(resealed.code, 0, "{resealed:?}");
    let status = world.run(&["--seal-key-file", &old, "status"], "");
    assert_eq!(status.code, 0, "{status:?}");

    let rotated = world.run(
        &[
            "--locale",
            "en",
            "--seal-key-file",
            &old,
            "reseal",
            "--to",
            &new,
        ],
        "",
    );
    assert_eq!(rotated.code, 0, "{rotated:?}");
    assert!(
        rotated.stdout.contains("sealed with the new key"),
        "{rotated:?}"
    );
    assert_eq!(world.run(&["--seal-key-file", &new, "status"], "").code, 0);
    let stale = world.run(&["--locale", "en", "--seal-key-file", &old, "status"], "");
    assert!(stale.all().contains("not the one"), "{stale:?}");
}

#[test]
fn a_loose_key_file_or_no_state_file_is_refused() {
    let world = World::new();
    let key = key_arg(&world, "seal.key");
    assert_eq!(run(&["seal-key", "--out", &key], "").code, 0);
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    let out = world.run(&["--locale", "en", "--seal-key-file", &key, "status"], "");
    assert_eq!(out.code, 6, "{out:?}");
    assert!(
        out.stderr.contains("open to other users (mode 0644)"),
        "{out:?}"
    );
    assert!(!world.state().exists());

    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(&["--locale", "en", "--seal-key-file", &key, "status"], "");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("needs --state"), "{out:?}");
    let out = run(
        &[
            "--locale",
            "en",
            "--state",
            "memory",
            "--seal-key-file",
            &key,
            "--unattended",
        ],
        "",
    );
    assert_eq!(out.code, 2, "{out:?}");
}

/// Each way a key file can be unusable is named, without --verbose: the
/// administrator learns what to fix (state.md: the messages name the file
/// and the cause), for the state's key and for `reseal --to`; exit 6, and
/// no state is written.
#[test]
fn an_unusable_key_file_names_its_cause() {
    let world = World::new();
    let good = key_arg(&world, "seal.key");
    assert_eq!(run(&["seal-key", "--out", &good], "").code, 0);
    let bytes = fs::read(&good).unwrap();
    let private = |name: &str, content: &[u8]| {
        let path = key_arg(&world, name);
        fs::write(&path, content).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        path
    };
    let short = private("short.key", &bytes[..31]);
    let mut longer = bytes.clone();
    longer.push(b'\n');
    let newline = private("newline.key", &longer);
    let folder = key_arg(&world, "folder.key");
    fs::create_dir(&folder).unwrap();
    let link = key_arg(&world, "link.key");
    std::os::unix::fs::symlink(&good, &link).unwrap();
    let missing = key_arg(&world, "missing.key");
    let cases = [
        (&missing, "does not exist"),
        (
            &short,
            "is not a seal key: it must be a regular file of exactly 32 bytes",
        ),
        (&newline, "is not a seal key"),
        (&folder, "is not a seal key"),
        (&link, "could not be read (a symbolic link"),
    ];
    for (key, cause) in cases {
        let out = world.run(&["--locale", "en", "--seal-key-file", key, "status"], "");
        assert_eq!(out.code, 6, "{out:?}");
        assert!(out.stderr.contains(key.as_str()), "{out:?}");
        assert!(out.stderr.contains(cause), "{cause}: {out:?}");
        assert!(!world.state().exists());
        let out = world.run(&["--locale", "en", "reseal", "--to", key], "");
        assert_eq!(out.code, 6, "{out:?}");
        assert!(out.stderr.contains(cause), "reseal --to, {cause}: {out:?}");
    }
}
