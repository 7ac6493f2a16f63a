//! The C ABI of the SmartLink Configurator.
//!
//! Conventions (see `docs/c-api.md` and `include/smartlink.h`): every
//! function returns a `smartlink_result` (0 is success, errors are in
//! 7000–7099); pointers are checked (NULL is an error, never a crash);
//! outputs are written only on success; every body runs inside a panic
//! boundary; strings are NUL-terminated UTF-8.
//!
//! Global state, all of it:
//! - the thread-local last error (see [`error`]);
//! - the thread-local stash of one response that did not fit the caller's
//!   buffer (`UNDELIVERED`), so that asking again with a bigger buffer never
//!   runs the operation twice. A `smartlink_call` or `ExecInClientDLL` on
//!   that thread takes it (and delivers it when it is the same request on
//!   the same handle); other functions leave it. It never holds a secret:
//!   the answers of `credentials` and `access_token` are not kept;
//! - the process-wide counter `NEXT_SERIAL`, which numbers every handle
//!   uniquely in the process, so that a kept response is delivered on its
//!   own handle only;
//! - the integer handle table of `ExecInClientDLL` (see [`protheus`]).

#![allow(clippy::missing_safety_doc)] // the safety contract is in the header, per function

use secrecy::zeroize::Zeroize;
use std::ffi::{CString, c_char};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

mod cp1252;
pub mod error;
pub mod handle;
pub mod json_api;
mod panic;
pub mod protheus;

use error::{FfiError, smartlink_result};
use handle::HandleInner;
use panic::{boundary, try_out, try_ref, try_str};

pub use protheus::ExecInClientDLL;

/// Major version of the library (and of this header).
pub const SMARTLINK_VERSION_MAJOR: u32 = 0;
/// Minor version of the library (and of this header).
pub const SMARTLINK_VERSION_MINOR: u32 = 1;
/// Patch version of the library (and of this header).
pub const SMARTLINK_VERSION_PATCH: u32 = 0;
/// The library's version, as text.
pub const SMARTLINK_VERSION: &str = "0.1.0";

/// The version as Rust text (equal to `SMARTLINK_VERSION`).
pub(crate) const VERSION: &str = SMARTLINK_VERSION;
const VERSION_NUL: &std::ffi::CStr = c"0.1.0";

/// What `smartlink_ensure_configured` found or did (its `outcome` output).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum smartlink_outcome {
    /// Valid credentials were already stored; nothing was done.
    AlreadyConfigured = 0,
    /// The platform already bound this installation: credentials were
    /// obtained, verified and stored.
    Configured = 1,
    /// An administrator must decide: show the wizard.
    AdminNeeded = 2,
}

/// The background task's state (the `status` output of
/// `smartlink_task_status` and `smartlink_wait_task`).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum smartlink_task_state {
    /// No task has run in this process.
    Idle = 0,
    /// Accepted, not yet started.
    Pending = 1,
    /// Running.
    Running = 2,
    /// Done: bound, credentials verified and stored.
    Succeeded = 3,
    /// Failed: the configurator is needed again.
    Failed = 4,
}

/// An opaque configurator: one installation, its platform connection, its
/// local state, and one worker thread.
#[allow(non_camel_case_types)]
pub struct smartlink_configurator {
    inner: Arc<HandleInner>,
    /// A number unique in this process, for the undelivered-response stash.
    serial: u64,
}

static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

pub(crate) fn next_serial() -> u64 {
    NEXT_SERIAL.fetch_add(1, Ordering::Relaxed)
}

thread_local! {
    /// A response that did not fit the caller's buffer: (handle serial,
    /// request, body). Retrying the same request on the same handle and
    /// thread delivers it instead of running the operation again, so that
    /// "grow the buffer and call again" never applies an action twice.
    /// The response's own failure (code and detail) travels with it, so
    /// the delivery puts it back in the last error.
    static UNDELIVERED: std::cell::RefCell<Option<Undelivered>> =
        const { std::cell::RefCell::new(None) };
}

