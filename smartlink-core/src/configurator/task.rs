//! The binding task: it takes the state lock, persists what it is about to
//! do (with the idempotency keys that make a retry or a restart safe), runs
//! the steps once each (the platform client is the retry layer), persists
//! the outcome, releases the lock and only then publishes the outcome.

use super::*;

impl Configurator {
    pub(super) fn start_task(&self, mut request: TaskRequest) {
        let task_id = request.task_id;
        request.actor = self.actor();
        self.inner
            .status
            .send_replace(TaskStatus::Pending { task_id });
        let this = self.clone();
        let work = self.inner.runtime.spawn(async move {
            let guard = match this.acquire_lock(Some(task_id)).await {
                Ok(g) => g,
                Err(e) => {
                    this.report_failure(task_id, FailureCode::from(&e), e.to_string());
                    return;
                }
            };
            // The administrator decided on a listing: when another machine
            // wrote the state since (it configured, or replaced the
            // binding), nothing is sent and the decision is asked again.
            let decided_on = *lock(&this.inner.decided_on);
            let found = guard.lock().expected_version();
            if let (Some(decided), Some(found)) = (decided_on, found)
                && decided != found
            {
                drop(guard);
                this.reread_gate();
                let e = StateError::Conflict {
                    expected: decided,
                    found,
                };
                tracing::warn!(%task_id, error = %e, "the state changed after the decision: the task does not run");
                this.report_failure(task_id, FailureCode::StateChanged, e.to_string());
                return;
            }
            let _ = this.run_task(guard, request).await;
        });
        // A task that panicked (a bug) still ends: its status becomes a
        // failure, so nobody waits for it forever. What it had persisted is
        // resumed by the next attempt, as after a crash.
        let this = self.clone();
        self.inner.runtime.spawn(async move {
            if let Err(e) = work.await
                && e.is_panic()
                && !this.task_status().is_finished()
            {
                this.report_failure(
                    task_id,
                    FailureCode::Internal,
                    "the configuration task stopped on an internal error".to_owned(),
                );
            }
        });
    }

