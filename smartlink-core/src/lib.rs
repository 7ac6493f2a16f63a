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
#![deny(missing_docs)]
// Unsafe code is forbidden, except in the Win32 calls of the Windows state
// file protection (state/windows_acl.rs), built for Windows only.
#![cfg_attr(not(windows), forbid(unsafe_code))]
#![cfg_attr(windows, deny(unsafe_code))]

pub mod configurator;
pub mod confirmation;
pub mod credentials;
pub mod environment;
pub mod error;
pub mod installation;
pub mod messages;
pub mod platform;
pub mod rules;
pub mod state;
mod text;
pub mod wizard;

pub use configurator::{
    ConfigStatus, Configurator, ConfiguratorError, ConfiguratorOptions, DecisionError,
    EnsureOutcome, InstallationSpec, TaskStatus, UnattendedRequest, UnattendedTarget,
};
pub use confirmation::{ConfirmationMismatch, OverwriteConfirmation};
pub use credentials::{ClientId, Credentials, IssuedCredentials};
pub use environment::{Binding, Environment, EnvironmentId, EnvironmentName, Etag};
pub use error::ValidationError;
pub use installation::{
    ErpLine, IdentityComponents, Installation, InstallationId, InstallationName, Kind,
};
pub use platform::{
    BindTarget, CreateEnvironment, ErrorCode, HttpPlatform, HttpPlatformConfig, IdempotencyKey,
    InMemoryPlatform, IssueCredentials, Platform, PlatformError, Seed, StaticToken, TokenSource,
    Unbind,
};
pub use rules::{
    Availability, Classification, Inconsistency, Scenario, UnavailableReason, classify,
};
pub use state::{FileStateStore, LocalState, MemoryStateStore, StateError, StateStore};
