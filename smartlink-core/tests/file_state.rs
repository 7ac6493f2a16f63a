//! Tests of `FileStateStore`: format, permissions, corruption handling,
//! crash consistency under SIGKILL, and locking across handles and processes.
//!
//! Some tests re-execute this test binary as a child process: the child runs
//! only the `child_process_entry` test, which acts according to
//! `SMARTLINK_TEST_CHILD` (and does nothing when it is unset).
#![cfg(unix)]

use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use smartlink_core::{
    ClientId, Credentials, EnvironmentId, ErpLine, FileStateStore, InstallationId, LocalState,
    StateError, StateStore,
};
use smartlink_core::{TaskOutcome, TaskRecord};
use uuid::Uuid;

const CHILD_ENV: &str = "SMARTLINK_TEST_CHILD";
const PATH_ENV: &str = "SMARTLINK_TEST_PATH";
const READY: &str = "smartlink-writer-ready";
const SECRET: &str = "s3cr3t-DO-NOT-PRINT";
/// The file size limit of the full-disk child: far above the small state,
/// far below state A.
const FSIZE_LIMIT: u64 = 16 << 10;
/// How many failing saves the full-disk tests attempt in a row.
const FULL_DISK_ATTEMPTS: usize = 50;

// ---------------------------------------------------------------- helpers

fn state_with(detail: String) -> LocalState {
    let mut s = LocalState::new(InstallationId::new("inst-1").unwrap(), ErpLine::Rm);
    s.credentials = Some(Credentials {
        client_id: ClientId::new("cli_1").unwrap(),
        client_secret: SecretString::from(SECRET),
        tenant_id: Uuid::nil(),
        environment_id: EnvironmentId::new("env_1").unwrap(),
        expires_at: None,
    });
    s.last_task = Some(TaskRecord {
        task_id: Uuid::nil(),
        outcome: TaskOutcome::Failed {
            code: smartlink_core::FailureCode::Internal,
            detail,
        },
        finished_at: Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap(),
    });
    s
}

fn small_state() -> LocalState {
    state_with("small".into())
}

/// Large, distinct states of different sizes, so a torn or mixed write
/// cannot pass for either.
fn state_a() -> LocalState {
    state_with("A".repeat(128 << 10))
}

fn state_b() -> LocalState {
    state_with("B".repeat(192 << 10))
}

fn mode_of(p: &Path) -> u32 {
    fs::symlink_metadata(p).unwrap().mode() & 0o7777
}

