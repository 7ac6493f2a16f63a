//! The platform contract's semantics, in memory.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{BindTarget, CreateEnvironment, IssueCredentials, Platform, PlatformError, Unbind};
use crate::credentials::{Credentials, IssuedCredentials};
use crate::environment::Environment;
use crate::installation::{ErpLine, Installation, InstallationId};

/// Seed data: the customer's environments and existing bindings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seed {}

/// The platform in memory (stub, to be implemented).
#[derive(Debug, Default)]
pub struct InMemoryPlatform {}

impl InMemoryPlatform {
    /// An empty platform.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Platform for InMemoryPlatform {
    async fn list_environments(
        &self,
        _line: ErpLine,
        _installation_id: &InstallationId,
    ) -> Result<Vec<Environment>, PlatformError> {
        todo!()
    }
    async fn create_environment(
        &self,
        _request: &CreateEnvironment,
    ) -> Result<Environment, PlatformError> {
        todo!()
    }
    async fn bind(
        &self,
        _installation: &Installation,
        _target: &BindTarget,
    ) -> Result<Environment, PlatformError> {
        todo!()
    }
    async fn issue_credentials(
        &self,
        _request: &IssueCredentials,
    ) -> Result<IssuedCredentials, PlatformError> {
        todo!()
    }
    async fn verify_credentials(&self, _credentials: &Credentials) -> Result<(), PlatformError> {
        todo!()
    }
    async fn unbind(&self, _request: &Unbind) -> Result<(), PlatformError> {
        todo!()
    }
}
