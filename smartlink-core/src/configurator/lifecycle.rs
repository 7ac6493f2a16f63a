//! The rest of an installation's life: the transparent start-up
//! configuration, credential rotation, forgetting and unbinding.

use super::*;
use crate::state::PendingRotation;

impl Configurator {
    /// What an ERP calls at start-up, with no administrator present:
    /// (a) nothing when valid credentials are stored; (b) when the platform
    /// already binds this installation, obtains credentials (reusing valid
    /// ones), verifies and stores them; (c) otherwise reports that an
    /// administrator is needed, with the scenario.
    ///
    /// Several processes of one installation may call it at once: one does
    /// the work under the state lock, the others wait and find it done.
    ///
    /// Stored credentials close to expiry (less than the smaller of 7 days
    /// and a third of their lifetime left) are rotated first, with no gap:
    /// the new ones are issued, proven and stored, and their token published,
    /// before the old ones are let go (`Configured` with
    /// `reused_credentials: false`). A failed rotation keeps the old ones,
    /// which are still valid, and is tried again at the next call.
    pub async fn ensure_configured(&self) -> Result<EnsureOutcome, ConfiguratorError> {
        self.on_runtime(|c| async move { c.ensure_configured_here(Actor::Transparent).await })
            .await
            .unwrap_or(Err(ConfiguratorError::NoRuntime))
    }

    /// [`Configurator::ensure_configured`] run because an administrator
    /// asked for it (the terminal configurator's `--unattended` without a
    /// target, which repairs a binding): the same work, recorded in the
    /// binding history as this handle's administrator's
    /// ([`Configurator::with_administrator`]; [`Actor::Unnamed`] when it
    /// names none) rather than as the library's own.
    pub async fn ensure_configured_on_request(&self) -> Result<EnsureOutcome, ConfiguratorError> {
        self.on_runtime(|c| async move {
            let actor = c.actor();
            c.ensure_configured_here(actor).await
        })
        .await
        .unwrap_or(Err(ConfiguratorError::NoRuntime))
    }

    async fn ensure_configured_here(
        &self,
        actor: Actor,
    ) -> Result<EnsureOutcome, ConfiguratorError> {
        if let Some(rotated) = self.rotate_if_due().await {
            return Ok(rotated);
        }
        if !self.needs_configuration() {
            return Ok(EnsureOutcome::AlreadyConfigured);
        }
        // Credentials refused under another token request setup than the
        // host runs now (it fixed its token URL or authentication method):
        // one token request with them; a success clears the refusal.
        if self.retry_after_new_setup().is_some() && self.access_token_slow().await.is_ok() {
            return Ok(EnsureOutcome::AlreadyConfigured);
        }
        let task_id = Uuid::new_v4();
        let guard = self.acquire_lock(None).await?;
        self.reread_gate();
        if !self.needs_configuration() {
            return Ok(EnsureOutcome::AlreadyConfigured);
        }
        let spec = &self.inner.spec;
        let installation = self.installation_named(None);
        let local = self.own_state_async().await?;
        let (envs, classification) = self
            .list_and_classify(&installation, local.as_ref())
            .await?;
        // Nothing to decide: bound already, or (unless the host turned it
        // off) a first binding with exactly one environment to take.
        let only = classification
            .only_candidate()
            .filter(|_| self.inner.options.bind_only_candidate);
        let (env, only_candidate) = match (&classification.scenario, only) {
            (Scenario::AlreadyBound { environment_id }, _) => (
                envs.iter()
                    .find(|e| &e.id == environment_id)
                    .ok_or_else(|| {
                        DecisionError::EnvironmentNotFound(environment_id.to_string())
                    })?,
                None,
            ),
            (_, Some(only)) => {
                tracing::info!(environment_id = %only.id,
                    "first binding with one environment to take: bound without an administrator");
                (only, Some(only.name.clone()))
            }
            _ => {
                return Ok(EnsureOutcome::AdminNeeded {
                    scenario: classification.scenario,
                });
            }
        };
        // Bound already: keep the name the platform knows unless the host gave one.
        let name = spec.name.clone().or_else(|| {
            env.binding_for(spec.line)
                .map(|b| b.installation_name.clone())
        });
        let request = TaskRequest {
            task_id,
            name: name.unwrap_or_else(|| installation.name.clone()),
            target: TaskTarget::Existing {
                target: BindTarget::plain(env),
                name: env.name.clone(),
                kind: env.kind,
            },
            change: if only_candidate.is_some() {
                PlannedChange::FirstBinding
            } else {
                PlannedChange::Regenerate
            },
            actor,
        };
        match self.run_task(guard, request).await? {
            TaskStatus::Succeeded {
                environment_id,
                reused_credentials,
                ..
            } => Ok(EnsureOutcome::Configured {
                environment_id,
                reused_credentials,
                only_candidate,
            }),
            other => Err(ConfiguratorError::TaskFailed {
                task_id,
                code: FailureCode::Internal,
                detail: format!("unexpected task status {other:?}"),
            }),
        }
    }