fn write_with_mode(p: &Path, bytes: &[u8], mode: u32) {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(p)
        .unwrap();
    f.write_all(bytes).unwrap();
    // The umask may have stripped bits; set exactly what the test asks for.
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

fn entries_starting_with(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

fn spawn_child(role: &str, path: &Path) -> Child {
    spawn_child_with(role, path, Stdio::null())
}

fn spawn_child_with(role: &str, path: &Path, stdout: Stdio) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, role)
        .env(PATH_ENV, path)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn wait_for(p: &Path, timeout: Duration) {
    let start = Instant::now();
    while !p.exists() {
        assert!(start.elapsed() < timeout, "timed out waiting for {p:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits (up to a minute) for a writer child to print [`READY`]; `false`
/// when it exits or times out first.
fn wait_ready(child: &mut Child) -> bool {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = BufReader::new(out);
        let mut line = String::new();
        // libtest prints "test child_process_entry ... " before our line.
        loop {
            line.clear();
            match out.read_line(&mut line) {
                Ok(n) if n > 0 && line.contains(READY) => {
                    let _ = tx.send(true);
                    break;
                }
                Ok(n) if n > 0 => {}
                _ => {
                    let _ = tx.send(false);
                    break;
                }
            }
        }
        // Keep draining so the child never blocks on a full pipe.
        let _ = std::io::copy(&mut out, &mut std::io::sink());
    });
    rx.recv_timeout(Duration::from_secs(60)).unwrap_or(false)
}

/// Random number in `0..n` without an extra dependency.
fn random_below(n: u128) -> u128 {
    Uuid::new_v4().as_u128() % n
}

// ---------------------------------------------------------- child process

/// The entry point of child processes; a no-op in a normal test run.
#[test]
fn child_process_entry() {
    let Ok(role) = std::env::var(CHILD_ENV) else {
        return;
    };
    let path = PathBuf::from(std::env::var(PATH_ENV).unwrap());
    match role.as_str() {
        // Saves A and B alternately until killed.
        "writer" => {
            let store = FileStateStore::open(&path).unwrap();
            let (a, b) = (state_a(), state_b());
            // Tell the parent the writing starts now, so its random delay
            // falls among the saves rather than in process start-up.
            println!("{READY}");
            std::io::stdout().flush().unwrap();
            loop {
                store.save(&a).unwrap();
                store.save(&b).unwrap();
            }
        }
        // Under umask 000: writes a control file with the default mode, then
        // saves and locks through a store whose directories do not exist.
        "umask" => {
            // `path` is the test's temporary directory here.
            rustix::process::umask(rustix::fs::Mode::empty());
            let store = FileStateStore::open(path.join("sub/deeper/state.json")).unwrap();
            fs::write(path.join("control"), b"x").unwrap();
            store.save(&small_state()).unwrap();
            let lock = store.try_lock().unwrap().expect("lock free");
            drop(lock);
        }
        // Holds the lock until the parent creates `release`.
        "locker" => {
            let store = FileStateStore::open(&path).unwrap();
            let dir = path.parent().unwrap();
            let _lock = store.try_lock().unwrap().expect("lock free in child");
            fs::write(dir.join("locked"), b"").unwrap();
            wait_for(&dir.join("release"), Duration::from_secs(60));
        }
        // Under RLIMIT_FSIZE (SIGXFSZ ignored by the parent's `sh`): tries
        // to save a state larger than the limit over a smaller good one.
        "fsize" => {
            use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
            let hard = getrlimit(Resource::Fsize).maximum;
            setrlimit(
                Resource::Fsize,
                Rlimit {
                    current: Some(FSIZE_LIMIT),
                    maximum: hard,
                },
            )
            .unwrap();
            let store = FileStateStore::open(&path).unwrap();
            let big = state_a();
            for attempt in 0..FULL_DISK_ATTEMPTS {
                match store.save(&big) {
                    Err(StateError::Io { op, source, .. }) => {
                        if attempt == 0 {
                            println!(
                                "FSIZE-RESULT io op={op:?} errno={:?} kind={:?} {source}",
                                source.raw_os_error(),
                                source.kind()
                            );
                        }
                    }
                    other => {
                        println!("FSIZE-RESULT unexpected {other:?}");
                        return;
                    }
                }
            }
            println!("FSIZE-DONE");
        }
        other => panic!("unknown child role {other}"),
    }
}

// ------------------------------------------------------------------ tests

#[test]
fn round_trip_clear_and_stamp() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStateStore::open(dir.path().join("state.json")).unwrap();
    assert_eq!(store.stamp(), None);
    let s = small_state();
    store.save(&s).unwrap();
    assert_eq!(store.load().unwrap(), Some(s.clone()));
    let first = store.stamp().expect("stamp once saved");
    assert_eq!(store.stamp(), Some(first), "stamp is stable");

    let mut s2 = s.clone();
    s2.last_task = None;
    store.save(&s2).unwrap();
    assert_eq!(store.load().unwrap(), Some(s2));
    assert_ne!(store.stamp(), Some(first), "stamp changes on save");

    // The envelope on disk.
    let v: serde_json::Value = serde_json::from_slice(&fs::read(store.path()).unwrap()).unwrap();
    assert_eq!(v["format"], "smartlink-state");
    assert_eq!(v["version"], 1);
    assert_eq!(v["state"]["installation_id"], "inst-1");

    store.clear().unwrap();
    assert_eq!(store.load().unwrap(), None);
    assert_eq!(store.stamp(), None);
    store.clear().unwrap(); // missing is fine
    // No temp files left behind by successful saves.
    assert!(entries_starting_with(dir.path(), store.temp_prefix()).is_empty());
}

#[test]
fn missing_file_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStateStore::open(dir.path().join("state.json")).unwrap();
    assert!(store.load().unwrap().is_none());
    let nested = FileStateStore::open(dir.path().join("no/such/dir/state.json")).unwrap();
    assert!(nested.load().unwrap().is_none());
    assert!(!dir.path().join("no").exists(), "load creates nothing");
}

