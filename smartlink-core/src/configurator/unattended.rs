//! Configuration without an administrator at a screen: the same rules and
//! the same decision function as the wizard, decided while holding the
//! state lock so that a rerun, or two runs at once, find the work done.

use super::*;

impl Configurator {
    /// Configures without prompts, by the same rules as the wizard: an
    /// environment held by another installation of this line is taken over
    /// only when `confirm` repeats its name exactly (R4).
    ///
    /// Safe to run again, and to run twice at once: the decision is made
    /// while holding the state lock, on the state and listing found then.
    /// An installation already configured exactly as asked is left alone
    /// ([`UnattendedOutcome::nothing_to_do`]); a task of this installation
    /// interrupted by a crash is finished with its own idempotency keys
    /// ([`UnattendedOutcome::resumed`]), so it never creates a second
    /// environment nor trips over the one it created.
    pub async fn configure_unattended(
        &self,
        request: &UnattendedRequest,
    ) -> Result<UnattendedOutcome, ConfiguratorError> {
        let request = request.clone();
        self.on_runtime(|c| async move { c.configure_unattended_here(&request).await })
            .await
            .unwrap_or(Err(ConfiguratorError::NoRuntime))
    }

    async fn configure_unattended_here(
        &self,
        request: &UnattendedRequest,
    ) -> Result<UnattendedOutcome, ConfiguratorError> {
        let spec = &self.inner.spec;
        let given_name = request
            .installation_name
            .as_deref()
            .map(InstallationName::new)
            .transpose()
            .map_err(DecisionError::Invalid)?;
        // Input errors are reported before waiting for anyone.
        let wanted_key = match &request.target {
            UnattendedTarget::Create(new_name) => EnvironmentName::new(new_name)
                .map_err(DecisionError::Invalid)?
                .uniqueness_key(),
            UnattendedTarget::Environment(wanted) => {
                if wanted.trim().is_empty() {
                    return Err(DecisionError::Invalid(ValidationError::Empty {
                        field: "environment_name",
                    })
                    .into());
                }
                EnvironmentName::key_of(wanted)
            }
        };

        let guard = self.acquire_lock(None).await?;
        let state = self.own_state_held(&guard).await?;

        // Already configured exactly as asked: nothing to do. With a name
        // given, the platform's listing must show it too (below).
        let configured_as_asked = state.as_ref().and_then(|state| {
            let binding = state.binding.as_ref()?;
            (state.is_configured_at(Utc::now())
                && binding.environment_name.uniqueness_key() == wanted_key)
                .then(|| nothing_to_do(state, binding))
        });
        let same_name = given_name.is_none()
            || state
                .as_ref()
                .is_some_and(|s| s.installation_name == given_name);
        if let Some(outcome) = &configured_as_asked
            && same_name
        {
            drop(guard);
            return Ok(outcome.clone());
        }

        let mut installation = self.installation_named(given_name.clone());
        let (envs, classification) = self
            .list_and_classify(&installation, state.as_ref())
            .await?;
        if let Scenario::Inconsistent { reason } = &classification.scenario {
            return Err(DecisionError::Inconsistent(reason.clone()).into());
        }
        let pending = state.as_ref().and_then(|s| s.pending.clone());
        let name = match (&given_name, &spec.name, &classification.scenario, &pending) {
            (Some(n), _, _, _) | (None, Some(n), _, _) => n.clone(),
            (None, None, _, Some(p)) => p.installation.name.clone(),
            (None, None, Scenario::AlreadyBound { environment_id }, None) => envs
                .iter()
                .find(|e| &e.id == environment_id)
                .and_then(|e| e.binding_for(spec.line))
                .map(|b| b.installation_name.clone())
                .ok_or(DecisionError::NameRequired)?,
            _ => return Err(DecisionError::NameRequired.into()),
        };
        installation.name = name.clone();

        // The environment this installation is bound to on the platform, when
        // it is the one asked for (by name): the work is to finish there.
        let bound_here = match &classification.scenario {
            Scenario::AlreadyBound { environment_id } => envs
                .iter()
                .find(|e| &e.id == environment_id && e.name.uniqueness_key() == wanted_key),
            _ => None,
        };

        if let (Some(outcome), Some(env), Some(given)) =
            (&configured_as_asked, bound_here, &given_name)
            && env
                .binding_for(spec.line)
                .is_some_and(|b| &b.installation_name == given)
        {
            drop(guard);
            return Ok(outcome.clone());
        }

        let resumable = pending
            .as_ref()
            .is_some_and(|p| match (&p.target, &request.target) {
                (PlanTarget::Create { name }, UnattendedTarget::Create(_)) => {
                    name.uniqueness_key() == wanted_key
                }
                (
                    PlanTarget::Existing {
                        environment_name, ..
                    },
                    UnattendedTarget::Environment(_),
                ) => environment_name.uniqueness_key() == wanted_key,
                _ => false,
            });

        let target = match (&request.target, bound_here) {
            // Bound there already (a crash after the bind, a lost local
            // state, or a run that asks for what is done): finish the work on
            // that environment; the bind is an idempotent repeat.
            (_, Some(env)) => TaskTarget::Existing {
                target: BindTarget::plain(env),
                name: env.name.clone(),
                kind: env.kind,
            },
            // The interrupted create is sent again with its key: the
            // platform answers with the environment it created then.
            (UnattendedTarget::Create(new_name), None) if resumable => TaskTarget::Create {
                name: EnvironmentName::new(new_name).map_err(DecisionError::Invalid)?,
            },
            (UnattendedTarget::Create(new_name), None) => {
                classification.decide(Choice::Create { name: new_name })?
            }
            (UnattendedTarget::Environment(wanted), None) => {
                classification.decide(Choice::Named {
                    name: wanted,
                    confirmation: request.confirm.as_deref(),
                })?
            }
        };
        let resumed = pending
            .as_ref()
            .is_some_and(|p| same_target(&p.target, &target));
        let task_id = Uuid::new_v4();
        let change = match bound_here {
            Some(_) => PlannedChange::Regenerate,
            None => PlannedChange::of(&classification, &target),
        };
        self.inner
            .status
            .send_replace(TaskStatus::Pending { task_id });
        let status = self
            .run_task(
                guard,
                TaskRequest {
                    task_id,
                    name,
                    target,
                    change,
                    actor: self.actor(),
                },
            )
            .await?;
        Ok(UnattendedOutcome {
            status,
            nothing_to_do: false,
            resumed,
        })
    }
}

/// The outcome of an unattended run that found the work done.
pub(super) fn nothing_to_do(state: &LocalState, binding: &LocalBinding) -> UnattendedOutcome {
    let task_id = state
        .last_task
        .as_ref()
        .map(|t| t.task_id)
        .unwrap_or_else(Uuid::nil);
    UnattendedOutcome {
        status: TaskStatus::Succeeded {
            task_id,
            environment_id: binding.environment_id.clone(),
            environment_name: binding.environment_name.clone(),
            reused_credentials: true,
        },
        nothing_to_do: true,
        resumed: false,
    }
}
