//! The `support_report` operation of the C ABI: the report as JSON, made
//! with the platform unreachable, a corrupt state file and a state locked by
//! another holder; each says what it could not read and why, and none holds
//! a canary secret planted in the configuration (the platform token, a
//! proxy password) or the state (the client secret, an access token a
//! platform answer carried), in any spelling.

use std::path::Path;

use chrono::{Duration, Utc};
use serde_json::Value;
use smartlink_core::{
    ClientId, Credentials, EnvironmentId, EnvironmentName, ErpLine, FailureCode, FileStateStore,
    InstallationId, Kind, LocalBinding, LocalState, Revocation, SecretString, StateStore as _,
    TaskOutcome, TaskRecord,
};
use smartlink_testkit::ffi::{Handle, call};

const ID: &str = "erp-support-01";
const CLIENT_SECRET: &str = "canary-client-secret-5d8e1";
const ACCESS_TOKEN: &str = "canary-access-token-a41c9";
const PLATFORM_TOKEN: &str = "canary-platform-token-7f3a2";
const PROXY_PASSWORD: &str = "canary-proxy-pw-91b2";

fn canaries() -> [&'static str; 4] {
    [CLIENT_SECRET, ACCESS_TOKEN, PLATFORM_TOKEN, PROXY_PASSWORD]
}

/// Fails when `text` holds a canary, as it is or Base64-encoded.
fn assert_no_canary(text: &str) {
    assert_none_of(text, &canaries());
}

/// Fails when `text` holds one of `canaries`, as it is or Base64-encoded.
fn assert_none_of(text: &str, canaries: &[&str]) {
    use base64_free::encode;
    for &canary in canaries {
        assert!(!text.contains(canary), "{canary} leaked: {text}");
        let b64 = encode(canary.as_bytes());
        assert!(
            !text.contains(&b64[..b64.len() - 4]),
            "{canary} leaked in Base64: {text}"
        );
    }
}

/// A Base64 encoder, to search the encoded canaries.
mod base64_free {
    pub fn encode(bytes: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

/// A state bound and configured, whose last task failed with a platform
/// answer quoting an access token, and whose credentials were refused.
fn planted_state() -> LocalState {
    let mut state = LocalState::new(InstallationId::new(ID).unwrap(), ErpLine::Protheus);
    let env = EnvironmentId::new("env_prd").unwrap();
    state.binding = Some(LocalBinding {
        environment_id: env.clone(),
        environment_name: EnvironmentName::new("Produção").unwrap(),
        environment_kind: Kind::Production,
        bound_at: Utc::now() - Duration::days(3),
    });
    state.credentials = Some(Credentials {
        client_id: ClientId::new("client-support-01").unwrap(),
        client_secret: SecretString::from(CLIENT_SECRET),
        tenant_id: uuid_v4(),
        environment_id: env,
        expires_at: Some(Utc::now() + Duration::days(80)),
    });
    state.last_task = Some(TaskRecord {
        task_id: uuid_v4(),
        outcome: TaskOutcome::Failed {
            code: FailureCode::Protocol,
            detail: format!(
                "the token endpoint answered {{\"access_token\":\"{ACCESS_TOKEN}\"}} without expires_in (request id 7d2f0e4c-req)"
            ),
        },
        finished_at: Utc::now() - Duration::hours(1),
    });
    state.revocation = Some(Revocation {
        client_id: ClientId::new("client-support-01").unwrap(),
        detected_at: Utc::now() - Duration::minutes(5),
        request_id: Some("req-revoked-42".into()),
        status: Some(401),
        token_request_setup: None,
    });
    state
}

fn uuid_v4() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}

/// A handle on the state file `path`, its platform an address where
/// nothing listens, through a proxy with a password.
fn open(path: &Path) -> Handle {
    Handle::new(&format!(
        r#"{{"platform_url":"http://127.0.0.1:9","token":"{PLATFORM_TOKEN}",
            "proxy":"http://erp:{PROXY_PASSWORD}@127.0.0.1:9",
            "state_file":"{}",
            "installation":{{"id":"{ID}","line":"protheus","kind":"production","name":"Matriz"}},
            "locale":"en"}}"#,
        path.display()
    ))
}

fn report(h: &Handle) -> (Value, String) {
    let r = call(
        h,
        r#"{"op":"support_report","host_name":"Protheus","host_version":"12.1.2410"}"#,
    );
    assert_eq!(r["ok"], true, "{r}");
    let text = r.to_string();
    assert_no_canary(&text);
    (r["report"].clone(), text)
}

