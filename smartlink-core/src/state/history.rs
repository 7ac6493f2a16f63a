//! The binding history: every change of an installation's binding, kept
//! with the state.
//!
//! Each entry is added to the state in the same save that records the
//! change it describes, so it is stored (or lost) exactly with that change,
//! whatever the store (file, shared folder, PostgreSQL, a host's own) and
//! whenever the process dies. Every machine of an installation that shares
//! the state sees the same history. The history holds the last
//! [`HISTORY_LIMIT`] entries; older ones are dropped as new ones come.
//!
//! An entry holds ids, names, codes and times: never a client secret, a
//! token, a URL or a detail text that could carry one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::environment::{EnvironmentId, EnvironmentName};
use crate::error::ValidationError;
use crate::failure::FailureCode;
use crate::installation::{InstallationId, InstallationName};
use crate::text::check_text;

/// How many entries the history keeps: the newest 200.
pub const HISTORY_LIMIT: usize = 200;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HistoryEvent {
    /// The installation was bound to an environment it was not bound to
    /// (no other installation of its line held it).
    FirstBinding,
    /// An environment was created, and the installation bound to it.
    Created,
    /// The installation, bound already, obtained credentials again (reused
    /// when still valid, new ones otherwise).
    Regenerated,
    /// The credentials were replaced by new ones (by an explicit rotation,
    /// or before they expired).
    Rotated,
    /// The installation took an environment's line from another
    /// installation (named in [`HistoryEntry::replaced`]).
    Replaced,
    /// The platform's token endpoint refused the stored credentials.
    RevocationSeen,
    /// Credentials marked refused were accepted again.
    RevocationLifted,
    /// The binding was removed on the platform and forgotten here.
    Unbound,
    /// The local binding and credentials were forgotten (nothing sent).
    Forgotten,
    /// A configuration task or a rotation failed (its code in
    /// [`HistoryEntry::code`]).
    TaskFailed,
}

impl HistoryEvent {
    /// Every event, in declaration order.
    pub const ALL: &'static [HistoryEvent] = &[
        HistoryEvent::FirstBinding,
        HistoryEvent::Created,
        HistoryEvent::Regenerated,
        HistoryEvent::Rotated,
        HistoryEvent::Replaced,
        HistoryEvent::RevocationSeen,
        HistoryEvent::RevocationLifted,
        HistoryEvent::Unbound,
        HistoryEvent::Forgotten,
        HistoryEvent::TaskFailed,
    ];

    /// The event's stable name (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryEvent::FirstBinding => "first_binding",
            HistoryEvent::Created => "created",
            HistoryEvent::Regenerated => "regenerated",
            HistoryEvent::Rotated => "rotated",
            HistoryEvent::Replaced => "replaced",
            HistoryEvent::RevocationSeen => "revocation_seen",
            HistoryEvent::RevocationLifted => "revocation_lifted",
            HistoryEvent::Unbound => "unbound",
            HistoryEvent::Forgotten => "forgotten",
            HistoryEvent::TaskFailed => "task_failed",
        }
    }
}

impl std::fmt::Display for HistoryEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The administrator's name as the host gives it (the ERP's user name or
/// full name): 1 to 120 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AdministratorName(String);

impl AdministratorName {
    /// Largest length accepted, in characters.
    pub const MAX_CHARS: usize = 120;