#[test]
fn modes_are_0600_and_0700_under_umask_000() {
    let dir = tempfile::tempdir().unwrap();
    let status = spawn_child("umask", dir.path()).wait().unwrap();
    assert!(status.success(), "umask child failed: {status}");
    // Proof the child really ran under umask 000.
    assert_eq!(mode_of(&dir.path().join("control")), 0o666);
    assert_eq!(mode_of(&dir.path().join("sub")), 0o700);
    assert_eq!(mode_of(&dir.path().join("sub/deeper")), 0o700);
    assert_eq!(mode_of(&dir.path().join("sub/deeper/state.json")), 0o600);
    assert_eq!(
        mode_of(&dir.path().join("sub/deeper/state.json.lock")),
        0o600
    );
    let store = FileStateStore::open(dir.path().join("sub/deeper/state.json")).unwrap();
    assert_eq!(store.load().unwrap(), Some(small_state()));
}

#[test]
fn existing_directory_mode_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let store = FileStateStore::open(dir.path().join("state.json")).unwrap();
    store.save(&small_state()).unwrap();
    assert_eq!(mode_of(dir.path()), 0o755);
    assert_eq!(mode_of(store.path()), 0o600);
}

#[test]
fn group_or_world_accessible_file_is_refused() {
    for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let store = FileStateStore::open(&path).unwrap();
        store.save(&small_state()).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        match store.load() {
            Err(StateError::InsecurePermissions { path: p, mode: m }) => {
                assert_eq!(p, path);
                assert_eq!(m, mode);
            }
            other => panic!("mode {mode:o}: expected InsecurePermissions, got {other:?}"),
        }
        // Refused, not moved or changed.
        assert_eq!(mode_of(&path), mode);
        assert_eq!(
            entries_starting_with(dir.path(), "state.json.corrupt").len(),
            0
        );
    }
}

#[test]
fn foreign_owner_is_refused() {
    let euid = rustix::process::geteuid().as_raw();
    // Giving the file to another uid needs root: without it this test would
    // check nothing, so it fails rather than pass.
    assert_eq!(
        euid, 0,
        "foreign_owner_is_refused must run as root (it chowns the state file to uid 65534): \
         run the tests as root, e.g. `sudo -E cargo test -p smartlink-core --test file_state`, \
         as scripts/test.sh does in CI"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let store = FileStateStore::open(&path).unwrap();
    store.save(&small_state()).unwrap();
    std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
    match store.load() {
        Err(StateError::ForeignOwner {
            owner, expected, ..
        }) => {
            assert_eq!(owner, 65534);
            assert_eq!(expected, euid);
        }
        other => panic!("expected ForeignOwner, got {other:?}"),
    }
    assert!(path.exists());
}

#[test]
fn symlink_is_refused_and_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    let real_store = FileStateStore::open(&real).unwrap();
    real_store.save(&small_state()).unwrap();
    let before = fs::read(&real).unwrap();

    let link = dir.path().join("state.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let store = FileStateStore::open(&link).unwrap();
    match store.load() {
        Err(e @ StateError::Io { .. }) => {
            assert!(e.to_string().contains("symlink"), "{e}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A save replaces the link itself; the link's target is untouched.
    let mut other = small_state();
    other.last_task = None;
    store.save(&other).unwrap();
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_file());
    assert_eq!(fs::read(&real).unwrap(), before);
    assert_eq!(store.load().unwrap(), Some(other));
}

#[test]
fn non_regular_files_are_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    fs::create_dir(&path).unwrap();
    let store = FileStateStore::open(&path).unwrap();
    assert!(matches!(store.load(), Err(StateError::Io { .. })));

    let fifo = dir.path().join("fifo.json");
    if Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let store = FileStateStore::open(&fifo).unwrap();
        assert!(matches!(store.load(), Err(StateError::Io { .. })));
    }
}

fn assert_kept_aside(dir: &Path, bytes: &[u8], expect_version: Option<u64>) {
    let path = dir.join("state.json");
    write_with_mode(&path, bytes, 0o600);
    let store = FileStateStore::open(&path).unwrap();
    let err = store.load().expect_err("must not load");
    let message = err.to_string();
    assert!(
        !message.contains(SECRET),
        "message leaks contents: {message}"
    );
    let kept = match (err, expect_version) {
        (
            StateError::Corrupt {
                path: p, kept_at, ..
            },
            None,
        ) => {
            assert_eq!(p, path);
            kept_at
        }
        (
            StateError::UnsupportedVersion {
                kept_at,
                found,
                supported,
                ..
            },
            Some(v),
        ) => {
            assert_eq!(found, v);
            assert_eq!(supported, 1);
            kept_at
        }
        (other, _) => panic!("unexpected error {other:?}"),
    };
    assert!(!path.exists(), "the bad file was moved away");
    assert_eq!(kept.parent().unwrap(), dir);
    let name = kept.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("state.json.corrupt-"), "{name}");
    assert_eq!(fs::read(&kept).unwrap(), bytes, "original bytes intact");
    assert_eq!(mode_of(&kept), 0o600);
    assert_eq!(
        entries_starting_with(dir, "state.json.corrupt-"),
        vec![kept]
    );
    // The store is usable again: nothing stored.
    assert!(store.load().unwrap().is_none());
}