    /// Takes the state lock (the store's lease), waiting up to the
    /// configured time. Only the wizard's background task (`announce`)
    /// shows the wait as its progress: the inline paths publish no status
    /// before they hold the lock, so a refusal can never leave a status
    /// that never ends. A lease that expires is renewed in the background
    /// while it is held (see [`Held`]).
    pub(super) async fn acquire_lock(
        &self,
        announce: Option<Uuid>,
    ) -> Result<Held, ConfiguratorError> {
        // A wait too long to represent (`Duration::MAX`) waits for good.
        let deadline = tokio::time::Instant::now().checked_add(self.inner.options.lock_wait);
        let mut announced = false;
        loop {
            let store = self.inner.store.clone();
            // This process's writes so far: the state a lease comes back
            // with is newer than none of them when the count is unchanged.
            let writes = self.writes_so_far();
            if let Some(lock) = self.blocking(move || store.try_lock()).await? {
                let mut held = self.hold(lock);
                held.writes_before = writes;
                return Ok(held);
            }
            if let Some(task_id) = announce
                && !announced
            {
                self.progress(task_id, TaskStep::WaitingForLock);
                announced = true;
            }
            if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                return Err(ConfiguratorError::Busy);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Holds `lock`, renewing it in the background when the store's leases
    /// expire.
    pub(super) fn hold(&self, lock: StateLock) -> Held {
        let ttl = self.inner.store.lease_ttl();
        let shared = Arc::new(HeldLease {
            lock,
            ttl,
            renewed: Mutex::new(std::time::Instant::now()),
        });
        let renewer = ttl.and_then(|ttl| {
            let weak = Arc::downgrade(&shared);
            let store = self.inner.store.clone();
            let period = (ttl / 3).max(Duration::from_millis(10));
            let runtime = self.inner.runtime.clone();
            Handle::try_current()
                .ok()
                .or(Some(runtime))
                .map(|rt| rt.spawn(renew_loop(weak, store, period)))
        });
        Held {
            shared,
            renewer,
            writes_before: None,
        }
    }
    pub(super) fn progress(&self, task_id: Uuid, step: TaskStep) {
        self.inner
            .status
            .send_replace(TaskStatus::Running { task_id, step });
        lock(&self.inner.wizard).task_progress(task_id, step);
    }

    pub(super) fn report_failure(&self, task_id: Uuid, code: FailureCode, detail: String) {
        tracing::warn!(%task_id, %code, %detail, "configuration task failed");
        lock(&self.inner.wizard).task_failed(task_id, code.clone(), detail.clone());
        self.inner.status.send_replace(TaskStatus::Failed {
            task_id,
            code,
            detail,
        });
    }

    pub(super) fn report_success(&self, status: &TaskStatus) {
        if let TaskStatus::Succeeded {
            environment_id,
            environment_name,
            reused_credentials,
            ..
        } = status
        {
            lock(&self.inner.wizard).task_succeeded(
                environment_id.clone(),
                environment_name.clone(),
                *reused_credentials,
            );
        }
        self.inner.status.send_replace(status.clone());
    }

    /// Runs the binding work while holding the state lock, then releases the
    /// lock and only then publishes the outcome: whoever waits for the task
    /// finds the store free when the wait ends. The outcome is persisted
    /// before it is published.
    pub(super) async fn run_task(
        &self,
        guard: Held,
        request: TaskRequest,
    ) -> Result<TaskStatus, ConfiguratorError> {
        let task_id = request.task_id;
        // The state as the lease found it: read once, for the failure path's
        // question below and as the task's starting point.
        let at_start = self.own_state_held(&guard).await;
        let configured_before = at_start
            .as_ref()
            .ok()
            .and_then(Option::as_ref)
            .is_some_and(|s| s.is_configured_at(Utc::now()));
        let mut touched = Touched::default();
        let result = self
            .run_steps(&guard, &request, at_start, &mut touched)
            .await;
        let result = match result {
            Ok(status) => Ok(status),
            Err(e) => {
                let code = FailureCode::from(&e);
                let detail = e.to_string();
                // A refusal before anything reached the platform changed
                // nothing: a configuration that was valid stays valid, and its
                // success is not overwritten by this failure.
                let keep_success = configured_before && !touched.platform;
                if keep_success {
                    tracing::info!(%task_id, %code, "task refused before any change; the configuration stays as it was");
                    // Configured before means no pending task before: put
                    // the state back as it was.
                    if let Ok(mut state) = self.own_or_new_state_async().await {
                        state.pending = None;
                        state.record(self.failure_entry(&request, &state, &code));
                        if let Err(save) = self.save_state(&guard, &state).await {
                            tracing::error!(%task_id, error = %save, "could not restore the state");
                        }
                    }
                } else if let Ok(mut state) = self.own_or_new_state_async().await {
                    // Best effort: if the state cannot be written the pending
                    // task still marks it unconfigured. A task that may have
                    // changed the platform keeps its keys, so the same
                    // decision made again finishes that work instead of
                    // creating a second environment; credentials already
                    // answered are asked for anew.
                    if touched.platform {
                        if let Some(pending) = state.pending.as_mut()
                            && touched.issue_answered
                        {
                            pending.issue_key = IdempotencyKey::new();
                        }
                    } else {
                        state.pending = None;
                    }
                    state.last_task = Some(TaskRecord {
                        task_id,
                        outcome: TaskOutcome::Failed {
                            code: code.clone(),
                            detail: detail.clone(),
                        },
                        finished_at: Utc::now(),
                    });
                    state.record(self.failure_entry(&request, &state, &code));
                    if let Err(save) = self.save_state(&guard, &state).await {
                        tracing::error!(%task_id, error = %save, "could not record the task's failure");
                    }
                }
                Err((code, detail))
            }
        };
        // What this task wrote is no other machine's change.
        *lock(&self.inner.decided_on) = guard.lock().expected_version();
        drop(guard);
        self.invalidate_gate();
        match result {
            Ok(status) => {
                self.report_success(&status);
                Ok(status)
            }
            Err((code, detail)) => {
                self.report_failure(task_id, code.clone(), detail.clone());
                Err(ConfiguratorError::TaskFailed {
                    task_id,
                    code,
                    detail,
                })
            }
        }
    }

    /// The history's record of a failed task: its code, support id and
    /// target (the detail text stays out: it may quote a server's answer).
    fn failure_entry(
        &self,
        request: &TaskRequest,
        state: &LocalState,
        code: &FailureCode,
    ) -> HistoryEntry {
        let (id, name) = match &request.target {
            TaskTarget::Existing { target, name, .. } => {
                (Some(target.environment_id().clone()), Some(name.clone()))
            }
            TaskTarget::Create { name } => (None, Some(name.clone())),
        };
        let mut entry = self
            .history_entry(HistoryEvent::TaskFailed, request.actor.clone(), state)
            .environment(id, name)
            .support(request.task_id.to_string());
        entry.installation_name = Some(request.name.clone());
        entry.code = Some(code.clone());
        entry
    }

    pub(super) fn own_or_new_state(&self) -> Result<LocalState, StateError> {
        let spec = &self.inner.spec;
        Ok(self
            .own_state()?
            .unwrap_or_else(|| LocalState::new(spec.id.clone(), spec.line)))
    }

    /// The steps of a task. `touched` becomes true once a request that may
    /// change the platform has been sent (even if its answer was lost).
    pub(super) async fn run_steps(
        &self,
        held: &Held,
        request: &TaskRequest,
        at_start: Result<Option<LocalState>, StateError>,
        touched: &mut Touched,
    ) -> Result<TaskStatus, ConfiguratorError> {
        let task_id = request.task_id;
        let installation = self.installation_named(Some(request.name.clone()));
        let spec = &self.inner.spec;
        let mut state = at_start?.unwrap_or_else(|| LocalState::new(spec.id.clone(), spec.line));

        // An interrupted task with the same target is finished with its own
        // keys: one confirmation creates at most one environment and issues
        // at most one set of credentials, whatever happened to the process.
        let resumed = state
            .pending
            .as_ref()
            .filter(|p| same_target(&p.target, &request.target));
        let (create_key, issue_key) = match resumed {
            Some(p) => (p.create_key, p.issue_key),
            None => (IdempotencyKey::new(), IdempotencyKey::new()),
        };
        let plan_target = match &request.target {
            TaskTarget::Existing { target, name, .. } => PlanTarget::Existing {
                environment_id: target.environment_id().clone(),
                environment_name: name.clone(),
                etag: target.etag().clone(),
                overwrite: target.is_overwrite(),
            },
            TaskTarget::Create { name } => PlanTarget::Create { name: name.clone() },
        };
        state.pending = Some(PendingTask {
            task_id,
            installation: installation.clone(),
            target: plan_target,
            create_key,
            issue_key,
            started_at: Utc::now(),
        });
        self.save_state(held, &state).await?;
        self.invalidate_gate();

        let (target, env_name, env_kind) = match &request.target {
            TaskTarget::Existing { target, name, kind } => (target.clone(), name.clone(), *kind),
            TaskTarget::Create { name } => {
                held.check()?;
                self.progress(task_id, TaskStep::Creating);
                let create = CreateEnvironment {
                    name: name.clone(),
                    kind: installation.kind,
                    idempotency_key: create_key,
                };
                let env = touched.sent(self.inner.platform.create_environment(&create).await)?;
                (BindTarget::plain(&env), env.name.clone(), env.kind)
            }
        };

        held.check()?;
        self.progress(task_id, TaskStep::Binding);
        let bound = touched.sent(self.inner.platform.bind(&installation, &target).await)?;
        let bound_at = bound
            .binding_for(installation.line)
            .map(|b| b.bound_at)
            .unwrap_or_else(Utc::now);

        held.check()?;
        self.progress(task_id, TaskStep::IssuingCredentials);
        let issue = IssueCredentials {
            environment_id: target.environment_id().clone(),
            installation_id: installation.id.clone(),
            reuse_if_valid: true,
            idempotency_key: issue_key,
        };
        let issued = touched.sent(self.inner.platform.issue_credentials(&issue).await)?;
        touched.issue_answered = true;
        self.progress(task_id, TaskStep::Verifying);
        self.inner
            .platform
            .verify_credentials(&issued.credentials)
            .await?;
        let reused = issued.reused;
        state.credentials = Some(issued.credentials);
        if state.refused_credentials().is_some() {
            // Reused credentials the token endpoint had refused, proven
            // just now: the mark is lifted.
            state.revocation = None;
        }

        self.progress(task_id, TaskStep::Storing);
        state.binding = Some(LocalBinding {
            environment_id: target.environment_id().clone(),
            environment_name: env_name.clone(),
            environment_kind: env_kind,
            bound_at,
        });
        state.installation_name = Some(installation.name.clone());
        state.pending = None;
        let mut entry = self
            .history_entry(request.change.event(), request.actor.clone(), &state)
            .support(task_id.to_string());
        if let PlannedChange::Replace(replaced) = &request.change {
            entry.replaced = Some(replaced.clone());
        }
        state.record(entry);
        state.last_task = Some(TaskRecord {
            task_id,
            outcome: TaskOutcome::Succeeded {
                environment_id: target.environment_id().clone(),
                reused_credentials: reused,
            },
            finished_at: Utc::now(),
        });
        self.save_state(held, &state).await?;
        self.invalidate_gate();
        self.state_replaced();

        Ok(TaskStatus::Succeeded {
            task_id,
            environment_id: target.environment_id().clone(),
            environment_name: env_name,
            reused_credentials: reused,
        })
    }

    /// Issues (or reuses) credentials, verifies them and puts them in `state`
    /// (not yet saved). Returns whether they were reused. `issued` is set
    /// once the platform answered the issue (which revokes the previous set
    /// when nothing is reused), whatever happens next.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn obtain_credentials(
        &self,
        task_id: Uuid,
        installation: &Installation,
        environment_id: &EnvironmentId,
        reuse_if_valid: bool,
        idempotency_key: IdempotencyKey,
        state: &mut LocalState,
        issued_flag: &mut bool,
    ) -> Result<bool, ConfiguratorError> {
        self.progress(task_id, TaskStep::IssuingCredentials);
        let issue = IssueCredentials {
            environment_id: environment_id.clone(),
            installation_id: installation.id.clone(),
            reuse_if_valid,
            idempotency_key,
        };
        let issued = self.inner.platform.issue_credentials(&issue).await?;
        *issued_flag = true;
        self.progress(task_id, TaskStep::Verifying);
        self.inner
            .platform
            .verify_credentials(&issued.credentials)
            .await?;
        state.credentials = Some(issued.credentials);
        if state.refused_credentials().is_some() {
            // Reused credentials the token endpoint had refused, proven
            // just now: the mark is lifted.
            state.revocation = None;
        }
        Ok(issued.reused)
    }

    /// Lists every environment and classifies the situation of
    /// `installation` against the local state (`local`, as read under the
    /// lease). The platform client retries what is safe to retry; this
    /// layer does not.
    pub(super) async fn list_and_classify(
        &self,
        installation: &Installation,
        local: Option<&LocalState>,
    ) -> Result<(Vec<Environment>, Classification), ConfiguratorError> {
        let spec = &self.inner.spec;
        let envs = self
            .inner
            .platform
            .list_environments(spec.line, &spec.id)
            .await?;
        let local_env = local
            .and_then(|s| s.binding.as_ref())
            .map(|b| &b.environment_id);
        let classification = classify(installation, local_env, &envs);
        Ok((envs, classification))
    }
}

/// What a task has done to the platform so far, for its failure path.
#[derive(Debug, Default)]
pub(super) struct Touched {
    /// A request that may have changed the platform was sent.
    pub(super) platform: bool,
    /// The credentials request was answered.
    pub(super) issue_answered: bool,
}

impl Touched {
    /// Notes the result of a request that changes the platform unless it was
    /// refused outright (a 4xx answer, or never sent).
    pub(super) fn sent<T>(&mut self, result: Result<T, PlatformError>) -> Result<T, PlatformError> {
        let refused = match &result {
            Ok(_) => false,
            Err(PlatformError::Api { status, .. }) => (400..500).contains(status),
            Err(PlatformError::Config(_) | PlatformError::InvalidInput(_)) => true,
            Err(_) => false,
        };
        if !refused {
            self.platform = true;
        }
        result
    }
}
/// Whether an interrupted task aimed at the same place as a new one (then
/// the new one reuses its idempotency keys).
pub(super) fn same_target(pending: &PlanTarget, target: &TaskTarget) -> bool {
    match (pending, target) {
        (PlanTarget::Create { name: old }, TaskTarget::Create { name }) => {
            old.uniqueness_key() == name.uniqueness_key()
        }
        (PlanTarget::Existing { environment_id, .. }, TaskTarget::Existing { target, .. }) => {
            environment_id == target.environment_id()
        }
        _ => false,
    }
}

/// A held lock or lease. Dropping it stops the renewals and releases it.
pub(super) struct Held {
    shared: Arc<HeldLease>,
    renewer: Option<tokio::task::JoinHandle<()>>,
    /// With a shared store: the count of this process's writes before the
    /// lease was taken (the state found with it sets the gate's verdict
    /// only when no write came since).
    pub(super) writes_before: Option<u64>,
}

pub(super) struct HeldLease {
    lock: StateLock,
    ttl: Option<Duration>,
    /// The last successful renewal (or the taking), on this machine's
    /// monotonic clock.
    renewed: Mutex<std::time::Instant>,
}

impl HeldLease {
    /// Whether the lease may have expired by now: lost, or not renewed for
    /// three quarters of its lifetime (the store's clock may run a little
    /// faster than ours; the quarter is the margin).
    fn lost(&self) -> bool {
        self.lock.is_lost()
            || self
                .ttl
                .is_some_and(|ttl| lock(&self.renewed).elapsed() >= ttl * 3 / 4)
    }
}

impl Held {
    /// The lock, for a fenced write.
    pub(super) fn lock(&self) -> &StateLock {
        &self.shared.lock
    }

