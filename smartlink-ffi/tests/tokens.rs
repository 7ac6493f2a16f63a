//! Runtime access tokens through the C ABI, against the sandbox over HTTP:
//! the JSON operations `access_token` / `invalidate_token` / `whoami`, the
//! typed `smartlink_access_token` (caller buffer) and its `_alloc` twin,
//! `smartlink_invalidate_token`, the `ExecInClientDLL` ids, single flight
//! across C threads, expiry, revocation (`SMARTLINK_RESULT_CREDENTIALS_REVOKED`)
//! and rotation. The token never appears in an error.

mod common;

use std::ffi::{CStr, CString, c_char};
use std::ptr::null_mut;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use smartlink::error::smartlink_result as R;
use smartlink::*;
use smartlink_core::{ErpLine, InstallationId, InstallationName, Kind, StateStore};
use smartlink_sandbox::BackgroundSandbox;
use smartlink_sandbox::Operation;
use smartlink_sandbox::memory::wire::BindBody;
use smartlink_testkit::ffi::{Handle, call};

struct Platform {
    running: BackgroundSandbox,
}

impl Platform {
    fn start() -> Self {
        let running = common::sandbox();
        Self { running }
    }

    fn memory(&self) -> &Arc<smartlink_sandbox::InMemoryPlatform> {
        self.running.sandbox().platform()
    }
}

fn open(p: &Platform, id: &str, state: &str) -> Handle {
    let config = CString::new(format!(
        r#"{{"platform_url":"{}","token":"{}",{state},
            "installation":{{"id":"{id}","line":"protheus","kind":"production"}},"locale":"en"}}"#,
        p.running.url(),
        common::TOKEN
    ))
    .unwrap();
    let mut h = null_mut();
    let rc = unsafe { smartlink_configurator_new(config.as_ptr(), &mut h) };
    assert_eq!(rc, R::Ok);
    Handle(h)
}

fn bind(h: &Handle) {
    let r = call(
        h,
        r#"{"op":"configure_unattended","target":{"mode":"environment","name":"Produção Nova"},"installation_name":"ABI"}"#,
    );
    assert_eq!(r["task"]["status"], "succeeded", "{r}");
}

/// The typed helper with a caller buffer.
fn typed_token(h: &Handle) -> Result<(String, i64), R> {
    let mut buf = [0 as c_char; 256];
    let mut needed = 0usize;
    let mut expires = 0i64;
    let rc = unsafe {
        smartlink_access_token(h.0, buf.as_mut_ptr(), buf.len(), &mut needed, &mut expires)
    };
    if rc != R::Ok {
        return Err(rc);
    }
    let text = unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(needed, text.len() + 1);
    Ok((text, expires))
}