/// A response kept for the retry with a bigger buffer.
pub(crate) struct Undelivered {
    serial: u64,
    key: String,
    response: json_api::Response,
    failure: Option<(smartlink_result, String)>,
}

/// Runs a request, or takes the undelivered response of the same request.
pub(crate) fn run_request(
    serial: u64,
    inner: &HandleInner,
    key: &str,
    request: &str,
) -> json_api::Response {
    // try_with: a call from a thread-exit destructor finds no storage; it
    // then simply has nothing stashed.
    let stashed = UNDELIVERED
        .try_with(|u| {
            let mut u = u.try_borrow_mut().ok()?;
            match u.take() {
                Some(kept) if kept.serial == serial && kept.key == key => Some(kept),
                _ => None,
            }
        })
        .ok()
        .flatten();
    match stashed {
        Some(kept) => {
            // The delivered response's failure is the last error again,
            // not the "buffer too small" of the call that kept it.
            if let Some((code, message)) = &kept.failure {
                error::set_last_error(*code, message);
            }
            kept.response
        }
        None => json_api::handle_request(inner, request),
    }
}

/// Keeps a response that did not fit, for the retry. Responses that hold
/// a secret are never kept (see [`json_api::Response::holds_secret`]).
///
/// Called right after the response was made (or delivered again), while the
/// thread's last error still holds the response's own failure.
pub(crate) fn stash_undelivered(serial: u64, request: &str, response: json_api::Response) {
    if response.holds_secret {
        return;
    }
    let failure = if response.code == smartlink_result::Ok {
        None
    } else {
        error::last_error().filter(|(code, _)| *code == response.code)
    };
    let _ = UNDELIVERED.try_with(|u| {
        if let Ok(mut slot) = u.try_borrow_mut() {
            *slot = Some(Undelivered {
                serial,
                key: request.to_owned(),
                response,
                failure,
            });
        }
    });
}

/// Copies `s` and a NUL into `out` (`out_len` bytes), or fails with
/// `BufferTooSmall` writing nothing. `*needed` gets the size with the NUL.
pub(crate) fn copy_out(
    s: &str,
    out: *mut c_char,
    out_len: usize,
    needed: *mut usize,
) -> Result<(), FfiError> {
    copy_out_bytes(s.as_bytes(), out, out_len, needed)
}

/// [`copy_out`] for bytes already in the caller's encoding (`s` holds no NUL).
pub(crate) fn copy_out_bytes(
    s: &[u8],
    out: *mut c_char,
    out_len: usize,
    needed: *mut usize,
) -> Result<(), FfiError> {
    let need = s.len() + 1;
    if !needed.is_null() {
        // SAFETY: non-NULL; the caller promises a writable size_t.
        unsafe { *needed = need };
    }
    if out_len < need {
        return Err(FfiError::new(
            smartlink_result::BufferTooSmall,
            format!("the output needs {need} bytes, the buffer has {out_len}"),
        ));
    }
    if out.is_null() {
        return Err(FfiError::new(
            smartlink_result::NullArgument,
            "argument `out` is NULL",
        ));
    }
    // SAFETY: `out` has room for `out_len >= need` bytes (caller's promise).
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), out.cast::<u8>(), s.len());
        *out.add(s.len()) = 0;
    }
    Ok(())
}

fn to_c_string(s: String) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let mut bytes = e.into_vec();
        bytes.retain(|b| *b != 0);
        CString::new(bytes).expect("NULs removed")
    })
}

/// The library's version, e.g. `"0.1.0"` (equal to `SMARTLINK_VERSION` of
/// the header the caller was compiled with, unless they were mixed up).
///
/// Ownership: a static string (never NULL); never free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn smartlink_version() -> *const c_char {
    VERSION_NUL.as_ptr()
}

/// The English message of a result code (a static string; an unknown code
/// gives "unknown result code").
///
/// Ownership: a static string (never NULL); never free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn smartlink_result_message(code: u32) -> *const c_char {
    error::result_message_ptr(code)
}

