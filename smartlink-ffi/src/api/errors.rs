//! Result codes' messages and the thread's last error.

use std::ffi::c_char;

use crate::buffer::{check_buffer, copy_out, to_c_string};
use crate::error::{self, FfiError, smartlink_result};
use crate::panic::try_out;

/// The English message of a result code (a static string; an unknown code
/// gives "unknown result code").
///
/// - Returns a static string (never NULL), not a `smartlink_result`; never
///   free it.
/// - Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn smartlink_result_message(code: u32) -> *const c_char {
    error::result_message_ptr(code)
}

/// The code of the last failed call on this thread, or `SMARTLINK_RESULT_OK`
/// when none failed yet. No pointer arguments (nothing can be NULL).
///
/// - Returns that code (not the success of this call, which cannot fail).
/// - Thread-safe (the last error is thread-local).
#[unsafe(no_mangle)]
pub extern "C" fn smartlink_last_error_code() -> smartlink_result {
    std::panic::catch_unwind(|| error::last_error().map_or(smartlink_result::Ok, |(c, _)| c))
        .unwrap_or(smartlink_result::Panic)
}

/// Copies the detail of the last failed call on this thread (an empty
/// string when none failed) into `buf`.
///
/// - `buf`: `buf_len` writable bytes; may be NULL only when `buf_len` is 0
///   (to ask for the size).
/// - `needed` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`):
///   receives the size needed, terminating NUL included, whether or not it
///   fit.
/// - Returns `SMARTLINK_RESULT_OK`, or `SMARTLINK_RESULT_BUFFER_TOO_SMALL`
///   writing nothing into `buf` when it is too small, or
///   `SMARTLINK_RESULT_NULL_ARGUMENT`. This function never changes the last
///   error.
/// - Thread-safe (the last error is thread-local).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_last_error_message(
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
) -> smartlink_result {
    quiet(|| {
        try_out!(needed, "needed");
        check_buffer(buf, buf_len, "buf", "buf_len")?;
        let msg = error::last_error().map(|(_, m)| m).unwrap_or_default();
        copy_out(&msg.replace('\0', ""), buf, buf_len, needed)
    })
}

/// Like `smartlink_last_error_message`, into a string the library allocates.
///
/// - `out` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`): receives
///   the string on success.
/// - Returns `SMARTLINK_RESULT_OK` or `SMARTLINK_RESULT_NULL_ARGUMENT`. This
///   function never changes the last error.
/// - Ownership: the caller owns `*out` and must free it with
///   `smartlink_string_free`.
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_last_error_message_alloc(
    out: *mut *mut c_char,
) -> smartlink_result {
    quiet(|| {
        let out = try_out!(out, "out");
        let msg = error::last_error().map(|(_, m)| m).unwrap_or_default();
        // SAFETY: non-NULL, caller's writable pointer.
        unsafe { *out = to_c_string(msg).into_raw() };
        Ok(())
    })
}

/// A boundary that does not touch the last error (for the last-error getters).
fn quiet(body: impl FnOnce() -> Result<(), FfiError>) -> smartlink_result {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(Ok(())) => smartlink_result::Ok,
        Ok(Err(e)) => e.code,
        Err(_) => smartlink_result::Panic,
    }
}
