//! The host's own store through `smartlink_store_callbacks`: a store
//! written here as a C host would write it (extern "C" functions over a
//! map, behind a mutex), whose clock is the test's (a lease expires only
//! when the test moves that clock), against the sandbox over HTTP.
//!
//! A first binding; two handles (two machines) sharing the store and
//! their gates agreeing; a compare-and-swap conflict; a lease held by
//! another holder refused until it expires by the store's clock; an
//! unreachable store (typed, the gate's verdict kept); answers that break
//! the contract (typed, never trusted); the stored bytes holding no secret
//! in clear; the table's checks and `release_ctx`.
#![cfg(unix)]

mod common;

use std::collections::HashMap;
use std::ffi::{CStr, CString, c_char, c_void};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smartlink::error::smartlink_result as R;
use smartlink::{
    SMARTLINK_STORE_BUFFER_TOO_SMALL, SMARTLINK_STORE_CALLBACKS_VERSION, SMARTLINK_STORE_CONFLICT,
    SMARTLINK_STORE_LEASE_HELD, SMARTLINK_STORE_LEASE_LOST, SMARTLINK_STORE_OK,
    SMARTLINK_STORE_UNREACHABLE, smartlink_configurator_new_with_store,
    smartlink_needs_configuration, smartlink_seal_key_create, smartlink_store_callbacks,
};
use smartlink_sandbox::BackgroundSandbox;
use smartlink_testkit::ffi::{Handle, call, last_error};

/// How long a second machine may take to see a change: far beyond the
/// refresh period, so a slow machine never fails the test.
const GENEROUS: Duration = Duration::from_secs(60);

/// One record of the host's store.
#[derive(Default, Clone)]
struct Record {
    document: Option<Vec<u8>>,
    version: u64,
    holder: Option<String>,
    epoch: u64,
    /// By the store's clock ([`HostStore::now_ms`]).
    expires_at_ms: u64,
}

/// What the test makes the store answer instead of the truth.
#[derive(Default)]
struct Faults {
    /// Every callback answers `UNREACHABLE`.
    unreachable: AtomicBool,
    /// `load` answers this status (0: none).
    load_status: AtomicI32,
    /// `load` reports this length with `OK` (0: none).
    load_len: AtomicUsize,
    /// The next `acquire_lease` grants, then bumps the version as a writer
    /// that ignored the lease would.
    bump_after_acquire: AtomicBool,
}

/// The host's store: records per (installation, line), its own clock.
#[derive(Default)]
struct HostStore {
    records: Mutex<HashMap<(String, String), Record>>,
    /// The store's clock, in ms: moved by the test only.
    now_ms: AtomicU64,
    faults: Faults,
    held_answers: AtomicU64,
    conflict_answers: AtomicU64,
    releases_of_ctx: AtomicU64,
}