/// The code of the last failed call on this thread, or `SMARTLINK_RESULT_OK`
/// when none failed yet. No pointer arguments (nothing can be NULL).
/// Thread-safe (the last error is thread-local).
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
/// - `needed` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`): receives the size needed, terminating NUL included,
///   whether or not it fit.
/// - Returns `SMARTLINK_RESULT_BUFFER_TOO_SMALL` and writes nothing into
///   `buf` when it is too small. This function never changes the last error.
///
/// Thread-safe (the last error is thread-local).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_last_error_message(
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
) -> smartlink_result {
    quiet(|| {
        try_out!(needed, "needed");
        if buf.is_null() && buf_len != 0 {
            return Err(FfiError::new(
                smartlink_result::NullArgument,
                "argument `buf` is NULL while `buf_len` is not 0",
            ));
        }
        let msg = error::last_error().map(|(_, m)| m).unwrap_or_default();
        copy_out(&msg.replace('\0', ""), buf, buf_len, needed)
    })
}

/// Like `smartlink_last_error_message`, into a string the library allocates.
///
/// - `out` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`): receives the string on success.
/// - Ownership: the caller owns `*out` and must free it with
///   `smartlink_string_free`. This function never changes the last error.
///
/// Thread-safe.
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
/// for tests.)
///
/// - `config_json` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`): NUL-terminated UTF-8; borrowed for the call.
/// - `out` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`): receives the handle, only on success.
/// - Errors: `INVALID_JSON`, `INVALID_CONFIG`, `INVALID_INSTALLATION` (with
///   the detail in the last error; the token never appears in it), `RUNTIME`.
/// - Ownership: the caller owns `*out` and must free it with
///   `smartlink_configurator_free`.
/// - Starts one worker thread. Thread-safe.
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
/// and releases the handle.
///
/// - `handle`: from `smartlink_configurator_new`; NULL is a no-op.
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
        if out.is_null() && out_len != 0 {
            return Err(FfiError::new(
                smartlink_result::NullArgument,
                "argument `out` is NULL while `out_len` is not 0",
            ));
        }
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
///   `{"ok": false, ...}` responses.
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
/// `smartlink_last_error_message_alloc`). NULL is a no-op.
///
/// Ownership: takes ownership; never pass a string from anywhere else, nor
/// the static strings of `smartlink_version`/`smartlink_result_message`.
/// Thread-safe: a string may be freed on another thread than the one that
/// received it.
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

/// The login gate: whether the configurator must be shown (or
/// `smartlink_ensure_configured` run). Reads local state only, no network.
///
/// - `handle`, `out` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`); `*out` is written only on success.
/// - When the state file was found corrupt or of a newer version (and set
///   aside), or was refused (permissions), the result is still
///   `SMARTLINK_RESULT_OK` with `*out` true, and the last error holds
///   `SMARTLINK_RESULT_STATE` with the problem (`state_corrupt: ...`) to
///   show and log; the `status` operation reports it too.
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_needs_configuration(
    handle: *const smartlink_configurator,
    out: *mut bool,
) -> smartlink_result {
    boundary(|| {
        let h = try_ref!(handle, "handle");
        let out = try_out!(out, "out");
        let cfg = h.inner.configurator();
        let needed = cfg.needs_configuration();
        // SAFETY: non-NULL, caller's writable pointer.
        unsafe { *out = needed };
        // The answer stands; a problem with the state file (set aside as
        // corrupt or newer, or refused) is also put in the last error so a
        // host that only calls the gate can log it.
        if let Some(problem) = cfg.state_problem() {
            error::set_last_error(
                smartlink_result::State,
                &format!("{}: {}", problem.code, problem.detail),
            );
        }
        Ok(())
    })
}