    /// Trims and validates a name.
    pub fn new(value: impl AsRef<str>) -> Result<Self, ValidationError> {
        check_text(value.as_ref(), "administrator", Self::MAX_CHARS).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AdministratorName {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<AdministratorName> for String {
    fn from(value: AdministratorName) -> Self {
        value.0
    }
}

impl std::fmt::Display for AdministratorName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who made a change. Serialized as `{"by": "administrator", "name": …}`,
/// `{"by": "transparent"}` or `{"by": "unnamed"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Actor {
    /// An administrator, named by the host
    /// ([`crate::Configurator::with_administrator`]).
    Administrator {
        /// The name as the host gave it.
        name: AdministratorName,
    },
    /// The library on its own, with nobody at a screen: the start-up
    /// configuration ([`crate::Configurator::ensure_configured`]), the
    /// rotation before expiry, a refusal seen by the token endpoint.
    Transparent,
    /// An action asked for by the host without an administrator's name.
    Unnamed,
}

impl Actor {
    /// The administrator's name, when one was given.
    pub fn name(&self) -> Option<&AdministratorName> {
        match self {
            Actor::Administrator { name } => Some(name),
            _ => None,
        }
    }

    pub(crate) fn of(name: Option<AdministratorName>) -> Self {
        name.map_or(Actor::Unnamed, |name| Actor::Administrator { name })
    }
}

/// The installation that lost an environment's line to a replacement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplacedInstallation {
    /// Its id.
    pub installation_id: InstallationId,
    /// Its name as the platform listed it.
    pub installation_name: InstallationName,
}

/// One change in the binding history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When the change was recorded.
    pub at: DateTime<Utc>,
    /// What changed.
    pub event: HistoryEvent,
    /// Who made it.
    pub actor: Actor,
    /// The machine that made it (its host name).
    pub machine: String,
    /// The process that made it on that machine: its id and a random part
    /// (the second half of [`crate::holder_id`]).
    pub process: String,
    /// The installation.
    pub installation_id: InstallationId,
    /// Its name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_name: Option<InstallationName>,
    /// The environment, when one is concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<EnvironmentId>,
    /// Its name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_name: Option<EnvironmentName>,
    /// For [`HistoryEvent::Replaced`]: the installation that lost access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<ReplacedInstallation>,
    /// For [`HistoryEvent::TaskFailed`]: the failure's code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<FailureCode>,
    /// The support code, where there is one: the task's support id, or the
    /// platform's request id of a refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_code: Option<String>,
}

impl HistoryEntry {
    /// An entry made now by this process.
    pub(crate) fn now(
        event: HistoryEvent,
        actor: Actor,
        installation_id: InstallationId,
        installation_name: Option<InstallationName>,
    ) -> Self {
        let (machine, process) = split_holder(super::holder_id());
        Self {
            at: Utc::now(),
            event,
            actor,
            machine,
            process,
            installation_id,
            installation_name,
            environment_id: None,
            environment_name: None,
            replaced: None,
            code: None,
            support_code: None,
        }
    }

    pub(crate) fn environment(
        mut self,
        id: Option<EnvironmentId>,
        name: Option<EnvironmentName>,
    ) -> Self {
        self.environment_id = id;
        self.environment_name = name;
        self
    }

    pub(crate) fn support(mut self, code: impl Into<String>) -> Self {
        self.support_code = Some(code.into());
        self
    }
}

/// `host:pid:random` into (`host`, `pid:random`).
fn split_holder(holder: &str) -> (String, String) {
    let mut parts = holder.rsplitn(3, ':');
    let random = parts.next().unwrap_or_default();
    let pid = parts.next();
    match (pid, parts.next()) {
        (Some(pid), Some(host)) => (host.to_owned(), format!("{pid}:{random}")),
        _ => (holder.to_owned(), String::new()),
    }
}

/// What a binding task is about to do, as the history will say it once it
/// succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PlannedChange {
    /// Bind to a free environment.
    FirstBinding,
    /// Create an environment and bind to it.
    Create,
    /// Obtain credentials again where the installation is bound.
    Regenerate,
    /// Take the line from this installation.
    Replace(ReplacedInstallation),
}

