//! A panic inside the library is an error code, never an abort. Own test
//! binary: it sets SMARTLINK_TEST_HOOKS for its process.

use std::ffi::{CStr, c_char};
use std::ptr::null_mut;

use smartlink::error::smartlink_result as R;
use smartlink::*;

#[test]
fn a_panic_inside_the_library_is_an_error_code() {
    // SAFETY: the only test of this binary; nothing else reads the environment.
    unsafe { std::env::set_var("SMARTLINK_TEST_HOOKS", "1") };
    let config = cr#"{"platform_url":"http://127.0.0.1:9","token":"t","state":"memory","installation":{"id":"panic-01","line":"rm","kind":"custom"}}"#;
    let mut h = null_mut();
    assert_eq!(
        unsafe { smartlink_configurator_new(config.as_ptr(), &mut h) },
        R::Ok
    );
    let mut out: *mut c_char = null_mut();
    let rc = unsafe { smartlink_call_alloc(h, c"{\"op\":\"__test_panic\"}".as_ptr(), &mut out) };
    assert_eq!(rc, R::Panic);
    assert!(out.is_null(), "no output on a panic");
    assert_eq!(smartlink_last_error_code(), R::Panic);
    let mut msg = null_mut();
    assert_eq!(
        unsafe { smartlink_last_error_message_alloc(&mut msg) },
        R::Ok
    );
    let text = unsafe { CStr::from_ptr(msg) }.to_str().unwrap().to_owned();
    unsafe { smartlink_string_free(msg) };
    assert!(text.contains("deliberate panic"), "{text}");

    // The handle still works afterwards.
    let rc = unsafe { smartlink_call_alloc(h, c"{\"op\":\"screen\"}".as_ptr(), &mut out) };
    assert_eq!(rc, R::Ok);
    unsafe { smartlink_string_free(out) };

    // Through ExecInClientDLL too.
    let mut open = br#"{"platform_url":"http://127.0.0.1:9","token":"t","state":"memory","installation":{"id":"panic-02","line":"rm","kind":"custom"}}"#.to_vec();
    open.push(0);
    let mut buf = [0 as c_char; 512];
    assert_eq!(
        unsafe { ExecInClientDLL(1, open.as_mut_ptr().cast(), buf.as_mut_ptr(), 512) },
        0
    );
    let v: serde_json::Value =
        serde_json::from_str(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap()).unwrap();
    let mut req = format!("{{\"handle\":{},\"op\":\"__test_panic\"}}\0", v["handle"]).into_bytes();
    assert_eq!(
        unsafe { ExecInClientDLL(3, req.as_mut_ptr().cast(), buf.as_mut_ptr(), 512) },
        R::Panic as i32
    );

    unsafe { smartlink_configurator_free(h) };
}
