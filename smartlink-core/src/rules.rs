//! The binding rules R1–R5 as one pure classifier.
//!
//! [`classify`] is the only place that decides what the administrator may do.
//! The wizard, the unattended mode, the transparent configuration and the C
//! ABI all call it; nothing else re-derives the rules.
//!
//! - R1 An installation is bound to at most one environment.
//! - R2 An environment holds at most one installation per ERP line.
//! - R3 An installation binds only to an environment of its own kind.
//! - R4 Taking a line from another installation needs an
//!   [`crate::OverwriteConfirmation`].
//! - R5 Inconsistent data is the error screen, never a guess.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::confirmation::{ConfirmationMismatch, OverwriteConfirmation};
use crate::environment::{Binding, Environment, EnvironmentId, EnvironmentName};
use crate::error::ValidationError;
use crate::installation::{ErpLine, Installation, Kind};
use crate::platform::BindTarget;

/// Which of the flow's situations the installation is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scenario", rename_all = "snake_case")]
pub enum Scenario {
    /// Bound nowhere, and no environment holds another installation of this
    /// line that this one could be replacing.
    FirstBinding,
    /// Bound to `environment_id`: only regenerating credentials there is offered.
    AlreadyBound {
        /// The environment it is bound to.
        environment_id: EnvironmentId,
    },
    /// Bound nowhere, while environments of its kind hold another
    /// installation of this line (a new database or machine replaced the old
    /// one): create a new environment, or overwrite with typed confirmation.
    Replacement,
    /// The data contradicts itself (R5): the error screen.
    Inconsistent {
        /// Why.
        reason: Inconsistency,
    },
}

/// Why the situation cannot be decided by an administrator (R5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Inconsistency {
    /// The host's installation data is invalid.
    InvalidInstallationData {
        /// What is wrong (a validation message; no secrets).
        detail: String,
    },
    /// The platform lists the installation bound to several environments (breaks R1).
    BoundToSeveralEnvironments {
        /// The environments.
        environments: Vec<EnvironmentId>,
    },
    /// The platform lists the installation bound under another ERP line.
    BoundUnderOtherLine {
        /// The environment.
        environment_id: EnvironmentId,
        /// The line it is bound under.
        line: ErpLine,
    },
    /// The installation is bound to an environment of another kind (breaks R3).
    BoundEnvironmentKindDiffers {
        /// The environment.
        environment_id: EnvironmentId,
        /// That environment's kind.
        environment_kind: Kind,
    },
    /// An environment holds two installations of one line (breaks R2).
    DuplicateLineInEnvironment {
        /// The environment.
        environment_id: EnvironmentId,
        /// The line.
        line: ErpLine,
    },
    /// The same environment id is listed twice.
    DuplicateEnvironment {
        /// The environment.
        environment_id: EnvironmentId,
    },
    /// The local state says one environment, the platform another.
    LocalStateContradicts {
        /// The environment in the local state.
        local: EnvironmentId,
        /// The environment the platform binds the installation to.
        platform: EnvironmentId,
    },
}

/// What the administrator may do with one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "availability", rename_all = "snake_case")]
pub enum Availability {
    /// Free for this line: select it and generate new credentials.
    Selectable,
    /// The installation is bound here: regenerate (reusing valid credentials)
    /// after the alert is confirmed.
    Regenerate,
    /// Another installation of this line holds it: overwriting needs the
    /// environment's name typed (R4).
    NeedsTypedConfirmation {
        /// The binding that would be replaced.
        replaces: Binding,
    },
    /// Not offered.
    Unavailable {
        /// Why not.
        reason: UnavailableReason,
    },
}

impl Availability {
    /// Whether the environment can be chosen at all.
    pub fn is_choosable(&self) -> bool {
        !matches!(self, Availability::Unavailable { .. })
    }
}

/// Why an environment cannot be chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum UnavailableReason {
    /// Its kind is not the installation's (R3).
    KindMismatch {
        /// The environment's kind.
        environment_kind: Kind,
    },
    /// The installation is bound to another environment (R1).
    InstallationBoundElsewhere,
}

/// One listed environment and what may be done with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentChoice {
    /// The environment, as listed.
    pub environment: Environment,
    /// What may be done with it.
    pub availability: Availability,
}

/// The classifier's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// The scenario.
    pub scenario: Scenario,
    /// Every listed environment, in listing order, with its availability
    /// (empty when the scenario is inconsistent).
    pub choices: Vec<EnvironmentChoice>,
    /// Whether the "create new environment" tab is offered.
    pub create_offered: bool,
    /// The local state named an environment the platform no longer binds
    /// this installation to (another installation took it over, or it was
    /// unbound): the admin binds again.
    pub local_binding_lost: bool,
}