#[test]
fn the_report_with_the_platform_unreachable_has_the_state_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    FileStateStore::open(&path)
        .unwrap()
        .save(&planted_state())
        .unwrap();
    let h = open(&path);
    let (r, _) = report(&h);
    assert_eq!(r["format"], 1);
    assert_eq!(r["library"]["name"], "smartlink");
    assert_eq!(r["host"]["name"], "Protheus");
    assert_eq!(r["host"]["version"], "12.1.2410");
    assert!(r["os"]["os"].is_string());
    assert_eq!(r["installation"]["id"], ID);
    assert_eq!(r["installation"]["line"], "protheus");
    assert_eq!(r["installation"]["kind"], "production");
    assert_eq!(r["installation"]["name"], "Matriz");
    assert_eq!(r["state"]["binding"]["environment_id"], "env_prd");
    assert_eq!(r["state"]["client_id"], "client-support-01");
    assert!(r["state"]["credentials_expire_at"].is_string());
    assert_eq!(r["store"]["kind"], "file");
    assert!(r["store"]["health"].is_object(), "{r}");
    assert!(r["history"].is_array(), "{r}");
    assert!(r["checks"]["unavailable"].is_string(), "{r}");
    // The failures, newest first: the refusal, then the task with its
    // support code and the request id its detail named.
    let failures = r["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2, "{r}");
    assert_eq!(failures[0]["what"], "credentials_refused");
    assert_eq!(failures[0]["request_id"], "req-revoked-42");
    assert_eq!(failures[1]["what"], "task");
    assert_eq!(failures[1]["code"], "protocol");
    assert_eq!(failures[1]["request_id"], "7d2f0e4c-req");
    assert!(failures[1]["support_code"].is_string());
    // The detail that quoted the token is kept, redacted.
    assert!(
        failures[1]["detail"]
            .as_str()
            .unwrap()
            .contains("[redacted]"),
        "{r}"
    );
}

#[test]
fn the_report_of_a_corrupt_state_says_it_could_not_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(
        &path,
        format!("{{\"client_secret\":\"{CLIENT_SECRET}\", broken"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let h = open(&path);
    let (r, _) = report(&h);
    let why = r["state"]["unavailable"].as_str().unwrap_or_default();
    let problem = &r["state_problem"];
    assert!(
        why.contains("corrupt") || problem["code"] == "state_corrupt",
        "{r}"
    );
    assert_eq!(problem["code"], "state_corrupt", "{r}");
    assert_eq!(r["installation"]["id"], ID);
}

#[test]
fn the_report_of_a_locked_state_is_made_and_names_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let other = FileStateStore::open(&path).unwrap();
    other.save(&planted_state()).unwrap();
    // Another holder of the lease (another process of the installation).
    let held = other.try_lock().unwrap().expect("the lock is free");
    let h = open(&path);
    let (r, _) = report(&h);
    assert_eq!(r["state"]["client_id"], "client-support-01", "{r}");
    // The holder (host, process id, random part) is named.
    let holder = r["store"]["health"]["lease_holder"]
        .as_str()
        .unwrap_or_default();
    let pid = std::process::id().to_string();
    assert!(holder.split(':').any(|part| part == pid), "{r}");
    drop(held);
    let (r, _) = report(&h);
    assert!(r["store"]["health"]["lease_holder"].is_null(), "{r}");
}

/// A PostgreSQL store (its URL's password a canary) whose server stops
/// after the binding: the report is made, says the store could not be
/// reached, and holds no canary — the database password, the platform
/// token, nor the client secret and access token the platform issued.
#[cfg(unix)]
#[test]
fn the_report_with_the_store_down_says_so_and_holds_no_secret() {
    use serde_json::json;
    use smartlink_sandbox::{Sandbox, demo_seed};
    use smartlink_testkit::pg_server::PgServer;
    const DB_PASSWORD: &str = "canary-db-password-6e7f";

    let mut server = PgServer::start();
    let sandbox = smartlink_testkit::platforms::serve_in_background(
        Sandbox::from_seed(&demo_seed(), PLATFORM_TOKEN).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("seal.key");
    smartlink_core::SealKey::create_file(&key).unwrap();
    let url = format!(
        "postgres://postgres:{DB_PASSWORD}@127.0.0.1:{}/postgres",
        server.port()
    );
    let h = Handle::new(
        &json!({
            "platform_url": sandbox.url(),
            "token": PLATFORM_TOKEN,
            "state": {"kind": "postgres", "url": url, "seal_key_file": key, "refresh_ms": 100},
            "installation": {"id": ID, "line": "protheus", "kind": "production"},
            "locale": "en",
        })
        .to_string(),
    );
    let r = call(
        &h,
        r#"{"op":"configure_unattended","target":{"mode":"environment","name":"Produção Nova"},"installation_name":"PG"}"#,
    );
    assert_eq!(r["task"]["status"], "succeeded", "{r}");
    let secret = call(&h, r#"{"op":"credentials"}"#)["credentials"]["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = call(&h, r#"{"op":"access_token"}"#)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let all = [DB_PASSWORD, PLATFORM_TOKEN, secret.as_str(), token.as_str()];

    // Up: the state is read.
    let r = call(&h, r#"{"op":"support_report"}"#);
    assert_none_of(&r.to_string(), &all);
    assert_eq!(r["report"]["store"]["kind"], "postgres", "{r}");
    assert!(r["report"]["state"]["client_id"].is_string(), "{r}");

    // Down: what could not be read says why.
    server.stop();
    let r = call(&h, r#"{"op":"support_report"}"#);
    assert_eq!(r["ok"], true, "{r}");
    assert_none_of(&r.to_string(), &all);
    let report = &r["report"];
    assert_eq!(report["store"]["kind"], "postgres", "{r}");
    let health = report["store"]["health"]["unavailable"]
        .as_str()
        .unwrap_or_default();
    assert!(health.contains("could not be observed"), "{r}");
    assert_eq!(report["state_problem"]["code"], "state_unreachable", "{r}");
}
