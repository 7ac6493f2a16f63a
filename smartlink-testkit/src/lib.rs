//! # smartlink-testkit
//!
//! What the tests of every package share, written once:
//!
//! - [`platforms`]: the sandbox starter ([`platforms::serve`] on the
//!   current runtime, [`platforms::serve_in_background`] on one of its own,
//!   and their shorthands [`platforms::sandbox`],
//!   [`platforms::sandbox_in_background`]), HTTP clients and configurators
//!   speaking to it, and [`platforms::TestPlatform`], one seeded in-memory
//!   platform reached either in process or over HTTP, so that a scenario is
//!   written once and run on both ([`on_both_platforms!`]);
//! - [`ffi`]: a C ABI handle freed on drop and `call()`;
//! - [`processes`]: the built library and programs, C compilation,
//!   runners that fail with the program's output, and the sandbox binary
//!   run as a process of its own ([`processes::SandboxProcess`]);
//! - [`fixtures`]: a manual clock for the token cache, a platform with hooks
//!   around its calls, a memory store noting its saves
//!   ([`fixtures::Noting`]), a configurator already configured, process
//!   counters;
//! - [`fault_proxy`]: a fault-injecting HTTP proxy;
//! - [`pg_server`]: a throwaway PostgreSQL server (Unix) that a test can
//!   stop, restart and cut connections of;
//! - [`authlib`]: a real OAuth2 authorization server (Authlib) for the
//!   token tests;
//! - [`corpus`]: hand-made nasty inputs and random JSON for the robustness
//!   tests;
//! - [`texts`]: the checks every text catalogue passes (three languages,
//!   the same placeholders).
//!
//! Never published: it is a dev-dependency of the workspace's packages.

pub mod authlib;
pub mod corpus;
pub mod fault_proxy;
pub mod ffi;
pub mod fixtures;
#[cfg(unix)]
pub mod pg_server;
pub mod platforms;
pub mod processes;
pub mod texts;

/// The bearer token every test sandbox accepts. The runners check that no
/// program prints it.
pub const TOKEN: &str = "smartlink-test-token";
