//! The ABI's contract, checked on every exported function: NULL for each
//! pointer, undersized buffers, invalid UTF-8, invalid configuration, result
//! codes, cancellation and deadlines.

mod common;

use std::ffi::{CStr, CString, c_char};
use std::ptr::{null, null_mut};
use std::time::{Duration, Instant};

use smartlink::error::smartlink_result as R;
use smartlink::*;
use smartlink_testkit::ffi::{Handle, call, last_error};

fn memory_config(url: &str) -> CString {
    CString::new(format!(
        r#"{{"platform_url":"{url}","token":"{}","state":"memory",
            "installation":{{"id":"contract-01","line":"protheus","kind":"production"}},
            "locale":"en"}}"#,
        common::TOKEN
    ))
    .unwrap()
}

fn new_handle(config: &CStr) -> Handle {
    Handle::new(config.to_str().unwrap())
}

#[test]
fn every_function_refuses_null_pointers() {
    let h = new_handle(&memory_config("http://127.0.0.1:9"));
    let req = c"{\"op\":\"version\"}";
    let mut needed = 0usize;
    let mut buf = [0 as c_char; 256];
    let mut s: *mut c_char = null_mut();
    let mut b = false;
    let mut i = 0i32;
    let mut handle_out = null_mut();
    unsafe {
        assert_eq!(
            smartlink_configurator_new(null(), &mut handle_out),
            R::NullArgument
        );
        assert_eq!(
            smartlink_configurator_new(memory_config("http://127.0.0.1:9").as_ptr(), null_mut()),
            R::NullArgument
        );
        assert!(last_error().contains("`out`"));
        assert_eq!(smartlink_cancel(null()), R::NullArgument);
        assert_eq!(
            smartlink_call(null(), req.as_ptr(), buf.as_mut_ptr(), 256, &mut needed),
            R::NullArgument
        );
        assert_eq!(
            smartlink_call(h.0, null(), buf.as_mut_ptr(), 256, &mut needed),
            R::NullArgument
        );
        assert_eq!(
            smartlink_call(h.0, req.as_ptr(), null_mut(), 256, &mut needed),
            R::NullArgument
        );
        assert_eq!(
            smartlink_call(h.0, req.as_ptr(), buf.as_mut_ptr(), 256, null_mut()),
            R::NullArgument
        );
        assert_eq!(
            smartlink_call_alloc(null(), req.as_ptr(), &mut s),
            R::NullArgument
        );
        assert_eq!(smartlink_call_alloc(h.0, null(), &mut s), R::NullArgument);
        assert_eq!(
            smartlink_call_alloc(h.0, req.as_ptr(), null_mut()),
            R::NullArgument
        );
        assert_eq!(
            smartlink_needs_configuration(null(), &mut b),
            R::NullArgument
        );
        assert_eq!(
            smartlink_needs_configuration(h.0, null_mut()),
            R::NullArgument
        );
        assert_eq!(
            smartlink_ensure_configured(null(), (&raw mut i).cast()),
            R::NullArgument
        );
        assert_eq!(
            smartlink_ensure_configured(h.0, null_mut()),
            R::NullArgument
        );
        assert_eq!(
            smartlink_task_status(null(), (&raw mut i).cast()),
            R::NullArgument
        );
        assert_eq!(smartlink_task_status(h.0, null_mut()), R::NullArgument);
        assert_eq!(
            smartlink_wait_task(null(), 1, (&raw mut i).cast()),
            R::NullArgument
        );
        assert_eq!(smartlink_wait_task(h.0, 1, null_mut()), R::NullArgument);
        assert_eq!(
            smartlink_last_error_message(buf.as_mut_ptr(), 256, null_mut()),
            R::NullArgument
        );
        assert_eq!(
            smartlink_last_error_message_alloc(null_mut()),
            R::NullArgument
        );
        assert_eq!(
            ExecInClientDLL(13, null_mut(), buf.as_mut_ptr(), 256),
            R::NullArgument as i32
        );
        let mut input = *b"{\"handle\":1}\0";
        assert_eq!(
            ExecInClientDLL(13, input.as_mut_ptr().cast(), null_mut(), 256),
            R::NullArgument as i32
        );
        // No-ops and statics.
        smartlink_configurator_free(null_mut());
        smartlink_string_free(null_mut());
        assert!(!smartlink_version().is_null());
        assert!(!smartlink_result_message(123456).is_null());
    }
    assert!(!b);
    assert_eq!(i, 0, "outputs are untouched on failure");
    assert!(handle_out.is_null());
    assert!(s.is_null());
}

