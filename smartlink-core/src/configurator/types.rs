//! What hosts pass to the configurator and get back: the installation, the
//! options, task progress, outcomes, errors and the status summary.

use super::*;

/// What the host says about its installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallationSpec {
    /// The installation's id.
    pub id: InstallationId,
    /// Its ERP line.
    pub line: ErpLine,
    /// Its kind.
    pub kind: Kind,
    /// Its friendly name, when the host knows one (pre-fills the name screen).
    #[serde(default)]
    pub name: Option<InstallationName>,
}

impl InstallationSpec {
    /// Validates raw host data (R5: invalid data is a typed error, never a guess).
    pub fn parse(
        id: &str,
        line: &str,
        kind: &str,
        name: Option<&str>,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            id: InstallationId::new(id)?,
            line: line.parse()?,
            kind: kind.parse()?,
            name: name.map(InstallationName::new).transpose()?,
        })
    }
}

/// Tuning of the configurator.
///
/// Retries are not tuned here: the platform client is the one layer that
/// retries (`HttpPlatformConfig::with_max_attempts`, its backoff and its
/// per-operation deadline). The configurator calls each step once.
#[derive(Debug, Clone)]
pub struct ConfiguratorOptions {
    /// How long the task waits for another process of this installation
    /// holding the state lock (`Duration::MAX`: for as long as it takes).
    pub lock_wait: Duration,
    /// Whether [`Configurator::ensure_configured`] binds the only
    /// environment a first binding can take without an administrator (see
    /// [`crate::rules::Classification::only_candidate`] and docs/rules.md).
    /// On by default, as the public page describes the flow.
    pub bind_only_candidate: bool,
}

impl ConfiguratorOptions {
    /// Options with `lock_wait` set.
    pub fn with_lock_wait(mut self, lock_wait: Duration) -> Self {
        self.lock_wait = lock_wait;
        self
    }

    /// Options with `bind_only_candidate` set.
    pub fn with_bind_only_candidate(mut self, bind: bool) -> Self {
        self.bind_only_candidate = bind;
        self
    }
}

impl Default for ConfiguratorOptions {
    fn default() -> Self {
        Self {
            lock_wait: Duration::from_secs(120),
            bind_only_candidate: true,
        }
    }
}

/// Progress of the background task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TaskStatus {
    /// No task has run in this process.
    Idle,
    /// Accepted, not yet started.
    Pending {
        /// Task id.
        task_id: Uuid,
    },
    /// Running.
    Running {
        /// Task id.
        task_id: Uuid,
        /// The step under way.
        step: TaskStep,
    },
    /// Done: bound, credentials verified and stored.
    Succeeded {
        /// Task id.
        task_id: Uuid,
        /// The environment.
        environment_id: EnvironmentId,
        /// Its name.
        environment_name: EnvironmentName,
        /// Whether current credentials were reused.
        reused_credentials: bool,
    },
    /// Failed; the configurator is needed again.
    Failed {
        /// Task id, which is also the support id.
        task_id: Uuid,
        /// Why, as a typed code (serialized as its stable string).
        code: FailureCode,
        /// A detail without secrets.
        detail: String,
    },
}

impl TaskStatus {
    /// Whether the task has ended (or none ran).
    pub fn is_finished(&self) -> bool {
        !matches!(
            self,
            TaskStatus::Pending { .. } | TaskStatus::Running { .. }
        )
    }
}

/// What [`Configurator::ensure_configured`] found or did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EnsureOutcome {
    /// Valid credentials were already stored; nothing was done.
    AlreadyConfigured,
    /// Credentials were obtained (reused when valid), verified and stored
    /// for an environment the platform already bound this installation to,
    /// or — `only_candidate` — for the only environment a first binding
    /// could take, bound now without an administrator.
    Configured {
        /// The environment.
        environment_id: EnvironmentId,
        /// Whether current credentials were reused.
        reused_credentials: bool,
        /// The environment's name, when it was bound now as the only
        /// candidate (a first binding with nothing to decide).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        only_candidate: Option<EnvironmentName>,
    },
    /// An administrator must decide, in this scenario.
    AdminNeeded {
        /// The scenario to show.
        scenario: Scenario,
    },
}

/// What the unattended configuration binds to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", content = "name", rename_all = "snake_case")]
pub enum UnattendedTarget {
    /// The listed environment with this name (case-insensitive, as names are unique so).
    Environment(String),
    /// Create an environment of the installation's kind with this name.
    Create(String),
}