impl HostStore {
    fn record(&self, id: &str) -> Record {
        self.records
            .lock()
            .unwrap()
            .get(&(id.to_owned(), "protheus".to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    fn set_lease(&self, id: &str, holder: &str, ttl_ms: u64) {
        let mut records = self.records.lock().unwrap();
        let r = records
            .entry((id.to_owned(), "protheus".to_owned()))
            .or_default();
        r.holder = Some(holder.to_owned());
        r.epoch += 1;
        r.expires_at_ms = self.now_ms.load(Ordering::SeqCst) + ttl_ms;
    }
}

unsafe fn text(p: *const c_char) -> String {
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

unsafe fn store<'a>(ctx: *mut c_void) -> &'a HostStore {
    unsafe { &*(ctx as *const HostStore) }
}

unsafe fn key(id: *const c_char, line: *const c_char) -> (String, String) {
    unsafe { (text(id), text(line)) }
}

unsafe extern "C" fn load(
    ctx: *mut c_void,
    id: *const c_char,
    line: *const c_char,
    document: *mut u8,
    capacity: usize,
    document_len: *mut usize,
    version: *mut u64,
) -> i32 {
    let s = unsafe { store(ctx) };
    if s.faults.unreachable.load(Ordering::SeqCst) {
        return SMARTLINK_STORE_UNREACHABLE;
    }
    let status = s.faults.load_status.load(Ordering::SeqCst);
    if status != 0 {
        unsafe { *document_len = usize::MAX };
        return status;
    }
    let bogus = s.faults.load_len.load(Ordering::SeqCst);
    if bogus != 0 {
        unsafe { *document_len = bogus };
        return SMARTLINK_STORE_OK;
    }
    let records = s.records.lock().unwrap();
    let r = records
        .get(&unsafe { key(id, line) })
        .cloned()
        .unwrap_or_default();
    let bytes = r.document.unwrap_or_default();
    unsafe { *document_len = bytes.len() };
    if bytes.len() > capacity {
        return SMARTLINK_STORE_BUFFER_TOO_SMALL;
    }
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), document, bytes.len());
        *version = r.version;
    }
    SMARTLINK_STORE_OK
}

fn live(r: &Record, now: u64) -> bool {
    r.holder.is_some() && r.expires_at_ms > now
}

unsafe extern "C" fn compare_and_swap(
    ctx: *mut c_void,
    id: *const c_char,
    line: *const c_char,
    expected_version: u64,
    holder: *const c_char,
    epoch: u64,
    document: *const u8,
    document_len: usize,
    version: *mut u64,
) -> i32 {
    let s = unsafe { store(ctx) };
    if s.faults.unreachable.load(Ordering::SeqCst) {
        return SMARTLINK_STORE_UNREACHABLE;
    }
    let now = s.now_ms.load(Ordering::SeqCst);
    let holder = unsafe { text(holder) };
    let mut records = s.records.lock().unwrap();
    let r = records.entry(unsafe { key(id, line) }).or_default();
    if !(live(r, now) && r.holder.as_deref() == Some(&holder) && r.epoch == epoch) {
        return SMARTLINK_STORE_LEASE_LOST;
    }
    if r.version != expected_version {
        s.conflict_answers.fetch_add(1, Ordering::SeqCst);
        unsafe { *version = r.version };
        return SMARTLINK_STORE_CONFLICT;
    }
    r.document = (!document.is_null() && document_len > 0)
        .then(|| unsafe { std::slice::from_raw_parts(document, document_len) }.to_vec());
    r.version += 1;
    unsafe { *version = r.version };
    SMARTLINK_STORE_OK
}

unsafe extern "C" fn acquire_lease(
    ctx: *mut c_void,
    id: *const c_char,
    line: *const c_char,
    holder: *const c_char,
    ttl_ms: u64,
    epoch: *mut u64,
    version: *mut u64,
) -> i32 {
    let s = unsafe { store(ctx) };
    if s.faults.unreachable.load(Ordering::SeqCst) {
        return SMARTLINK_STORE_UNREACHABLE;
    }
    let now = s.now_ms.load(Ordering::SeqCst);
    let mut records = s.records.lock().unwrap();
    let r = records.entry(unsafe { key(id, line) }).or_default();
    if live(r, now) {
        s.held_answers.fetch_add(1, Ordering::SeqCst);
        return SMARTLINK_STORE_LEASE_HELD;
    }
    r.holder = Some(unsafe { text(holder) });
    r.epoch += 1;
    r.expires_at_ms = now + ttl_ms;
    unsafe {
        *epoch = r.epoch;
        *version = r.version;
    }
    if s.faults.bump_after_acquire.swap(false, Ordering::SeqCst) {
        r.version += 1;
    }
    SMARTLINK_STORE_OK
}

unsafe extern "C" fn renew_lease(
    ctx: *mut c_void,
    id: *const c_char,
    line: *const c_char,
    holder: *const c_char,
    epoch: u64,
    ttl_ms: u64,
) -> i32 {
    let s = unsafe { store(ctx) };
    if s.faults.unreachable.load(Ordering::SeqCst) {
        return SMARTLINK_STORE_UNREACHABLE;
    }
    let now = s.now_ms.load(Ordering::SeqCst);
    let holder = unsafe { text(holder) };
    let mut records = s.records.lock().unwrap();
    let r = records.entry(unsafe { key(id, line) }).or_default();
    if !(live(r, now) && r.holder.as_deref() == Some(&holder) && r.epoch == epoch) {
        return SMARTLINK_STORE_LEASE_LOST;
    }
    r.expires_at_ms = now + ttl_ms;
    SMARTLINK_STORE_OK
}

unsafe extern "C" fn release_lease(
    ctx: *mut c_void,
    id: *const c_char,
    line: *const c_char,
    holder: *const c_char,
    epoch: u64,
) -> i32 {
    let s = unsafe { store(ctx) };
    let holder = unsafe { text(holder) };
    let mut records = s.records.lock().unwrap();
    let r = records.entry(unsafe { key(id, line) }).or_default();
    if r.holder.as_deref() == Some(&holder) && r.epoch == epoch {
        r.holder = None;
        r.expires_at_ms = 0;
    }
    SMARTLINK_STORE_OK
}

unsafe extern "C" fn release_ctx(ctx: *mut c_void) {
    let s = unsafe { Arc::from_raw(ctx as *const HostStore) };
    s.releases_of_ctx.fetch_add(1, Ordering::SeqCst);
}

/// The table for `store`: each handle holds one reference (`ctx`),
/// dropped by `release_ctx`.
fn table(store: &Arc<HostStore>) -> smartlink_store_callbacks {
    smartlink_store_callbacks {
        struct_size: std::mem::size_of::<smartlink_store_callbacks>() as u32,
        version: SMARTLINK_STORE_CALLBACKS_VERSION,
        ctx: Arc::into_raw(store.clone()) as *mut c_void,
        load: Some(load),
        compare_and_swap: Some(compare_and_swap),
        acquire_lease: Some(acquire_lease),
        renew_lease: Some(renew_lease),
        release_lease: Some(release_lease),
        release_ctx: Some(release_ctx),
    }
}

/// Drops the reference a refused table held (the library did not take it).
fn forget_table(t: smartlink_store_callbacks) {
    drop(unsafe { Arc::from_raw(t.ctx as *const HostStore) });
}

fn config(sandbox: &BackgroundSandbox, id: &str, key: &Path) -> String {
    json!({
        "platform_url": sandbox.url(),
        "token": common::TOKEN,
        "state": {"kind": "callbacks", "seal_key_file": key, "lease_ttl_ms": 3000, "refresh_ms": 50},
        "installation": {"id": id, "line": "protheus", "kind": "production"},
        "locale": "en",
    })
    .to_string()
}

fn try_open(config: &str, t: *const smartlink_store_callbacks) -> Result<Handle, (R, String)> {
    let config = CString::new(config).unwrap();
    let mut h = std::ptr::null_mut();
    let rc = unsafe { smartlink_configurator_new_with_store(config.as_ptr(), t, &mut h) };
    if rc == R::Ok {
        Ok(Handle(h))
    } else {
        assert!(h.is_null(), "no output on failure");
        Err((rc, last_error()))
    }
}

fn open(sandbox: &BackgroundSandbox, store: &Arc<HostStore>, id: &str, key: &Path) -> Handle {
    let t = table(store);
    try_open(&config(sandbox, id, key), &t)
        .unwrap_or_else(|e| panic!("smartlink_configurator_new_with_store: {e:?}"))
}

fn key_file(dir: &Path) -> PathBuf {
    let path = dir.join("seal.key");
    let c = CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { smartlink_seal_key_create(c.as_ptr()) }, R::Ok);
    path
}

