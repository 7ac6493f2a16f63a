//! Windows counterparts of `file_state.rs`: DACLs instead of modes, the
//! lock across processes, replacing the file while other processes read it,
//! Windows paths, and the seal key file's DACL. Run under Wine by `scripts/test-windows.sh`.
#![cfg(windows)]

use std::ffi::c_void;
use std::io::Read;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::ptr::null_mut;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use smartlink_core::{ErpLine, FileStateStore, InstallationId, LocalState, StateError, StateStore};
use smartlink_core::{SealError, SealKey, TaskOutcome, TaskRecord};
use uuid::Uuid;
use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, HLOCAL, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW,
    GetNamedSecurityInfoW, SDDL_REVISION_1, SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, ACL_SIZE_INFORMATION, AclSizeInformation,
    DACL_SECURITY_INFORMATION, GetAce, GetAclInformation, GetSecurityDescriptorControl,
    GetTokenInformation, PSECURITY_DESCRIPTOR, SE_DACL_PROTECTED, SECURITY_ATTRIBUTES, TOKEN_QUERY,
    TOKEN_USER, TokenUser,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateDirectoryW, FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE,
};

const ROLE: &str = "SMARTLINK_WIN_TEST_ROLE";
const PATH: &str = "SMARTLINK_WIN_TEST_PATH";
const SYSTEM_SID: &str = "S-1-5-18";
const INHERITED_ACE: u8 = 0x10;

fn state_with(detail: &str) -> LocalState {
    let mut s = LocalState::new(
        InstallationId::new("erp-win-01").unwrap(),
        ErpLine::Protheus,
    );
    s.last_task = Some(TaskRecord {
        task_id: Uuid::nil(),
        outcome: TaskOutcome::Failed {
            code: smartlink_core::FailureCode::Internal,
            detail: detail.to_owned(),
        },
        finished_at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
    });
    s
}

/// Whether this runs under Wine, which keeps a file's DACL as Unix mode bits
/// only: entries for the account and SYSTEM, and an Everyone entry for the
/// "other" bits, survive; the protected flag and entries for other groups
/// (Users, Authenticated Users) do not. See docs/state.md.
fn under_wine() -> bool {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};
    // SAFETY: NUL-terminated names; ntdll is always loaded.
    unsafe {
        let ntdll = GetModuleHandleA(c"ntdll.dll".as_ptr().cast());
        !ntdll.is_null() && GetProcAddress(ntdll, c"wine_get_version".as_ptr().cast()).is_some()
    }
}

fn wide(s: &std::ffi::OsStr) -> Vec<u16> {
    s.encode_wide().chain(Some(0)).collect()
}

fn local_free(p: *mut c_void) {
    if !p.is_null() {
        // SAFETY: p was allocated by the system with LocalAlloc.
        unsafe { LocalFree(p as HLOCAL) };
    }
}

/// This account's SID as `S-1-5-...`.
fn user_sid() -> String {
    // SAFETY: plain Win32 calls with buffers sized as the API says.
    unsafe {
        let mut token: HANDLE = null_mut();
        assert_ne!(
            windows_sys::Win32::System::Threading::OpenProcessToken(
                windows_sys::Win32::System::Threading::GetCurrentProcess(),
                TOKEN_QUERY,
                &mut token,
            ),
            0
        );
        let mut len = 0u32;
        GetTokenInformation(token, TokenUser, null_mut(), 0, &mut len);
        let mut buf = vec![0u64; (len as usize).div_ceil(8)];
        assert_ne!(
            GetTokenInformation(token, TokenUser, buf.as_mut_ptr().cast(), len, &mut len),
            0
        );
        CloseHandle(token);
        let user = &*(buf.as_ptr() as *const TOKEN_USER);
        sid_string(user.User.Sid)
    }
}

unsafe fn sid_string(sid: *mut c_void) -> String {
    let mut text: *mut u16 = null_mut();
    // SAFETY: sid is a valid SID; text is freed below.
    unsafe {
        assert_ne!(ConvertSidToStringSidW(sid, &mut text), 0);
        let n = (0..).take_while(|&i| *text.add(i) != 0).count();
        let s = String::from_utf16_lossy(std::slice::from_raw_parts(text, n));
        local_free(text.cast());
        s
    }
}