/// The transparent configuration, run at start-up with no administrator:
/// does nothing when configured, repairs the configuration when the
/// platform already binds this installation, or reports that an
/// administrator is needed.
///
/// - `handle`, `outcome` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`); `*outcome` (a `smartlink_outcome`) is
///   written only on success.
/// - Blocks on the network, up to the handle's deadline; cancellable.
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_ensure_configured(
    handle: *const smartlink_configurator,
    outcome: *mut i32,
) -> smartlink_result {
    use smartlink_core::EnsureOutcome;
    boundary(|| {
        let h = try_ref!(handle, "handle");
        let out = try_out!(outcome, "outcome");
        let result = h
            .inner
            .block_on(None, h.inner.configurator().ensure_configured())?
            .map_err(json_api::from_configurator)?;
        let code = match result {
            EnsureOutcome::AlreadyConfigured => smartlink_outcome::AlreadyConfigured,
            EnsureOutcome::Configured { .. } => smartlink_outcome::Configured,
            EnsureOutcome::AdminNeeded { .. } => smartlink_outcome::AdminNeeded,
        };
        // SAFETY: non-NULL, caller's writable pointer.
        unsafe { *out = code as i32 };
        Ok(())
    })
}

/// The access token for the ERP's requests to the platform (`Authorization:
/// Bearer <token>`), copied into the caller's buffer.
///
/// Served from the handle's cache, shared by every thread: a valid cached
/// token is returned without blocking (and refreshed in the background
/// before it expires); otherwise the call waits, up to the handle's deadline,
/// for the one token request all callers share. The token is never expired
/// when returned; use it until the platform answers 401, then call
/// `smartlink_invalidate_token` and ask again.
///
/// - `handle`, `out_needed` (required: NULL gives
///   `SMARTLINK_RESULT_NULL_ARGUMENT`).
/// - `out`: `out_len` writable bytes; may be NULL only when `out_len` is 0.
///   On success it receives the token, NUL-terminated (visible ASCII).
/// - `*out_needed` receives the size needed, NUL included, also with
///   `SMARTLINK_RESULT_BUFFER_TOO_SMALL` (nothing else is written then).
/// - `expires_at` (optional, may be NULL): receives the token's expiry in
///   seconds since the Unix epoch, on success.
/// - Errors: `SMARTLINK_RESULT_NOT_CONFIGURED` while the login gate is
///   open, `SMARTLINK_RESULT_CREDENTIALS_REVOKED` once the platform refused
///   the credentials (show the configurator), `SMARTLINK_RESULT_PLATFORM`,
///   `SMARTLINK_RESULT_TIMEOUT`, `SMARTLINK_RESULT_CANCELLED`. The token is
///   in no error message.
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_access_token(
    handle: *const smartlink_configurator,
    out: *mut c_char,
    out_len: usize,
    out_needed: *mut usize,
    expires_at: *mut i64,
) -> smartlink_result {
    boundary(|| {
        let h = try_ref!(handle, "handle");
        try_out!(out_needed, "out_needed");
        if out.is_null() && out_len != 0 {
            return Err(FfiError::new(
                smartlink_result::NullArgument,
                "argument `out` is NULL while `out_len` is not 0",
            ));
        }
        let token = json_api::access_token(&h.inner, None)?;
        copy_out(token.expose_secret(), out, out_len, out_needed)?;
        if !expires_at.is_null() {
            // SAFETY: non-NULL, caller's writable pointer.
            unsafe { *expires_at = token.expires_at().timestamp() };
        }
        Ok(())
    })
}

/// `smartlink_access_token`, returning a string the library allocates.
///
/// - `handle`, `out` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`);
///   `expires_at` optional. `*out` is set only on success.
/// - Ownership: the caller owns `*out` and must free it with
///   `smartlink_string_free` (it is a bearer token: overwrite it before
///   freeing if your policy asks for it).
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_access_token_alloc(
    handle: *const smartlink_configurator,
    out: *mut *mut c_char,
    expires_at: *mut i64,
) -> smartlink_result {
    boundary(|| {
        let h = try_ref!(handle, "handle");
        let out = try_out!(out, "out");
        let token = json_api::access_token(&h.inner, None)?;
        let text = to_c_string(token.expose_secret().to_owned());
        // SAFETY: non-NULL, caller's writable pointers.
        unsafe {
            *out = text.into_raw();
            if !expires_at.is_null() {
                *expires_at = token.expires_at().timestamp();
            }
        }
        Ok(())
    })
}