fn gate(h: &Handle) -> bool {
    let mut needed = false;
    let rc = unsafe { smartlink_needs_configuration(h.as_ptr(), &mut needed) };
    assert_eq!(rc, R::Ok);
    needed
}

fn wait_gate(h: &Handle, want: bool) -> Duration {
    let started = Instant::now();
    while gate(h) != want {
        assert!(
            started.elapsed() < GENEROUS,
            "the gate did not become {want}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    started.elapsed()
}

/// Asks `needs_configuration` until `until` holds of its answer, at most
/// [`GENEROUS`].
fn poll(h: &Handle, until: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let r = call(h, r#"{"op":"needs_configuration"}"#);
        if until(&r) {
            return r;
        }
        assert!(started.elapsed() < GENEROUS, "{r}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn configure_request(name: &str) -> String {
    json!({
        "op": "configure_unattended",
        "target": {"mode": "environment", "name": "Produção Nova"},
        "installation_name": name,
    })
    .to_string()
}

fn status(h: &Handle) -> Value {
    let r = call(h, r#"{"op":"status"}"#);
    assert_eq!(r["ok"], true, "{r}");
    r["status"].clone()
}

fn secret_of(h: &Handle) -> String {
    let r = call(h, r#"{"op":"credentials"}"#);
    r["credentials"]["client_secret"]
        .as_str()
        .unwrap_or_else(|| panic!("credentials: {r}"))
        .to_owned()
}

#[test]
fn two_machines_share_the_hosts_store_and_it_never_holds_a_secret_in_clear() {
    let sandbox = common::sandbox();
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let store = Arc::new(HostStore::default());
    let id = "host-store-01";
    let a = open(&sandbox, &store, id, &key);
    let b = open(&sandbox, &store, id, &key);
    assert!(gate(&a) && gate(&b), "nothing is configured yet");
    assert_eq!(store.record(id).version, 0);

    // The first binding, on machine A; machine B's gate opens by itself.
    let r = call(&a, &configure_request("Host A"));
    assert_eq!(r["task"]["status"], "succeeded", "{r}");
    assert!(!gate(&a));
    let took = wait_gate(&b, false);
    println!("machine B saw the configuration after {took:?} (refresh every 50 ms)");
    let secret = secret_of(&a);
    assert_eq!(secret_of(&b), secret, "one credential set");

    // What the host holds: the document, sealed; the lease released.
    let record = store.record(id);
    assert!(record.version >= 1);
    assert!(record.holder.is_none(), "released after the work");
    assert!(record.epoch >= 1);
    let document = record.document.expect("a document");
    let text = String::from_utf8(document.clone()).expect("JSON");
    for canary in [secret.as_str(), common::TOKEN] {
        assert!(
            !document
                .windows(canary.len())
                .any(|w| w == canary.as_bytes()),
            "a secret in clear in the host's store"
        );
    }
    assert!(
        text.contains("\"sealed\"") && text.contains("chacha20-poly1305"),
        "{text}"
    );
    assert!(text.contains(id), "the installation stays readable: {text}");

    // The status names the store and what it holds.
    let st = status(&b);
    let s = &st["store"];
    assert_eq!(s["kind"], "custom", "{s}");
    assert_eq!(s["location"], "host store", "{s}");
    assert_eq!(s["refresh_ms"], 50, "{s}");
    assert_eq!(s["lease_ttl_ms"], 3000, "{s}");
    assert_eq!(s["version"], record.version, "{s}");

    // The support report describes the store and shows no secret.
    let r = call(&b, r#"{"op":"support_report"}"#);
    assert_eq!(r["ok"], true, "{r}");
    let report = r.to_string();
    assert!(report.contains("host store"), "{report}");
    assert!(!report.contains(&secret) && !report.contains(common::TOKEN));

    // The seal key's bytes are nowhere: not in the host's document, the
    // status or the support report, in hex (either case) or Base64.
    let key_bytes = std::fs::read(&key).unwrap();
    let hex: String = key_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let shown = format!("{text}\n{st}\n{report}").to_ascii_lowercase();
    assert!(!shown.contains(&hex), "the seal key in hex");
    assert!(
        !document
            .windows(key_bytes.len())
            .any(|w| w == key_bytes.as_slice()),
        "the seal key's bytes in the document"
    );
    let b64 = {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in key_bytes[..30].chunks(3) {
            let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
            out.extend((0..4).map(|i| T[((n >> (18 - 6 * i)) & 63) as usize] as char));
        }
        out
    };
    let raw = format!("{text}\n{st}\n{report}");
    for spelling in [b64.clone(), b64.replace('+', "-").replace('/', "_")] {
        assert!(!raw.contains(&spelling), "the seal key in Base64");
    }

    // A changed byte of the sealed part: refused, typed; nothing rewritten.
    {
        let mut records = store.records.lock().unwrap();
        let r = records
            .get_mut(&(id.to_owned(), "protheus".to_owned()))
            .unwrap();
        let text = String::from_utf8(r.document.clone().unwrap()).unwrap();
        let at = text.find("\"data\":\"").unwrap() + 8;
        let mut bytes = text.into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        r.document = Some(bytes);
    }
    // (seen at the gate's next background read)
    let r = poll(&a, |r| r["state_problem"]["code"] == "state_unreadable");
    let detail = r["state_problem"]["detail"].as_str().unwrap();
    assert!(detail.contains("altered"), "{detail}");

    // Freeing the handles releases the host's context, once each.
    let refs = Arc::strong_count(&store);
    assert_eq!(refs, 3, "one reference per handle");
    drop((a, b));
    assert_eq!(store.releases_of_ctx.load(Ordering::SeqCst), 2);
    assert_eq!(Arc::strong_count(&store), 1);
}

#[test]
fn a_lease_held_by_another_holder_is_refused_until_it_expires_by_the_stores_clock() {
    let sandbox = common::sandbox();
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let store = Arc::new(HostStore::default());
    let id = "host-store-02";
    // Another machine holds the lease for 10 s of the store's clock.
    store.set_lease(id, "other-machine:1:abcd", 10_000);
    let h = Arc::new(open(&sandbox, &store, id, &key));

    let worker = {
        let h = h.clone();
        std::thread::spawn(move || call(&h, &configure_request("Host B")))
    };
    // The library asks again and again and is refused: nothing written.
    let started = Instant::now();
    while store.held_answers.load(Ordering::SeqCst) < 5 {
        assert!(started.elapsed() < GENEROUS, "no lease request seen");
        std::thread::sleep(Duration::from_millis(5));
    }
    let record = store.record(id);
    assert_eq!(record.version, 0, "nothing written while the lease is held");
    assert_eq!(record.holder.as_deref(), Some("other-machine:1:abcd"));
    assert!(!worker.is_finished(), "it waits for the lease");

    // The store's clock passes the expiry: the lease is taken over, with
    // the next epoch, and the work is done.
    store.now_ms.fetch_add(10_001, Ordering::SeqCst);
    let r = worker.join().unwrap();
    assert_eq!(r["task"]["status"], "succeeded", "{r}");
    let record = store.record(id);
    assert_eq!(record.epoch, 2, "taken over with the next epoch");
    assert!(record.version >= 1);
    assert!(record.holder.is_none(), "released after the work");
    assert!(!gate(&h));
}

#[test]
fn a_version_changed_under_the_lease_is_a_conflict_and_nothing_is_overwritten() {
    let sandbox = common::sandbox();
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let store = Arc::new(HostStore::default());
    let id = "host-store-03";
    let h = open(&sandbox, &store, id, &key);
    // A writer that ignored the lease bumps the version right after the
    // library took it: the library's compare-and-swap finds another one.
    store
        .faults
        .bump_after_acquire
        .store(true, Ordering::SeqCst);
    let r = call(&h, &configure_request("Host C"));
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["error"]["code"], "state_changed", "{r}");
    assert!(store.conflict_answers.load(Ordering::SeqCst) >= 1, "{r}");
    let record = store.record(id);
    assert!(record.document.is_none(), "nothing overwritten: {r}");
    assert!(record.holder.is_none(), "the lease was released");
    println!("a conflict: {}", r["error"]);
    assert!(gate(&h));

    // The next run reads again and succeeds.
    let r = call(&h, &configure_request("Host C"));
    assert_eq!(r["task"]["status"], "succeeded", "{r}");
    assert!(!gate(&h));
}

#[test]
fn an_unreachable_store_is_typed_and_the_gate_keeps_its_verdict() {
    let sandbox = common::sandbox();
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let store = Arc::new(HostStore::default());
    let id = "host-store-04";
    let h = open(&sandbox, &store, id, &key);
    let r = call(&h, &configure_request("Host D"));
    assert_eq!(r["task"]["status"], "succeeded", "{r}");
    assert!(!gate(&h));

    store.faults.unreachable.store(true, Ordering::SeqCst);
    let st = status(&h);
    assert_eq!(st["state_problem"]["code"], "state_unreachable", "{st}");
    assert_eq!(st["store"]["observed"], false, "{st}");
    assert!(!gate(&h), "valid credentials keep the gate closed");
    let r = call(&h, r#"{"op":"rotate_credentials"}"#);
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["error"]["result"], R::State as u64, "{r}");

    store.faults.unreachable.store(false, Ordering::SeqCst);
    let started = Instant::now();
    loop {
        let st = status(&h);
        if st["state_problem"].is_null() {
            break;
        }
        assert!(started.elapsed() < GENEROUS, "{st}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!gate(&h));
}

#[test]
fn answers_that_break_the_contract_are_typed_errors_never_trusted() {
    let sandbox = common::sandbox();
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let store = Arc::new(HostStore::default());
    let id = "host-store-05";
    let h = open(&sandbox, &store, id, &key);
    for (status, len, says) in [
        (42, 0, "returned 42"),
        (SMARTLINK_STORE_BUFFER_TOO_SMALL, 0, "asked for"),
        (SMARTLINK_STORE_LEASE_HELD, 0, "returned 3"),
        (0, 1 << 30, "in a buffer of"),
    ] {
        store.faults.load_status.store(status, Ordering::SeqCst);
        store.faults.load_len.store(len, Ordering::SeqCst);
        // (seen at the gate's next background read)
        let r = poll(&h, |r| {
            r["state_problem"]["detail"]
                .as_str()
                .is_some_and(|d| d.contains(says))
        });
        assert_eq!(r["needs_configuration"], true, "{r}");
        assert_eq!(r["state_problem"]["code"], "state_unreachable", "{r}");
    }
}

#[test]
fn the_table_and_the_configuration_are_checked() {
    let sandbox = common::sandbox();
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let store = Arc::new(HostStore::default());
    let id = "host-store-06";
    let good = config(&sandbox, id, &key);

    // NULL arguments.
    let t = table(&store);
    let c = CString::new(good.clone()).unwrap();
    let mut h = std::ptr::null_mut();
    let rc = unsafe { smartlink_configurator_new_with_store(c.as_ptr(), std::ptr::null(), &mut h) };
    assert_eq!(rc, R::NullArgument);
    let rc = unsafe { smartlink_configurator_new_with_store(c.as_ptr(), &t, std::ptr::null_mut()) };
    assert_eq!(rc, R::NullArgument);
    assert_eq!(
        unsafe { smartlink_seal_key_create(std::ptr::null()) },
        R::NullArgument
    );

    // A missing callback, a smaller table, version 0.
    let mut broken = t;
    broken.renew_lease = None;
    let (rc, m) = try_open(&good, &broken).err().unwrap();
    assert_eq!(rc, R::InvalidConfig);
    assert!(m.contains("renew_lease"), "{m}");
    let mut small = t;
    small.struct_size = 16;
    assert_eq!(try_open(&good, &small).err().unwrap().0, R::InvalidConfig);
    let mut zero = t;
    zero.version = 0;
    assert_eq!(try_open(&good, &zero).err().unwrap().0, R::InvalidConfig);
    // A version this library does not know (a newer library's table, or
    // garbage) is refused, naming it; a larger table of a known version
    // (a newer header's added fields) is taken.
    for unknown in [SMARTLINK_STORE_CALLBACKS_VERSION + 1, u32::MAX] {
        let mut newer = t;
        newer.version = unknown;
        let (rc, m) = try_open(&good, &newer).err().unwrap();
        assert_eq!(rc, R::InvalidConfig, "version {unknown}");
        assert!(m.contains(&format!("version {unknown}")), "{m}");
    }
    #[repr(C)]
    struct Larger {
        table: smartlink_store_callbacks,
        added: [u64; 4],
    }
    let other = Arc::new(HostStore::default());
    let mut larger = Larger {
        table: table(&other),
        added: [u64::MAX; 4],
    };
    larger.table.struct_size = std::mem::size_of::<Larger>() as u32;
    drop(try_open(&good, &larger.table).expect("a larger table of a known version"));
    assert_eq!(other.releases_of_ctx.load(Ordering::SeqCst), 1);
    // A table at an odd address (packed in a host's buffer) is read, not
    // trapped on; a misaligned table of a wrong size is refused the same.
    let size = std::mem::size_of::<smartlink_store_callbacks>();
    let odd = table(&other);
    let mut bytes = vec![0u8; size + 1];
    unsafe {
        std::ptr::copy_nonoverlapping(
            (&odd as *const smartlink_store_callbacks).cast::<u8>(),
            bytes.as_mut_ptr().add(1),
            size,
        );
    }
    let at_odd = unsafe { bytes.as_ptr().add(1) }.cast::<smartlink_store_callbacks>();
    drop(try_open(&good, at_odd).expect("a table at an odd address"));
    assert_eq!(other.releases_of_ctx.load(Ordering::SeqCst), 2);
    bytes[1] = 16;
    let (rc, m) = try_open(&good, at_odd).err().unwrap();
    assert_eq!(rc, R::InvalidConfig, "{m}");

    // The configuration must say "callbacks", with a seal key.
    let memory = good.replace(
        &json!({"kind": "callbacks", "seal_key_file": key, "lease_ttl_ms": 3000, "refresh_ms": 50})
            .to_string(),
        r#""memory""#,
    );
    assert!(memory.contains(r#""state":"memory""#), "{memory}");
    let (rc, m) = try_open(&memory, &t).err().unwrap();
    assert_eq!(rc, R::InvalidConfig);
    assert!(m.contains("callbacks"), "{m}");
    let no_key = json!({
        "platform_url": sandbox.url(), "token": common::TOKEN,
        "state": {"kind": "callbacks"},
        "installation": {"id": id, "line": "protheus", "kind": "production"},
    })
    .to_string();
    let (rc, m) = try_open(&no_key, &t).err().unwrap();
    assert_eq!(rc, R::InvalidConfig);
    assert!(m.contains("seal_key_file"), "{m}");
    // Without the table, "callbacks" is refused.
    let (rc, m) = Handle::try_new(&good).err().unwrap();
    assert_eq!(rc, R::InvalidConfig);
    assert!(m.contains("smartlink_configurator_new_with_store"), "{m}");

    // No refusal called release_ctx: the context is still the caller's.
    assert_eq!(store.releases_of_ctx.load(Ordering::SeqCst), 0);
    forget_table(t);
    assert_eq!(Arc::strong_count(&store), 1);

    // A key file is never replaced.
    let c = CString::new(key.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { smartlink_seal_key_create(c.as_ptr()) }, R::State);
    assert!(last_error().contains("already exists"), "{}", last_error());
    // The database URL given for the key's path by mistake: refused, its
    // password never in the last error; an empty path says so.
    for (path, says) in [
        ("postgres://smartlink:hunter2@db.example.com/erp", "URL"),
        ("host=db password = hunter2", "URL"),
        ("", "empty"),
    ] {
        let c = CString::new(path).unwrap();
        assert_eq!(unsafe { smartlink_seal_key_create(c.as_ptr()) }, R::State);
        let m = last_error();
        assert!(m.contains(says) && !m.contains("hunter2"), "{path:?}: {m}");
    }
}