/// Creates a file or directory with the DACL given in SDDL.
fn create_with_sddl(path: &Path, sddl: &str, directory: bool, contents: &[u8]) {
    let sddl: Vec<u16> = sddl.encode_utf16().chain(Some(0)).collect();
    let mut sd: PSECURITY_DESCRIPTOR = null_mut();
    // SAFETY: NUL-terminated SDDL; sd freed at the end.
    unsafe {
        assert_ne!(
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                null_mut()
            ),
            0
        );
    }
    let sa = SECURITY_ATTRIBUTES {
        nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: sd,
        bInheritHandle: 0,
    };
    let name = wide(path.as_os_str());
    if directory {
        // SAFETY: NUL-terminated name, live descriptor.
        assert_ne!(unsafe { CreateDirectoryW(name.as_ptr(), &sa) }, 0);
    } else {
        use windows_sys::Win32::Foundation::{GENERIC_WRITE, INVALID_HANDLE_VALUE};
        use windows_sys::Win32::Storage::FileSystem::{
            CREATE_NEW, CreateFileW, FILE_ATTRIBUTE_NORMAL, WriteFile,
        };
        // SAFETY: as above; the handle is closed.
        unsafe {
            let h = CreateFileW(
                name.as_ptr(),
                GENERIC_WRITE,
                0,
                &sa,
                CREATE_NEW,
                FILE_ATTRIBUTE_NORMAL,
                null_mut(),
            );
            assert_ne!(h, INVALID_HANDLE_VALUE, "{}", path.display());
            let mut written = 0u32;
            assert_ne!(
                WriteFile(
                    h,
                    contents.as_ptr(),
                    contents.len() as u32,
                    &mut written,
                    null_mut()
                ),
                0
            );
            CloseHandle(h);
        }
    }
    local_free(sd);
}

/// The DACL of a path: whether it is protected, and (SID, ACE flags, mask)
/// of every entry.
fn dacl_of(path: &Path) -> (bool, Vec<(String, u8, u32)>) {
    let name = wide(path.as_os_str());
    let mut dacl: *mut ACL = null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = null_mut();
    // SAFETY: Win32 calls on a live security descriptor, freed at the end.
    unsafe {
        let rc = GetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            null_mut(),
            null_mut(),
            &mut dacl,
            null_mut(),
            &mut sd,
        );
        assert_eq!(rc, 0, "GetNamedSecurityInfoW({})", path.display());
        let mut control = 0u16;
        let mut revision = 0u32;
        assert_ne!(
            GetSecurityDescriptorControl(sd, &mut control, &mut revision),
            0
        );
        assert!(!dacl.is_null(), "{} has no DACL", path.display());
        let mut info = ACL_SIZE_INFORMATION {
            AceCount: 0,
            AclBytesInUse: 0,
            AclBytesFree: 0,
        };
        assert_ne!(
            GetAclInformation(
                dacl,
                (&mut info as *mut ACL_SIZE_INFORMATION).cast(),
                size_of::<ACL_SIZE_INFORMATION>() as u32,
                AclSizeInformation
            ),
            0
        );
        let mut aces = Vec::new();
        for i in 0..info.AceCount {
            let mut ace: *mut c_void = null_mut();
            assert_ne!(GetAce(dacl, i, &mut ace), 0);
            let header = &*(ace as *const ACE_HEADER);
            assert_eq!(header.AceType, 0, "only allow entries expected");
            let allowed = &*(ace as *const ACCESS_ALLOWED_ACE);
            let sid = (&allowed.SidStart as *const u32) as *mut c_void;
            aces.push((sid_string(sid), header.AceFlags, allowed.Mask));
        }
        local_free(sd);
        (control & SE_DACL_PROTECTED != 0, aces)
    }
}

