//! Strings out: into the caller's buffer (all or nothing, with the size
//! needed) or allocated by the library.

use std::ffi::{CString, c_char};

use crate::error::{FfiError, smartlink_result};

/// Checks a caller's buffer: it may be NULL only when its length is 0 (to
/// ask for the size). `name` and `len_name` name the arguments in the error.
pub(crate) fn check_buffer(
    buf: *const c_char,
    len: usize,
    name: &str,
    len_name: &str,
) -> Result<(), FfiError> {
    if buf.is_null() && len != 0 {
        return Err(FfiError::new(
            smartlink_result::NullArgument,
            format!("argument `{name}` is NULL while `{len_name}` is not 0"),
        ));
    }
    Ok(())
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

/// A string the library allocates for the caller (freed with
/// `smartlink_string_free`); a NUL inside is dropped.
pub(crate) fn to_c_string(s: String) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let mut bytes = e.into_vec();
        bytes.retain(|b| *b != 0);
        CString::new(bytes).expect("NULs removed")
    })
}