/// Configuration without an administrator at a screen: the same rules and
/// the same confirmation type as the wizard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnattendedRequest {
    /// The installation's name (else the host's, else the platform's).
    #[serde(default)]
    pub installation_name: Option<String>,
    /// The target.
    pub target: UnattendedTarget,
    /// For an environment held by another installation of this line: its
    /// name, repeated, as the typed confirmation.
    #[serde(default)]
    pub confirm: Option<String>,
}

/// What an unattended run did. Failures are errors; this is the success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnattendedOutcome {
    /// How it ended: always [`TaskStatus::Succeeded`]. When nothing was to
    /// do, its `task_id` is the task that configured the installation.
    pub status: TaskStatus,
    /// The installation was already configured exactly as asked (the same
    /// environment, or the one it created with that name): nothing was sent.
    pub nothing_to_do: bool,
    /// An interrupted task of this installation (the process died while it
    /// ran) was finished with its own idempotency keys.
    pub resumed: bool,
}

/// Errors of the facade.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfiguratorError {
    /// The wizard refused the action.
    #[error(transparent)]
    Wizard(#[from] crate::wizard::WizardError),
    /// The decision was refused.
    #[error(transparent)]
    Decision(#[from] DecisionError),
    /// The platform failed.
    #[error(transparent)]
    Platform(#[from] PlatformError),
    /// The local state failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// Another process of this installation held the state lock too long.
    #[error("another process of this installation is configuring it; try again later")]
    Busy,
    /// Nothing is configured (for rotation or unbinding).
    #[error("this installation is not configured")]
    NotConfigured,
    /// No tokio runtime to run the background task on.
    #[error("no async runtime: create the configurator inside a tokio runtime or pass a handle")]
    NoRuntime,
    /// The task failed.
    #[error("the configuration task failed ({code}): {detail} [support id {task_id}]")]
    TaskFailed {
        /// Task id (support id).
        task_id: Uuid,
        /// Why, as a typed code.
        code: FailureCode,
        /// Detail, without secrets.
        detail: String,
    },
}

/// A summary of what is configured, for a status screen or command. Never
/// holds the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigStatus {
    /// Whether the login gate would show the configurator.
    pub needs_configuration: bool,
    /// The stored state belongs to another installation id (a cloned database).
    pub state_from_other_installation: bool,
    /// The bound environment.
    pub binding: Option<LocalBinding>,
    /// The client id of the stored credentials.
    pub client_id: Option<String>,
    /// When the stored credentials expire.
    pub credentials_expire_at: Option<DateTime<Utc>>,
    /// The last task.
    pub last_task: Option<TaskRecord>,
    /// A task was interrupted (the process died while it ran).
    pub interrupted_task: Option<Uuid>,
    /// A problem found with the stored state (a corrupt or newer-version
    /// file set aside, permissions refused): show it and log it.
    pub state_problem: Option<StateProblem>,
    /// Why the login gate shows the configurator, when it does.
    pub reason: Option<NeedsReason>,
    /// The platform refused the stored credentials (revoked or expired): why
    /// the configurator is needed again.
    #[serde(default)]
    pub credentials_revoked: Option<crate::state::Revocation>,
}

/// Why the login gate shows the configurator. Serialized (and shown by
/// [`NeedsReason::as_str`]) as the stable snake_case string of the C ABI's
/// `status.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NeedsReason {
    /// The stored state could not be used ([`ConfigStatus::state_problem`]
    /// says why).
    StateProblem,
    /// The stored state belongs to another installation (a cloned database).
    OtherInstallation,
    /// The platform refused the stored credentials.
    CredentialsRevoked,
    /// The last configuration task failed.
    TaskFailed,
    /// A configuration task was interrupted (the process died while it ran).
    TaskInterrupted,
    /// The stored credentials have expired.
    CredentialsExpired,
    /// Nothing is configured yet.
    NotConfigured,
}

impl NeedsReason {
    /// The stable string (`state_problem`, `other_installation`,
    /// `credentials_revoked`, `task_failed`, `task_interrupted`,
    /// `credentials_expired`, `not_configured`).
    pub fn as_str(self) -> &'static str {
        match self {
            NeedsReason::StateProblem => "state_problem",
            NeedsReason::OtherInstallation => "other_installation",
            NeedsReason::CredentialsRevoked => "credentials_revoked",
            NeedsReason::TaskFailed => "task_failed",
            NeedsReason::TaskInterrupted => "task_interrupted",
            NeedsReason::CredentialsExpired => "credentials_expired",
            NeedsReason::NotConfigured => "not_configured",
        }
    }
}