impl Classification {
    /// The only environment a first binding can take, when there is exactly
    /// one: the scenario is a first binding (nothing of this line to
    /// replace) and exactly one listed environment is selectable (of the
    /// installation's kind, free for its line). `ensure_configured` binds
    /// it without an administrator (unless the host turned that off), and
    /// the wizard shows it selected. Two or more, none, any replacement or
    /// any inconsistency: `None`, the administrator decides.
    pub fn only_candidate(&self) -> Option<&Environment> {
        if self.scenario != Scenario::FirstBinding || self.local_binding_lost {
            return None;
        }
        let mut selectable = self
            .choices
            .iter()
            .filter(|c| c.availability == Availability::Selectable);
        match (selectable.next(), selectable.next()) {
            (Some(only), None) => Some(&only.environment),
            _ => None,
        }
    }

    /// The choice for `id`, if listed.
    pub fn choice(&self, id: &EnvironmentId) -> Option<&EnvironmentChoice> {
        self.choices.iter().find(|c| &c.environment.id == id)
    }

    fn inconsistent(reason: Inconsistency) -> Self {
        Classification {
            scenario: Scenario::Inconsistent { reason },
            choices: Vec::new(),
            create_offered: false,
            local_binding_lost: false,
        }
    }
}

/// Where the task binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskTarget {
    /// A listed environment (plain, or overwrite with its confirmation).
    Existing {
        /// Bind target with the listed etag.
        target: BindTarget,
        /// The environment's name, for messages and the local state.
        name: EnvironmentName,
        /// Its kind.
        kind: Kind,
    },
    /// Create an environment of the installation's kind first.
    Create {
        /// Its name.
        name: EnvironmentName,
    },
}

/// Why a decision (unattended, or checked again before acting) was refused.
///
/// Serialized as `{"refusal": "<code>", "message": "<English detail>"}`, the
/// code being its [`crate::failure::Refusal`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecisionError {
    /// No listed environment has that name.
    #[error("no environment named {0:?} is listed")]
    EnvironmentNotFound(String),
    /// The environment cannot be chosen.
    #[error("environment {environment_id} cannot be chosen: {reason:?}")]
    NotSelectable {
        /// The environment.
        environment_id: EnvironmentId,
        /// Why.
        reason: UnavailableReason,
    },
    /// Another installation of this line holds it: a confirmation is needed.
    #[error(
        "environment {0} is held by another installation of this line; repeat its name to confirm the overwrite"
    )]
    ConfirmationRequired(EnvironmentId),
    /// The confirmation did not match the environment's name.
    #[error("{0}")]
    ConfirmationMismatch(ConfirmationMismatch),
    /// Creating is not offered in this scenario (the installation is bound).
    #[error("creating an environment is not offered: the installation is already bound")]
    CreateNotOffered,
    /// An environment with that name exists.
    #[error("an environment with that name already exists")]
    NameTaken,
    /// The data is inconsistent (R5).
    #[error("inconsistent data: {0:?}")]
    Inconsistent(Inconsistency),
    /// A name was refused.
    #[error("{0}")]
    Invalid(ValidationError),
    /// The installation has no name and none could be found.
    #[error("the installation needs a name")]
    NameRequired,
}

impl Serialize for DecisionError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("refusal", crate::failure::Refusal::from(self).as_str())?;
        map.serialize_entry("message", &self.to_string())?;
        map.end()
    }
}

/// What the administrator (or a script) chose on the environment screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice<'a> {
    /// A listed environment, by id (the wizard), with the typed name when
    /// taking it from another installation of this line.
    Listed {
        /// The environment.
        environment_id: &'a EnvironmentId,
        /// The typed confirmation, for an overwrite.
        confirmation: Option<&'a str>,
    },
    /// A listed environment, by name (the unattended mode): names compare as
    /// [`EnvironmentName::uniqueness_key`] says.
    Named {
        /// The name as given.
        name: &'a str,
        /// The typed confirmation, for an overwrite.
        confirmation: Option<&'a str>,
    },
    /// A new environment of the installation's kind, with this name.
    Create {
        /// The name as given.
        name: &'a str,
    },
}

impl Classification {
    /// Turns a choice into what the task will do, or the reason it is
    /// refused. The one decision function: the wizard, the unattended mode
    /// and the C ABI all call it, so the create-offered, name-taken,
    /// selectability and confirmation checks exist once.
    pub fn decide(&self, choice: Choice<'_>) -> Result<TaskTarget, DecisionError> {
        if let Scenario::Inconsistent { reason } = &self.scenario {
            return Err(DecisionError::Inconsistent(reason.clone()));
        }
        match choice {
            Choice::Create { name } => {
                let name = EnvironmentName::new(name).map_err(DecisionError::Invalid)?;
                if !self.create_offered {
                    return Err(DecisionError::CreateNotOffered);
                }
                let key = name.uniqueness_key();
                if self
                    .choices
                    .iter()
                    .any(|c| c.environment.name.uniqueness_key() == key)
                {
                    return Err(DecisionError::NameTaken);
                }
                Ok(TaskTarget::Create { name })
            }
            Choice::Listed {
                environment_id,
                confirmation,
            } => {
                let choice = self.choice(environment_id).ok_or_else(|| {
                    DecisionError::EnvironmentNotFound(environment_id.to_string())
                })?;
                target_for(choice, confirmation)
            }
            Choice::Named { name, confirmation } => {
                let key = EnvironmentName::key_of(name);
                let choice = self
                    .choices
                    .iter()
                    .find(|c| c.environment.name.uniqueness_key() == key)
                    .ok_or_else(|| DecisionError::EnvironmentNotFound(name.trim().to_owned()))?;
                target_for(choice, confirmation)
            }
        }
    }
}

