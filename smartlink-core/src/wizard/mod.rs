//! The configurator's screens as a headless state machine.
//!
//! The host draws a [`Screen`] and sends back an [`Action`]; the core decides
//! what comes next. Applying an action the current screen does not allow is a
//! [`WizardError`], never a panic and never a silent no-op. The wizard itself
//! does no I/O: steps that need the platform come back as an effect that
//! [`crate::Configurator`] carries out, so nothing blocks a UI thread unless
//! the host chooses to wait. Hosts drive it through
//! [`crate::Configurator::screen`] and [`crate::Configurator::apply`]; the
//! state machine and its effects are internal.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use crate::confirmation::confirmation_matches;
use crate::environment::{Binding, Environment, EnvironmentId, EnvironmentName};
use crate::error::ValidationError;
use crate::installation::InstallationName;
pub use crate::rules::TaskTarget;
use crate::rules::{Availability, Choice, Classification, DecisionError, Inconsistency, Scenario};

/// Where the configurator's public documentation lives (shown on the welcome screen).
pub const DOCUMENTATION_URL: &str =
    "https://tdn.totvs.com/display/public/framework/SmartLink+Configurator";

/// A step of the background binding task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStep {
    /// Waiting for another process of this installation to finish.
    WaitingForLock,
    /// Creating the environment.
    Creating,
    /// Binding the installation.
    Binding,
    /// Issuing credentials.
    IssuingCredentials,
    /// Proving the credentials with a token request.
    Verifying,
    /// Writing the local state.
    Storing,
}

/// Why the error screen is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ErrorReason {
    /// The data is inconsistent (R5): only support can help.
    Inconsistent {
        /// What is inconsistent.
        inconsistency: Inconsistency,
    },
    /// The platform could not be asked (unreachable, refused, ...).
    Platform {
        /// Why, as a typed code (the contract's, or `transport`, `timeout`,
        /// ...; serialized as its stable string).
        code: crate::failure::FailureCode,
        /// A human-readable detail (no secrets).
        detail: String,
        /// The request id, when there is one.
        request_id: Option<String>,
    },
    /// The background task failed.
    TaskFailed {
        /// Why, as a typed code (serialized as its stable string).
        code: crate::failure::FailureCode,
        /// A human-readable detail (no secrets).
        detail: String,
    },
}

/// What the host draws.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "screen", rename_all = "snake_case")]
pub enum Screen {
    /// Purpose, a documentation link, and *Start*.
    Welcome {
        /// Link to the documentation.
        documentation_url: String,
    },
    /// The installation's friendly name.
    NameInstallation {
        /// The name entered so far (or the host's).
        name: Option<String>,
        /// Why the last name was refused.
        error: Option<ValidationError>,
    },
    /// The environment list, with the create tab when offered.
    ChooseEnvironment {
        /// The scenario.
        scenario: Scenario,
        /// Every environment and what may be done with it.
        choices: Vec<crate::rules::EnvironmentChoice>,
        /// Whether the *Create new environment* tab is shown.
        create_offered: bool,
        /// The local state named a binding the platform no longer has.
        local_binding_lost: bool,
        /// The one environment a first binding can choose, when there is
        /// exactly one: the front end shows it selected (the administrator
        /// still confirms with *Gerar novas credenciais*).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        preselected: Option<EnvironmentId>,
    },
    /// Alert before regenerating: valid current credentials are reused, new
    /// ones issued otherwise.
    ConfirmRegeneration {
        /// The bound environment.
        environment: Environment,
    },
    /// Alert before taking another installation's binding: *Confirm* is
    /// enabled only once the environment's name is typed.
    ConfirmOverwrite {
        /// The environment.
        environment: Environment,
        /// The binding that will be replaced.
        replaces: Binding,
        /// What has been typed so far.
        typed: String,
        /// Whether *Confirm* is enabled.
        confirm_enabled: bool,
    },
    /// The work runs in the background; the admin need not wait.
    Finishing {
        /// Task id (support id if it fails).
        task_id: Uuid,
        /// The current step, once started.
        step: Option<TaskStep>,
    },
    /// Configured.
    Done {
        /// The environment.
        environment_id: EnvironmentId,
        /// Its name.
        environment_name: EnvironmentName,
        /// Whether current credentials were reused.
        reused_credentials: bool,
    },
    /// Something only support can solve, or a failure to retry later.
    Error {
        /// The id support can trace.
        support_id: Uuid,
        /// Why.
        reason: ErrorReason,
        /// Whether *Back* (try again) is offered.
        retry_allowed: bool,
    },
}

