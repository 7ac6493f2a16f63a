//! The ERP's access tokens.

use std::ffi::c_char;

use super::handle::smartlink_configurator;
use crate::buffer::{check_buffer, copy_out, to_c_string};
use crate::error::smartlink_result;
use crate::operations;
use crate::panic::{boundary, try_out, try_ref, try_str};

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
/// - Returns `SMARTLINK_RESULT_OK`, or `SMARTLINK_RESULT_NOT_CONFIGURED`
///   while the login gate is open, `SMARTLINK_RESULT_CREDENTIALS_REVOKED`
///   once the platform refused the credentials (show the configurator, or
///   fix `token_url` / `client_auth`: see `reverify_credentials`),
///   `SMARTLINK_RESULT_PLATFORM`, `SMARTLINK_RESULT_TIMEOUT`,
///   `SMARTLINK_RESULT_CANCELLED`, `BUFFER_TOO_SMALL`, `NULL_ARGUMENT`. The
///   token is in no error message.
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
        check_buffer(out, out_len, "out", "out_len")?;
        let token = operations::token(&h.inner, None)?;
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
/// - Returns the same codes as `smartlink_access_token` (but
///   `BUFFER_TOO_SMALL`).
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
        let token = operations::token(&h.inner, None)?;
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
/// - Returns `SMARTLINK_RESULT_OK`, `NULL_ARGUMENT` or `INVALID_UTF8`.
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