impl std::fmt::Display for NeedsReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of problem the stored state has. Serialized (and shown by
/// [`StateProblemCode::as_str`]) as the stable string of the C ABI's
/// `state_problem.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum StateProblemCode {
    /// The file did not parse; it was set aside.
    #[serde(rename = "state_corrupt")]
    Corrupt,
    /// The file was written by a newer version; it was set aside.
    #[serde(rename = "state_newer_version")]
    NewerVersion,
    /// The file or its directory is open to other accounts, or owned by one.
    #[serde(rename = "state_insecure")]
    Insecure,
    /// The file could not be read (I/O, lock).
    #[serde(rename = "state_unreadable")]
    Unreadable,
    /// A shared store (a database) could not be reached; the login gate
    /// keeps its last verdict.
    #[serde(rename = "state_unreachable")]
    Unreachable,
}

impl StateProblemCode {
    /// The stable string (`state_corrupt`, `state_newer_version`,
    /// `state_insecure`, `state_unreadable`, `state_unreachable`).
    pub fn as_str(self) -> &'static str {
        match self {
            StateProblemCode::Corrupt => "state_corrupt",
            StateProblemCode::NewerVersion => "state_newer_version",
            StateProblemCode::Insecure => "state_insecure",
            StateProblemCode::Unreadable => "state_unreadable",
            StateProblemCode::Unreachable => "state_unreachable",
        }
    }
}

impl std::fmt::Display for StateProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem with the stored state that the host should show and log. The
/// detail names the file (and where a bad one was kept), never its contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateProblem {
    /// What kind of problem.
    pub code: StateProblemCode,
    /// An English detail for logs.
    pub detail: String,
}

impl StateProblem {
    pub(super) fn of(e: &StateError) -> Self {
        let code = match e {
            StateError::Corrupt { .. } => StateProblemCode::Corrupt,
            StateError::UnsupportedVersion { .. } => StateProblemCode::NewerVersion,
            StateError::InsecurePermissions { .. } | StateError::ForeignOwner { .. } => {
                StateProblemCode::Insecure
            }
            StateError::Unreachable { .. } => StateProblemCode::Unreachable,
            _ => StateProblemCode::Unreadable,
        };
        Self {
            code,
            detail: e.to_string(),
        }
    }

    /// A file set aside stays a problem to report after later loads find
    /// nothing; the others last as long as loading fails.
    pub(super) fn is_sticky(&self) -> bool {
        matches!(
            self.code,
            StateProblemCode::Corrupt | StateProblemCode::NewerVersion
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_serialize_to_their_stable_strings() {
        let reasons = [
            NeedsReason::StateProblem,
            NeedsReason::OtherInstallation,
            NeedsReason::CredentialsRevoked,
            NeedsReason::TaskFailed,
            NeedsReason::TaskInterrupted,
            NeedsReason::CredentialsExpired,
            NeedsReason::NotConfigured,
        ];
        for r in reasons {
            let json = serde_json::to_value(r).unwrap();
            assert_eq!(json, r.as_str(), "{r:?}");
            assert_eq!(r.to_string(), r.as_str());
            assert_eq!(serde_json::from_value::<NeedsReason>(json).unwrap(), r);
        }
        let codes = [
            StateProblemCode::Corrupt,
            StateProblemCode::NewerVersion,
            StateProblemCode::Insecure,
            StateProblemCode::Unreadable,
            StateProblemCode::Unreachable,
        ];
        for c in codes {
            let json = serde_json::to_value(c).unwrap();
            assert_eq!(json, c.as_str(), "{c:?}");
            assert!(c.as_str().starts_with("state_"));
            assert_eq!(c.to_string(), c.as_str());
            assert_eq!(serde_json::from_value::<StateProblemCode>(json).unwrap(), c);
        }
        let problem = StateProblem {
            code: StateProblemCode::Corrupt,
            detail: "d".into(),
        };
        assert_eq!(
            serde_json::to_string(&problem).unwrap(),
            r#"{"code":"state_corrupt","detail":"d"}"#
        );
    }
}
