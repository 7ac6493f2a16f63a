//! # smartlink-core
//!
//! The SmartLink Configurator: binds a TOTVS ERP installation (Protheus, RM,
//! Datasul) to an environment of the TOTVS Applications Platform and keeps
//! credentials for it.
//!
//! - domain types ([`Installation`], [`Environment`], [`Credentials`], ...) validated at construction;
//! - [`rules::classify`], the one place the binding rules R1–R5 are decided;
//! - [`Platform`], spoken over HTTP by [`HttpPlatform`] and served in memory
//!   by [`InMemoryPlatform`];
//! - [`wizard`], the headless screens and actions;
//! - [`Configurator`], which ties an installation, a platform and a
//!   [`StateStore`] into the login gate, the wizard and the background task.
//! - [`token`], the runtime half: [`Configurator::access_token`] serves the
//!   ERP's access tokens to all its threads, refreshed before expiry, and
//!   revocation reopens the login gate.
#![deny(missing_docs)]
// Unsafe code is forbidden, except in the Win32 calls of the Windows state
// file protection (state/windows_acl.rs), built for Windows only.
#![cfg_attr(not(windows), forbid(unsafe_code))]
#![cfg_attr(windows, deny(unsafe_code))]

// Lets code shared with the integration tests name the crate the same way
// from inside it.
extern crate self as smartlink_core;

pub mod backoff;
pub mod configurator;
pub mod confirmation;
pub mod credentials;
pub mod environment;
pub mod error;
pub mod failure;
pub mod installation;
mod json_error;
pub mod messages;
pub mod platform;
pub mod rules;
pub mod state;
mod text;
pub mod token;
pub mod wizard;

pub use configurator::{
    ConfigStatus, Configurator, ConfiguratorBuilder, ConfiguratorError, ConfiguratorOptions,
    DecisionError, EnsureOutcome, InstallationSpec, NeedsReason, StateProblem, StateProblemCode,
    TaskStatus, UnattendedOutcome, UnattendedRequest, UnattendedTarget,
};
pub use confirmation::{ConfirmationMismatch, OverwriteConfirmation};
pub use credentials::{ClientId, Credentials, IssuedCredentials};
pub use environment::{Binding, Environment, EnvironmentId, EnvironmentName, Etag};
pub use error::ValidationError;
pub use failure::FailureCode;
pub use installation::{
    ErpLine, IdentityComponents, Installation, InstallationId, InstallationName, Kind,
};
pub use platform::{
    BindTarget, CreateEnvironment, ErrorCode, HttpPlatform, HttpPlatformConfig, IdempotencyKey,
    InMemoryPlatform, IssueCredentials, Platform, PlatformError, Seed, StaticToken, TokenGrant,
    TokenSource, Unbind, WhoAmI,
};
pub use rules::{
    Availability, Classification, Inconsistency, Scenario, UnavailableReason, classify,
};
/// Secrets (tokens, client secrets) are `secrecy` strings: re-exported so
/// hosts need no direct dependency to build a configuration.
pub use secrecy::{ExposeSecret, SecretString};
pub use state::{FileStateStore, LocalState, MemoryStateStore, Revocation, StateError, StateStore};
pub use token::{AccessToken, TokenError, TokenOptions};

/// The README's Rust examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