/// Asserts the owner-only, protected DACL the store gives what it creates.
fn assert_owner_only(path: &Path) {
    let (protected, aces) = dacl_of(path);
    if !under_wine() {
        assert!(protected, "{}: DACL not protected", path.display());
    }
    let mut sids: Vec<&str> = aces.iter().map(|(s, _, _)| s.as_str()).collect();
    sids.sort_unstable();
    let user = user_sid();
    let mut expected = vec![user.as_str(), SYSTEM_SID];
    expected.sort_unstable();
    assert_eq!(sids, expected, "{}: {aces:?}", path.display());
    for (sid, flags, mask) in &aces {
        assert_eq!(
            flags & INHERITED_ACE,
            0,
            "{}: {sid} inherited",
            path.display()
        );
        assert_eq!(
            *mask & 0x1f01ff,
            0x1f01ff,
            "{}: {sid} not full",
            path.display()
        );
    }
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A directory the store will create (owner-only) inside a temporary one.
fn private_path(base: &tempfile::TempDir, file: &str) -> PathBuf {
    base.path().join("private").join(file)
}

fn spawn_child(role: &str, path: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, role)
        .env(PATH, path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Waits for a file a child creates to say it is ready (children signal
/// through files: a pipe read under Wine may wait for more than a line).
fn wait_for_file(p: &Path, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !p.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("child exited ({status}) before creating {}", p.display());
        }
        assert!(
            Instant::now() < deadline,
            "child never created {}",
            p.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Entry point of the child processes (does nothing in a normal run).
#[test]
fn child_process_entry() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let path = PathBuf::from(std::env::var_os(PATH).unwrap());
    match role.as_str() {
        "try-lock" => {
            let store = FileStateStore::open(&path).unwrap();
            match store.try_lock().unwrap() {
                Some(_lock) => println!("LOCK taken"),
                None => println!("LOCK busy"),
            }
        }
        "hold-lock" => {
            let store = FileStateStore::open(&path).unwrap();
            let _lock = store.try_lock().unwrap().expect("lock free");
            std::fs::write(path.with_extension("held"), b"").unwrap();
            // Hold until the parent creates the release file.
            let release = path.with_extension("release");
            let deadline = Instant::now() + Duration::from_secs(120);
            while !release.exists() {
                assert!(Instant::now() < deadline, "never released");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        "reader" => {
            // One handle held open for the whole run, as another application
            // server's login gate could, plus a loop of fresh opens.
            let open = || {
                std::fs::OpenOptions::new()
                    .read(true)
                    .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
                    .open(&path)
            };
            let mut held = open().unwrap();
            let mut first = Vec::new();
            held.read_to_end(&mut first).unwrap();
            assert!(!first.is_empty());
            // The login gate of another application server: the library's
            // own load, in a loop.
            let store = FileStateStore::open(&path).unwrap();
            let stop = path.with_extension("stop");
            let (mut reads, mut bad) = (0u64, 0u64);
            let mut announced = false;
            // A parent that failed never creates the stop file.
            let deadline = Instant::now() + Duration::from_secs(300);
            while !stop.exists() {
                assert!(Instant::now() < deadline, "never stopped");
                let ok = match store.load() {
                    Ok(Some(state)) => match state.last_task.map(|t| t.outcome) {
                        Some(TaskOutcome::Failed { detail, .. }) => {
                            detail == "old" || detail.starts_with("new-")
                        }
                        _ => false,
                    },
                    Ok(None) => false,
                    Err(e) => {
                        eprintln!("reader: {e}");
                        false
                    }
                };
                reads += 1;
                if !ok {
                    bad += 1;
                }
                if !announced {
                    std::fs::write(path.with_extension("ready"), b"").unwrap();
                    announced = true;
                }
            }
            std::fs::write(
                path.with_extension("summary"),
                format!("READS {reads} BAD {bad}"),
            )
            .unwrap();
        }
        other => panic!("unknown role {other}"),
    }
}

#[test]
fn what_the_store_creates_has_an_owner_only_protected_dacl() {
    let base = temp_dir();
    let path = base.path().join("erp").join("dados").join("smartlink.json");
    let store = FileStateStore::open(&path).unwrap();
    store.save(&state_with("old")).unwrap();
    assert_owner_only(&path);
    assert_owner_only(path.parent().unwrap());
    assert_owner_only(path.parent().unwrap().parent().unwrap());
    let lock = store.try_lock().unwrap().expect("free");
    assert_owner_only(store.lock_path());
    drop(lock);
    // A second save replaces the file with one as private.
    store.save(&state_with("new-1")).unwrap();
    assert_owner_only(&path);
    assert_eq!(store.load().unwrap(), Some(state_with("new-1")));
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_file_open_to_broad_groups_is_refused_like_a_0644_file() {
    let base = temp_dir();
    let dir = base.path().join("private");
    let store_dir = FileStateStore::open(dir.join("seed.json")).unwrap();
    store_dir.save(&state_with("old")).unwrap();
    let good = std::fs::read(dir.join("seed.json")).unwrap();
    let user = user_sid();
    // WD = Everyone, AU = Authenticated Users, BU = BUILTIN\Users. Wine
    // keeps only Everyone entries (as Unix "other" bits); the refusal of the
    // other groups is checked there on in-memory descriptors instead (the
    // unit tests of state/windows_acl.rs).
    // Wine also applies the umask to the "other" bits, so only read
    // survives there.
    let mut cases = vec![("WD", "FR", 0o644)];
    if !under_wine() {
        cases.extend([
            ("WD", "FA", 0o666),
            ("AU", "FR", 0o644),
            ("BU", "FR", 0o644),
            ("BU", "FW", 0o622),
        ]);
    }
    for (group, rights, want) in cases {
        let path = dir.join(format!("state-{group}-{rights}.json"));
        create_with_sddl(
            &path,
            &format!("D:P(A;;FA;;;{user})(A;;{rights};;;{group})"),
            false,
            &good,
        );
        let store = FileStateStore::open(&path).unwrap();
        match store.load() {
            Err(StateError::InsecurePermissions { path: p, mode }) => {
                assert_eq!(p, path);
                assert_eq!(mode, want, "{group} {rights}");
            }
            other => panic!("{group} {rights}: expected InsecurePermissions, got {other:?}"),
        }
        // A save does not write the secret into it either.
        assert!(matches!(
            store.save(&state_with("new-x")),
            Err(StateError::InsecurePermissions { .. })
        ));
        assert_eq!(std::fs::read(&path).unwrap(), good);
    }
    // The same bytes under an owner-only DACL load fine.
    let path = dir.join("owner-only.json");
    create_with_sddl(
        &path,
        &format!("D:P(A;;FA;;;{user})(A;;FA;;;SY)"),
        false,
        &good,
    );
    assert_eq!(
        FileStateStore::open(&path).unwrap().load().unwrap(),
        Some(state_with("old"))
    );
}

#[test]
fn a_directory_open_to_broad_groups_is_refused() {
    let base = temp_dir();
    let user = user_sid();
    let dir = base.path().join("shared");
    create_with_sddl(
        &dir,
        &format!("D:P(A;OICI;FA;;;{user})(A;OICI;FA;;;SY)(A;OICI;FR;;;WD)"),
        true,
        b"",
    );
    let path = dir.join("smartlink.json");
    let store = FileStateStore::open(&path).unwrap();
    match store.save(&state_with("old")) {
        Err(StateError::InsecurePermissions { path: p, mode }) => {
            assert_eq!(p, dir);
            assert_eq!(mode, 0o755);
        }
        other => panic!("expected InsecurePermissions, got {other:?}"),
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing written"
    );
    // A private file put there by other means is refused on load too.
    create_with_sddl(
        &path,
        &format!("D:P(A;;FA;;;{user})"),
        false,
        br#"{"installation_id":"erp-win-01","line":"protheus"}"#,
    );
    assert!(matches!(
        store.load(),
        Err(StateError::InsecurePermissions { path: p, .. }) if p == dir
    ));
}

#[test]
fn windows_paths_work() {
    let base = temp_dir();
    let root = base.path().join("private");
    let long_component = "d".repeat(60);
    let mut long = root.clone();
    for _ in 0..5 {
        long.push(&long_component);
    }
    long.push("smartlink.json");
    assert!(long.as_os_str().len() > 300, "a path beyond MAX_PATH");
    let with_backslashes = PathBuf::from(format!(
        r"{}\ERP Teste\Produção\smartlink.json",
        root.display()
    ));
    let with_slashes = PathBuf::from(format!("{}/mixed/sep/smartlink.json", root.display()));
    for path in [with_backslashes, long, with_slashes] {
        let store = FileStateStore::open(&path).unwrap();
        assert_eq!(store.load().unwrap(), None, "{}", path.display());
        store.save(&state_with("old")).unwrap();
        store.save(&state_with("new-1")).unwrap();
        assert_eq!(store.load().unwrap(), Some(state_with("new-1")));
        let lock = store.try_lock().unwrap().expect("free");
        assert!(store.try_lock().unwrap().is_none());
        drop(lock);
        assert!(store.stamp().is_some());
        store.clear().unwrap();
        assert_eq!(store.load().unwrap(), None);
    }
}

#[test]
fn unc_and_verbatim_paths_are_accepted() {
    let unc = Path::new(r"\\fileserver\erp$\Protheus\smartlink.json");
    let store = FileStateStore::open(unc).unwrap();
    assert_eq!(store.path(), unc);
    assert_eq!(
        store.lock_path(),
        Path::new(r"\\fileserver\erp$\Protheus\smartlink.json.lock")
    );
    // A verbatim path to a local directory works end to end.
    let base = temp_dir();
    let verbatim = PathBuf::from(format!(
        r"\\?\{}\private\smartlink.json",
        std::path::absolute(base.path()).unwrap().display()
    ));
    let store = FileStateStore::open(&verbatim).unwrap();
    store.save(&state_with("old")).unwrap();
    assert_eq!(store.load().unwrap(), Some(state_with("old")));
}

#[test]
fn the_lock_excludes_other_handles_and_other_processes() {
    let base = temp_dir();
    let path = private_path(&base, "smartlink.json");
    let store = FileStateStore::open(&path).unwrap();
    let lock = store.try_lock().unwrap().expect("free");
    assert!(store.try_lock().unwrap().is_none(), "same process");
    let out = spawn_child("try-lock", &path).wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("LOCK busy"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    drop(lock);
    let out = spawn_child("try-lock", &path).wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("LOCK taken"));

    // Held by another process: refused here until that process lets go.
    let mut child = spawn_child("hold-lock", &path);
    wait_for_file(&path.with_extension("held"), &mut child);
    assert!(store.try_lock().unwrap().is_none(), "held by the child");
    std::fs::write(path.with_extension("release"), b"").unwrap();
    assert!(child.wait().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if store.try_lock().unwrap().is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "lock not released by the child's exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_thousand_saves_while_other_readers_hold_the_file_open() {
    let base = temp_dir();
    let path = private_path(&base, "smartlink.json");
    let store = Arc::new(FileStateStore::open(&path).unwrap());
    store.save(&state_with("old")).unwrap();

    // Another process: one handle held throughout, and loads in a loop.
    let mut child = spawn_child("reader", &path);
    wait_for_file(&path.with_extension("ready"), &mut child);

    // This process: the library's own loads in a loop.
    let done = Arc::new(AtomicBool::new(false));
    let loads = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (store, done, loads) = (store.clone(), done.clone(), loads.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                let state = store.load().expect("load during saves").unwrap_or_else(|| {
                    let names: Vec<_> = std::fs::read_dir(store.path().parent().unwrap())
                        .unwrap()
                        .map(|e| e.unwrap().file_name())
                        .collect();
                    panic!("missing; directory now holds {names:?}")
                });
                let detail = match state.last_task.unwrap().outcome {
                    TaskOutcome::Failed { detail, .. } => detail,
                    other => panic!("{other:?}"),
                };
                assert!(detail == "old" || detail.starts_with("new-"), "{detail}");
                loads.fetch_add(1, Ordering::SeqCst);
            }
        })
    };

    for i in 0..1000 {
        store
            .save(&state_with(&format!("new-{i}")))
            .unwrap_or_else(|e| panic!("save {i}: {e}"));
    }
    done.store(true, Ordering::SeqCst);
    reader.join().expect("in-process reader");
    std::fs::write(path.with_extension("stop"), b"").unwrap();
    assert!(child.wait().unwrap().success());
    let summary = std::fs::read_to_string(path.with_extension("summary")).unwrap();
    let fields: Vec<u64> = summary
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(fields.len(), 2, "{summary}");
    assert!(fields[0] > 0, "{summary}");
    assert_eq!(fields[1], 0, "torn or unexpected reads: {summary}");
    assert!(loads.load(Ordering::SeqCst) > 0);
    assert_eq!(store.load().unwrap(), Some(state_with("new-999")));
    assert_owner_only(&path);
}

#[test]
fn the_seal_key_file_is_made_owner_only_and_a_shared_one_is_refused() {
    let base = temp_dir();
    let path = base.path().join("keys").join("seal.key");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    SealKey::create_file(&path).unwrap();
    assert_owner_only(&path);
    // A sealed store reads what it wrote with it.
    SealKey::read_file(&path).unwrap();
    let options = smartlink_core::FileStoreOptions::new().seal_key_file(&path);
    let state_path = base.path().join("private").join("state.json");
    let store = FileStateStore::open_with(state_path, &options).unwrap();
    store.save(&state_with("sealed")).unwrap();
    assert_eq!(store.load().unwrap(), Some(state_with("sealed")));
    // Never replaced.
    assert!(SealKey::create_file(&path).is_err());
    assert_owner_only(&path);
    // The same bytes readable by Everyone: refused by name, like a 0644
    // key file on Unix.
    let bytes = std::fs::read(&path).unwrap();
    let shared = base.path().join("keys").join("shared.key");
    let user = user_sid();
    create_with_sddl(
        &shared,
        &format!("D:P(A;;FA;;;{user})(A;;FR;;;WD)"),
        false,
        &bytes,
    );
    match SealKey::read_file(&shared) {
        Err(SealError::KeyFileInsecure { path: p, mode }) => {
            assert_eq!(p, shared);
            assert_eq!(mode & 0o004, 0o004, "{mode:o}");
        }
        other => panic!("expected KeyFileInsecure, got {:?}", other.map(|_| "a key")),
    }
}