#[test]
fn corrupt_files_are_kept_aside() {
    let good = serde_json::to_vec(&serde_json::json!({
        "format": "smartlink-state",
        "version": 1,
        "state": small_state(),
    }))
    .unwrap();
    assert!(String::from_utf8_lossy(&good).contains(SECRET));
    let mut garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    garbage.extend_from_slice(SECRET.as_bytes());
    let wrong_tag = String::from_utf8(good.clone())
        .unwrap()
        .replace("\"smartlink-state\"", "\"other-state\"");
    let invalid_state = format!(
        r#"{{"format":"smartlink-state","version":1,"state":{{"installation_id":"inst-1","line":"{SECRET}"}}}}"#
    );
    let unknown_shape = format!(r#"{{"hello":"{SECRET}"}}"#);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", garbage),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("truncated at 1", good[..1].to_vec()),
        ("empty", Vec::new()),
        ("wrong tag", wrong_tag.into_bytes()),
        ("invalid state", invalid_state.into_bytes()),
        ("unknown shape", unknown_shape.into_bytes()),
        ("array", b"[1,2,3]".to_vec()),
        (
            "string version",
            br#"{"format":"smartlink-state","version":"1","state":{}}"#.to_vec(),
        ),
    ];
    for (name, bytes) in cases {
        eprintln!("case {name}");
        let dir = tempfile::tempdir().unwrap();
        assert_kept_aside(dir.path(), &bytes, None);
    }
}

#[test]
fn future_version_is_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    let doc = serde_json::to_vec(&serde_json::json!({
        "format": "smartlink-state",
        "version": 2,
        "state": {"anything": SECRET},
    }))
    .unwrap();
    assert_kept_aside(dir.path(), &doc, Some(2));
}

#[test]
fn oversized_file_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    write_with_mode(&path, b"{", 0o600);
    // Sparse: no 16 MiB actually written.
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(16 * 1024 * 1024 + 1)
        .unwrap();
    let store = FileStateStore::open(&path).unwrap();
    match store.load() {
        Err(StateError::Corrupt { kept_at, .. }) => {
            assert_eq!(fs::metadata(kept_at).unwrap().len(), 16 * 1024 * 1024 + 1);
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn version_0_bare_state_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let s = small_state();
    write_with_mode(&path, &serde_json::to_vec(&s).unwrap(), 0o600);
    let store = FileStateStore::open(&path).unwrap();
    assert_eq!(store.load().unwrap(), Some(s.clone()));
    // Loading does not rewrite; the next save writes version 1.
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    assert!(v.get("format").is_none());
    store.save(&s).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(store.load().unwrap(), Some(s));
}

#[test]
fn stale_temp_files_are_cleaned_on_save() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStateStore::open(dir.path().join("state.json")).unwrap();
    let old = dir.path().join(format!("{}old", store.temp_prefix()));
    let fresh = dir.path().join(format!("{}fresh", store.temp_prefix()));
    let unrelated = dir.path().join("other.tmp-old");
    for p in [&old, &fresh, &unrelated] {
        write_with_mode(p, b"partial", 0o600);
    }
    let two_minutes_ago = SystemTime::now() - Duration::from_secs(120);
    for p in [&old, &unrelated] {
        let f = OpenOptions::new().write(true).open(p).unwrap();
        f.set_modified(two_minutes_ago).unwrap();
    }
    store.save(&small_state()).unwrap();
    assert!(!old.exists(), "stale temp removed");
    assert!(fresh.exists(), "recent temp kept (a save may be running)");
    assert!(unrelated.exists(), "other files untouched");
}