impl Screen {
    /// The screen's name as used in JSON (`"welcome"`, `"choose_environment"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Screen::Welcome { .. } => "welcome",
            Screen::NameInstallation { .. } => "name_installation",
            Screen::ChooseEnvironment { .. } => "choose_environment",
            Screen::ConfirmRegeneration { .. } => "confirm_regeneration",
            Screen::ConfirmOverwrite { .. } => "confirm_overwrite",
            Screen::Finishing { .. } => "finishing",
            Screen::Done { .. } => "done",
            Screen::Error { .. } => "error",
        }
    }
}

/// What the admin did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// *Start* on the welcome screen.
    Start,
    /// The installation's name, on the name screen.
    SetName {
        /// The name typed.
        name: String,
    },
    /// Chose a listed environment.
    Select {
        /// The environment.
        environment_id: EnvironmentId,
    },
    /// *Create and generate credentials* on the create tab.
    Create {
        /// The new environment's name.
        name: String,
    },
    /// The text typed in the overwrite confirmation field.
    TypeConfirmation {
        /// The whole text of the field.
        text: String,
    },
    /// *Confirm* on an alert.
    Confirm,
    /// *Back*.
    Back,
    /// *Cancel*: leave the configurator (it will be shown again at next login).
    Cancel,
}

impl Action {
    /// The action's name as used in JSON.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::SetName { .. } => "set_name",
            Action::Select { .. } => "select",
            Action::Create { .. } => "create",
            Action::TypeConfirmation { .. } => "type_confirmation",
            Action::Confirm => "confirm",
            Action::Back => "back",
            Action::Cancel => "cancel",
        }
    }
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WizardError {
    /// The current screen does not offer that action.
    #[error("action '{action}' is not available on screen '{screen}'")]
    NotAllowed {
        /// The action.
        action: &'static str,
        /// The screen.
        screen: &'static str,
    },
    /// The choice was refused, for the same reasons as in the unattended
    /// mode ([`crate::rules::Classification::decide`]); an invalid
    /// installation name is [`DecisionError::Invalid`].
    #[error(transparent)]
    Decision(#[from] DecisionError),
}

impl Serialize for WizardError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("refusal", crate::failure::Refusal::from(self).as_str())?;
        map.serialize_entry("message", &self.to_string())?;
        map.end()
    }
}

/// What the configurator must do after an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Nothing: draw the new screen.
    None,
    /// List the environments and call [`Wizard::environments_loaded`].
    LoadEnvironments,
    /// Start the background task.
    Run(TaskRequest),
}

/// What the background task is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TaskRequest {
    /// Task id, already shown on the finishing screen.
    pub task_id: Uuid,
    /// The installation's name as entered.
    pub name: InstallationName,
    /// Where to bind.
    pub target: TaskTarget,
}

/// The wizard's state.
#[derive(Debug, Clone)]
pub(crate) struct Wizard {
    screen: Screen,
    name: Option<InstallationName>,
    classification: Option<Classification>,
}

impl Wizard {
    /// A wizard on the welcome screen; `name` pre-fills the name screen.
    pub fn new(name: Option<InstallationName>) -> Self {
        Self {
            screen: welcome(),
            name,
            classification: None,
        }
    }

    /// The screen to draw.
    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// The name entered (or given by the host).
    pub fn name(&self) -> Option<&InstallationName> {
        self.name.as_ref()
    }

