//! # smartlink-core
//!
//! The SmartLink Configurator: binds a TOTVS ERP installation (Protheus, RM,
//! Datasul) to an environment of the TOTVS Applications Platform and keeps
//! credentials for it.
//!
//! - domain types ([`Installation`], [`Environment`], [`Credentials`], ...) validated at construction;
//! - [`classify`], the one place the binding rules R1–R5 are decided;
//! - [`Platform`], spoken over HTTP by [`HttpPlatform`] (the in-memory
//!   platform of `smartlink-sandbox` implements it too, for tests and
//!   offline development);
//! - [`wizard`], the headless screens and actions;
//! - [`Configurator`], which ties an installation, a platform and a
//!   [`StateStore`] into the login gate, the wizard and the background task.
//! - the runtime half: [`Configurator::access_token`] serves the
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

// Every module is private but the screens (`wizard`) and the texts
// (`messages`), which hosts drawing the wizard use as namespaces. Everything
// else an integrator uses is re-exported below, once: each public item has
// exactly one path.
mod backoff;
mod configurator;
mod confirmation;
mod credentials;
mod environment;
mod error;
mod failure;
mod installation;
mod json_error;
pub mod messages;
mod platform;
mod rules;
mod state;
pub mod support;
mod text;
mod token;
pub mod wizard;

// The configurator: the facade hosts hold, and what it answers.
pub use configurator::{
    ConfigStatus, Configurator, ConfiguratorBuilder, ConfiguratorError, ConfiguratorOptions,
    CredentialsCheck, EnsureOutcome, InstallationSpec, NeedsReason, StateProblem, StateProblemCode,
    TaskStatus, UnattendedOutcome, UnattendedRequest, UnattendedTarget,
};
// The domain, validated at construction.
pub use confirmation::{ConfirmationMismatch, OverwriteConfirmation, confirmation_matches};
pub use credentials::{ClientId, Credentials, IssuedCredentials};
pub use environment::{Binding, Environment, EnvironmentId, EnvironmentName, Etag};
pub use error::ValidationError;
pub use failure::{FailureCode, Refusal};
pub use installation::{
    ErpLine, IdentityComponents, Installation, InstallationId, InstallationName, Kind,
};
// The binding rules.
pub use rules::{
    Availability, Choice, Classification, DecisionError, EnvironmentChoice, Inconsistency,
    Scenario, UnavailableReason, classify,
};
// The platform: the trait, its HTTP client and the contract's vocabulary.
pub use platform::{
    BindTarget, ClientAuthMethod, CreateEnvironment, EndpointProblem, ErrorCode, HttpPlatform,
    HttpPlatformConfig, IdempotencyKey, IssueCredentials, Platform, PlatformError, StaticToken,
    TokenGrant, TokenSource, Unbind, WhoAmI, is_transient_status,
};
// Local state.
/// The sealed document shared stores keep, and the host's own store.
pub use state::document::SealedDocument;
pub use state::file::{FileStoreOptions, Inspection};
/// The binding history kept with the state.
pub use state::history::{
    Actor, AdministratorName, HISTORY_LIMIT, HistoryEntry, HistoryEvent, ReplacedInstallation,
};
pub use state::hosted::{
    HostBackend, HostDocument, HostStoreError, HostStoreOptions, HostedStateStore,
};
/// The PostgreSQL connection and table (feature `postgres`).
#[cfg(feature = "postgres")]
pub use state::postgres::{
    PgConnection, PgError, PgStateStore, PgStoreOptions, PgTarget, SCHEMA_VERSION, ensure_schema,
};
/// The sealed secret: the key a host deploys, and why a sealed state was refused.
pub use state::seal::{SealError, SealKey};
pub use state::{
    DEFAULT_REFRESH, FileStateStore, LeaseInfo, LocalBinding, LocalState, MemoryStateStore,
    Revocation, StateError, StateLock, StateStore, StoreDescription, StoreFault, StoreObservation,
    TaskOutcome, TaskRecord, holder_id,
};
// Runtime access tokens.
/// Secrets (tokens, client secrets) are `secrecy` strings: re-exported so
/// hosts need no direct dependency to build a configuration.
pub use secrecy::{ExposeSecret, SecretString};
pub use token::{AccessToken, DEFAULT_TOKEN_LIFETIME, TokenError, TokenStats};
/// Test hooks of the token cache (the `testing` feature), set with
/// [`ConfiguratorBuilder::token_options`].
#[cfg(feature = "testing")]
pub use token::{TokenClock, TokenOptions};

/// The README's Rust examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