#[test]
fn leftover_temp_files_are_removed_when_the_store_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let holder = FileStateStore::open(&path).unwrap();
    let prefix = holder.temp_prefix().to_owned();
    let held = holder.try_lock().unwrap().unwrap();
    // A save killed after writing its temporary file: the whole state,
    // secret included, lies next to the state file.
    let leftover = dir.path().join(format!("{prefix}killed"));
    write_with_mode(&leftover, SECRET.as_bytes(), 0o600);
    let unrelated = dir.path().join("notes.txt");
    write_with_mode(&unrelated, b"keep", 0o600);

    // While another holder has the lock a save may be running: a fresh
    // temporary file is left alone.
    FileStateStore::open(&path).unwrap();
    assert!(leftover.exists(), "a save may be under way");
    drop(held);

    // The next open (a restart) finds the lock free and removes it.
    FileStateStore::open(&path).unwrap();
    assert!(!leftover.exists(), "the leftover with the secret is gone");
    assert!(unrelated.exists(), "other files untouched");
}

#[test]
fn lock_excludes_other_handles_in_this_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let first = FileStateStore::open(&path).unwrap();
    let second = FileStateStore::open(&path).unwrap();

    let held = first.try_lock().unwrap().expect("free at first");
    assert!(second.try_lock().unwrap().is_none(), "other store excluded");
    assert!(first.try_lock().unwrap().is_none(), "same store excluded");
    assert_eq!(mode_of(&dir.path().join("state.json.lock")), 0o600);
    // The state file itself is not created or locked by locking.
    assert!(!path.exists());
    drop(held);

    // Released on drop. A concurrent test spawning a child can briefly hold
    // a copy of our (close-on-exec) descriptor between fork and exec, which
    // keeps the flock alive for microseconds: allow a short retry.
    let start = Instant::now();
    let again = loop {
        if let Some(l) = second.try_lock().unwrap() {
            break l;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "lock not released"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(first.try_lock().unwrap().is_none());
    drop(again);
}

#[test]
fn lock_excludes_other_processes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut child = spawn_child("locker", &path);
    wait_for(&dir.path().join("locked"), Duration::from_secs(60));

    let store = FileStateStore::open(&path).unwrap();
    assert!(store.try_lock().unwrap().is_none(), "held by the child");
    fs::write(dir.path().join("release"), b"").unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "locker child failed: {status}");
    assert!(
        store.try_lock().unwrap().is_some(),
        "free once the child exited"
    );
}

#[test]
fn lock_is_released_when_the_holder_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut child = spawn_child("locker", &path);
    wait_for(&dir.path().join("locked"), Duration::from_secs(60));
    let store = FileStateStore::open(&path).unwrap();
    assert!(store.try_lock().unwrap().is_none());
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(store.try_lock().unwrap().is_some());
}

#[test]
fn crash_during_save_leaves_old_or_new_whole() {
    // Measured on the 2-core test machine, debug build: about 10 s for
    // 1,000 kills (docs/reliability.md, "SIGKILL during saves").
    let iterations = if std::env::var("SMARTLINK_LONG").is_ok_and(|v| v == "1") {
        10_000
    } else {
        1_000
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let store = FileStateStore::open(&path).unwrap();
    let (a, b) = (state_a(), state_b());
    let (mut seen_absent, mut seen_a, mut seen_b, mut saw_leftover_temp) = (0, 0, 0, false);
    let mut ever_present = false;

    for i in 0..iterations {
        let mut child = spawn_child_with("writer", &path, Stdio::piped());
        if !wait_ready(&mut child) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("iteration {i}: the writer never became ready");
        }
        // The first kill comes at once, so the "no file yet" case is exercised.
        let delay = if i == 0 {
            0
        } else {
            random_below(20_001) as u64
        };
        std::thread::sleep(Duration::from_micros(delay));
        child.kill().unwrap();
        child.wait().unwrap();

        match store.load() {
            Ok(None) => {
                assert!(!ever_present, "iteration {i}: file vanished after a save");
                seen_absent += 1;
            }
            Ok(Some(s)) => {
                ever_present = true;
                if s == a {
                    seen_a += 1;
                } else if s == b {
                    seen_b += 1;
                } else {
                    panic!("iteration {i}: loaded a state that is neither A nor B");
                }
                assert_eq!(mode_of(&path), 0o600, "iteration {i}");
            }
            Err(e) => panic!("iteration {i}: load failed: {e}"),
        }
        if !entries_starting_with(dir.path(), store.temp_prefix()).is_empty() {
            saw_leftover_temp = true;
        }
    }
    eprintln!(
        "crash test: {iterations} kills: absent {seen_absent}, A {seen_a}, B {seen_b}, \
         leftover temp files seen: {saw_leftover_temp}"
    );
    assert!(seen_a + seen_b > 0, "the writer never completed a save");
    // Leftover temps of killed writers are harmless: loading ignores them.
    assert!(entries_starting_with(dir.path(), "state.json.corrupt").is_empty());
}