/// Drops `token` from the handle's cache after the platform answered 401
/// (`invalid_token`) to it; the next `smartlink_access_token` obtains a new
/// one. A token that is no longer the cached one (an older one) changes
/// nothing, so a slow thread never throws away a newer token.
///
/// - `handle`, `token` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`):
///   `token` is NUL-terminated, borrowed for the call.
/// - `invalidated` (optional, may be NULL): receives whether the cached token
///   was dropped.
/// - Never blocks. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_invalidate_token(
    handle: *const smartlink_configurator,
    token: *const c_char,
    invalidated: *mut bool,
) -> smartlink_result {
    boundary(|| {
        let h = try_ref!(handle, "handle");
        let token = try_str!(token, "token");
        let dropped = h.inner.configurator().invalidate_token_value(token);
        if !invalidated.is_null() {
            // SAFETY: non-NULL, caller's writable pointer.
            unsafe { *invalidated = dropped };
        }
        Ok(())
    })
}

fn task_state(status: &smartlink_core::TaskStatus) -> smartlink_task_state {
    use smartlink_core::TaskStatus;
    match status {
        TaskStatus::Idle => smartlink_task_state::Idle,
        TaskStatus::Pending { .. } => smartlink_task_state::Pending,
        TaskStatus::Running { .. } => smartlink_task_state::Running,
        TaskStatus::Succeeded { .. } => smartlink_task_state::Succeeded,
        TaskStatus::Failed { .. } => smartlink_task_state::Failed,
    }
}

/// The background task's state, without waiting.
///
/// - `handle`, `status` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`); `*status` (a `smartlink_task_state`) is
///   written only on success. The details (step, failure code, support id)
///   are in the JSON `task_status` operation.
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_task_status(
    handle: *const smartlink_configurator,
    status: *mut i32,
) -> smartlink_result {
    boundary(|| {
        let h = try_ref!(handle, "handle");
        let out = try_out!(status, "status");
        let s = task_state(&h.inner.configurator().task_status());
        // SAFETY: non-NULL, caller's writable pointer.
        unsafe { *out = s as i32 };
        Ok(())
    })
}

/// Waits until the background task has ended (or none runs), at most
/// `timeout_ms` milliseconds (0: the handle's deadline).
///
/// - `handle`, `status` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`); `*status` is written only on success.
/// - Returns `SMARTLINK_RESULT_TIMEOUT` when the task is still running at the
///   timeout, `SMARTLINK_RESULT_CANCELLED` after `smartlink_cancel`.
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_wait_task(
    handle: *const smartlink_configurator,
    timeout_ms: u32,
    status: *mut i32,
) -> smartlink_result {
    boundary(|| {
        let h = try_ref!(handle, "handle");
        let out = try_out!(status, "status");
        let timeout =
            (timeout_ms > 0).then(|| std::time::Duration::from_millis(u64::from(timeout_ms)));
        let s = h
            .inner
            .block_on(timeout, h.inner.configurator().wait_for_task())?;
        // SAFETY: non-NULL, caller's writable pointer.
        unsafe { *out = task_state(&s) as i32 };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_constants_match_cargo_toml() {
        assert_eq!(super::SMARTLINK_VERSION, env!("CARGO_PKG_VERSION"));
        assert_eq!(
            super::VERSION_NUL.to_str().unwrap(),
            env!("CARGO_PKG_VERSION")
        );
        let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
        let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
        let patch: u32 = env!("CARGO_PKG_VERSION_PATCH").parse().unwrap();
        assert_eq!(
            (major, minor, patch),
            (
                super::SMARTLINK_VERSION_MAJOR,
                super::SMARTLINK_VERSION_MINOR,
                super::SMARTLINK_VERSION_PATCH
            )
        );
    }
}