    /// Fails with [`StateError::LeaseLost`] when the lease may have expired:
    /// work under it stops before its next step.
    pub(super) fn check(&self) -> Result<(), StateError> {
        if self.shared.lost() {
            self.shared.lock.mark_lost();
            return Err(StateError::LeaseLost {
                epoch: self.shared.lock.lease().map_or(0, |l| l.epoch),
            });
        }
        Ok(())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
        }
    }
}

/// Renews a held lease every `period` until it is dropped or lost.
async fn renew_loop(
    lease: std::sync::Weak<HeldLease>,
    store: Arc<dyn StateStore>,
    period: Duration,
) {
    loop {
        tokio::time::sleep(period).await;
        let Some(held) = lease.upgrade() else { return };
        if held.lock.is_lost() {
            return;
        }
        let store = store.clone();
        let renewing = held.clone();
        let outcome = tokio::task::spawn_blocking(move || store.renew(&renewing.lock)).await;
        match outcome {
            Ok(Ok(())) => *lock(&held.renewed) = std::time::Instant::now(),
            Ok(Err(StateError::LeaseLost { epoch })) => {
                tracing::warn!(
                    epoch,
                    "the state's lease was taken over: the work under it stops"
                );
                held.lock.mark_lost();
                return;
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "renewing the state's lease failed; retrying");
                if held.lost() {
                    held.lock.mark_lost();
                    return;
                }
            }
            Err(_) => return,
        }
    }
}

impl Held {
    /// The shared lease, for a write on the blocking pool.
    pub(super) fn shared(&self) -> Arc<HeldLease> {
        self.shared.clone()
    }
}

impl HeldLease {
    pub(super) fn lock_ref(&self) -> &StateLock {
        &self.lock
    }
}