fn last_error() -> String {
    let mut needed = 0usize;
    unsafe { smartlink_last_error_message(null_mut(), 0, &mut needed) };
    let mut buf = vec![0u8; needed];
    unsafe { smartlink_last_error_message(buf.as_mut_ptr().cast(), needed, &mut needed) };
    CStr::from_bytes_until_nul(&buf)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

fn exec(id: i32, input: &str) -> (i32, serde_json::Value) {
    let input = CString::new(input).unwrap();
    let mut out = vec![0 as c_char; 4096];
    let rc = unsafe {
        ExecInClientDLL(
            id,
            input.as_ptr().cast_mut(),
            out.as_mut_ptr(),
            out.len() as i32,
        )
    };
    let text = unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().unwrap();
    (rc, serde_json::from_str(text).unwrap())
}

#[test]
fn not_configured_is_7018_and_the_token_comes_once_bound() {
    let p = Platform::start();
    let h = open(&p, "abi-tok-1", r#""state":"memory""#);
    let r = call(&h, r#"{"op":"access_token"}"#);
    assert_eq!(r["ok"], false);
    assert_eq!(r["error"]["result"], 7018);
    assert_eq!(r["error"]["kind"], "not_configured");
    assert_eq!(typed_token(&h), Err(R::NotConfigured));

    bind(&h);
    let r = call(&h, r#"{"op":"access_token"}"#);
    assert_eq!(r["ok"], true, "{r}");
    let token = r["access_token"].as_str().unwrap().to_owned();
    let expires: DateTime<Utc> = r["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(expires > Utc::now() + TimeDelta::minutes(59));
    // The typed helper hands out the same cached token.
    let (typed, typed_expiry) = typed_token(&h).unwrap();
    assert_eq!(typed, token);
    assert_eq!(typed_expiry, expires.timestamp());
    let mut alloc: *mut c_char = null_mut();
    assert_eq!(
        unsafe { smartlink_access_token_alloc(h.0, &mut alloc, null_mut()) },
        R::Ok
    );
    assert_eq!(unsafe { CStr::from_ptr(alloc) }.to_str().unwrap(), token);
    unsafe { smartlink_string_free(alloc) };
    assert_eq!(
        p.memory().calls(Operation::Verify),
        2,
        "bind proof + one token"
    );

    // The authenticated call works with it.
    let r = call(&h, r#"{"op":"whoami"}"#);
    assert_eq!(r["whoami"]["installation_id"], "abi-tok-1", "{r}");
    assert_eq!(
        p.memory()
            .endpoints()
            .whoami(&token)
            .unwrap()
            .installation_id
            .as_str(),
        "abi-tok-1"
    );
}

#[test]
fn a_small_buffer_writes_nothing_and_reports_the_size() {
    let p = Platform::start();
    let h = open(&p, "abi-tok-2", r#""state":"memory""#);
    bind(&h);
    let mut buf = [b'x' as c_char; 8];
    let mut needed = 0usize;
    let mut expires = -1i64;
    let rc = unsafe {
        smartlink_access_token(h.0, buf.as_mut_ptr(), buf.len(), &mut needed, &mut expires)
    };
    assert_eq!(rc, R::BufferTooSmall);
    assert!(needed > 8);
    assert!(buf.iter().all(|&c| c == b'x' as c_char));
    assert_eq!(expires, -1);
    // Sizing call with no buffer, then the real one.
    let rc = unsafe { smartlink_access_token(h.0, null_mut(), 0, &mut needed, null_mut()) };
    assert_eq!(rc, R::BufferTooSmall);
    let mut big = vec![0 as c_char; needed];
    let rc = unsafe {
        smartlink_access_token(h.0, big.as_mut_ptr(), big.len(), &mut needed, null_mut())
    };
    assert_eq!(rc, R::Ok);
    // NULL where it is required.
    unsafe {
        assert_eq!(
            smartlink_access_token(
                std::ptr::null(),
                big.as_mut_ptr(),
                1,
                &mut needed,
                null_mut()
            ),
            R::NullArgument
        );
        assert_eq!(
            smartlink_access_token(h.0, big.as_mut_ptr(), big.len(), null_mut(), null_mut()),
            R::NullArgument
        );
        assert_eq!(
            smartlink_access_token(h.0, null_mut(), 5, &mut needed, null_mut()),
            R::NullArgument
        );
        assert_eq!(
            smartlink_access_token_alloc(h.0, null_mut(), null_mut()),
            R::NullArgument
        );
        assert_eq!(
            smartlink_invalidate_token(h.0, std::ptr::null(), null_mut()),
            R::NullArgument
        );
    }
}

#[test]
fn invalidation_drops_only_the_token_named() {
    let p = Platform::start();
    let h = open(&p, "abi-tok-3", r#""state":"memory""#);
    bind(&h);
    let (first, _) = typed_token(&h).unwrap();
    let request = format!(r#"{{"op":"invalidate_token","access_token":"{first}"}}"#);
    let r = call(&h, &request);
    assert_eq!(r["ok"], true);
    assert_eq!(r["invalidated"], true);
    let (second, _) = typed_token(&h).unwrap();
    assert_ne!(second, first);
    // A slow thread invalidating the old token changes nothing.
    let r = call(&h, &request);
    assert_eq!(r["invalidated"], false);
    let old = CString::new(first.clone()).unwrap();
    let mut dropped = true;
    assert_eq!(
        unsafe { smartlink_invalidate_token(h.0, old.as_ptr(), &mut dropped) },
        R::Ok
    );
    assert!(!dropped);
    assert_eq!(typed_token(&h).unwrap().0, second);
    // The typed invalidation of the current one.
    let current = CString::new(second.clone()).unwrap();
    assert_eq!(
        unsafe { smartlink_invalidate_token(h.0, current.as_ptr(), &mut dropped) },
        R::Ok
    );
    assert!(dropped);
    assert_ne!(typed_token(&h).unwrap().0, second);
    // Bad requests are typed errors that do not echo a token.
    for bad in [
        r#"{"op":"invalidate_token"}"#,
        r#"{"op":"invalidate_token","access_token":""}"#,
        r#"{"op":"invalidate_token","access_token":42}"#,
    ] {
        let r = call(&h, bad);
        assert_eq!(r["error"]["kind"], "invalid_request", "{bad}: {r}");
    }
    // ExecInClientDLL ids 25 and 26 (and 27 for whoami).
    let (rc, opened) = exec(
        1,
        &format!(
            r#"{{"platform_url":"{}","token":"{}","state":"memory","installation":{{"id":"abi-tok-3x","line":"protheus","kind":"production"}}}}"#,
            p.running.url(),
            common::TOKEN
        ),
    );
    assert_eq!(rc, 0, "{opened}");
    let n = opened["handle"].as_i64().unwrap();
    let (rc, r) = exec(25, &format!(r#"{{"handle":{n}}}"#));
    assert_eq!(rc, R::NotConfigured as i32);
    assert_eq!(r["error"]["result"], 7018);
    let (rc, r) = exec(
        3,
        &format!(
            r#"{{"handle":{n},"op":"configure_unattended","target":{{"mode":"create","name":"ABI Tokens"}},"installation_name":"ABI"}}"#
        ),
    );
    assert_eq!(rc, 0, "{r}");
    let (rc, r) = exec(25, &format!(r#"{{"handle":{n}}}"#));
    assert_eq!(rc, 0, "{r}");
    let token = r["access_token"].as_str().unwrap().to_owned();
    let (rc, r) = exec(127, &format!(r#"{{"handle":{n}}}"#));
    assert_eq!(rc, 0, "{r}");
    assert_eq!(r["whoami"]["installation_id"], "abi-tok-3x");
    let (rc, r) = exec(26, &format!(r#"{{"handle":{n},"access_token":"{token}"}}"#));
    assert_eq!((rc, &r["invalidated"]), (0, &serde_json::json!(true)));
    let (_, r) = exec(25, &format!(r#"{{"handle":{n}}}"#));
    assert_ne!(r["access_token"].as_str().unwrap(), token);
    assert_eq!(exec(2, &format!(r#"{{"handle":{n}}}"#)).0, 0);
}

/// A secret-bearing answer that did not fit the buffer is not kept for a
/// later "same request": asked again after the token was dropped, the caller
/// gets the new token, never the old one (nor is the secret left waiting in
/// the library's memory).
#[test]
fn a_token_or_secret_that_did_not_fit_is_never_kept_for_later() {
    let p = Platform::start();
    let h = open(&p, "abi-tok-kept", r#""state":"memory""#);
    bind(&h);
    let drop_token = |token: &str| {
        let t = CString::new(token).unwrap();
        let mut dropped = false;
        assert_eq!(
            unsafe { smartlink_invalidate_token(h.0, t.as_ptr(), &mut dropped) },
            R::Ok
        );
        assert!(dropped);
    };

    // smartlink_call with the JSON operation.
    let req = c"{\"op\":\"access_token\"}";
    let mut needed = 0usize;
    let rc = unsafe { smartlink_call(h.0, req.as_ptr(), null_mut(), 0, &mut needed) };
    assert_eq!(rc, R::BufferTooSmall);
    let (old, _) = typed_token(&h).unwrap();
    drop_token(&old);
    let mut buf = vec![0 as c_char; needed + 256];
    let rc = unsafe { smartlink_call(h.0, req.as_ptr(), buf.as_mut_ptr(), buf.len(), &mut needed) };
    assert_eq!(rc, R::Ok);
    let r: serde_json::Value =
        serde_json::from_str(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap()).unwrap();
    let fresh = r["access_token"].as_str().unwrap().to_owned();
    assert_ne!(
        fresh, old,
        "the token that did not fit was handed out later"
    );
    assert_eq!(fresh, typed_token(&h).unwrap().0);

    // The credentials answer, after a rotation made on another thread (a
    // call on this thread would drop what is kept): the new secret.
    let creds = c"{\"op\":\"credentials\"}";
    let rc = unsafe { smartlink_call(h.0, creds.as_ptr(), null_mut(), 0, &mut needed) };
    assert_eq!(rc, R::BufferTooSmall);
    let before = std::thread::scope(|s| {
        s.spawn(|| {
            let before = call(&h, r#"{"op":"credentials"}"#)["credentials"]["client_id"].clone();
            let rotated = call(&h, r#"{"op":"rotate_credentials"}"#);
            assert_eq!(rotated["ok"], true, "{rotated}");
            before
        })
        .join()
        .unwrap()
    });
    let mut buf = vec![0 as c_char; needed + 256];
    let rc = unsafe {
        smartlink_call(
            h.0,
            creds.as_ptr(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut needed,
        )
    };
    assert_eq!(rc, R::Ok);
    let r: serde_json::Value =
        serde_json::from_str(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap()).unwrap();
    assert_ne!(r["credentials"]["client_id"], before, "{r}");

    // ExecInClientDLL id 25, where the request text is always the same: too
    // small here; the token is read and dropped on another thread; asked
    // again here, the answer is the new token.
    let (rc, opened) = exec(
        1,
        &format!(
            r#"{{"platform_url":"{}","token":"{}","state":"memory","installation":{{"id":"abi-tok-kept-x","line":"protheus","kind":"production"}}}}"#,
            p.running.url(),
            common::TOKEN
        ),
    );
    assert_eq!(rc, 0, "{opened}");
    let n = opened["handle"].as_i64().unwrap();
    let (rc, r) = exec(
        3,
        &format!(
            r#"{{"handle":{n},"op":"configure_unattended","target":{{"mode":"create","name":"ABI Kept"}},"installation_name":"ABI"}}"#
        ),
    );
    assert_eq!(rc, 0, "{r}");
    let input = CString::new(format!(r#"{{"handle":{n}}}"#)).unwrap();
    let mut small = vec![0 as c_char; 80];
    let rc = unsafe {
        ExecInClientDLL(
            25,
            input.as_ptr().cast_mut(),
            small.as_mut_ptr(),
            small.len() as i32,
        )
    };
    assert_eq!(rc, R::BufferTooSmall as i32);
    let dropped = std::thread::spawn(move || {
        let (rc, r) = exec(25, &format!(r#"{{"handle":{n}}}"#));
        assert_eq!(rc, 0, "{r}");
        let token = r["access_token"].as_str().unwrap().to_owned();
        let (rc, r) = exec(26, &format!(r#"{{"handle":{n},"access_token":"{token}"}}"#));
        assert_eq!((rc, &r["invalidated"]), (0, &serde_json::json!(true)));
        token
    })
    .join()
    .unwrap();
    let (rc, r) = exec(25, &format!(r#"{{"handle":{n}}}"#));
    assert_eq!(rc, 0, "{r}");
    assert_ne!(
        r["access_token"].as_str().unwrap(),
        dropped,
        "a dropped token was handed out"
    );
    assert_eq!(exec(2, &format!(r#"{{"handle":{n}}}"#)).0, 0);
}

#[test]
fn c_threads_on_a_cold_cache_share_one_token_request() {
    let p = Platform::start();
    let h = Arc::new(open(&p, "abi-tok-4", r#""state":"memory""#));
    bind(&h);
    let before = p.memory().calls(Operation::Verify);
    let barrier = Arc::new(std::sync::Barrier::new(32));
    let threads: Vec<_> = (0..32)
        .map(|_| {
            let h = h.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                typed_token(&h).unwrap().0
            })
        })
        .collect();
    let tokens: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(tokens.iter().all(|t| t == &tokens[0]));
    assert_eq!(p.memory().calls(Operation::Verify) - before, 1);
}

#[test]
fn short_tokens_are_renewed_and_never_returned_expired() {
    let p = Platform::start();
    p.memory().set_token_lifetime(Duration::from_secs(2));
    let h = open(&p, "abi-tok-5", r#""state":"memory""#);
    bind(&h);
    let mut seen: Vec<String> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while seen.len() < 3 {
        assert!(std::time::Instant::now() < deadline);
        let (token, expires) = typed_token(&h).unwrap();
        assert!(expires >= Utc::now().timestamp(), "expired token returned");
        if seen.last() != Some(&token) {
            assert!(p.memory().endpoints().whoami(&token).is_ok());
            seen.push(token);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn revocation_is_its_own_code_and_reopens_the_gate() {
    let p = Platform::start();
    let h = open(&p, "abi-tok-6", r#""state":"memory""#);
    bind(&h);
    let (token, _) = typed_token(&h).unwrap();
    let secret = call(&h, r#"{"op":"credentials"}"#)["credentials"]["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let env = p
        .memory()
        .environments()
        .into_iter()
        .find(|e| e.id.as_str() == "env_prd_nova")
        .unwrap();
    p.memory()
        .endpoints()
        .bind(
            "env_prd_nova",
            ErpLine::Protheus,
            &BindBody {
                installation_id: InstallationId::new("abi-thief").unwrap(),
                installation_name: InstallationName::new("Outra").unwrap(),
                installation_kind: Kind::Production,
                overwrite: true,
            },
            Some(env.etag.as_str()),
        )
        .unwrap();
    // The ERP's call with the token is refused; it invalidates and asks again.
    let r = call(&h, r#"{"op":"whoami"}"#);
    assert_eq!(r["error"]["result"], 7021, "{r}");
    assert_eq!(r["error"]["kind"], "credentials_revoked");
    assert_eq!(r["error"]["code"], "credentials_revoked");
    let text = r.to_string();
    assert!(!text.contains(&token) && !text.contains(&secret));
    assert_eq!(typed_token(&h), Err(R::CredentialsRevoked));
    let message = last_error();
    assert!(!message.contains(&token) && !message.contains(&secret));
    assert_eq!(
        p.memory().token_attempts_with_secret(&secret),
        3,
        "bind proof, first token, one refusal"
    );
    let r = call(&h, r#"{"op":"needs_configuration"}"#);
    assert_eq!(r["needs_configuration"], true);
    let r = call(&h, r#"{"op":"status"}"#);
    assert!(
        r["status"]["credentials_revoked"]["client_id"].is_string(),
        "{r}"
    );
}

#[test]
fn rotation_through_the_abi_swaps_the_token_with_the_credentials() {
    let p = Platform::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let h = open(
        &p,
        "abi-tok-7",
        &format!(r#""state_file":{}"#, serde_json::json!(path)),
    );
    bind(&h);
    let (old, _) = typed_token(&h).unwrap();
    // Stored 29 of 30 days ago: due for rotation.
    let store = smartlink_core::FileStateStore::open(&path).unwrap();
    let mut state = store.load().unwrap().unwrap();
    state.credentials.as_mut().unwrap().expires_at = Some(Utc::now() + TimeDelta::days(1));
    state.last_task.as_mut().unwrap().finished_at = Utc::now() - TimeDelta::days(29);
    store.save(&state).unwrap();
    let r = call(&h, r#"{"op":"ensure_configured"}"#);
    assert_eq!(r["outcome"], "configured", "{r}");
    assert_eq!(r["reused_credentials"], false);
    let (new, _) = typed_token(&h).unwrap();
    assert_ne!(new, old);
    assert!(p.memory().endpoints().whoami(&new).is_ok());
    assert!(p.memory().endpoints().whoami(&old).is_err());
    let r = call(&h, r#"{"op":"needs_configuration"}"#);
    assert_eq!(r["needs_configuration"], false);
}

/// The keys of a JSON value, recursively (values are not compared: the doc
/// shortens them with `…`).
fn shape(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), shape(v))).collect(),
        _ => serde_json::Value::Null,
    }
}

#[test]
fn the_documented_token_examples_are_what_the_library_answers() {
    let doc = std::fs::read_to_string(common::workspace().join("docs/c-api.md")).unwrap();
    let mut examples = Vec::new();
    for section in [
        "### `access_token`",
        "### `invalidate_token`",
        "### `whoami`",
        "### `reverify_credentials`",
    ] {
        let start = doc
            .find(section)
            .unwrap_or_else(|| panic!("{section} missing"));
        let block = &doc[start..];
        let code = &block[block.find("```json\n").unwrap() + 8..];
        let code = &code[..code.find("```").unwrap()];
        let lines: Vec<&str> = code.lines().collect();
        assert_eq!(lines.len() % 2, 0, "{section}: request/response pairs");
        for pair in lines.chunks(2) {
            let request: serde_json::Value = serde_json::from_str(pair[0]).unwrap();
            let response: serde_json::Value =
                serde_json::from_str(&pair[1].replace("{…}", "{}")).unwrap();
            examples.push((request, response));
        }
    }
    // Three situations: not configured, configured, revoked.
    let p = Platform::start();
    let h = open(&p, "doc-tok", r#""state":"memory""#);
    let unconfigured = call(&h, r#"{"op":"access_token"}"#);
    bind(&h);
    let ok = call(&h, r#"{"op":"access_token"}"#);
    let token = ok["access_token"].as_str().unwrap().to_owned();
    let who = call(&h, r#"{"op":"whoami"}"#);
    let invalidated = call(
        &h,
        &format!(r#"{{"op":"invalidate_token","access_token":"{token}"}}"#),
    );
    let fresh = call(&h, r#"{"op":"access_token"}"#)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    p.memory()
        .revoke_credentials(&InstallationId::new("doc-tok").unwrap());
    call(
        &h,
        &format!(r#"{{"op":"invalidate_token","access_token":"{fresh}"}}"#),
    );
    let revoked = call(&h, r#"{"op":"access_token"}"#);
    assert_eq!(revoked["error"]["result"], 7021, "{revoked}");
    // Re-verification of working credentials (another installation).
    let h2 = open(&p, "doc-tok-2", r#""state":"memory""#);
    let r = call(
        &h2,
        r#"{"op":"configure_unattended","target":{"mode":"create","name":"Doc Dois"},"installation_name":"ABI 2"}"#,
    );
    assert_eq!(r["task"]["status"], "succeeded", "{r}");
    let reverified = call(&h2, r#"{"op":"reverify_credentials"}"#);
    assert_eq!(reverified["ok"], true, "{reverified}");
    assert_eq!(reverified["reverified"]["refusal_cleared"], false);
    let actual = [unconfigured, ok, who, invalidated, revoked, reverified];
    for (request, documented) in examples {
        let found = actual.iter().find(|a| {
            a["ok"] == documented["ok"]
                && a["error"]["result"] == documented["error"]["result"]
                && shape(a) == shape(&documented)
        });
        let found = found.unwrap_or_else(|| {
            panic!("no answer has the documented shape {documented} for {request}")
        });
        if documented["ok"] == false {
            for key in ["kind", "code", "text"] {
                assert_eq!(found["error"][key], documented["error"][key], "{key}");
            }
            let doc_message = documented["error"]["message"].as_str().unwrap();
            let prefix = doc_message.split('…').next().unwrap();
            assert!(
                found["error"]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with(prefix),
                "{found}"
            );
        }
    }
}
