//! The sealed secret of the file store: round trip, refusals by cause
//! (tampered byte, blob of another installation, missing key, wrong key,
//! loose key file), nothing overwritten on refusal, the key's rotation, and
//! no key or secret in any error or `Debug` output.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use smartlink_core::{ErpLine, InstallationId, LocalState, StateError, StateStore};
use smartlink_core::{FileStateStore, FileStoreOptions};
use smartlink_core::{SealError, SealKey};

const SECRET: &str = "s3cr3t-DO-NOT-PRINT";
const CLIENT: &str = "cli_sealed_1";

fn state_of(installation: &str) -> LocalState {
    let mut s = LocalState::new(
        InstallationId::new(installation).unwrap(),
        ErpLine::Protheus,
    );
    s.credentials = Some(
        serde_json::from_value(serde_json::json!({
            "client_id": CLIENT,
            "client_secret": SECRET,
            "tenant_id": "00000000-0000-0000-0000-000000000000",
            "environment_id": "env_1",
            "expires_at": null,
        }))
        .unwrap(),
    );
    s
}

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn key(&self, name: &str) -> PathBuf {
        let p = self.path(name);
        SealKey::create_file(&p).unwrap();
        p
    }
    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

fn sealed_store(state: &Path, key: &Path) -> FileStateStore {
    FileStateStore::open_with(state, &FileStoreOptions::new().seal_key_file(key)).unwrap()
}

fn seal_cause(e: StateError) -> SealError {
    match e {
        StateError::Sealed { source, .. } => source,
        other => panic!("expected a seal refusal, got {other:?}"),
    }
}