    /// Applies an action.
    pub fn apply(&mut self, action: Action) -> Result<Effect, WizardError> {
        let not_allowed = |screen: &Screen, action: &Action| WizardError::NotAllowed {
            action: action.name(),
            screen: screen.name(),
        };
        match (&self.screen, action) {
            (Screen::Welcome { .. }, Action::Start) => {
                self.screen = Screen::NameInstallation {
                    name: self.name.as_ref().map(|n| n.as_str().to_owned()),
                    error: None,
                };
                Ok(Effect::None)
            }
            (Screen::NameInstallation { .. }, Action::SetName { name }) => {
                match InstallationName::new(&name) {
                    Ok(valid) => {
                        self.name = Some(valid);
                        Ok(Effect::LoadEnvironments)
                    }
                    Err(e) => {
                        self.screen = Screen::NameInstallation {
                            name: Some(name),
                            error: Some(e.clone()),
                        };
                        Err(DecisionError::Invalid(e).into())
                    }
                }
            }
            (Screen::NameInstallation { .. }, Action::Back) => {
                self.screen = welcome();
                Ok(Effect::None)
            }
            (Screen::ChooseEnvironment { choices, .. }, Action::Select { environment_id }) => {
                let choice = choices
                    .iter()
                    .find(|c| c.environment.id == environment_id)
                    .ok_or_else(|| {
                        DecisionError::EnvironmentNotFound(environment_id.to_string())
                    })?;
                let env = choice.environment.clone();
                match &choice.availability {
                    Availability::Selectable => {
                        let target = self.decide(Choice::Listed {
                            environment_id: &environment_id,
                            confirmation: None,
                        })?;
                        self.run(target)
                    }
                    Availability::Regenerate => {
                        self.screen = Screen::ConfirmRegeneration { environment: env };
                        Ok(Effect::None)
                    }
                    Availability::NeedsTypedConfirmation { replaces } => {
                        self.screen = Screen::ConfirmOverwrite {
                            environment: env,
                            replaces: replaces.clone(),
                            typed: String::new(),
                            confirm_enabled: false,
                        };
                        Ok(Effect::None)
                    }
                    Availability::Unavailable { .. } => Err(self
                        .decide(Choice::Listed {
                            environment_id: &environment_id,
                            confirmation: None,
                        })
                        .expect_err("an unavailable environment is refused")
                        .into()),
                }
            }
            (Screen::ChooseEnvironment { create_offered, .. }, action @ Action::Create { .. }) => {
                // The tab is not shown: the action does not exist here.
                if !create_offered {
                    return Err(not_allowed(&self.screen, &action));
                }
                let Action::Create { name } = action else {
                    unreachable!("matched above")
                };
                let target = self.decide(Choice::Create { name: &name })?;
                self.run(target)
            }
            (Screen::ChooseEnvironment { .. }, Action::Back) => {
                self.screen = Screen::NameInstallation {
                    name: self.name.as_ref().map(|n| n.as_str().to_owned()),
                    error: None,
                };
                Ok(Effect::None)
            }
            (Screen::ConfirmRegeneration { environment }, Action::Confirm) => {
                let environment_id = environment.id.clone();
                let target = self.decide(Choice::Listed {
                    environment_id: &environment_id,
                    confirmation: None,
                })?;
                self.run(target)
            }
            (
                Screen::ConfirmOverwrite {
                    environment,
                    replaces,
                    ..
                },
                Action::TypeConfirmation { text },
            ) => {
                let confirm_enabled = confirmation_matches(environment.name.as_str(), &text);
                self.screen = Screen::ConfirmOverwrite {
                    environment: environment.clone(),
                    replaces: replaces.clone(),
                    typed: text,
                    confirm_enabled,
                };
                Ok(Effect::None)
            }
            (
                Screen::ConfirmOverwrite {
                    environment, typed, ..
                },
                Action::Confirm,
            ) => {
                let (environment_id, typed) = (environment.id.clone(), typed.clone());
                let target = self.decide(Choice::Listed {
                    environment_id: &environment_id,
                    confirmation: Some(&typed),
                })?;
                self.run(target)
            }
            (
                Screen::ConfirmRegeneration { .. } | Screen::ConfirmOverwrite { .. },
                Action::Back,
            ) => {
                self.restore_choices();
                Ok(Effect::None)
            }
            (
                Screen::Error {
                    retry_allowed: true,
                    ..
                },
                Action::Back,
            ) => {
                self.screen = Screen::NameInstallation {
                    name: self.name.as_ref().map(|n| n.as_str().to_owned()),
                    error: None,
                };
                Ok(Effect::None)
            }
            (Screen::Finishing { .. } | Screen::Done { .. }, action @ Action::Cancel) => {
                Err(not_allowed(&self.screen, &action))
            }
            (_, Action::Cancel) => {
                self.screen = welcome();
                self.classification = None;
                Ok(Effect::None)
            }
            (screen, action) => Err(not_allowed(screen, &action)),
        }
    }

