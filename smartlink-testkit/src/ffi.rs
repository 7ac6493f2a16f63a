//! The C ABI from Rust tests: a handle freed on drop, and the JSON call.

use std::ffi::{CStr, CString, c_char};
use std::ptr::null_mut;

use serde_json::Value;
use smartlink::error::smartlink_result as R;
use smartlink::{
    smartlink_call_alloc, smartlink_configurator, smartlink_configurator_free,
    smartlink_configurator_new, smartlink_last_error_message_alloc, smartlink_string_free,
};

/// A configurator handle of the C ABI, freed on drop.
pub struct Handle(pub *mut smartlink_configurator);

// The C ABI's handles may be used from any thread (docs/c-api.md).
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

impl Handle {
    /// `smartlink_configurator_new` with `config` (JSON); fails the test
    /// with the library's message when it refuses.
    pub fn new(config: &str) -> Self {
        Self::try_new(config)
            .unwrap_or_else(|(rc, message)| panic!("smartlink_configurator_new: {rc:?}: {message}"))
    }

    /// `smartlink_configurator_new` with `config`: the handle, or the result
    /// code and the last error's message.
    pub fn try_new(config: &str) -> Result<Self, (R, String)> {
        let config = CString::new(config).expect("no NUL in the configuration");
        let mut h = null_mut();
        let rc = unsafe { smartlink_configurator_new(config.as_ptr(), &mut h) };
        if rc == R::Ok {
            Ok(Self(h))
        } else {
            Err((rc, last_error()))
        }
    }

    /// The raw handle.
    pub fn as_ptr(&self) -> *mut smartlink_configurator {
        self.0
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        unsafe { smartlink_configurator_free(self.0) };
    }
}

/// `smartlink_call_alloc` with `request` (JSON): the response, parsed.
/// Fails the test when the call itself is refused.
pub fn call(h: &Handle, request: &str) -> Value {
    let req = CString::new(request).expect("no NUL in the request");
    let mut out: *mut c_char = null_mut();
    let rc = unsafe { smartlink_call_alloc(h.0, req.as_ptr(), &mut out) };
    assert_eq!(
        rc,
        R::Ok,
        "smartlink_call_alloc refused {request}: {}",
        last_error()
    );
    let text = unsafe { CStr::from_ptr(out) }
        .to_str()
        .expect("responses are UTF-8")
        .to_owned();
    unsafe { smartlink_string_free(out) };
    serde_json::from_str(&text).expect("responses are JSON")
}

/// The calling thread's last error message.
pub fn last_error() -> String {
    let mut s = null_mut();
    let rc = unsafe { smartlink_last_error_message_alloc(&mut s) };
    assert_eq!(rc, R::Ok);
    let text = unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned();
    unsafe { smartlink_string_free(s) };
    text
}