    /// Issues new credentials (never reusing the current ones), verifies them,
    /// and only then replaces the stored ones.
    ///
    /// Issuing revokes the current credentials on the platform, so a rotation
    /// that fails after that point leaves nothing valid stored: the failure
    /// is recorded, the login gate shows the configuration as needed again,
    /// and [`Configurator::ensure_configured`] repairs it without an admin.
    pub async fn rotate_credentials(&self) -> Result<Credentials, ConfiguratorError> {
        self.on_runtime(|c| async move { c.rotate_credentials_here().await })
            .await
            .unwrap_or(Err(ConfiguratorError::NoRuntime))
    }

    async fn rotate_credentials_here(&self) -> Result<Credentials, ConfiguratorError> {
        let guard = self.acquire_lock(None).await?;
        let mut state = self
            .own_state_async()
            .await?
            .ok_or(ConfiguratorError::NotConfigured)?;
        let binding = state
            .binding
            .clone()
            .ok_or(ConfiguratorError::NotConfigured)?;
        let task_id = Uuid::new_v4();
        let installation = self.installation_named(None);
        // The request's key is stored before anything is sent: a rotation
        // whose answer was lost (or whose process died) is asked again with
        // the same key, and the platform answers with the same credentials.
        let rotation = state
            .pending_rotation
            .clone()
            .unwrap_or_else(|| PendingRotation {
                issue_key: IdempotencyKey::new(),
                started_at: Utc::now(),
            });
        let issue_key = rotation.issue_key;
        state.pending_rotation = Some(rotation);
        self.save_state(&guard, &state).await?;
        let mut issued = false;
        let obtained = self
            .obtain_credentials(
                task_id,
                &installation,
                &binding.environment_id,
                false,
                issue_key,
                &mut state,
                &mut issued,
            )
            .await;
        // Kept only when trying again may finish this very rotation (the
        // platform unreachable, slow or overloaded); a final answer ends it.
        let retry_same =
            matches!(&obtained, Err(ConfiguratorError::Platform(e)) if e.is_transient());
        if !retry_same {
            state.pending_rotation = None;
        }
        let outcome = match &obtained {
            Ok(_) => TaskOutcome::Succeeded {
                environment_id: binding.environment_id.clone(),
                reused_credentials: false,
            },
            Err(e) => TaskOutcome::Failed {
                code: FailureCode::from(e),
                detail: e.to_string(),
            },
        };
        state.pending = None;
        // A rotation that failed before the platform answered the issue
        // (out of reach, or refusing to issue) leaves the stored credentials
        // as they were, still valid: the installation stays configured, and
        // the failure is in the history and the error. (An issue whose answer
        // was lost is asked again with the kept key; should it have revoked
        // the old set, the token endpoint's refusal opens the gate.) One that
        // failed after the platform issued new ones (the old set revoked)
        // is a failed last task: the configurator is needed again.
        let kept_valid = obtained.is_err() && !issued;
        if !kept_valid {
            state.last_task = Some(TaskRecord {
                task_id,
                outcome: outcome.clone(),
                finished_at: Utc::now(),
            });
        }
        let mut entry = self
            .history_entry(
                match &obtained {
                    Ok(_) => HistoryEvent::Rotated,
                    Err(_) => HistoryEvent::TaskFailed,
                },
                self.actor(),
                &state,
            )
            .support(task_id.to_string());
        if let TaskOutcome::Failed { code, .. } = &outcome {
            entry.code = Some(code.clone());
        }
        state.record(entry);
        let saved = self.save_state(&guard, &state).await;
        drop(guard);
        self.invalidate_gate();
        if let Err(e) = obtained {
            let (code, detail) = (FailureCode::from(&e), e.to_string());
            tracing::warn!(%task_id, %code, %detail, "credential rotation failed");
            self.inner.status.send_replace(TaskStatus::Failed {
                task_id,
                code,
                detail,
            });
            return Err(e);
        }
        saved?;
        self.inner.status.send_replace(TaskStatus::Succeeded {
            task_id,
            environment_id: binding.environment_id.clone(),
            environment_name: binding.environment_name.clone(),
            reused_credentials: false,
        });
        state.credentials.ok_or(ConfiguratorError::NotConfigured)
    }

