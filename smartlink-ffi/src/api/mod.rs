//! The exported functions, by topic. Each returns a `smartlink_result`
//! unless its documentation says otherwise (`smartlink_version` and
//! `smartlink_result_message` return static strings, the two `_free`
//! functions return nothing, `smartlink_last_error_code` returns the last
//! error's code; `ExecInClientDLL`, in [`crate::protheus`], returns an
//! `int`).

// In the header's order (each group its own, so that formatting keeps it).
pub mod errors;

pub mod handle;

pub mod json;

pub mod configuration;

pub mod tokens;

pub mod store;
