//! Creating, freeing and cancelling a configurator handle.

use std::ffi::c_char;
use std::sync::Arc;

use crate::error::smartlink_result;
use crate::handle::HandleInner;
use crate::panic::{boundary, try_out, try_ref, try_str};
use crate::stash::next_serial;

/// An opaque configurator: one installation, its platform connection, its
/// local state, and one worker thread.
#[allow(non_camel_case_types)]
pub struct smartlink_configurator {
    pub(crate) inner: Arc<HandleInner>,
    /// A number unique in this process, for the undelivered-response stash.
    pub(crate) serial: u64,
}

/// Creates a configurator from its JSON configuration:
///
/// ```json
/// {"platform_url": "https://…", "token": "…",
///  "state_file": "/var/lib/erp/smartlink.json",
///  "installation": {"id": "…", "line": "protheus", "kind": "production", "name": "…"},
///  "locale": "pt-BR", "connect_timeout_ms": 10000, "read_timeout_ms": 30000,
///  "deadline_ms": 60000, "proxy": "http://…", "ca_file": "/…/ca.pem"}
/// ```
///
/// (`"state": "memory"` instead of `state_file` keeps the state in memory,
/// for tests. A seal key, a folder shared by several machines or a
/// PostgreSQL database are chosen with the object form instead of
/// `state_file`: `"state": {"kind": "file", "path": "…", "seal_key_file":
/// "…", "shared": true}` or `"state": {"kind": "postgres", "url":
/// "postgres://…", "seal_key_file": "…"}`; see docs/c-api.md. The URL's
/// password never appears in an error.)
///
/// - `config_json` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`): NUL-terminated UTF-8; borrowed for the call.
/// - `out` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`): receives the handle, only on success.
/// - Returns `SMARTLINK_RESULT_OK`, or `NULL_ARGUMENT`, `INVALID_UTF8`,
///   `INVALID_JSON`, `INVALID_CONFIG`, `INVALID_INSTALLATION` (with the
///   detail in the last error; the token never appears in it), `RUNTIME`.
/// - Ownership: the caller owns `*out` and must free it with
///   `smartlink_configurator_free`.
/// - Starts one worker thread (and, with a PostgreSQL store, its
///   connection's thread; the database is reached on first use). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_configurator_new(
    config_json: *const c_char,
    out: *mut *mut smartlink_configurator,
) -> smartlink_result {
    boundary(|| {
        let json = try_str!(config_json, "config_json");
        let out = try_out!(out, "out");
        let inner = HandleInner::from_json(json)?;
        let handle = Box::new(smartlink_configurator {
            inner,
            serial: next_serial(),
        });
        // SAFETY: non-NULL, caller's writable pointer.
        unsafe { *out = Box::into_raw(handle) };
        Ok(())
    })
}

/// Frees a configurator: stops and joins every thread it started (waiting
/// at most 5 s for running work, such as a background configuration task)
/// and releases the handle (a PostgreSQL store's connection thread
/// included).
///
/// - `handle`: from `smartlink_configurator_new`; NULL is a no-op.
/// - Returns nothing.
/// - Before freeing, no other call on this handle may be running: to end
///   calls blocked on other threads, call `smartlink_cancel(handle)`, wait
///   until every other call on the handle has returned, then free. Freeing
///   while another call still uses the handle is undefined behaviour (its
///   memory is released under that call). Other handles are unaffected.
/// - Ownership: takes ownership; `handle` is invalid afterwards and must
///   not be freed twice.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_configurator_free(handle: *mut smartlink_configurator) {
    if handle.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: non-NULL, from Box::into_raw in smartlink_configurator_new,
        // not freed before (caller's promise).
        let boxed = unsafe { Box::from_raw(handle) };
        boxed.inner.close();
        drop(boxed);
    }));
}

/// Cancels every call in flight on `handle` (they return
/// `SMARTLINK_RESULT_CANCELLED`, or a JSON error with code `cancelled`).
/// Calls started afterwards are not affected. The background configuration
/// task, once started, is not cancelled: it finishes or fails on its own.
///
/// - `handle` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`).
/// - Returns `SMARTLINK_RESULT_OK` or `SMARTLINK_RESULT_NULL_ARGUMENT`.
/// - Thread-safe: meant to be called from another thread than the blocked one.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_cancel(
    handle: *const smartlink_configurator,
) -> smartlink_result {
    boundary(|| {
        let h = try_ref!(handle, "handle");
        h.inner.cancel();
        Ok(())
    })
}