    /// Forgets the local binding and credentials (for when the platform no
    /// longer knows them). Nothing is sent anywhere. The binding history is
    /// kept: what remains stored is the installation's id, name and history,
    /// with a `forgotten` entry. A state that holds nothing but its history
    /// already is left as it is; one that holds nothing at all (nor a
    /// history) is removed, as before the history existed. A state made
    /// for another installation id or line is left untouched.
    pub fn forget_local(&self) -> Result<(), ConfiguratorError> {
        let lock = self
            .inner
            .store
            .try_lock()?
            .ok_or(ConfiguratorError::Busy)?;
        let held = self.hold(lock);
        let writes = self.writes_so_far();
        let read = self.load_noting_problems()?;
        // A state made for another installation (a copied database, a
        // wrong --installation-id) is not this installation's to forget:
        // it is left as it is, its history included.
        let stored = read.is_some();
        let own = self.own_of(read, writes);
        if stored && own.is_none() {
            return Ok(());
        }
        let cleared = match own {
            // Forgotten already: the history stays as it is.
            Some(state) if state.is_forgotten() && !state.history.is_empty() => return Ok(()),
            Some(state) if !state.is_forgotten() => {
                let mut kept = state.forgotten();
                let entry = self.history_entry(HistoryEvent::Forgotten, self.actor(), &state);
                kept.record(entry);
                let saved = self.inner.store.save_fenced(held.lock(), &kept);
                if saved.is_ok() {
                    self.wrote(Some(&kept));
                }
                saved
            }
            _ => {
                let cleared = self.inner.store.clear_fenced(held.lock());
                if cleared.is_ok() {
                    self.wrote(None);
                }
                cleared
            }
        };
        if let Err(e @ (StateError::LeaseLost { .. } | StateError::Conflict { .. })) = &cleared {
            tracing::warn!(error = %e, "forgetting the state was refused: another holder wrote it");
        }
        cleared?;
        drop(held);
        self.invalidate_gate();
        self.state_replaced();
        Ok(())
    }

    /// Removes this installation's binding on the platform (revoking its
    /// credentials), then forgets the local state. When the platform no
    /// longer binds the installation (an earlier unbind whose answer was
    /// lost, or someone else's), the local state is forgotten all the same.
    pub async fn unbind(&self) -> Result<(), ConfiguratorError> {
        self.on_runtime(|c| async move { c.unbind_here().await })
            .await
            .unwrap_or(Err(ConfiguratorError::NoRuntime))
    }

    async fn unbind_here(&self) -> Result<(), ConfiguratorError> {
        let _guard = self.acquire_lock(None).await?;
        let spec = &self.inner.spec;
        let mut attempt_made = false;
        loop {
            let envs = self
                .inner
                .platform
                .list_environments(spec.line, &spec.id)
                .await?;
            let bound = envs.iter().find(|e| {
                e.binding_for(spec.line)
                    .is_some_and(|b| b.installation_id == spec.id)
            });
            let Some(bound) = bound else {
                let had_local = self
                    .own_state()?
                    .is_some_and(|s| s.binding.is_some() || s.credentials.is_some());
                if !had_local && !attempt_made {
                    return Err(ConfiguratorError::NotConfigured);
                }
                self.forget_after_unbind(&_guard, None).await?;
                self.invalidate_gate();
                return Ok(());
            };
            let request = Unbind {
                environment_id: bound.id.clone(),
                line: spec.line,
                installation_id: spec.id.clone(),
                etag: bound.etag.clone(),
            };
            match self.inner.platform.unbind(&request).await {
                Ok(()) => {
                    self.forget_after_unbind(&_guard, Some(bound)).await?;
                    self.invalidate_gate();
                    return Ok(());
                }
                // The answer may have been lost after the platform acted
                // (a broken connection), or a retry saw the change it made
                // (412, not_bound): look again once before giving up. This
                // is a new decision on a new listing, not a blind retry.
                Err(e) if (e.is_conflict() || e.is_transient()) && !attempt_made => {
                    attempt_made = true
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// After an unbind: the binding and credentials are forgotten, the
    /// history kept with an `unbound` entry, in one save. `environment`:
    /// the environment the platform unbound (`None` when the platform had
    /// no binding left to remove).
    async fn forget_after_unbind(
        &self,
        held: &Held,
        environment: Option<&Environment>,
    ) -> Result<(), StateError> {
        let state = self.own_or_new_state_async().await?;
        let mut kept = state.forgotten();
        let mut entry = self.history_entry(HistoryEvent::Unbound, self.actor(), &state);
        if let Some(env) = environment {
            entry = entry.environment(Some(env.id.clone()), Some(env.name.clone()));
        }
        kept.record(entry);
        self.save_state(held, &kept).await
    }
}