/// Temporary files of interrupted or failed saves next to `store`'s file,
/// with their sizes.
fn temp_files(dir: &Path, store: &FileStateStore) -> Vec<(PathBuf, u64)> {
    entries_starting_with(dir, store.temp_prefix())
        .into_iter()
        .map(|p| {
            let len = fs::metadata(&p).unwrap().len();
            (p, len)
        })
        .collect()
}

#[test]
fn full_disk_by_rlimit_fsize_keeps_the_previous_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let store = FileStateStore::open(&path).unwrap();
    let good = small_state();
    store.save(&good).unwrap();
    let before = fs::read(&path).unwrap();
    assert!((before.len() as u64) < FSIZE_LIMIT);
    assert!(serde_json::to_vec(&state_a()).unwrap().len() as u64 > FSIZE_LIMIT);

    // SIGXFSZ ignored (inherited across exec), so an oversized write fails
    // with EFBIG instead of killing the process.
    let exe = std::env::current_exe().unwrap();
    let output = Command::new("sh")
        .args(["-c", r#"trap '' XFSZ; exec "$0" "$@""#])
        .arg(&exe)
        .args([
            "child_process_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "fsize")
        .env(PATH_ENV, &path)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child: {}\n{stdout}",
        output.status
    );
    // libtest prints "test child_process_entry ... " before the child's line.
    let result = stdout
        .lines()
        .find_map(|l| l.find("FSIZE-RESULT ").map(|at| &l[at..]))
        .unwrap_or_else(|| panic!("no result in {stdout:?}"));
    assert!(
        result.starts_with("FSIZE-RESULT io "),
        "a typed StateError::Io: {result}"
    );
    // EFBIG (tempfile wraps the OS error with the path, so the kind is
    // what survives).
    assert!(
        result.contains("kind=FileTooLarge"),
        "EFBIG from the write: {result}"
    );
    assert!(stdout.contains("FSIZE-DONE"), "{stdout}");
    assert!(!stdout.contains(SECRET));

    // The previous file is intact, still private.
    assert_eq!(fs::read(&path).unwrap(), before, "previous bytes intact");
    assert_eq!(store.load().unwrap(), Some(good));
    assert_eq!(mode_of(&path), 0o600);
    // No temporary file grew without bound: none is larger than the limit
    // and failed saves do not pile up.
    let temps = temp_files(dir.path(), &store);
    eprintln!("full disk (RLIMIT_FSIZE): {result}; temp files left: {temps:?}");
    assert!(temps.len() <= 1, "{temps:?}");
    assert!(
        temps.iter().all(|(_, len)| *len <= FSIZE_LIMIT),
        "{temps:?}"
    );
}

/// Unmounts the tmpfs when the test ends, even on failure.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn full_disk_on_a_small_tmpfs_keeps_the_previous_state() {
    let dir = tempfile::tempdir().unwrap();
    let mount_point = dir.path().join("mnt");
    fs::create_dir(&mount_point).unwrap();
    let mount = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs"])
        .arg(&mount_point)
        .output();
    // Without the small file system this test would check nothing, so a
    // refused mount fails it rather than pass.
    const HOW: &str = "this test mounts a 64 KiB tmpfs, which needs root (or CAP_SYS_ADMIN): \
         run the tests as root, e.g. `sudo -E cargo test -p smartlink-core --test file_state`, \
         as scripts/test.sh does in CI";
    match mount {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "mount refused ({}): {}; {HOW}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => panic!("cannot run mount: {e}; {HOW}"),
    }
    let _mounted = Mounted(mount_point.clone());
    let path = mount_point.join("state.json");
    let store = FileStateStore::open(&path).unwrap();
    let good = small_state();
    store.save(&good).unwrap();
    let before = fs::read(&path).unwrap();

    // Fill the file system.
    let mut filler = fs::File::create(mount_point.join("filler")).unwrap();
    let chunk = vec![0u8; 1024];
    loop {
        match filler.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(28), "ENOSPC: {e}");
                break;
            }
        }
    }
    let _ = filler.sync_all();

    let big = state_a();
    for attempt in 0..FULL_DISK_ATTEMPTS {
        match store.save(&big) {
            Err(StateError::Io { source, .. }) => {
                assert_eq!(
                    source.kind(),
                    std::io::ErrorKind::StorageFull,
                    "ENOSPC: {source}"
                );
                if attempt == 0 {
                    eprintln!("full disk (tmpfs): {source}");
                }
            }
            other => panic!("attempt {attempt}: expected StateError::Io, got {other:?}"),
        }
    }
    assert_eq!(fs::read(&path).unwrap(), before, "previous bytes intact");
    assert_eq!(store.load().unwrap(), Some(good.clone()));
    assert_eq!(mode_of(&path), 0o600);
    let temps = temp_files(&mount_point, &store);
    assert!(temps.len() <= 1, "{temps:?}");

    // Space freed: saving works again. The space comes back when the last
    // descriptor of the filler closes; a process that another test of this
    // binary forks at that moment holds a copy of every descriptor until
    // its exec, so wait for it a little (bounded) instead of failing then.
    drop(filler);
    fs::remove_file(mount_point.join("filler")).unwrap();
    let mut other = good;
    other.last_task = None;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match store.save(&other) {
            Ok(()) => break,
            Err(StateError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::StorageFull
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("saving after the space was freed: {e:?}"),
        }
    }
    assert_eq!(store.load().unwrap(), Some(other));
}