    /// Shows the listing's classification (after [`Effect::LoadEnvironments`]).
    /// An inconsistent scenario goes to the error screen with a new support id.
    pub fn environments_loaded(&mut self, classification: Classification) {
        if let Scenario::Inconsistent { reason } = &classification.scenario {
            self.screen = Screen::Error {
                support_id: Uuid::new_v4(),
                reason: ErrorReason::Inconsistent {
                    inconsistency: reason.clone(),
                },
                retry_allowed: false,
            };
            self.classification = None;
            return;
        }
        self.classification = Some(classification);
        self.restore_choices();
    }

    /// Shows a failure to reach the platform; *Back* tries again.
    pub fn platform_failed(&mut self, support_id: Uuid, reason: ErrorReason) {
        self.screen = Screen::Error {
            support_id,
            reason,
            retry_allowed: true,
        };
    }

    /// Reflects the background task's progress on the finishing screen.
    pub fn task_progress(&mut self, task_id: Uuid, step: TaskStep) {
        if let Screen::Finishing {
            task_id: current, ..
        } = &self.screen
            && *current == task_id
        {
            self.screen = Screen::Finishing {
                task_id,
                step: Some(step),
            };
        }
    }

    /// Shows the task's success.
    pub fn task_succeeded(
        &mut self,
        environment_id: EnvironmentId,
        environment_name: EnvironmentName,
        reused_credentials: bool,
    ) {
        self.screen = Screen::Done {
            environment_id,
            environment_name,
            reused_credentials,
        };
    }

    /// Shows the task's failure; *Back* starts over from the name screen.
    pub fn task_failed(
        &mut self,
        task_id: Uuid,
        code: crate::failure::FailureCode,
        detail: String,
    ) {
        self.screen = Screen::Error {
            support_id: task_id,
            reason: ErrorReason::TaskFailed { code, detail },
            retry_allowed: true,
        };
    }

    /// The one decision function, on the listing this wizard shows.
    fn decide(&self, choice: Choice<'_>) -> Result<TaskTarget, DecisionError> {
        match &self.classification {
            Some(c) => c.decide(choice),
            None => Err(DecisionError::EnvironmentNotFound(match choice {
                Choice::Listed { environment_id, .. } => environment_id.to_string(),
                Choice::Named { name, .. } | Choice::Create { name } => name.to_owned(),
            })),
        }
    }

    fn run(&mut self, target: TaskTarget) -> Result<Effect, WizardError> {
        // The name screen precedes every task; a host that fed a listing to a
        // wizard that never had a name gets an error, not a panic.
        let Some(name) = self.name.clone() else {
            return Err(WizardError::NotAllowed {
                action: "run",
                screen: self.screen.name(),
            });
        };
        let task_id = Uuid::new_v4();
        self.screen = Screen::Finishing {
            task_id,
            step: None,
        };
        Ok(Effect::Run(TaskRequest {
            task_id,
            name,
            target,
        }))
    }

    fn restore_choices(&mut self) {
        if let Some(c) = &self.classification {
            self.screen = Screen::ChooseEnvironment {
                scenario: c.scenario.clone(),
                choices: c.choices.clone(),
                create_offered: c.create_offered,
                local_binding_lost: c.local_binding_lost,
                preselected: c.only_candidate().map(|e| e.id.clone()),
            };
        }
    }
}

fn welcome() -> Screen {
    Screen::Welcome {
        documentation_url: DOCUMENTATION_URL.to_owned(),
    }
}

#[cfg(test)]
mod tests;
