//! The state store the configuration selects, through the C ABI: two
//! handles (two machines of one installation, each with its own
//! configuration and key file, nothing local in common) on one throwaway
//! PostgreSQL server, and on one shared folder, against the sandbox over
//! HTTP. The second machine's login gate opens once the first has
//! configured; the database row holds the client secret sealed, never in
//! clear; a machine with another seal key is refused, typed, and writes
//! nothing; the status's `store` object; configuration errors that never
//! show the URL's password.
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smartlink::error::smartlink_result as R;
use smartlink::smartlink_needs_configuration;
use smartlink_core::{PgConnection, PgTarget, SealKey};
use smartlink_sandbox::BackgroundSandbox;
use smartlink_testkit::ffi::{Handle, call};
use smartlink_testkit::pg_server::PgServer;

/// A password no message may show (the throwaway server trusts local
/// connections, so it is sent and ignored).
const PASSWORD: &str = "hunter2-pg-secret";

/// How long a second machine may take to see a change: far beyond the
/// refresh period, so a slow machine never fails the test; the figure
/// measured is printed.
const GENEROUS: Duration = Duration::from_secs(60);

fn pg_url(server: &PgServer) -> String {
    format!(
        "postgres://postgres:{PASSWORD}@127.0.0.1:{}/postgres",
        server.port()
    )
}

/// A key file at `dir/name` holding `key`'s bytes (a copy, mode 0600):
/// each machine has its own file.
fn key_copy(from: &Path, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(from, &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn config(sandbox: &BackgroundSandbox, id: &str, state: Value) -> String {
    json!({
        "platform_url": sandbox.url(),
        "token": common::TOKEN,
        "state": state,
        "installation": {"id": id, "line": "protheus", "kind": "production"},
        "locale": "en",
    })
    .to_string()
}

fn gate(h: &Handle) -> bool {
    let mut needed = false;
    let rc = unsafe { smartlink_needs_configuration(h.as_ptr(), &mut needed) };
    assert_eq!(rc, R::Ok);
    needed
}

/// Polls `h`'s login gate until it is `want`, at most [`GENEROUS`];
/// returns how long it took.
fn wait_gate(h: &Handle, want: bool) -> Duration {
    let started = Instant::now();
    while gate(h) != want {
        assert!(
            started.elapsed() < GENEROUS,
            "the gate did not become {want} in {GENEROUS:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    started.elapsed()
}

fn configure(h: &Handle, name: &str) {
    let r = call(
        h,
        &json!({
            "op": "configure_unattended",
            "target": {"mode": "environment", "name": "Produção Nova"},
            "installation_name": name,
        })
        .to_string(),
    );
    assert_eq!(r["task"]["status"], "succeeded", "{r}");
}

fn secret_of(h: &Handle) -> String {
    let r = call(h, r#"{"op":"credentials"}"#);
    r["credentials"]["client_secret"]
        .as_str()
        .unwrap_or_else(|| panic!("credentials: {r}"))
        .to_owned()
}

/// The row of `id`: its version and document, read with a connection of
/// the test's own.
fn row(server: &PgServer, id: &str) -> (i64, Option<String>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let connection = PgConnection::new(PgTarget::parse(&server.url()).unwrap()).unwrap();
        let client = connection.client().await.unwrap();
        let row = client
            .query_one(
                &format!(
                    "SELECT version, document FROM smartlink_state
                     WHERE installation_id = '{id}' AND line = 'protheus'"
                ),
                &[],
            )
            .await
            .unwrap();
        (row.get::<_, i64>(0), row.get::<_, Option<String>>(1))
    })
}

/// The PostgreSQL tests run one at a time, so that counting the store's
/// threads sees only the test's own.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// How many threads of this process are PostgreSQL stores' (`smartlink-pg`).
fn pg_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|name| name.trim_end() == "smartlink-pg")
        })
        .count()
}