/// Rewrites the file (keeping 0600) after `edit` of its JSON.
fn edit_file(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut doc: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    edit(&mut doc);
    fs::write(path, serde_json::to_vec(&doc).unwrap()).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

/// Loading fails with `cause`, and neither the file nor the directory
/// changed (nothing moved aside, nothing written).
fn refused_untouched(
    store: &FileStateStore,
    dir: &Dir,
    cause: fn(&SealError) -> bool,
) -> SealError {
    let path = store.path().to_path_buf();
    let before = fs::read(&path).unwrap();
    let names = dir.names();
    let e = seal_cause(store.load().unwrap_err());
    assert!(cause(&e), "{e:?}");
    // A save through the same store is refused too (it cannot open what it
    // would replace), except when the cause is the data itself.
    let _ = store.save(&state_of("inst-a"));
    assert_eq!(fs::read(&path).unwrap(), before);
    assert_eq!(dir.names(), names);
    e
}

#[test]
fn a_sealed_state_round_trips_and_holds_no_secret_in_clear() {
    let dir = Dir::new();
    let key = dir.key("seal.key");
    assert_eq!(
        fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(fs::read(&key).unwrap().len(), 32);
    let store = sealed_store(&dir.path("state.json"), &key);
    assert!(store.is_sealed());
    let state = state_of("inst-a");
    store.save(&state).unwrap();
    let bytes = String::from_utf8(fs::read(store.path()).unwrap()).unwrap();
    assert!(!bytes.contains(SECRET), "{bytes}");
    assert!(!bytes.contains(CLIENT));
    let doc: serde_json::Value = serde_json::from_str(&bytes).unwrap();
    assert_eq!(doc["sealed"]["alg"], "chacha20-poly1305");
    assert!(doc["state"]["credentials"].is_null());
    assert_eq!(doc["state"]["installation_id"], "inst-a");
    assert_eq!(store.load().unwrap(), Some(state.clone()));
    // Another handle with the same key reads it too; so does inspect.
    let again = sealed_store(store.path(), &key);
    assert_eq!(again.load().unwrap(), Some(state.clone()));
    match again.inspect().unwrap() {
        smartlink_core::Inspection::Found(s) => assert_eq!(*s, state),
        other => panic!("{other:?}"),
    }
}

#[test]
fn without_a_key_a_sealed_file_is_refused_and_kept() {
    let dir = Dir::new();
    let key = dir.key("seal.key");
    sealed_store(&dir.path("state.json"), &key)
        .save(&state_of("inst-a"))
        .unwrap();
    let plain = FileStateStore::open(dir.path("state.json")).unwrap();
    refused_untouched(&plain, &dir, |e| matches!(e, SealError::KeyMissing));
    assert!(matches!(
        seal_cause(plain.inspect().unwrap_err()),
        SealError::KeyMissing
    ));
}

#[test]
fn a_wrong_key_is_refused_and_overwrites_nothing() {
    let dir = Dir::new();
    let key = dir.key("seal.key");
    let other = dir.key("other.key");
    sealed_store(&dir.path("state.json"), &key)
        .save(&state_of("inst-a"))
        .unwrap();
    let wrong = sealed_store(&dir.path("state.json"), &other);
    refused_untouched(&wrong, &dir, |e| matches!(e, SealError::WrongKey));
    // The right key still opens it.
    assert!(
        sealed_store(&dir.path("state.json"), &key)
            .load()
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_tampered_byte_is_refused() {
    let dir = Dir::new();
    let key = dir.key("seal.key");
    let store = sealed_store(&dir.path("state.json"), &key);
    store.save(&state_of("inst-a")).unwrap();
    let original = fs::read(store.path()).unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let doc: serde_json::Value = serde_json::from_slice(&original).unwrap();
    let data = b64.decode(doc["sealed"]["data"].as_str().unwrap()).unwrap();
    for i in [0, data.len() / 2, data.len() - 1] {
        fs::write(store.path(), &original).unwrap();
        edit_file(store.path(), |doc| {
            let mut d = data.clone();
            d[i] ^= 0x20;
            doc["sealed"]["data"] = b64.encode(&d).into();
        });
        let e = seal_cause(store.load().unwrap_err());
        assert!(matches!(e, SealError::Tampered), "byte {i}: {e:?}");
    }
    // The clear part is bound too: another installation id in the state.
    fs::write(store.path(), &original).unwrap();
    edit_file(store.path(), |doc| {
        doc["state"]["installation_id"] = "inst-z".into();
    });
    let e = seal_cause(store.load().unwrap_err());
    assert!(matches!(e, SealError::OtherInstallation), "{e:?}");
    // Nothing was moved aside by these refusals.
    assert_eq!(dir.names(), vec!["seal.key", "state.json"]);
}

#[test]
fn a_blob_from_another_installation_is_refused() {
    let dir = Dir::new();
    let key = dir.key("seal.key");
    let a = sealed_store(&dir.path("a.json"), &key);
    let b = sealed_store(&dir.path("b.json"), &key);
    a.save(&state_of("inst-a")).unwrap();
    b.save(&state_of("inst-b")).unwrap();
    let b_doc: serde_json::Value = serde_json::from_slice(&fs::read(b.path()).unwrap()).unwrap();
    edit_file(a.path(), |doc| doc["sealed"] = b_doc["sealed"].clone());
    let before = fs::read(a.path()).unwrap();
    let e = seal_cause(a.load().unwrap_err());
    assert!(matches!(e, SealError::OtherInstallation), "{e:?}");
    assert_eq!(fs::read(a.path()).unwrap(), before);
}

#[test]
fn key_files_missing_loose_or_malformed_are_refused_before_any_io() {
    let dir = Dir::new();
    let state = dir.path("state.json");
    let open = |key: &Path| {
        seal_cause(
            FileStateStore::open_with(&state, &FileStoreOptions::new().seal_key_file(key))
                .unwrap_err(),
        )
    };
    assert!(matches!(
        open(&dir.path("absent.key")),
        SealError::KeyFileMissing { .. }
    ));
    let key = dir.key("seal.key");
    for mode in [0o640, 0o604, 0o660, 0o644] {
        fs::set_permissions(&key, fs::Permissions::from_mode(mode)).unwrap();
        match open(&key) {
            SealError::KeyFileInsecure { mode: m, .. } => assert_eq!(m, mode),
            other => panic!("{mode:o}: {other:?}"),
        }
    }
    fs::set_permissions(&key, fs::Permissions::from_mode(0o400)).unwrap();
    open_ok(&state, &key);
    for len in [0usize, 31, 33, 64] {
        let p = dir.path(&format!("len{len}.key"));
        fs::write(&p, vec![1u8; len]).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(
            matches!(open(&p), SealError::KeyFileInvalid { .. }),
            "{len}"
        );
    }
    let link = dir.path("link.key");
    std::os::unix::fs::symlink(&key, &link).unwrap();
    assert!(matches!(open(&link), SealError::KeyFileIo { .. }));
    assert!(matches!(
        open(dir.dir.path()),
        SealError::KeyFileInvalid { .. }
    ));
    // No state file was made by any of these.
    assert!(!state.exists());
}

fn open_ok(state: &Path, key: &Path) {
    FileStateStore::open_with(state, &FileStoreOptions::new().seal_key_file(key)).unwrap();
}

#[test]
fn a_key_file_is_never_overwritten() {
    let dir = Dir::new();
    let key = dir.key("seal.key");
    let before = fs::read(&key).unwrap();
    let e = SealKey::create_file(&key).unwrap_err();
    assert!(matches!(e, SealError::KeyFileExists { .. }), "{e:?}");
    assert_eq!(fs::read(&key).unwrap(), before);
    // Nor a dangling symlink's target.
    let link = dir.path("dangling.key");
    std::os::unix::fs::symlink(dir.path("target.key"), &link).unwrap();
    assert!(matches!(
        SealKey::create_file(&link).unwrap_err(),
        SealError::KeyFileExists { .. }
    ));
    assert!(!dir.path("target.key").exists());
    // Two keys differ; no temporary file is left.
    let other = dir.key("other.key");
    assert_ne!(fs::read(&other).unwrap(), before);
    assert_eq!(dir.names(), vec!["dangling.key", "other.key", "seal.key"]);
}

#[test]
fn the_key_rotates_and_the_old_key_no_longer_opens() {
    let dir = Dir::new();
    let old = dir.key("old.key");
    let new = dir.key("new.key");
    let state = state_of("inst-a");
    let store = sealed_store(&dir.path("state.json"), &old);
    store.save(&state).unwrap();
    let rotated = store
        .rotate_seal_key(SealKey::read_file(&new).unwrap())
        .unwrap();
    assert_eq!(rotated.load().unwrap(), Some(state.clone()));
    assert_eq!(
        sealed_store(store.path(), &new).load().unwrap(),
        Some(state.clone())
    );
    assert!(matches!(
        seal_cause(store.load().unwrap_err()),
        SealError::WrongKey
    ));

    // Rotating with a key that does not open the file writes nothing.
    let before = fs::read(store.path()).unwrap();
    let e = store
        .rotate_seal_key(SealKey::generate().unwrap())
        .unwrap_err();
    assert!(matches!(seal_cause(e), SealError::WrongKey));
    assert_eq!(fs::read(store.path()).unwrap(), before);

    // Refused while a task holds the lock.
    let lock = rotated.try_lock().unwrap().unwrap();
    assert!(matches!(
        rotated.rotate_seal_key(SealKey::generate().unwrap()),
        Err(StateError::Io { .. })
    ));
    drop(lock);
}

#[test]
fn turning_sealing_on_seals_a_clear_file_on_its_next_save() {
    let dir = Dir::new();
    let key = dir.key("seal.key");
    let plain = FileStateStore::open(dir.path("state.json")).unwrap();
    let state = state_of("inst-a");
    plain.save(&state).unwrap();
    assert!(
        String::from_utf8(fs::read(plain.path()).unwrap())
            .unwrap()
            .contains(SECRET)
    );
    // The sealed store reads the clear file, and rotation from "no key"
    // seals it.
    let sealed = sealed_store(plain.path(), &key);
    assert_eq!(sealed.load().unwrap(), Some(state.clone()));
    let sealed = plain
        .rotate_seal_key(SealKey::read_file(&key).unwrap())
        .unwrap();
    assert!(
        !String::from_utf8(fs::read(plain.path()).unwrap())
            .unwrap()
            .contains(SECRET)
    );
    assert_eq!(sealed.load().unwrap(), Some(state));
}

#[test]
fn no_key_nor_secret_in_errors_or_debug() {
    let dir = Dir::new();
    let key_path = dir.key("seal.key");
    let key_bytes = fs::read(&key_path).unwrap();
    let store = sealed_store(&dir.path("state.json"), &key_path);
    store.save(&state_of("inst-a")).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&fs::read(store.path()).unwrap()).unwrap();
    let data = doc["sealed"]["data"].as_str().unwrap().to_owned();

    let mut shown = vec![format!("{store:?}"), format!("{store:#?}")];
    let key = SealKey::read_file(&key_path).unwrap();
    shown.push(format!("{key:?}"));
    let errors: Vec<StateError> = vec![
        FileStateStore::open(store.path())
            .unwrap()
            .load()
            .unwrap_err(),
        sealed_store(store.path(), &dir.key("other.key"))
            .load()
            .unwrap_err(),
        {
            fs::set_permissions(&key_path, fs::Permissions::from_mode(0o644)).unwrap();
            FileStateStore::open_with(
                store.path(),
                &FileStoreOptions::new().seal_key_file(&key_path),
            )
            .unwrap_err()
        },
    ];
    for e in &errors {
        shown.push(format!("{e}"));
        shown.push(format!("{e:?}"));
        shown.push(format!("{e:#?}"));
    }
    use base64::Engine as _;
    let key_b64 = base64::engine::general_purpose::STANDARD.encode(&key_bytes);
    let key_hex: String = key_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let key_list = format!("{:?}", key_bytes);
    for s in &shown {
        for needle in [SECRET, &data, &key_b64, &key_hex, &key_list[1..20]] {
            assert!(!s.contains(needle), "{s}");
        }
    }
    // The causes are named.
    assert!(shown.iter().any(|s| s.contains("no seal key was given")));
    assert!(shown.iter().any(|s| s.contains("not the key")));
    assert!(shown.iter().any(|s| s.contains("owner only")));
}