#[test]
fn undersized_buffers_report_the_size_and_write_nothing() {
    let h = new_handle(&memory_config("http://127.0.0.1:9"));
    let req = c"{\"op\":\"screen\"}";
    let mut needed = 0usize;
    let mut buf = vec![b'#' as c_char; 16];
    let rc = unsafe { smartlink_call(h.0, req.as_ptr(), buf.as_mut_ptr(), buf.len(), &mut needed) };
    assert_eq!(rc, R::BufferTooSmall);
    assert!(needed > 16);
    assert!(
        buf.iter().all(|c| *c == b'#' as c_char),
        "nothing partial written"
    );
    // Size query with a NULL buffer and 0 length.
    let rc = unsafe { smartlink_call(h.0, req.as_ptr(), null_mut(), 0, &mut needed) };
    assert_eq!(rc, R::BufferTooSmall);
    let mut buf = vec![0 as c_char; needed];
    let rc = unsafe { smartlink_call(h.0, req.as_ptr(), buf.as_mut_ptr(), needed, &mut needed) };
    assert_eq!(rc, R::Ok);
    assert_eq!(
        unsafe { CStr::from_ptr(buf.as_ptr()) }.to_bytes().len() + 1,
        needed
    );

    // The last error getter too, without changing the last error.
    let before = last_error();
    let mut tiny = [b'#' as c_char; 2];
    let rc = unsafe { smartlink_last_error_message(tiny.as_mut_ptr(), 2, &mut needed) };
    assert_eq!(rc, R::BufferTooSmall);
    assert_eq!(tiny, [b'#' as c_char; 2]);
    assert_eq!(last_error(), before);

    // ExecInClientDLL: 7005 and a short JSON with the size.
    let mut input = CString::new(r#"{"platform_url":"http://127.0.0.1:9","token":"t","state":"memory","installation":{"id":"exec-small","line":"rm","kind":"custom"}}"#).unwrap().into_bytes_with_nul();
    let mut out = [0 as c_char; 256];
    assert_eq!(
        unsafe { ExecInClientDLL(1, input.as_mut_ptr().cast(), out.as_mut_ptr(), 256) },
        0
    );
    let opened: serde_json::Value =
        serde_json::from_str(unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().unwrap()).unwrap();
    let n = opened["handle"].as_i64().unwrap();
    let mut input = format!("{{\"handle\":{n}}}\0").into_bytes();
    let mut small = [0 as c_char; 100];
    let rc = unsafe { ExecInClientDLL(13, input.as_mut_ptr().cast(), small.as_mut_ptr(), 100) };
    assert_eq!(rc, R::BufferTooSmall as i32);
    let short = unsafe { CStr::from_ptr(small.as_ptr()) }.to_str().unwrap();
    assert!(short.contains("\"needed\":"), "{short}");
    let mut input = format!("{{\"handle\":{n}}}\0").into_bytes();
    assert_eq!(
        unsafe { ExecInClientDLL(2, input.as_mut_ptr().cast(), out.as_mut_ptr(), 256) },
        0
    );
}

#[test]
fn retrying_after_buffer_too_small_does_not_apply_twice() {
    let h = new_handle(&memory_config("http://127.0.0.1:9"));
    let req = c"{\"op\":\"apply\",\"action\":{\"action\":\"start\"}}";
    let mut needed = 0usize;
    let rc = unsafe { smartlink_call(h.0, req.as_ptr(), null_mut(), 0, &mut needed) };
    assert_eq!(rc, R::BufferTooSmall);
    let mut buf = vec![0 as c_char; needed];
    let rc = unsafe { smartlink_call(h.0, req.as_ptr(), buf.as_mut_ptr(), needed, &mut needed) };
    assert_eq!(rc, R::Ok);
    let body = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
    // A second run would have been refused (start is not on the name screen).
    assert!(
        body.contains("\"ok\":true") && body.contains("name_installation"),
        "{body}"
    );
}

#[test]
fn a_leading_byte_order_mark_is_ignored() {
    // A configuration or request read from a file Notepad saved as UTF-8
    // starts with EF BB BF: it reads as the same JSON, everywhere.
    let config = format!(
        "\u{feff}{}",
        memory_config("http://127.0.0.1:9").to_str().unwrap()
    );
    let h = new_handle(&CString::new(config.clone()).unwrap());
    let r = call(&h, "\u{feff}{\"op\":\"version\"}");
    assert_eq!(r["ok"], true, "{r}");
    let (rc, v) = exec_dll(1, &config);
    assert_eq!(rc, 0, "{v}");
    let n = v["handle"].as_i64().unwrap();
    assert_eq!(
        exec_dll(1, memory_config("http://127.0.0.1:9").to_str().unwrap()).1["handle"],
        n,
        "the same configuration, the same handle"
    );
    let (rc, r) = exec_dll(10, &format!("\u{feff}{{\"handle\":{n}}}"));
    assert_eq!(rc, 0, "{r}");
    for _ in 0..2 {
        assert_eq!(exec_dll(2, &format!("\u{feff}{{\"handle\":{n}}}")).0, 0);
    }
}

#[test]
fn invalid_utf8_and_json_are_errors() {
    let h = new_handle(&memory_config("http://127.0.0.1:9"));
    let bad = [0xC3u8, 0x28, 0];
    let mut s = null_mut();
    unsafe {
        assert_eq!(
            smartlink_call_alloc(h.0, bad.as_ptr().cast(), &mut s),
            R::InvalidUtf8
        );
        let mut out = null_mut();
        assert_eq!(
            smartlink_configurator_new(bad.as_ptr().cast(), &mut out),
            R::InvalidUtf8
        );
        assert_eq!(
            smartlink_configurator_new(c"{nope".as_ptr(), &mut out),
            R::InvalidJson
        );
    }
    let r = call(&h, "not json");
    assert_eq!(r["ok"], false);
    assert_eq!(r["error"]["kind"], "invalid_json");
    assert_eq!(r["error"]["result"], 7002);
    let r = call(&h, r#"{"op":"apply","action":{"action":"fly"}}"#);
    assert_eq!(r["error"]["kind"], "invalid_request");
    let r = call(&h, r#"{"op":"__test_panic"}"#);
    assert_eq!(
        r["error"]["kind"], "unknown_operation",
        "hooks are off without the variable"
    );
}

#[test]
fn invalid_configuration_is_a_typed_error_without_the_token() {
    let secret = "sup3r-s3cret-token";
    let cases = [
        (format!(r#"{{"platform_url":"http://127.0.0.1:9","token":"{secret}","state":"memory","installation":{{"id":"x","line":"cobol","kind":"production"}}}}"#), R::InvalidInstallation),
        (format!(r#"{{"platform_url":"http://127.0.0.1:9","token":"{secret}","state":"memory","installation":{{"id":"x","line":"rm"}}}}"#), R::InvalidInstallation),
        (format!(r#"{{"platform_url":"http://127.0.0.1:9","token":"{secret}","installation":{{"id":"x","line":"rm","kind":"custom"}}}}"#), R::InvalidConfig),
        (format!(r#"{{"platform_url":"http://remote.example.com","token":"{secret}","state":"memory","installation":{{"id":"x","line":"rm","kind":"custom"}}}}"#), R::InvalidConfig),
        (format!(r#"{{"platform_url":"http://127.0.0.1:9","token":"{secret}","state":"memory","bogus":1,"installation":{{"id":"x","line":"rm","kind":"custom"}}}}"#), R::InvalidConfig),
        (r#"{"platform_url":"http://127.0.0.1:9","token":12345,"state":"memory","installation":{"id":"x","line":"rm","kind":"custom"}}"#.to_owned(), R::InvalidConfig),
    ];
    for (json, want) in cases {
        let c = CString::new(json).unwrap();
        let mut out = null_mut();
        let rc = unsafe { smartlink_configurator_new(c.as_ptr(), &mut out) };
        assert_eq!(rc, want, "{}", last_error());
        assert_eq!(smartlink_last_error_code(), want);
        assert!(out.is_null());
        let msg = last_error();
        assert!(!msg.contains(secret) && !msg.contains("12345"), "{msg}");
    }
}

/// A field an operation does not read is refused, not ignored: a misspelt
/// `confirm`, or a `locale` sent with `screen` (the locale is the handle's),
/// would otherwise change nothing without a word. The same for a language
/// the catalogue does not have.
#[test]
fn fields_an_operation_does_not_read_are_refused() {
    let h = new_handle(&memory_config("http://127.0.0.1:9"));
    for (request, field) in [
        (r#"{"op":"screen","locale":"es"}"#, "locale"),
        (r#"{"op":"status","extra":1}"#, "extra"),
        (r#"{"op":"version","deadline":5}"#, "deadline"),
        (
            r#"{"op":"apply","action":{"action":"start"},"actoin":1}"#,
            "actoin",
        ),
        (
            r#"{"op":"configure_unattended","installation_name":"X","target":{"mode":"environment","name":"Prod"},"confim":"Prod"}"#,
            "confim",
        ),
        (r#"{"op":"wait_task","timeout":10}"#, "timeout"),
        (r#"{"op":"access_token","handle":1}"#, "handle"),
        // Inside `action` and `target` too: a confirmation put there by
        // mistake is refused, not dropped.
        (
            r#"{"op":"apply","action":{"action":"select","environment_id":"env_dev","confirm":"Dev"}}"#,
            "action.confirm",
        ),
        (
            r#"{"op":"apply","action":{"action":"start","name":"Matriz"}}"#,
            "action.name",
        ),
        (
            r#"{"op":"configure_unattended","installation_name":"X","target":{"mode":"environment","name":"Prod","confirm":"Prod"}}"#,
            "target.confirm",
        ),
    ] {
        let r = call(&h, request);
        assert_eq!(r["ok"], false, "{request}: {r}");
        assert_eq!(r["error"]["kind"], "invalid_request", "{request}: {r}");
        let message = r["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("`{field}`")),
            "{request}: {message}"
        );
        assert_eq!(smartlink_last_error_code(), R::InvalidRequest);
    }
    // What each operation reads, and the common fields, still pass.
    for request in [
        r#"{"op":"screen","deadline_ms":1000}"#,
        r#"{"op":"messages","locale":"es-AR"}"#,
        r#"{"op":"wait_task","timeout_ms":1000}"#,
    ] {
        let r = call(&h, request);
        assert_eq!(r["ok"], true, "{request}: {r}");
    }
    let r = call(&h, r#"{"op":"messages","locale":"xx"}"#);
    assert_eq!(r["error"]["kind"], "invalid_request", "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("locale"),
        "{r}"
    );
    // An unknown operation keeps its own code.
    let r = call(&h, r#"{"op":"nope","x":1}"#);
    assert_eq!(r["error"]["kind"], "unknown_operation", "{r}");

    // The handle's locale: lenient spellings, but not another language.
    for (tag, ok) in [
        ("es-AR", true),
        ("en_US.UTF-8", true),
        ("PT", true),
        ("xx", false),
        ("", false),
    ] {
        let c = CString::new(format!(
            r#"{{"platform_url":"http://127.0.0.1:9","token":"t","state":"memory","locale":"{tag}","installation":{{"id":"x","line":"rm","kind":"custom"}}}}"#
        ))
        .unwrap();
        let mut out = null_mut();
        let rc = unsafe { smartlink_configurator_new(c.as_ptr(), &mut out) };
        if ok {
            assert_eq!(rc, R::Ok, "{tag}: {}", last_error());
            drop(Handle(out));
        } else {
            assert_eq!(rc, R::InvalidConfig, "{tag}");
            assert!(last_error().contains("`locale`"), "{}", last_error());
            assert!(out.is_null());
        }
    }
}

#[test]
fn configuration_type_errors_name_the_field() {
    let cases = [
        (
            r#"{"platform_url":"http://127.0.0.1:9","token":"t","state":"memory","deadline_ms":"abc","installation":{"id":"x","line":"rm","kind":"custom"}}"#,
            R::InvalidConfig,
            "deadline_ms",
        ),
        (
            r#"{"platform_url":7,"token":"t","state":"memory","installation":{"id":"x","line":"rm","kind":"custom"}}"#,
            R::InvalidConfig,
            "platform_url",
        ),
        (
            r#"{"platform_url":"http://127.0.0.1:9","token":"t","state":"memory","installation":{"id":"x","line":"rm","kind":"custom","name":42}}"#,
            R::InvalidInstallation,
            "name",
        ),
    ];
    for (json, want, field) in cases {
        let c = CString::new(json).unwrap();
        let mut out = null_mut();
        let rc = unsafe { smartlink_configurator_new(c.as_ptr(), &mut out) };
        assert_eq!(rc, want, "{}", last_error());
        let msg = last_error();
        assert!(msg.contains(&format!("`{field}`")), "{field}: {msg}");
    }
    // Requests too.
    let h = new_handle(&memory_config("http://127.0.0.1:9"));
    let r = call(
        &h,
        r#"{"op":"configure_unattended","installation_name":"X","target":{"mode":"environment","name":5}}"#,
    );
    assert_eq!(r["ok"], false);
    let message = r["error"]["message"].as_str().unwrap();
    assert!(message.contains("`target"), "{message}");
}

#[test]
fn result_codes_have_messages_and_a_fixed_range() {
    for code in R::ALL {
        let n = code as u32;
        assert!(n == 0 || (7000..7100).contains(&n));
        let msg = unsafe { CStr::from_ptr(smartlink_result_message(n)) }
            .to_str()
            .unwrap();
        assert!(!msg.is_empty() && msg != "unknown result code");
    }
    // Never renumbered: pin a few.
    assert_eq!(R::NullArgument as u32, 7000);
    assert_eq!(R::BufferTooSmall as u32, 7005);
    assert_eq!(R::Panic as u32, 7011);
    assert_eq!(R::Internal as u32, 7020);
}

#[test]
fn every_json_operation_answers() {
    let sb = common::sandbox();
    let h = new_handle(&memory_config(&sb.url()));
    for op in smartlink::operations::OPERATIONS.iter().map(|o| o.name) {
        if op == "cancel" {
            continue;
        }
        let r = call(&h, &format!(r#"{{"op":"{op}"}}"#));
        assert!(r.get("ok").is_some(), "{op}: {r}");
    }
    let r = call(&h, r#"{"op":"version"}"#);
    assert_eq!(r["version"], env!("CARGO_PKG_VERSION"));
    let r = call(&h, r#"{"op":"messages","locale":"es"}"#);
    assert_eq!(r["messages"]["welcome.start"], "Iniciar");
    let r = call(
        &h,
        r#"{"op":"configure_unattended","target":{"mode":"environment","name":"Produção Nova"},"installation_name":"Contract"}"#,
    );
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["task"]["status"], "succeeded");
    let r = call(&h, r#"{"op":"rotate_credentials"}"#);
    assert_eq!(r["ok"], true, "{r}");
    assert!(r.get("client_secret").is_none());
    let r = call(&h, r#"{"op":"credentials"}"#);
    assert!(r["credentials"]["client_secret"].is_string());
    let r = call(&h, r#"{"op":"forget_local"}"#);
    assert_eq!(r["ok"], true);
    let r = call(&h, r#"{"op":"needs_configuration"}"#);
    assert_eq!(r["needs_configuration"], true);
    let r = call(&h, r#"{"op":"ensure_configured"}"#);
    assert_eq!(
        r["outcome"], "configured",
        "the platform still binds it: {r}"
    );
    let r = call(&h, r#"{"op":"unbind"}"#);
    assert_eq!(r["ok"], true, "{r}");
}

#[test]
fn the_history_is_read_in_pages_newest_first_with_the_administrator() {
    let sb = common::sandbox();
    let h = new_handle(&memory_config(&sb.url()));
    let r = call(&h, r#"{"op":"history"}"#);
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["total"], 0);
    assert_eq!(r["history"], serde_json::json!([]));
    let r = call(
        &h,
        r#"{"op":"configure_unattended","target":{"mode":"environment","name":"Produção Nova"},"installation_name":"Contract","administrator":" Maria Souza "}"#,
    );
    assert_eq!(r["ok"], true, "{r}");
    for _ in 0..4 {
        let r = call(&h, r#"{"op":"rotate_credentials","administrator":"João"}"#);
        assert_eq!(r["ok"], true, "{r}");
    }
    let r = call(&h, r#"{"op":"forget_local"}"#);
    assert_eq!(r["ok"], true, "{r}");
    // Six entries: forgotten, four rotations, the first binding.
    let page = call(&h, r#"{"op":"history","limit":2}"#);
    assert_eq!(page["total"], 6, "{page}");
    assert_eq!(page["offset"], 0);
    assert_eq!(page["next_offset"], 2);
    let entries = page["history"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["event"], "forgotten");
    assert_eq!(entries[0]["actor"], serde_json::json!({"by": "unnamed"}));
    assert_eq!(entries[1]["event"], "rotated");
    assert_eq!(
        entries[1]["actor"],
        serde_json::json!({"by": "administrator", "name": "João"})
    );
    let last = call(&h, r#"{"op":"history","offset":4,"limit":2}"#);
    assert_eq!(last["next_offset"], serde_json::Value::Null, "{last}");
    let entries = last["history"].as_array().unwrap();
    assert_eq!(entries[1]["event"], "first_binding");
    assert_eq!(entries[1]["actor"]["name"], "Maria Souza");
    assert_eq!(entries[1]["installation_id"], "contract-01");
    assert_eq!(entries[1]["environment_name"], "Produção Nova");
    assert!(entries[1]["machine"].is_string() && entries[1]["process"].is_string());
    let past = call(&h, r#"{"op":"history","offset":6}"#);
    assert_eq!(past["history"], serde_json::json!([]));
    // Bounded and checked.
    for bad in [
        r#"{"op":"history","limit":0}"#,
        r#"{"op":"history","limit":201}"#,
        r#"{"op":"history","offset":-1}"#,
        r#"{"op":"history","page":1}"#,
        r#"{"op":"unbind","administrator":""}"#,
        r#"{"op":"unbind","administrator":7}"#,
    ] {
        let r = call(&h, bad);
        assert_eq!(r["ok"], false, "{bad}: {r}");
        assert_eq!(r["error"]["kind"], "invalid_request", "{bad}: {r}");
    }
}

/// The wizard to the bound environment's regeneration alert (each step
/// with another name: only the call that starts the task counts), then
/// `confirm` as given; the task's id after it succeeded.
fn wizard_regeneration(h: &Handle, confirm: &str) -> String {
    for step in [
        r#"{"op":"apply","action":{"action":"start"},"administrator":"Not recorded"}"#,
        r#"{"op":"apply","action":{"action":"set_name","name":"Contract"},"administrator":"Not recorded"}"#,
    ] {
        let r = call(h, step);
        assert_eq!(r["ok"], true, "{step}: {r}");
    }
    let r = call(
        h,
        r#"{"op":"apply","action":{"action":"select","environment_id":"env_prd_nova"},"administrator":"Not recorded"}"#,
    );
    assert_eq!(r["screen"]["screen"], "confirm_regeneration", "{r}");
    let r = call(h, confirm);
    assert_eq!(r["screen"]["screen"], "finishing", "{r}");
    let task_id = r["screen"]["task_id"].as_str().unwrap().to_owned();
    let r = call(h, r#"{"op":"wait_task","timeout_ms":10000}"#);
    assert_eq!(r["task"]["status"], "succeeded", "{r}");
    task_id
}

#[test]
fn the_wizards_regeneration_records_the_administrator_given_with_its_apply() {
    let sb = common::sandbox();
    let scratch = common::scratch("wizard-history");
    std::fs::remove_dir_all(&scratch).unwrap();
    let path = scratch.join("state.json");
    let config = CString::new(
        serde_json::json!({
            "platform_url": sb.url(),
            "token": common::TOKEN,
            "state": "file",
            "state_file": path.to_str().unwrap(),
            "installation": {"id": "contract-01", "line": "protheus", "kind": "production"},
            "locale": "en"
        })
        .to_string(),
    )
    .unwrap();
    {
        let h = new_handle(&config);
        let r = call(
            &h,
            r#"{"op":"configure_unattended","target":{"mode":"environment","name":"Produção Nova"},"installation_name":"Contract","administrator":"Ana"}"#,
        );
        assert_eq!(r["ok"], true, "{r}");
    }
    // Already bound, through the wizard of another handle on the same state
    // (that one's is done).
    {
        let h = new_handle(&config);
        let task_id = wizard_regeneration(
            &h,
            r#"{"op":"apply","action":{"action":"confirm"},"administrator":" Maria Souza "}"#,
        );
        let page = call(&h, r#"{"op":"history"}"#);
        assert_eq!(page["total"], 2, "{page}");
        let entries = page["history"].as_array().unwrap();
        assert_eq!(entries[0]["event"], "regenerated");
        assert_eq!(
            entries[0]["actor"],
            serde_json::json!({"by": "administrator", "name": "Maria Souza"})
        );
        assert_eq!(entries[0]["support_code"], task_id.as_str());
        assert_eq!(entries[0]["environment_id"], "env_prd_nova");
        assert_eq!(entries[0]["environment_name"], "Produção Nova");
        assert_eq!(entries[0]["installation_name"], "Contract");
        assert_eq!(entries[1]["event"], "first_binding");
        assert_eq!(entries[1]["actor"]["name"], "Ana");
    }
    // Again on a third handle: the confirmation without `administrator` is
    // an unnamed administrator's.
    let h = new_handle(&config);
    wizard_regeneration(&h, r#"{"op":"apply","action":{"action":"confirm"}}"#);
    let page = call(&h, r#"{"op":"history"}"#);
    assert_eq!(page["total"], 3, "{page}");
    let entries = page["history"].as_array().unwrap();
    assert_eq!(entries[0]["event"], "regenerated");
    assert_eq!(entries[0]["actor"], serde_json::json!({"by": "unnamed"}));
    assert_eq!(entries[1]["actor"]["name"], "Maria Souza");
}

#[test]
fn a_deadline_and_a_cancel_end_a_stalled_call() {
    // A listener that accepts and never answers, and says when it accepted.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (accepted_tx, accepted) = std::sync::mpsc::channel::<()>();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
            let _ = accepted_tx.send(());
        }
    });
    let h = new_handle(&memory_config(&url));
    let started = Instant::now();
    let r = call(&h, r#"{"op":"ensure_configured","deadline_ms":300}"#);
    assert_eq!(r["error"]["kind"], "timeout", "{r}");
    assert_eq!(r["error"]["result"], 7010);
    assert!(started.elapsed() < Duration::from_secs(5));

    let h = std::sync::Arc::new(h);
    let h2 = h.clone();
    // Connections of the first call are done with.
    while accepted.try_recv().is_ok() {}
    let canceller = std::thread::spawn(move || {
        // Cancel once the call is in flight: its request reached the server.
        accepted
            .recv_timeout(Duration::from_secs(20))
            .expect("the call reached the server");
        assert_eq!(unsafe { smartlink_cancel(h2.0) }, R::Ok);
    });
    let started = Instant::now();
    let mut outcome = -1;
    let rc = unsafe { smartlink_ensure_configured(h.0, (&raw mut outcome).cast()) };
    assert_eq!(rc, R::Cancelled);
    assert_eq!(outcome, -1);
    assert!(started.elapsed() < Duration::from_secs(5));
    canceller.join().unwrap();
}

/// The seconds in a detail's `(1.5 s)` (or `(40 ms)`).
fn seconds_in(detail: &str) -> f64 {
    let inner = detail
        .rsplit_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(inner, _)| inner)
        .unwrap_or_else(|| panic!("no duration in {detail:?}"));
    match inner.split_once(' ') {
        Some((n, "s")) => n.parse().unwrap(),
        Some((n, "ms")) => n.parse::<f64>().unwrap() / 1000.0,
        _ => panic!("no duration in {detail:?}"),
    }
}

#[test]
fn a_platform_that_never_answers_is_a_timeout_every_time() {
    // Whichever deadline fires first, the call's or the HTTP client's own,
    // the call ran out of time: SMARTLINK_RESULT_TIMEOUT, never PLATFORM,
    // and the detail says how long it ran.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let config = |extra: &str| {
        CString::new(format!(
            r#"{{"platform_url":"{url}","token":"{}","state":"memory",
                "installation":{{"id":"timeout-01","line":"protheus","kind":"production"}},
                {extra}}}"#,
            common::TOKEN
        ))
        .unwrap()
    };
    // Both deadlines equal (the race seen from outside), and the HTTP
    // client's read timeout well before the call's deadline.
    let raced = new_handle(&config(r#""deadline_ms":250"#));
    let read_first = new_handle(&config(r#""deadline_ms":400,"read_timeout_ms":60"#));
    for run in 0..20 {
        let (h, deadline) = if run % 2 == 0 {
            (&raced, 0.25)
        } else {
            (&read_first, 0.4)
        };
        let mut outcome = -1;
        let rc = unsafe { smartlink_ensure_configured(h.0, (&raw mut outcome).cast()) };
        let detail = last_error();
        assert_eq!(rc, R::Timeout, "run {run}: {detail}");
        assert_eq!(outcome, -1);
        let took = seconds_in(&detail);
        assert!(took < 5.0, "run {run}: {detail}");
        if run % 2 == 0 {
            // The deadline fired: at least the deadline ran (one decimal).
            assert!(took >= deadline - 0.05, "run {run}: {detail}");
        }
        // The JSON operation says the same.
        let r = call(h, r#"{"op":"ensure_configured"}"#);
        assert_eq!(r["error"]["result"], 7010, "run {run}: {r}");
        assert_eq!(r["error"]["code"], "timeout", "run {run}: {r}");
    }

    // The case seen from outside: 1500 ms is 1.5 s, not "1s".
    let h = new_handle(&config(r#""deadline_ms":1500"#));
    let mut outcome = -1;
    let rc = unsafe { smartlink_ensure_configured(h.0, (&raw mut outcome).cast()) };
    let detail = last_error();
    assert_eq!(rc, R::Timeout, "{detail}");
    assert!(!detail.contains("(1s)"), "{detail}");
    let took = seconds_in(&detail);
    assert!((1.5..3.0).contains(&took), "{detail}");
}

#[test]
fn stale_integer_handles_are_refused() {
    let mut input = CString::new(r#"{"platform_url":"http://127.0.0.1:9","token":"t","state":"memory","installation":{"id":"stale","line":"rm","kind":"custom"}}"#).unwrap().into_bytes_with_nul();
    let mut out = [0 as c_char; 4096];
    assert_eq!(
        unsafe { ExecInClientDLL(1, input.as_mut_ptr().cast(), out.as_mut_ptr(), 4096) },
        0
    );
    let v: serde_json::Value =
        serde_json::from_str(unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().unwrap()).unwrap();
    let n = v["handle"].as_i64().unwrap();
    let mut close = format!("{{\"handle\":{n}}}\0").into_bytes();
    assert_eq!(
        unsafe { ExecInClientDLL(2, close.as_mut_ptr().cast(), out.as_mut_ptr(), 4096) },
        0
    );
    // Reopen: the slot is reused with a new generation; the old number stays dead.
    assert_eq!(
        unsafe { ExecInClientDLL(1, input.as_mut_ptr().cast(), out.as_mut_ptr(), 4096) },
        0
    );
    let v2: serde_json::Value =
        serde_json::from_str(unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().unwrap()).unwrap();
    assert_ne!(v2["handle"].as_i64().unwrap(), n);
    let mut screen = format!("{{\"handle\":{n}}}\0").into_bytes();
    assert_eq!(
        unsafe { ExecInClientDLL(13, screen.as_mut_ptr().cast(), out.as_mut_ptr(), 4096) },
        R::InvalidHandle as i32
    );
    for bad in [
        "{\"handle\":0}",
        "{\"handle\":-5}",
        "{\"handle\":99999999999}",
        "{}",
    ] {
        let mut b = format!("{bad}\0").into_bytes();
        let rc = unsafe { ExecInClientDLL(13, b.as_mut_ptr().cast(), out.as_mut_ptr(), 4096) };
        assert!(
            rc == R::InvalidHandle as i32 || rc == R::InvalidRequest as i32,
            "{bad}: {rc}"
        );
    }
    let mut close = format!("{{\"handle\":{}}}\0", v2["handle"]).into_bytes();
    assert_eq!(
        unsafe { ExecInClientDLL(2, close.as_mut_ptr().cast(), out.as_mut_ptr(), 4096) },
        0
    );
}

/// `ExecInClientDLL(id, input)` into a 64 KiB buffer: (result, response).
fn exec_dll(id: i32, input: &str) -> (i32, serde_json::Value) {
    let mut input = CString::new(input).unwrap().into_bytes_with_nul();
    let mut out = vec![0 as c_char; 65536];
    let rc = unsafe { ExecInClientDLL(id, input.as_mut_ptr().cast(), out.as_mut_ptr(), 65536) };
    let text = unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().unwrap();
    (rc, serde_json::from_str(text).unwrap())
}

#[test]
fn each_open_counts_and_the_handle_lives_until_the_last_close() {
    let config = r#"{"platform_url":"http://127.0.0.1:9","token":"t","state":"memory","installation":{"id":"refcount-01","line":"rm","kind":"custom"}}"#;
    let screen = |n: i64| exec_dll(13, &format!(r#"{{"handle":{n}}}"#));
    let close = |n: i64| exec_dll(2, &format!(r#"{{"handle":{n}}}"#)).0;

    // One thread: two OPENs need two CLOSEs.
    let (rc, v) = exec_dll(1, config);
    assert_eq!(rc, 0, "{v}");
    let n = v["handle"].as_i64().unwrap();
    assert_eq!(exec_dll(1, config).1["handle"], n, "the same number");
    assert_eq!(close(n), 0);
    assert_eq!(screen(n).0, 0, "one OPEN is still open");
    assert_eq!(close(n), 0);
    assert_eq!(screen(n).0, R::InvalidHandle as i32);
    assert_eq!(close(n), R::InvalidHandle as i32);

    // Eight user threads each OPEN the same configuration; half of them
    // CLOSE while the others still use the number.
    const THREADS: usize = 8;
    let opened = std::sync::Arc::new(std::sync::Barrier::new(THREADS));
    let half_closed = std::sync::Arc::new(std::sync::Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (opened, half_closed) = (opened.clone(), half_closed.clone());
            std::thread::spawn(move || {
                let (rc, v) = exec_dll(1, config);
                assert_eq!(rc, 0, "{v}");
                let n = v["handle"].as_i64().unwrap();
                opened.wait();
                if t % 2 == 0 {
                    assert_eq!(close(n), 0);
                }
                half_closed.wait();
                if t % 2 == 1 {
                    let (rc, r) = screen(n);
                    assert_eq!(rc, 0, "thread {t}: {r}");
                    assert_eq!(r["ok"], true, "{r}");
                    assert_eq!(close(n), 0);
                }
                n
            })
        })
        .collect();
    let numbers: Vec<i64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(numbers.iter().all(|m| *m == numbers[0]), "{numbers:?}");
    // The last CLOSE ended it.
    assert_eq!(screen(numbers[0]).0, R::InvalidHandle as i32);
}

/// `ExecInClientDLL(id, input)` into an `out_size`-byte buffer (NULL for 0):
/// the result only.
fn exec_dll_sized(id: i32, input: &str, out_size: i32) -> i32 {
    let mut input = CString::new(input).unwrap().into_bytes_with_nul();
    let mut out = vec![0 as c_char; out_size.max(1) as usize];
    let out = if out_size == 0 {
        null_mut()
    } else {
        out.as_mut_ptr()
    };
    unsafe { ExecInClientDLL(id, input.as_mut_ptr().cast(), out, out_size) }
}

#[test]
fn an_open_or_close_whose_answer_did_not_fit_does_nothing_until_the_retry() {
    // The documented protocol (ask with a small buffer, grow to `needed`,
    // call again) must count one OPEN and one CLOSE, as with a big buffer.
    let config = r#"{"platform_url":"http://127.0.0.1:9","token":"t","state":"memory","installation":{"id":"refcount-small-01","line":"rm","kind":"custom"}}"#;
    let screen = |n: i64| exec_dll(13, &format!(r#"{{"handle":{n}}}"#)).0;
    // One user thread asks OPEN's size first, then opens.
    for size in [0, 1, 16] {
        assert_eq!(exec_dll_sized(1, config, size), R::BufferTooSmall as i32);
    }
    let (rc, v) = exec_dll(1, config);
    assert_eq!(rc, 0, "{v}");
    let n = v["handle"].as_i64().unwrap();
    let close = format!(r#"{{"handle":{n}}}"#);
    // Another opens it too (two OPENs), and closes with the same protocol.
    assert_eq!(exec_dll(1, config).1["handle"], n);
    for size in [0, 11] {
        assert_eq!(exec_dll_sized(2, &close, size), R::BufferTooSmall as i32);
    }
    assert_eq!(exec_dll_sized(2, &close, 12), 0, "12 bytes hold its answer");
    assert_eq!(screen(n), 0, "the first thread's OPEN is still open");
    // The first closes: that was the last OPEN.
    assert_eq!(exec_dll_sized(2, &close, 12), 0);
    assert_eq!(
        screen(n),
        R::InvalidHandle as i32,
        "two OPENs, two CLOSEs: the small buffers counted nothing"
    );
}

#[test]
fn an_id_whose_request_names_another_op_is_refused() {
    let config = r#"{"platform_url":"http://127.0.0.1:9","token":"t","state":"memory","locale":"en","installation":{"id":"id-op-01","line":"rm","kind":"custom"}}"#;
    let (rc, v) = exec_dll(1, config);
    assert_eq!(rc, 0, "{v}");
    let n = v["handle"].as_i64().unwrap();
    // The request of CALL (3) sent with SCREEN's id (13): refused, not a
    // screen answered in place of the credentials asked for.
    let (rc, r) = exec_dll(13, &format!(r#"{{"handle":{n},"op":"credentials"}}"#));
    assert_eq!(rc, R::InvalidRequest as i32, "{r}");
    assert_eq!(r["error"]["kind"], "invalid_request", "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().starts_with("`op`"),
        "{r}"
    );
    assert_eq!(
        r["error"]["text"], "The request was refused as invalid.",
        "in the handle's locale: {r}"
    );
    let (rc, r) = exec_dll(13, &format!(r#"{{"handle":{n},"op":5}}"#));
    assert_eq!(rc, R::InvalidRequest as i32, "{r}");
    // Its own name, or none, is the operation of the id.
    for input in [
        format!(r#"{{"handle":{n},"op":"screen"}}"#),
        format!(r#"{{"handle":{n}}}"#),
    ] {
        let (rc, r) = exec_dll(13, &input);
        assert_eq!(rc, 0, "{input}: {r}");
        assert_eq!(r["screen"]["screen"], "welcome", "{r}");
    }
    let (rc, r) = exec_dll(3, &format!(r#"{{"handle":{n},"op":"credentials"}}"#));
    assert_eq!(rc, 0, "{r}");
    assert_eq!(r["credentials"], serde_json::Value::Null, "{r}");
    assert_eq!(exec_dll(2, &format!(r#"{{"handle":{n}}}"#)).0, 0);
}

#[test]
fn one_handle_shared_by_eight_threads_answers_every_call() {
    let sb = common::sandbox();
    let h = std::sync::Arc::new(new_handle(&memory_config(&sb.url())));
    let workers: Vec<_> = (0..8)
        .map(|t| {
            let h = h.clone();
            std::thread::spawn(move || {
                let requests = [
                    r#"{"op":"needs_configuration"}"#,
                    r#"{"op":"screen"}"#,
                    r#"{"op":"apply","action":{"action":"start"}}"#,
                    r#"{"op":"apply","action":{"action":"back"}}"#,
                    r#"{"op":"task_status"}"#,
                    r#"{"op":"status"}"#,
                ];
                for i in 0..300 {
                    let r = call(&h, requests[(i + t) % requests.len()]);
                    // Racing wizard actions may be refused (another thread
                    // moved the screen), but every call answers, typed.
                    assert!(r["ok"].is_boolean(), "{r}");
                    if r["ok"] == false {
                        assert_eq!(r["error"]["kind"], "wizard_refused", "{r}");
                        // The locale's own sentence, not the catch-all.
                        assert_eq!(
                            r["error"]["text"],
                            "That action is not available on this screen.",
                            "{r}"
                        );
                    }
                }
                // One thread configures while the others keep calling.
                if t == 0 {
                    let r = call(
                        &h,
                        r#"{"op":"configure_unattended","installation_name":"Threads","target":{"mode":"environment","name":"Produção Nova"}}"#,
                    );
                    assert_eq!(r["ok"], true, "{r}");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("no thread panicked");
    }
    assert_eq!(
        call(&h, r#"{"op":"needs_configuration"}"#)["needs_configuration"],
        false
    );
}

/// The code of an `"ok": false` response.
fn refusal(r: &serde_json::Value) -> (&str, &str) {
    assert_eq!(r["ok"], false, "{r}");
    (
        r["error"]["kind"].as_str().unwrap(),
        r["error"]["code"].as_str().unwrap(),
    )
}

fn unattended(
    h: &Handle,
    name: Option<&str>,
    target: serde_json::Value,
    confirm: Option<&str>,
) -> serde_json::Value {
    let request = serde_json::json!({
        "op": "configure_unattended",
        "installation_name": name,
        "target": target,
        "confirm": confirm,
    });
    call(h, &request.to_string())
}

#[test]
fn every_documented_unattended_refusal_comes_back_with_its_code() {
    use serde_json::json;
    let sb = common::sandbox();
    let h = new_handle(&memory_config(&sb.url()));
    let env = |name: &str| json!({"mode": "environment", "name": name});
    let create = |name: &str| json!({"mode": "create", "name": name});
    let cases: Vec<(&str, serde_json::Value)> = vec![
        (
            "environment_not_found",
            unattended(&h, Some("C"), env("Nenhum"), None),
        ),
        (
            "confirmation_required",
            unattended(&h, Some("C"), env("Produção Matriz"), None),
        ),
        (
            "confirmation_mismatch",
            unattended(
                &h,
                Some("C"),
                env("Produção Matriz"),
                Some("produção matriz"),
            ),
        ),
        (
            "not_selectable",
            unattended(&h, Some("C"), env("Desenvolvimento"), None),
        ),
        (
            "name_taken",
            unattended(&h, Some("C"), create("PRODUÇÃO NOVA"), None),
        ),
        (
            "invalid_name",
            unattended(&h, Some("C"), create(&"x".repeat(21)), None),
        ),
        (
            "name_required",
            unattended(&h, None, env("Produção Nova"), None),
        ),
    ];
    for (expected, response) in &cases {
        assert_eq!(
            refusal(response),
            ("decision_refused", *expected),
            "{response}"
        );
        assert_eq!(last_error_code(), R::DecisionRefused);
        let text = response["error"]["text"].as_str().unwrap();
        assert_ne!(
            text, "The action was refused.",
            "{expected}: a specific text"
        );
    }
    // Once bound, creating is not offered.
    let r = unattended(&h, Some("C"), env("Produção Nova"), None);
    assert_eq!(r["ok"], true, "{r}");
    let r = unattended(&h, Some("C"), create("Outra"), None);
    assert_eq!(refusal(&r), ("decision_refused", "create_not_offered"));

    // Inconsistent platform data (this installation bound under another line).
    let seed: smartlink_sandbox::Seed = serde_json::from_value(json!({"environments": [
        {"id": "env_x", "name": "X", "kind": "production", "bindings": [
            {"installation_id": "contract-01", "installation_name": "C",
             "line": "rm", "bound_at": "2025-01-01T00:00:00Z"}]}]}))
    .unwrap();
    let odd = common::sandbox_with_seed(&seed);
    let h = new_handle(&memory_config(&odd.url()));
    let r = unattended(&h, Some("C"), env("X"), None);
    assert_eq!(refusal(&r), ("decision_refused", "inconsistent"));
    // Every refusal code the core can give is one of those tested here.
    let mut tested: Vec<&str> = cases.iter().map(|(c, _)| *c).collect();
    tested.extend(["create_not_offered", "inconsistent"]);
    tested.sort();
    // (`not_allowed` is the wizard's refusal, not a decision's.)
    let mut all: Vec<&str> = smartlink_core::Refusal::ALL
        .iter()
        .map(|r| r.as_str())
        .filter(|r| *r != "not_allowed")
        .collect();
    all.sort();
    assert_eq!(tested, all);
}

fn last_error_code() -> R {
    smartlink_last_error_code()
}

#[test]
fn a_response_delivered_after_buffer_too_small_puts_its_failure_in_the_last_error() {
    let h = new_handle(&memory_config("http://127.0.0.1:9"));
    // A wizard action refused on the welcome screen: an "ok": false response.
    let req = c"{\"op\":\"apply\",\"action\":{\"action\":\"confirm\"}}";
    let mut needed = 0usize;
    let rc = unsafe { smartlink_call(h.0, req.as_ptr(), null_mut(), 0, &mut needed) };
    assert_eq!(rc, R::BufferTooSmall);
    assert_eq!(last_error_code(), R::BufferTooSmall);
    let mut buf = vec![0 as c_char; needed];
    let rc = unsafe { smartlink_call(h.0, req.as_ptr(), buf.as_mut_ptr(), needed, &mut needed) };
    assert_eq!(rc, R::Ok);
    let body: serde_json::Value =
        serde_json::from_str(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap()).unwrap();
    assert_eq!(body["ok"], false, "{body}");
    assert_eq!(
        last_error_code(),
        R::WizardRefused,
        "the response's own failure"
    );
    assert!(last_error().contains("confirm"), "{}", last_error());
}

#[test]
fn wait_task_ends_at_the_request_deadline_when_it_is_shorter_than_its_timeout() {
    use smartlink_testkit::fault_proxy::{Fault, FaultProxy};
    let sb = common::sandbox();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let proxy = rt.block_on(FaultProxy::start(sb.addr()));
    let h = new_handle(&memory_config(&proxy.url()));
    let r = call(&h, r#"{"op":"apply","action":{"action":"start"}}"#);
    assert_eq!(r["ok"], true, "{r}");
    let r = call(
        &h,
        r#"{"op":"apply","action":{"action":"set_name","name":"Deadline"}}"#,
    );
    assert_eq!(r["ok"], true, "{r}");
    // Every request of the background task now stalls.
    proxy.push(std::iter::repeat_n(Fault::Stall, 64));
    let r = call(
        &h,
        r#"{"op":"apply","action":{"action":"create","name":"Deadline Env"}}"#,
    );
    assert_eq!(r["ok"], true, "{r}");
    let r = call(
        &h,
        r#"{"op":"wait_task","timeout_ms":600000,"deadline_ms":300}"#,
    );
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["error"]["kind"], "timeout", "{r}");
    assert_eq!(r["error"]["result"], 7010, "{r}");
    // The task is still at work: stop it with the handle.
    unsafe { smartlink_cancel(h.0) };
}

#[test]
fn wait_task_returns_after_the_task_released_the_state() {
    for round in 0..5 {
        let sb = common::sandbox();
        let h = new_handle(&memory_config(&sb.url()));
        let screen = call(&h, r#"{"op":"apply","action":{"action":"start"}}"#);
        assert_eq!(screen["ok"], true, "{screen}");
        let r = call(
            &h,
            &format!(r#"{{"op":"apply","action":{{"action":"set_name","name":"W{round}"}}}}"#),
        );
        assert_eq!(r["ok"], true, "{r}");
        let r = call(
            &h,
            &format!(r#"{{"op":"apply","action":{{"action":"create","name":"Wait {round}"}}}}"#),
        );
        assert_eq!(r["ok"], true, "{r}");
        let mut state = 0i32;
        let rc = unsafe { smartlink_wait_task(h.0, 10_000, (&raw mut state).cast()) };
        assert_eq!(rc, R::Ok);
        assert_eq!(
            state,
            smartlink_task_state::Succeeded as i32,
            "round {round}"
        );
        // The lock is free the moment the wait returns.
        let r = call(&h, r#"{"op":"forget_local"}"#);
        assert_eq!(r["ok"], true, "round {round}: {r}");
    }
}

#[test]
fn a_corrupt_state_file_is_reported_to_the_host() {
    let scratch = common::scratch("corrupt-state");
    std::fs::remove_dir_all(&scratch).unwrap();
    // The store creates the directory and the file (private on every
    // platform: 0700/0600, or an owner-only DACL); then the contents break.
    let dir = scratch.join("erp");
    let path = dir.join("state.json");
    let valid = smartlink_core::LocalState::new(
        smartlink_core::InstallationId::new("corrupt-01").unwrap(),
        smartlink_core::ErpLine::Rm,
    );
    smartlink_core::StateStore::save(
        &smartlink_core::FileStateStore::open(&path).unwrap(),
        &valid,
    )
    .unwrap();
    std::fs::write(&path, b"{ this is not json").unwrap();
    let config = CString::new(
        serde_json::json!({
            "platform_url": "http://127.0.0.1:9",
            "token": common::TOKEN,
            "state": "file",
            "state_file": path.to_str().unwrap(),
            "installation": {"id": "corrupt-01", "line": "rm", "kind": "production"},
            "locale": "en"
        })
        .to_string(),
    )
    .unwrap();
    let h = new_handle(&config);
    let mut needed = false;
    assert_eq!(
        unsafe { smartlink_needs_configuration(h.0, &mut needed) },
        R::Ok
    );
    assert!(needed);
    assert_eq!(last_error_code(), R::State, "{}", last_error());
    assert!(
        last_error().starts_with("state_corrupt"),
        "{}",
        last_error()
    );
    // Asked again (the file is gone now), the problem is still told.
    let r = call(&h, r#"{"op":"needs_configuration"}"#);
    assert_eq!(r["state_problem"]["code"], "state_corrupt", "{r}");
    let r = call(&h, r#"{"op":"status"}"#);
    assert_eq!(r["status"]["state_problem"]["code"], "state_corrupt", "{r}");
    assert_eq!(r["status"]["reason"], "state_problem", "{r}");
    let detail = r["status"]["state_problem"]["detail"].as_str().unwrap();
    assert!(
        detail.contains(".corrupt-"),
        "names where it was kept: {detail}"
    );
    let kept: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(kept.len(), 1, "set aside, not deleted");
}

/// `docs/c-api.md` states how large a screen response grows with the number
/// of environments; this measures it.
#[test]
fn a_screen_grows_by_about_350_bytes_per_environment_as_documented() {
    let count = 1_200usize;
    let environments: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            let bindings = if i % 2 == 0 {
                serde_json::json!([{"installation_id": format!("rm-{i:05}"),
                    "installation_name": format!("RM Filial {i:05}"),
                    "line": "rm", "bound_at": "2025-01-01T00:00:00Z"}])
            } else {
                serde_json::json!([])
            };
            serde_json::json!({"id": format!("env_{i:05}"), "name": format!("Ambiente {i:05}"),
                "kind": "production", "bindings": bindings})
        })
        .collect();
    let seed: smartlink_sandbox::Seed =
        serde_json::from_value(serde_json::json!({ "environments": environments })).unwrap();
    let sb = common::sandbox_with_seed(&seed);
    let h = new_handle(&memory_config(&sb.url()));
    call(&h, r#"{"op":"apply","action":{"action":"start"}}"#);
    let req =
        CString::new(r#"{"op":"apply","action":{"action":"set_name","name":"Big"}}"#).unwrap();
    let mut needed = 0usize;
    let rc = unsafe { smartlink_call(h.0, req.as_ptr(), null_mut(), 0, &mut needed) };
    assert_eq!(rc, R::BufferTooSmall);
    let per_environment = needed / count;
    println!("{count} environments: {needed} bytes, {per_environment} per environment");
    // The document's figures: about 350 bytes each, 64 KiB is not enough.
    assert!((250..=500).contains(&per_environment), "{per_environment}");
    assert!(needed > 64 * 1024);
    let mut buf = vec![0 as c_char; needed];
    let rc = unsafe { smartlink_call(h.0, req.as_ptr(), buf.as_mut_ptr(), needed, &mut needed) };
    assert_eq!(rc, R::Ok, "the size told is enough");
}

/// The single-candidate first binding through the C ABI: on by default
/// (the outcome names the environment), off with
/// `"bind_only_candidate": false` (an administrator decides).
#[test]
fn the_only_candidate_is_bound_unless_the_host_turns_it_off() {
    let seed: smartlink_sandbox::Seed = serde_json::from_value(serde_json::json!({
        "environments": [{"id": "env_prd", "name": "Produção", "kind": "production"}]
    }))
    .unwrap();
    for (extra, bound) in [("", true), (r#","bind_only_candidate":false"#, false)] {
        let sb = common::sandbox_with_seed(&seed);
        let config = format!(
            r#"{{"platform_url":"{}","token":"{}","state":"memory",
                "installation":{{"id":"contract-one","line":"protheus","kind":"production"}}{extra}}}"#,
            sb.url(),
            common::TOKEN
        );
        let h = new_handle(&CString::new(config).unwrap());
        let r = call(&h, r#"{"op":"ensure_configured"}"#);
        assert_eq!(r["ok"], true, "{r}");
        if bound {
            assert_eq!(r["outcome"], "configured", "{r}");
            assert_eq!(r["only_candidate"], "Produção", "{r}");
            let r = call(&h, r#"{"op":"needs_configuration"}"#);
            assert_eq!(r["needs_configuration"], false);
        } else {
            assert_eq!(r["outcome"], "admin_needed", "{r}");
            assert_eq!(sb.sandbox().platform().credentials_issued(), 0);
        }
    }
    let bad = CString::new(
        r#"{"platform_url":"http://127.0.0.1:9","token":"t","state":"memory","bind_only_candidate":"yes",
            "installation":{"id":"x","line":"protheus","kind":"production"}}"#,
    )
    .unwrap();
    let mut out = null_mut();
    let rc = unsafe { smartlink_configurator_new(bad.as_ptr(), &raw mut out) };
    assert_eq!(rc, R::InvalidConfig, "a wrong type is refused");
}