/// Refused credentials are kept with their mark (issue 19): the mark, its
/// status and the setup it was refused under survive a save and a reload;
/// a state of the previous release (the secret dropped at the refusal,
/// format 1 without the new fields) loads with the same meaning, and the
/// next save writes the new fields.
#[test]
fn the_refused_mark_survives_a_reload_and_old_states_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let store = FileStateStore::open(&path).unwrap();
    let mut state = small_state();
    state.revocation = Some(smartlink_core::Revocation {
        client_id: ClientId::new("cli_1").unwrap(),
        detected_at: Utc.with_ymd_and_hms(2026, 12, 4, 21, 0, 0).unwrap(),
        request_id: Some("req-1".into()),
        status: Some(400),
        token_request_setup: Some("client_secret_post http://127.0.0.1:9/oauth2/token".into()),
    });
    store.save(&state).unwrap();
    let back = FileStateStore::open(&path)
        .unwrap()
        .load()
        .unwrap()
        .unwrap();
    assert_eq!(back, state);
    assert_eq!(back.refused_credentials().unwrap().secret(), SECRET);
    assert!(back.active_revocation().is_some());

    // As the previous release wrote it after a refusal: no credentials.
    let old = serde_json::json!({
        "format": "smartlink-state", "version": 1,
        "state": {
            "installation_id": "inst-1", "line": "rm",
            "binding": null, "credentials": null, "pending": null, "last_task": null,
            "revocation": {"client_id": "cli_1", "detected_at": "2026-11-30T10:00:00Z",
                           "request_id": "req-0"}
        }
    });
    let old_path = dir.path().join("old.json");
    write_with_mode(&old_path, old.to_string().as_bytes(), 0o600);
    let old_store = FileStateStore::open(&old_path).unwrap();
    let loaded = old_store.load().unwrap().unwrap();
    let revocation = loaded.active_revocation().unwrap();
    assert_eq!(revocation.status, None);
    assert_eq!(revocation.token_request_setup, None);
    assert!(loaded.refused_credentials().is_none());
    old_store.save(&loaded).unwrap();
    assert_eq!(old_store.load().unwrap().unwrap(), loaded);
}
