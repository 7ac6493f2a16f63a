//! Threads held by a handle: at most 2 while idle, none after it is freed.
//! Own test binary (one test), so that no other test's threads are counted.

mod common;

use std::ffi::CString;
use std::ptr::null_mut;
use std::time::{Duration, Instant};

use smartlink::error::smartlink_result as R;
use smartlink::*;

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn a_handle_holds_at_most_two_threads_idle_and_none_after_free() {
    let sb = common::sandbox();
    // The sandbox's runtime starts its workers when it is built.
    let before = threads();
    let config = CString::new(format!(
        r#"{{"platform_url":"{}","token":"{}","state":"memory","installation":{{"id":"threads-01","line":"protheus","kind":"production"}}}}"#,
        sb.url(),
        common::TOKEN
    ))
    .unwrap();
    let mut h = null_mut();
    assert_eq!(
        unsafe { smartlink_configurator_new(config.as_ptr(), &mut h) },
        R::Ok
    );
    // Do real work first: a whole binding over HTTP.
    for req in [
        r#"{"op":"apply","action":{"action":"start"}}"#,
        r#"{"op":"apply","action":{"action":"set_name","name":"Threads"}}"#,
        r#"{"op":"apply","action":{"action":"select","environment_id":"env_prd_nova"}}"#,
    ] {
        let r = CString::new(req).unwrap();
        let mut out = null_mut();
        assert_eq!(
            unsafe { smartlink_call_alloc(h, r.as_ptr(), &mut out) },
            R::Ok
        );
        unsafe { smartlink_string_free(out) };
    }
    let mut state = -1;
    assert_eq!(
        unsafe { smartlink_wait_task(h, 30_000, (&raw mut state).cast()) },
        R::Ok
    );
    assert_eq!(state, smartlink_task_state::Succeeded as i32);
    // Blocking-pool threads retire after their keep-alive: poll, within a
    // bound, until the handle is down to what it holds while idle.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut idle = threads().saturating_sub(before);
    while idle > 2 {
        assert!(
            Instant::now() < deadline,
            "{idle} threads still held while idle"
        );
        std::thread::sleep(Duration::from_millis(20));
        idle = threads().saturating_sub(before);
    }
    // Freeing joins every thread of the handle before it returns.
    unsafe { smartlink_configurator_free(h) };
    let after = threads().saturating_sub(before);
    eprintln!("threads: before={before} idle=+{idle} after_free=+{after}");
    assert_eq!(after, 0, "threads left after free");
}
