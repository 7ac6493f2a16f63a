//! The C ABI of the SmartLink Configurator.
//!
//! Conventions (see `docs/c-api.md` and `include/smartlink.h`): the
//! functions return a `smartlink_result` (0 is success, errors are in
//! 7000–7099), except `smartlink_version` and `smartlink_result_message`
//! (static strings), `smartlink_configurator_free` and
//! `smartlink_string_free` (nothing), `smartlink_last_error_code` (the last
//! error's code) and `ExecInClientDLL` (an `int`: 0 or a `smartlink_result`
//! code); pointers are checked (NULL is an error, never a crash); outputs
//! are written only on success; every body runs inside a panic boundary;
//! strings are NUL-terminated UTF-8.
//!
//! The crate reads by job: [`api`] (the exports, by topic), [`protheus`]
//! (`ExecInClientDLL` and its integer handles), [`operations`] (the JSON
//! operations, one entry each) and [`json_api`] (requests in, responses
//! out), [`handle`] (the configurator behind a handle), `store_config`
//! (the configuration's state store and the status's `store` object), [`error`] (result
//! codes, the mapping of the core's failures, the last error), and the
//! helpers: `buffer` (strings out), `stash` (the kept response), `panic`
//! (the boundary), `de`, `cp1252`, [`version`].
//!
//! Global state, all of it:
//! - the thread-local last error (see [`error`]);
//! - the thread-local stash of one response that did not fit the caller's
//!   buffer, so that asking again with a bigger buffer never runs the
//!   operation twice. A `smartlink_call` or `ExecInClientDLL` on that
//!   thread takes it (and delivers it when it is the same request on the
//!   same handle); other functions leave it. It never holds a secret: the
//!   answers of `credentials` and `access_token` are not kept;
//! - the process-wide counter of handle serials, which numbers every handle
//!   uniquely in the process, so that a kept response is delivered on its
//!   own handle only;
//! - the integer handle table of `ExecInClientDLL` (see [`protheus`]).

#![allow(clippy::missing_safety_doc)] // the safety contract is in the header, per function

// The exports, in the header's order: the version, then by topic.
pub mod version;

pub mod api;

mod buffer;
mod cp1252;
mod de;
pub mod error;
pub mod handle;
mod host_store;
pub mod json_api;
pub mod operations;
mod panic;
pub mod protheus;
mod stash;
mod store_config;

pub use api::configuration::*;
pub use api::errors::*;
pub use api::handle::*;
pub use api::json::*;
pub use api::store::*;
pub use api::tokens::*;
pub use protheus::ExecInClientDLL;
pub use version::*;
