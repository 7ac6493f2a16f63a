//! The JSON entry point, and freeing the strings the library allocates.

use std::ffi::{CString, c_char};

use secrecy::zeroize::Zeroize;

use super::handle::smartlink_configurator;
use crate::buffer::{check_buffer, copy_out, to_c_string};
use crate::error::smartlink_result;
use crate::panic::{boundary, try_out, try_ref, try_str};
use crate::stash::{run_request, stash_undelivered};

/// The JSON entry point: runs one request (`{"op": "...", ...}`, see
/// `docs/c-api.md`) and copies the response into `out`.
///
/// - `handle`, `request` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`): `request` is NUL-terminated UTF-8,
///   borrowed for the call.
/// - `out`: `out_len` writable bytes; may be NULL only when `out_len` is 0.
/// - `out_needed` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`): receives the response's size, NUL included.
/// - Returns `SMARTLINK_RESULT_OK` when a response was written, including
///   `{"ok": false, ...}` responses (the operation's failure is in the JSON,
///   and in the last error). Returns an error code, writing nothing, when the
///   arguments are wrong, on a panic, or with
///   `SMARTLINK_RESULT_BUFFER_TOO_SMALL` when `out` is too small: the
///   response is then kept, and calling again with the same request on the
///   same thread and handle delivers it without running the operation twice.
/// - Blocks for operations that use the network (bounded by the deadline;
///   `smartlink_cancel` ends it early).
/// - Thread-safe: several threads may call on one handle at once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_call(
    handle: *const smartlink_configurator,
    request: *const c_char,
    out: *mut c_char,
    out_len: usize,
    out_needed: *mut usize,
) -> smartlink_result {
    boundary(|| {
        let h = try_ref!(handle, "handle");
        let request = try_str!(request, "request");
        try_out!(out_needed, "out_needed");
        check_buffer(out, out_len, "out", "out_len")?;
        let mut response = run_request(h.serial, &h.inner, request, request);
        let copied = copy_out(&response.body, out, out_len, out_needed);
        if response.holds_secret {
            // Never kept, and wiped: asking again reads it again.
            response.body.zeroize();
        } else if copied.is_err() {
            stash_undelivered(h.serial, request, response);
        }
        copied
    })
}

/// The JSON entry point, returning a string the library allocates.
///
/// - `handle`, `request`, `out` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`).
/// - Returns `SMARTLINK_RESULT_OK` when `*out` was set, including for
///   `{"ok": false, ...}` responses; else an error code (NULL or non-UTF-8
///   arguments, a panic), setting nothing.
/// - Ownership: the caller owns `*out` and must free it with
///   `smartlink_string_free` (a `credentials` response holds the secret:
///   overwrite it before freeing if your policy asks for it).
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_call_alloc(
    handle: *const smartlink_configurator,
    request: *const c_char,
    out: *mut *mut c_char,
) -> smartlink_result {
    boundary(|| {
        let h = try_ref!(handle, "handle");
        let request = try_str!(request, "request");
        let out = try_out!(out, "out");
        let response = run_request(h.serial, &h.inner, request, request);
        // SAFETY: non-NULL, caller's writable pointer.
        unsafe { *out = to_c_string(response.body).into_raw() };
        Ok(())
    })
}

/// Frees a string returned by this library (`smartlink_call_alloc`,
/// `smartlink_last_error_message_alloc`, `smartlink_access_token_alloc`).
/// NULL is a no-op.
///
/// - Returns nothing.
/// - Ownership: takes ownership; never pass a string from anywhere else, nor
///   the static strings of `smartlink_version`/`smartlink_result_message`.
/// - Thread-safe: a string may be freed on another thread than the one that
///   received it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: from CString::into_raw in this library (caller's promise).
        drop(unsafe { CString::from_raw(s) });
    });
}