fn status(h: &Handle) -> Value {
    let r = call(h, r#"{"op":"status"}"#);
    assert_eq!(r["ok"], true, "{r}");
    r["status"].clone()
}

#[test]
fn two_machines_share_one_postgres_state_and_a_wrong_key_writes_nothing() {
    let _serial = serial();
    let mut server = PgServer::start();
    let sandbox = common::sandbox();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("seal.key");
    SealKey::create_file(&key).unwrap();
    let url = pg_url(&server);
    let machine = |key_file: &Path| {
        json!({
            "kind": "postgres",
            "url": url,
            "seal_key_file": key_file,
            "lease_ttl_ms": 3000,
            "refresh_ms": 100,
        })
    };
    let id = "pg-ffi-01";
    let a = Handle::new(&config(
        &sandbox,
        id,
        machine(&key_copy(&key, dir.path(), "a.key")),
    ));
    let b = Handle::new(&config(
        &sandbox,
        id,
        machine(&key_copy(&key, dir.path(), "b.key")),
    ));
    assert!(gate(&a) && gate(&b), "nothing is configured yet");

    // The status's `store` before anything is stored.
    let s = status(&b)["store"].clone();
    assert_eq!(s["kind"], "postgres", "{s}");
    assert_eq!(s["refresh_ms"], 100, "{s}");
    assert_eq!(s["lease_ttl_ms"], 3000, "{s}");
    assert_eq!(s["observed"], true, "{s}");
    let location = s["location"].as_str().unwrap();
    assert!(
        location.contains("127.0.0.1") && location.contains("database postgres"),
        "{location}"
    );

    // Machine A configures; machine B's gate opens by itself.
    configure(&a, "PG A");
    assert!(!gate(&a));
    let took = wait_gate(&b, false);
    println!("machine B saw the configuration after {took:?} (refresh every 100 ms)");
    let secret = secret_of(&a);
    assert_eq!(
        secret_of(&b),
        secret,
        "both machines hold the same credentials"
    );

    // The row holds the secret sealed, never in clear.
    let (version, document) = row(&server, id);
    let document = document.expect("a document");
    assert!(
        !document.contains(&secret),
        "the secret is in clear: {document}"
    );
    assert!(document.contains("\"sealed\""), "{document}");
    assert!(document.contains("chacha20-poly1305"), "{document}");

    // The status on B: the version it reads, no lease held, no password.
    let st = status(&b);
    let s = &st["store"];
    assert_eq!(st["needs_configuration"], false, "{st}");
    assert_eq!(s["version"], version, "{s}");
    assert!(s["lease_holder"].is_null(), "released after the work: {s}");
    assert!(s["lease_epoch"].as_u64().unwrap() >= 1, "{s}");
    assert!(!st.to_string().contains(PASSWORD), "{st}");

    // Machine C has another key: refused, typed, and it writes nothing.
    let other = dir.path().join("other.key");
    SealKey::create_file(&other).unwrap();
    let c = Handle::new(&config(&sandbox, id, machine(&other)));
    assert!(gate(&c), "a state it cannot open is not a configuration");
    let r = call(&c, r#"{"op":"needs_configuration"}"#);
    assert_eq!(r["state_problem"]["code"], "state_unreadable", "{r}");
    let detail = r["state_problem"]["detail"].as_str().unwrap();
    assert!(detail.contains("seal key"), "{detail}");
    assert!(!detail.contains(PASSWORD), "{detail}");
    for request in [
        r#"{"op":"ensure_configured"}"#.to_owned(),
        json!({"op": "configure_unattended",
               "target": {"mode": "environment", "name": "Produção Nova"},
               "installation_name": "PG C"})
        .to_string(),
        r#"{"op":"rotate_credentials"}"#.to_owned(),
    ] {
        let r = call(&c, &request);
        assert_eq!(r["ok"], false, "{request}: {r}");
        assert_eq!(r["error"]["result"], R::State as u64, "{request}: {r}");
        let message = r["error"]["message"].as_str().unwrap();
        assert!(message.contains("seal key"), "{request}: {r}");
        assert!(!r.to_string().contains(PASSWORD), "{r}");
    }
    let r = call(&c, r#"{"op":"credentials"}"#);
    assert!(r["credentials"].is_null(), "{r}");
    // Its status cannot describe a state it cannot open: typed, too.
    let r = call(&c, r#"{"op":"status"}"#);
    assert_eq!(r["error"]["result"], R::State as u64, "{r}");
    assert!(!r.to_string().contains(PASSWORD), "{r}");
    assert_eq!(
        row(&server, id),
        (version, Some(document.clone())),
        "the row is unchanged"
    );
    assert_eq!(secret_of(&a), secret, "A still reads its state");

    // The database goes away: the status still answers, the store's
    // observation is unknown, and the gate keeps its verdict.
    server.stop();
    let st = status(&b);
    assert_eq!(st["state_problem"]["code"], "state_unreachable", "{st}");
    assert_eq!(st["store"]["observed"], false, "{st}");
    assert!(st["store"]["version"].is_null(), "{st}");
    assert!(!st.to_string().contains(PASSWORD), "{st}");
    assert!(!gate(&b), "valid credentials keep the gate closed");
    server.start_again();
    let started = Instant::now();
    loop {
        let st = status(&b);
        if st["state_problem"].is_null() && st["store"]["observed"] == true {
            assert_eq!(st["store"]["version"], version, "{st}");
            break;
        }
        assert!(started.elapsed() < GENEROUS, "{st}");
        std::thread::sleep(Duration::from_millis(50));
    }

    // Each handle's store has its connection's thread; freeing the handles
    // joins them (the kernel may list a joined thread for a moment more).
    assert_eq!(pg_threads(), 3, "one per handle");
    drop((a, b, c));
    let started = Instant::now();
    while pg_threads() > 0 {
        assert!(
            started.elapsed() < GENEROUS,
            "the store's threads outlive the handles"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    println!(
        "the store threads ended {:?} after the handles were freed",
        started.elapsed()
    );
}

#[test]
fn two_machines_share_one_folder_with_the_object_form() {
    let sandbox = common::sandbox();
    let shared = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("seal.key");
    SealKey::create_file(&key).unwrap();
    let path = shared.path().join("erp").join("state.json");
    let machine = |key_file: PathBuf| {
        json!({
            "kind": "file",
            "path": path,
            "seal_key_file": key_file,
            "shared": true,
            "refresh_ms": 100,
        })
    };
    let id = "folder-ffi-01";
    let a = Handle::new(&config(
        &sandbox,
        id,
        machine(key_copy(&key, keys.path(), "a.key")),
    ));
    let b = Handle::new(&config(
        &sandbox,
        id,
        machine(key_copy(&key, keys.path(), "b.key")),
    ));
    assert!(gate(&a) && gate(&b));
    configure(&a, "Folder A");
    let took = wait_gate(&b, false);
    println!("machine B saw the configuration after {took:?} (refresh every 100 ms)");
    let secret = secret_of(&a);
    assert_eq!(secret_of(&b), secret);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(&secret), "sealed, never in clear");
    assert!(text.contains("\"sealed\""), "{text}");

    let s = status(&b)["store"].clone();
    assert_eq!(s["kind"], "file", "{s}");
    assert_eq!(s["location"], path.to_str().unwrap(), "{s}");
    assert_eq!(s["refresh_ms"], 100, "{s}");
    assert!(s["lease_ttl_ms"].is_null(), "{s}");
    assert_eq!(s["observed"], true, "{s}");
    assert!(s["version"].as_u64().unwrap() >= 1, "{s}");

    // Without `shared`, no refresh period is reported (the gate watches
    // the file's stamp instead); the short forms report the same kind.
    let local = tempfile::tempdir().unwrap();
    for state in [
        json!({"kind": "file", "path": local.path().join("s.json")}),
        json!("file"),
    ] {
        let mut config: Value =
            serde_json::from_str(&config(&sandbox, "folder-ffi-02", state)).unwrap();
        if config["state"] == "file" {
            config["state_file"] = json!(local.path().join("t.json"));
        }
        let h = Handle::new(&config.to_string());
        let s = status(&h)["store"].clone();
        assert_eq!(s["kind"], "file", "{s}");
        assert!(s["refresh_ms"].is_null(), "{s}");
    }
    let h = Handle::new(&config(&sandbox, "memory-ffi-01", json!("memory")));
    let s = status(&h)["store"].clone();
    assert_eq!(
        (s["kind"].as_str(), s["location"].is_null()),
        (Some("memory"), true),
        "{s}"
    );
}

#[test]
fn store_configuration_errors_are_typed_and_never_show_the_password() {
    let _serial = serial();
    let sandbox = common::sandbox();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("seal.key");
    SealKey::create_file(&key).unwrap();
    let loose = dir.path().join("loose.key");
    SealKey::create_file(&loose).unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    let url = format!("postgres://smartlink:{PASSWORD}@127.0.0.1:9/erp");
    let cases: Vec<(Value, &str)> = vec![
        // A missing key file.
        (
            json!({"kind": "postgres", "url": url, "seal_key_file": dir.path().join("missing.key")}),
            "does not exist",
        ),
        // A key file others can read.
        (
            json!({"kind": "postgres", "url": url, "seal_key_file": loose}),
            "mode 644",
        ),
        // No key file at all.
        (
            json!({"kind": "postgres", "url": url}),
            "missing field `seal_key_file`",
        ),
        // A malformed URL.
        (
            json!({"kind": "postgres", "url": format!("postgres://smartlink:{PASSWORD}@[::1/erp"), "seal_key_file": key}),
            "`state.url`",
        ),
        (
            json!({"kind": "postgres", "url": format!("host=db password={PASSWORD} port=notaport"), "seal_key_file": key}),
            "`state.url`",
        ),
        // A remote server without TLS.
        (
            json!({"kind": "postgres", "url": format!("postgres://smartlink:{PASSWORD}@db.example.com/erp"), "seal_key_file": key}),
            "sslmode=require",
        ),
        // An unknown field, a misspelt kind, a number out of range.
        (
            json!({"kind": "postgres", "url": url, "seal_key_file": key, "lease_ttl": 5}),
            "unknown field `lease_ttl`",
        ),
        (json!({"kind": "postgre", "url": url}), "not \"postgre\""),
        (
            json!({"kind": "postgres", "url": url, "seal_key_file": key, "refresh_ms": 0}),
            "`state.refresh_ms` must be at least 10",
        ),
        // The URL where a path or a name was expected.
        (json!({"kind": "file", "path": url}), "holds a URL"),
        (json!(url), "`state` must be"),
        // The file form's key file, missing.
        (
            json!({"kind": "file", "path": dir.path().join("s.json"), "seal_key_file": dir.path().join("missing.key")}),
            "does not exist",
        ),
    ];
    for (state, expected) in cases {
        let config = config(&sandbox, "errors-ffi-01", state.clone());
        let (rc, message) = Handle::try_new(&config)
            .err()
            .unwrap_or_else(|| panic!("accepted: {state}"));
        assert_eq!(rc, R::InvalidConfig, "{message}");
        assert!(message.contains(expected), "{expected:?} in {message}");
        assert!(!message.contains(PASSWORD), "{message}");
        println!("{message}");
    }
    // A server that is down is not a configuration error: the handle opens
    // (machines start before their database), the gate stays open and the
    // status says why.
    let h = Handle::new(&config(
        &sandbox,
        "errors-ffi-02",
        json!({"kind": "postgres", "url": url, "seal_key_file": key}),
    ));
    assert!(gate(&h));
    let st = status(&h);
    assert_eq!(st["state_problem"]["code"], "state_unreachable", "{st}");
    assert_eq!(st["store"]["observed"], false, "{st}");
    assert!(!st.to_string().contains(PASSWORD), "{st}");
}
