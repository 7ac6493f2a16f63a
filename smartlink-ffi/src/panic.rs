//! The panic boundary: no panic may unwind into a C caller (that is undefined
//! behaviour, and with `panic = "abort"` it would kill the ERP's process).
//! Every exported function runs its body through [`boundary`] (or, for
//! functions that do not return a `smartlink_result`, through
//! [`catch_unwind`] directly), which turns a panic into
//! `SMARTLINK_RESULT_PANIC` and records the last error.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{FfiError, set_last_error, smartlink_result};

/// Runs `body`, turning its error or a panic into a result code and the
/// thread's last error.
pub(crate) fn boundary(body: impl FnOnce() -> Result<(), FfiError>) -> smartlink_result {
    // AssertUnwindSafe: after a panic the only state we keep using is behind
    // mutexes that we open with `unwrap_or_else(into_inner)`, and the
    // configurator's own state is persisted atomically; a half-done call is
    // abandoned, never resumed.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => smartlink_result::Ok,
        Ok(Err(e)) => {
            set_last_error(e.code, &e.to_string());
            e.code
        }
        Err(payload) => {
            let what = panic_message(payload.as_ref());
            set_last_error(smartlink_result::Panic, &format!("panic: {what}"));
            smartlink_result::Panic
        }
    }
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// Checks a pointer argument for NULL: returns
/// `SMARTLINK_RESULT_NULL_ARGUMENT` from the enclosing body, or the pointer.
macro_rules! try_out {
    ($ptr:expr, $name:literal) => {{
        let p = $ptr;
        if p.is_null() {
            return Err($crate::error::FfiError::new(
                $crate::error::smartlink_result::NullArgument,
                concat!("argument `", $name, "` is NULL"),
            ));
        }
        p
    }};
}

/// Dereferences a pointer argument, or returns `SMARTLINK_RESULT_NULL_ARGUMENT`
/// from the enclosing body.
macro_rules! try_ref {
    ($ptr:expr, $name:literal) => {{
        let p = $crate::panic::try_out!($ptr, $name);
        // SAFETY: non-NULL, and the caller promises (per the header) that it
        // points to a live object of the right type.
        unsafe { &*p }
    }};
}

/// Reads a NUL-terminated UTF-8 string argument.
macro_rules! try_str {
    ($ptr:expr, $name:literal) => {{
        let p = $crate::panic::try_out!($ptr, $name);
        // SAFETY: non-NULL; the caller promises a NUL-terminated string that
        // stays alive and unmodified during the call.
        let c = unsafe { std::ffi::CStr::from_ptr(p) };
        c.to_str().map_err(|_| {
            $crate::error::FfiError::new(
                $crate::error::smartlink_result::InvalidUtf8,
                concat!("argument `", $name, "` is not valid UTF-8"),
            )
        })?
    }};
}

pub(crate) use {try_out, try_ref, try_str};