impl PlannedChange {
    /// The change a decision on `classification` makes.
    pub(crate) fn of(
        classification: &crate::rules::Classification,
        target: &crate::rules::TaskTarget,
    ) -> Self {
        use crate::rules::{Availability, Scenario, TaskTarget};
        match target {
            TaskTarget::Create { .. } => PlannedChange::Create,
            TaskTarget::Existing { target, .. } => {
                let id = target.environment_id();
                if matches!(&classification.scenario,
                    Scenario::AlreadyBound { environment_id } if environment_id == id)
                {
                    return PlannedChange::Regenerate;
                }
                match classification.choice(id).map(|c| &c.availability) {
                    Some(Availability::Regenerate) => PlannedChange::Regenerate,
                    Some(Availability::NeedsTypedConfirmation { replaces }) => {
                        PlannedChange::Replace(ReplacedInstallation {
                            installation_id: replaces.installation_id.clone(),
                            installation_name: replaces.installation_name.clone(),
                        })
                    }
                    _ => PlannedChange::FirstBinding,
                }
            }
        }
    }

    pub(crate) fn event(&self) -> HistoryEvent {
        match self {
            PlannedChange::FirstBinding => HistoryEvent::FirstBinding,
            PlannedChange::Create => HistoryEvent::Created,
            PlannedChange::Regenerate => HistoryEvent::Regenerated,
            PlannedChange::Replace(_) => HistoryEvent::Replaced,
        }
    }
}

impl super::LocalState {
    /// Adds `entry` to the history, dropping the oldest beyond
    /// [`HISTORY_LIMIT`].
    pub(crate) fn record(&mut self, entry: HistoryEntry) {
        self.history.push(entry);
        let excess = self.history.len().saturating_sub(HISTORY_LIMIT);
        if excess > 0 {
            self.history.drain(..excess);
        }
    }

    /// The history, newest first.
    pub fn history_newest_first(&self) -> Vec<HistoryEntry> {
        self.history.iter().rev().cloned().collect()
    }

    /// Whether this state holds nothing but an installation's identity,
    /// name and history (what an unbind or a forget leaves).
    pub fn is_forgotten(&self) -> bool {
        self.binding.is_none()
            && self.credentials.is_none()
            && self.pending.is_none()
            && self.pending_rotation.is_none()
            && self.last_task.is_none()
            && self.revocation.is_none()
    }

    /// What remains of this state once its binding and credentials are
    /// forgotten (an unbind, a forget): the installation it was made for,
    /// its name and its history.
    pub(crate) fn forgotten(&self) -> Self {
        let mut kept = Self::new(self.installation_id.clone(), self.line);
        kept.installation_name = self.installation_name.clone();
        kept.history = self.history.clone();
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_splits_into_machine_and_process() {
        assert_eq!(
            split_holder("srv-01:4242:ab12cd34"),
            ("srv-01".to_owned(), "4242:ab12cd34".to_owned())
        );
        assert_eq!(split_holder("odd"), ("odd".to_owned(), String::new()));
    }

    #[test]
    fn administrator_names_are_checked() {
        assert_eq!(
            AdministratorName::new("  Maria  ").unwrap().as_str(),
            "Maria"
        );
        assert!(AdministratorName::new("  ").is_err());
        assert!(AdministratorName::new("a\nb").is_err());
        assert!(AdministratorName::new("x".repeat(121)).is_err());
    }

    #[test]
    fn actors_serialize_tagged() {
        let a = Actor::Administrator {
            name: AdministratorName::new("Maria").unwrap(),
        };
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::json!({"by": "administrator", "name": "Maria"})
        );
        assert_eq!(
            serde_json::to_value(Actor::Transparent).unwrap(),
            serde_json::json!({"by": "transparent"})
        );
    }

    #[test]
    fn the_history_keeps_the_newest_entries() {
        let id = InstallationId::new("erp-01").unwrap();
        let mut state = super::super::LocalState::new(id.clone(), crate::ErpLine::Rm);
        for i in 0..(HISTORY_LIMIT + 25) {
            state.record(
                HistoryEntry::now(HistoryEvent::Rotated, Actor::Transparent, id.clone(), None)
                    .support(i.to_string()),
            );
        }
        assert_eq!(state.history.len(), HISTORY_LIMIT);
        let newest = state.history_newest_first();
        assert_eq!(newest[0].support_code.as_deref(), Some("224"));
        assert_eq!(
            newest[HISTORY_LIMIT - 1].support_code.as_deref(),
            Some("25")
        );
    }
}