fn target_for(
    choice: &EnvironmentChoice,
    confirmation: Option<&str>,
) -> Result<TaskTarget, DecisionError> {
    let env = &choice.environment;
    let target = match &choice.availability {
        Availability::Selectable | Availability::Regenerate => BindTarget::plain(env),
        Availability::NeedsTypedConfirmation { .. } => {
            let typed =
                confirmation.ok_or_else(|| DecisionError::ConfirmationRequired(env.id.clone()))?;
            BindTarget::overwrite(
                OverwriteConfirmation::new(env, typed)
                    .map_err(DecisionError::ConfirmationMismatch)?,
            )
        }
        Availability::Unavailable { reason } => {
            return Err(DecisionError::NotSelectable {
                environment_id: env.id.clone(),
                reason: reason.clone(),
            });
        }
    };
    Ok(TaskTarget::Existing {
        target,
        name: env.name.clone(),
        kind: env.kind,
    })
}

/// Classifies the situation of `installation`.
///
/// `local_environment` is the environment the local state says this
/// installation is bound to (`None` when the state is empty, or was made for
/// another installation id). `environments` is the platform's full listing.
pub fn classify(
    installation: &Installation,
    local_environment: Option<&EnvironmentId>,
    environments: &[Environment],
) -> Classification {
    let mut seen = HashSet::with_capacity(environments.len());
    let mut bound_in: Vec<&Environment> = Vec::new();
    for env in environments {
        if !seen.insert(&env.id) {
            return Classification::inconsistent(Inconsistency::DuplicateEnvironment {
                environment_id: env.id.clone(),
            });
        }
        for (i, b) in env.bindings.iter().enumerate() {
            if env.bindings[..i].iter().any(|o| o.line == b.line) {
                return Classification::inconsistent(Inconsistency::DuplicateLineInEnvironment {
                    environment_id: env.id.clone(),
                    line: b.line,
                });
            }
            if b.installation_id == installation.id {
                if b.line != installation.line {
                    return Classification::inconsistent(Inconsistency::BoundUnderOtherLine {
                        environment_id: env.id.clone(),
                        line: b.line,
                    });
                }
                bound_in.push(env);
            }
        }
    }

    if bound_in.len() > 1 {
        return Classification::inconsistent(Inconsistency::BoundToSeveralEnvironments {
            environments: bound_in.iter().map(|e| e.id.clone()).collect(),
        });
    }

    if let Some(bound) = bound_in.first() {
        if bound.kind != installation.kind {
            return Classification::inconsistent(Inconsistency::BoundEnvironmentKindDiffers {
                environment_id: bound.id.clone(),
                environment_kind: bound.kind,
            });
        }
        if let Some(local) = local_environment
            && local != &bound.id
        {
            return Classification::inconsistent(Inconsistency::LocalStateContradicts {
                local: local.clone(),
                platform: bound.id.clone(),
            });
        }
        let choices = environments
            .iter()
            .map(|env| EnvironmentChoice {
                environment: env.clone(),
                availability: if env.id == bound.id {
                    Availability::Regenerate
                } else if env.kind != installation.kind {
                    Availability::Unavailable {
                        reason: UnavailableReason::KindMismatch {
                            environment_kind: env.kind,
                        },
                    }
                } else {
                    Availability::Unavailable {
                        reason: UnavailableReason::InstallationBoundElsewhere,
                    }
                },
            })
            .collect();
        return Classification {
            scenario: Scenario::AlreadyBound {
                environment_id: bound.id.clone(),
            },
            choices,
            create_offered: false,
            local_binding_lost: false,
        };
    }

    let mut replacement = false;
    let choices = environments
        .iter()
        .map(|env| {
            let availability = if env.kind != installation.kind {
                Availability::Unavailable {
                    reason: UnavailableReason::KindMismatch {
                        environment_kind: env.kind,
                    },
                }
            } else if let Some(holder) = env.binding_for(installation.line) {
                replacement = true;
                Availability::NeedsTypedConfirmation {
                    replaces: holder.clone(),
                }
            } else {
                Availability::Selectable
            };
            EnvironmentChoice {
                environment: env.clone(),
                availability,
            }
        })
        .collect();
    Classification {
        scenario: if replacement {
            Scenario::Replacement
        } else {
            Scenario::FirstBinding
        },
        choices,
        create_offered: true,
        local_binding_lost: local_environment.is_some(),
    }
}
