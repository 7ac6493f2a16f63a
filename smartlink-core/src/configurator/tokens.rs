//! The configurator's runtime half: access tokens for the ERP's requests
//! (see [`crate::token`] for the cache's rules), revocation, and rotation
//! of credentials before they expire.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use secrecy::SecretString;
use tokio::sync::watch;
use uuid::Uuid;

use super::task::Held;
use super::{Configurator, EnsureOutcome};
use crate::credentials::{ClientId, Credentials};
use crate::platform::{ErrorCode, IdempotencyKey, IssueCredentials, PlatformError, WhoAmI};
use crate::state::history::{Actor, HistoryEntry, HistoryEvent};
use crate::state::{LocalState, Revocation, TaskOutcome, TaskRecord};
use crate::token::{
    AccessToken, Flight, FlightOutcome, FlightReceiver, Lookup, TokenError, duration_ms,
    rotation_lead,
};

/// How many times a caller asks again after its request turned out stale
/// (an invalidation or a state change during it) before giving up.
const MAX_STALE_ROUNDS: usize = 16;

/// A token as obtained, before it is published.
struct Fetched {
    token: AccessToken,
    lifetime: Duration,
    client_id: ClientId,
    /// Set when the request cleared a refusal mark (a state change of its
    /// own): the generation to publish in.
    generation: Option<u64>,
}

/// What [`Configurator::reverify_credentials`] found.
#[derive(Debug, Clone)]
pub struct CredentialsCheck {
    /// The credentials' client id.
    pub client_id: ClientId,
    /// Whether they were marked refused before, and the mark is now cleared.
    pub refusal_cleared: bool,
    /// When the access token obtained with them expires.
    pub token_expires_at: chrono::DateTime<Utc>,
    /// How long the token request took, retries included.
    pub elapsed: Duration,
}

/// Ends a flight exactly once: with its outcome, or — when the task is
/// dropped unfinished (runtime shutting down) — by freeing its slot so the
/// next caller starts another.
struct FlightGuard {
    cfg: Configurator,
    id: u64,
    generation: u64,
    proactive: bool,
    tx: Option<watch::Sender<Option<FlightOutcome>>>,
}

impl FlightGuard {
    fn finish(mut self, fetched: Result<Fetched, TokenError>) {
        let generation = match &fetched {
            Ok(Fetched {
                generation: Some(g),
                ..
            }) => *g,
            _ => self.generation,
        };
        let outcome = self
            .cfg
            .conclude_flight(generation, self.proactive, fetched);
        self.release();
        if let Some(tx) = self.tx.take() {
            tx.send_replace(Some(outcome));
        }
    }

    fn release(&self) {
        let cache = &self.cfg.inner.tokens;
        let mut slow = cache.slow();
        if slow.flight.as_ref().is_some_and(|f| f.id == self.id) {
            slow.flight = None;
        }
        if self.proactive {
            cache.refreshing.store(false, Ordering::Release);
        }
    }
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        if self.tx.is_some() {
            self.release();
        }
    }
}

impl Configurator {
    /// An access token for the ERP's requests to the platform (`Authorization:
    /// Bearer …`), from the cache shared by every thread: see *Runtime
    /// tokens* in `docs/platform-api.md` for when it is refreshed and what
    /// happens on failure.
    ///
    /// Errors: [`TokenError::NotConfigured`] while the login gate is open,
    /// [`TokenError::Revoked`] once the platform refused the credentials,
    /// [`TokenError::Platform`] when no valid token exists and the request
    /// for one failed.
    pub async fn access_token(&self) -> Result<AccessToken, TokenError> {
        match self.cached_access_token() {
            Some(token) => Ok(token),
            None => self
                .on_runtime(|c| async move { c.access_token_slow().await })
                .await
                .unwrap_or(Err(TokenError::Abandoned)),
        }
    }

    /// The cached token when a valid one exists, without waiting (starting
    /// its proactive refresh in the background when due); `None` otherwise,
    /// and then [`Configurator::access_token`] obtains one.
    #[inline]
    pub fn cached_access_token(&self) -> Option<AccessToken> {
        match self.inner.tokens.lookup() {
            Lookup::Fresh(token) => Some(token),
            Lookup::RefreshDue(token, generation) => {
                self.refresh_proactively(&token, generation);
                Some(token)
            }
            Lookup::Missing => None,
        }
    }

    /// Drops `token` from the cache after the platform answered `401
    /// invalid_token` to it; the next call fetches a new one. A token that
    /// is no longer the cached one (an older one) changes nothing. Returns
    /// whether the cached token was dropped.
    pub fn invalidate_token(&self, token: &AccessToken) -> bool {
        self.inner.tokens.invalidate(|t| t == token)
    }

    /// [`Configurator::invalidate_token`] for hosts that hold only the token
    /// text (the C ABI).
    pub fn invalidate_token_value(&self, value: &str) -> bool {
        use secrecy::ExposeSecret as _;
        let given = SecretString::from(value);
        self.inner
            .tokens
            .invalidate(|t| constant_time_eq(t.expose_secret(), given.expose_secret()))
    }

    /// The token cache's counters.
    pub fn token_stats(&self) -> crate::token::TokenStats {
        self.inner.tokens.stats()
    }

    /// `GET /v1/whoami` with this installation's access token: the smallest
    /// authenticated call, for diagnostics. A token the platform refuses
    /// (`invalid_token`) is invalidated and the call made once more with a
    /// new one.
    pub async fn whoami(&self) -> Result<WhoAmI, TokenError> {
        self.on_runtime(|c| async move { c.whoami_here().await })
            .await
            .unwrap_or(Err(TokenError::Abandoned))
    }

    async fn whoami_here(&self) -> Result<WhoAmI, TokenError> {
        let token = self.access_token().await?;
        match self.inner.platform.whoami(token.secret()).await {
            Err(e) if e.is(ErrorCode::InvalidToken) => {
                self.invalidate_token(&token);
                let token = self.access_token().await?;
                self.inner
                    .platform
                    .whoami(token.secret())
                    .await
                    .map_err(TokenError::Platform)
            }
            other => other.map_err(TokenError::Platform),
        }
    }

    pub(super) async fn access_token_slow(&self) -> Result<AccessToken, TokenError> {
        for _ in 0..MAX_STALE_ROUNDS {
            let mut rx = self.join_or_start_flight()?;
            let outcome = match rx.wait_for(Option::is_some).await {
                Ok(outcome) => outcome.clone(),
                Err(_) => return Err(TokenError::Abandoned),
            };
            match outcome {
                Some(FlightOutcome::Token(token)) => return Ok(token),
                Some(FlightOutcome::Failed(e)) => return Err(e),
                Some(FlightOutcome::Stale) | None => {}
            }
        }
        Err(TokenError::Abandoned)
    }

    /// Under the slow lock: a token published meanwhile, the last error
    /// while its backoff lasts, the flight of this generation, or a new one.
    fn join_or_start_flight(&self) -> Result<FlightReceiver, TokenError> {
        if let Some(token) = self.cached_access_token() {
            return Ok(watch::channel(Some(FlightOutcome::Token(token))).1);
        }
        if self.needs_configuration() && self.retry_after_new_setup().is_none() {
            return Err(self.unconfigured_error());
        }
        let cache = &self.inner.tokens;
        let mut slow = cache.slow();
        if let Some(entry) = cache.current()
            && cache.now_ms() < entry.expires_ms
        {
            return Ok(watch::channel(Some(FlightOutcome::Token(entry.token.clone()))).1);
        }
        if cache.now_ms() < slow.cold_retry_at_ms
            && let Some(e) = &slow.last_error
        {
            return Err(e.clone());
        }
        if let Some(flight) = &slow.flight
            && flight.generation == slow.generation
        {
            return Ok(flight.rx.clone());
        }
        Ok(self.start_flight(&mut slow, false))
    }

    /// Starts one token request in the background (it outlives a caller
    /// that gives up) and registers it as this generation's flight.
    fn start_flight(&self, slow: &mut crate::token::Slow, proactive: bool) -> FlightReceiver {
        let (tx, rx) = watch::channel(None);
        slow.next_flight = slow.next_flight.wrapping_add(1);
        let id = slow.next_flight;
        slow.flight = Some(Flight {
            id,
            generation: slow.generation,
            rx: rx.clone(),
        });
        let cache = &self.inner.tokens;
        cache.requests.fetch_add(1, Ordering::Relaxed);
        if proactive {
            cache.proactive.fetch_add(1, Ordering::Relaxed);
        }
        let guard = FlightGuard {
            cfg: self.clone(),
            id,
            generation: slow.generation,
            proactive,
            tx: Some(tx),
        };
        self.inner.runtime.spawn(async move {
            let fetched = guard.cfg.fetch_token().await;
            guard.finish(fetched);
        });
        rx
    }

    /// One caller (the first to see the refresh due, outside a backoff)
    /// starts the refresh; every caller keeps the valid token meanwhile.
    fn refresh_proactively(&self, due: &AccessToken, generation: u64) {
        let cache = &self.inner.tokens;
        // Read before the swap: while a refresh is in flight, callers only
        // read the flag (a swap by each would write to it from every thread).
        if cache.now_ms() < cache.retry_at_ms.load(Ordering::Acquire)
            || cache.refreshing.load(Ordering::Acquire)
            || cache.refreshing.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let mut slow = cache.slow();
        let busy = slow
            .flight
            .as_ref()
            .is_some_and(|f| f.generation == slow.generation);
        // A caller that saw the token due just before a refresh published
        // its successor (and ended) finds that successor here: no second
        // refresh.
        if busy || slow.generation != generation || !cache.is_published(due, generation) {
            cache.refreshing.store(false, Ordering::Release);
            return;
        }
        let _ = self.start_flight(&mut slow, true);
    }

    /// Publishes or records a flight's result, unless it is stale.
    fn conclude_flight(
        &self,
        generation: u64,
        proactive: bool,
        fetched: Result<Fetched, TokenError>,
    ) -> FlightOutcome {
        let cache = &self.inner.tokens;
        let mut slow = cache.slow();
        if fetched.is_err() {
            cache.failures.fetch_add(1, Ordering::Relaxed);
        }
        if slow.generation != generation {
            cache.stale.fetch_add(1, Ordering::Relaxed);
            return FlightOutcome::Stale;
        }
        let now = cache.now_ms();
        match fetched {
            Ok(f) => {
                if cache.publish(&mut slow, &f.token, f.lifetime, &f.client_id) {
                    FlightOutcome::Token(f.token)
                } else {
                    FlightOutcome::Failed(TokenError::Platform(PlatformError::Protocol {
                        detail: "the access token had expired by the time it arrived".into(),
                        body_excerpt: String::new(),
                        request_id: None,
                    }))
                }
            }
            Err(e) => {
                slow.failures = slow.failures.saturating_add(1);
                let delay = duration_ms(cache.backoff(slow.failures));
                match &e {
                    TokenError::Revoked { .. } | TokenError::NotConfigured => {
                        cache.clear(&mut slow)
                    }
                    _ if proactive => {
                        // Keep serving the valid token. The next whole refresh
                        // comes one step later, the steps spreading the tries
                        // evenly over the refresh window (see
                        // `refresh_retry_step`): no bunching near expiry.
                        let entry = cache.current();
                        let left = entry
                            .as_ref()
                            .map_or(0, |e| e.expires_ms.saturating_sub(now));
                        let step = entry.as_ref().map_or(delay, |e| {
                            duration_ms(crate::token::refresh_retry_step(Duration::from_millis(
                                u64::try_from(e.expires_ms.saturating_sub(e.refresh_at_ms))
                                    .unwrap_or(0),
                            )))
                        });
                        let wait = step.max(1);
                        cache
                            .retry_at_ms
                            .store(now.saturating_add(wait), Ordering::Release);
                        tracing::warn!(error = %e, retry_in_ms = wait, left_ms = left,
                            "refreshing the access token failed; the current one stays in use");
                    }
                    _ => {
                        slow.cold_retry_at_ms = now.saturating_add(delay);
                        slow.last_error = Some(e.clone());
                        tracing::warn!(error = %e, retry_in_ms = delay,
                            "obtaining an access token failed");
                    }
                }
                FlightOutcome::Failed(e)
            }
        }
    }

    /// The token request itself (in a background task).
    async fn fetch_token(&self) -> Result<Fetched, TokenError> {
        let (mut credentials, mut retrying_refused) = match self.stored_credentials() {
            Ok(c) => (c, false),
            Err(e) => match self.retry_after_new_setup() {
                Some(c) => (c, true),
                None => return Err(e),
            },
        };
        // A second round only when the stored credentials changed while
        // the first was refused (rotated by another process).
        for _ in 0..2 {
            let started = self.inner.tokens.now();
            match self.inner.platform.request_token(&credentials).await {
                Ok(grant) => {
                    let (token, lifetime) = grant_token(grant, started);
                    let generation = if retrying_refused {
                        self.refusal_lifted(&credentials, Actor::Transparent)
                            .await?
                    } else {
                        None
                    };
                    return Ok(Fetched {
                        token,
                        lifetime,
                        client_id: credentials.client_id.clone(),
                        generation,
                    });
                }
                Err(e) if e.is(ErrorCode::InvalidClient) => {
                    credentials = self.credentials_refused(&credentials, &e).await?;
                    retrying_refused = false;
                }
                Err(e) => return Err(TokenError::Platform(e)),
            }
        }
        Err(TokenError::Platform(PlatformError::api(
            ErrorCode::InvalidClient,
        )))
    }

    /// The refused credentials, when the host now runs another token
    /// request setup (token URL, authentication method) than the one they
    /// were refused under, and clearing the mark would leave the state
    /// configured: they get one token request. `None` otherwise.
    pub(super) fn retry_after_new_setup(&self) -> Option<Credentials> {
        let state = self.own_state().ok().flatten()?;
        let refused = state.refused_credentials()?.clone();
        let recorded = state.revocation.as_ref()?.token_request_setup.as_deref()?;
        let current = self.inner.platform.token_request_setup()?;
        if recorded == current {
            return None;
        }
        let mut cleared = state;
        cleared.revocation = None;
        cleared.is_configured_at(Utc::now()).then_some(refused)
    }

    /// The state lock and this installation's state under it, for the token
    /// cache's own changes to the state; `NotConfigured` without a state.
    async fn locked_own_state(&self) -> Result<(Held, LocalState), TokenError> {
        let guard = self
            .acquire_lock(None)
            .await
            .map_err(|e| TokenError::State(e.to_string()))?;
        let state = self
            .own_state()
            .map_err(|e| TokenError::State(e.to_string()))?;
        let Some(state) = state else {
            return Err(TokenError::NotConfigured);
        };
        Ok((guard, state))
    }

    /// Records `entry` in `state`, saves it under `guard`, releases the
    /// lock and reopens the login gate to the change.
    async fn save_with_entry(
        &self,
        guard: Held,
        mut state: LocalState,
        entry: HistoryEntry,
    ) -> Result<(), TokenError> {
        state.record(entry);
        self.save_state(&guard, &state)
            .await
            .map_err(|e| TokenError::State(e.to_string()))?;
        drop(guard);
        self.invalidate_gate();
        Ok(())
    }

    /// A token request with `credentials` succeeded while they were marked
    /// refused: clears the mark (under the state lock, unless other
    /// credentials were stored meanwhile) and reopens the gate. Returns the
    /// generation the token may be published in.
    async fn refusal_lifted(
        &self,
        credentials: &Credentials,
        actor: Actor,
    ) -> Result<Option<u64>, TokenError> {
        let (guard, mut state) = self.locked_own_state().await?;
        if !state
            .refused_credentials()
            .is_some_and(|c| c.same_as(credentials))
        {
            // Replaced or already cleared: nothing of ours to publish into.
            return Ok(None);
        }
        state.revocation = None;
        let entry = self.history_entry(HistoryEvent::RevocationLifted, actor, &state);
        self.save_with_entry(guard, state, entry).await?;
        tracing::info!(client_id = %credentials.client_id,
            "the platform accepted the credentials it had refused: the refusal is cleared");
        Ok(Some(self.inner.tokens.slow().generation))
    }

    /// Explicit re-verification: one new token request with the stored
    /// credentials, even while they are marked refused (see
    /// [`crate::state::Revocation`]), after the host fixed its token URL or
    /// authentication method, or to prove them (the terminal
    /// configurator's `check`). A success clears a refusal mark and
    /// publishes the token; `invalid_client` records (or renews) the mark;
    /// any other failure changes nothing. The platform client retries what
    /// is transient, as for every token request.
    ///
    /// Errors: [`TokenError::NotConfigured`] when no credentials are
    /// stored, [`TokenError::Revoked`] on `invalid_client`,
    /// [`TokenError::Platform`] otherwise.
    pub async fn reverify_credentials(&self) -> Result<CredentialsCheck, TokenError> {
        self.on_runtime(|c| async move { c.reverify_here().await })
            .await
            .unwrap_or(Err(TokenError::Abandoned))
    }

    async fn reverify_here(&self) -> Result<CredentialsCheck, TokenError> {
        let credentials = self
            .own_state_async()
            .await
            .map_err(|e| TokenError::State(e.to_string()))?
            .and_then(|s| s.credentials)
            .ok_or(TokenError::NotConfigured)?;
        let clock = std::time::Instant::now();
        let started = self.inner.tokens.now();
        match self.inner.platform.request_token(&credentials).await {
            Ok(grant) => {
                let elapsed = clock.elapsed();
                let (token, lifetime) = grant_token(grant, started);
                let was_refused = self
                    .own_state_async()
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|s| {
                        s.refused_credentials()
                            .is_some_and(|c| c.same_as(&credentials))
                    });
                let generation = if was_refused {
                    self.refusal_lifted(&credentials, self.actor()).await?
                } else {
                    None
                };
                let cache = &self.inner.tokens;
                {
                    let mut slow = cache.slow();
                    if generation.is_none_or(|g| g == slow.generation) {
                        cache.publish(&mut slow, &token, lifetime, &credentials.client_id);
                    }
                }
                Ok(CredentialsCheck {
                    client_id: credentials.client_id,
                    refusal_cleared: generation.is_some(),
                    token_expires_at: token.expires_at(),
                    elapsed,
                })
            }
            Err(e) if e.is(ErrorCode::InvalidClient) => {
                match self.credentials_refused(&credentials, &e).await {
                    // Other credentials were stored meanwhile.
                    Ok(_) => Err(TokenError::Platform(e)),
                    Err(refused) => Err(refused),
                }
            }
            Err(e) => Err(TokenError::Platform(e)),
        }
    }

    /// A token request with the stored credentials (refused or not) through
    /// `platform` instead of the configured one, changing nothing: for
    /// diagnostics that try another setup (the other client authentication
    /// method, say) without adopting it.
    pub async fn probe_credentials_with(
        &self,
        platform: &dyn crate::platform::Platform,
    ) -> Result<(), TokenError> {
        let credentials = self
            .own_state()
            .map_err(|e| TokenError::State(e.to_string()))?
            .and_then(|s| s.credentials)
            .ok_or(TokenError::NotConfigured)?;
        platform
            .request_token(&credentials)
            .await
            .map(drop)
            .map_err(TokenError::Platform)
    }

    fn stored_credentials(&self) -> Result<Credentials, TokenError> {
        if self.needs_configuration() {
            return Err(self.unconfigured_error());
        }
        self.own_state()
            .map_err(|e| TokenError::State(e.to_string()))?
            .and_then(|s| s.credentials)
            .ok_or(TokenError::NotConfigured)
    }

    /// `NotConfigured`, or `Revoked` when the state records a revocation.
    fn unconfigured_error(&self) -> TokenError {
        match self.own_state() {
            Ok(Some(state)) => revoked_error(&state).unwrap_or(TokenError::NotConfigured),
            Ok(None) => TokenError::NotConfigured,
            Err(e) => TokenError::State(e.to_string()),
        }
    }

    /// The token endpoint refused `used`. Under the state lock (so a
    /// rotation under way finishes first): credentials stored since are
    /// returned to try; otherwise the refusal is recorded and the gate opens.
    async fn credentials_refused(
        &self,
        used: &Credentials,
        refusal: &PlatformError,
    ) -> Result<Credentials, TokenError> {
        let (guard, mut state) = self.locked_own_state().await?;
        match &state.credentials {
            Some(c) if !c.same_as(used) => {
                return if state.is_configured_at(Utc::now()) {
                    Ok(c.clone())
                } else {
                    Err(revoked_error(&state).unwrap_or(TokenError::NotConfigured))
                };
            }
            None => return Err(revoked_error(&state).unwrap_or(TokenError::NotConfigured)),
            Some(_) => {}
        }
        let revocation = Revocation {
            client_id: used.client_id.clone(),
            detected_at: Utc::now(),
            request_id: refusal.request_id().map(str::to_owned),
            status: match refusal {
                PlatformError::Api { status, .. } => Some(*status),
                _ => None,
            },
            token_request_setup: self.inner.platform.token_request_setup(),
        };
        // The credentials stay, marked refused: the refusal may come from
        // a wrong token URL or authentication method, not from the platform
        // revoking them (see `Revocation`).
        state.revocation = Some(revocation.clone());
        let mut entry =
            self.history_entry(HistoryEvent::RevocationSeen, Actor::Transparent, &state);
        entry.support_code = revocation.request_id.clone();
        self.save_with_entry(guard, state, entry).await?;
        tracing::warn!(client_id = %used.client_id,
            request_id = revocation.request_id.as_deref().unwrap_or("-"),
            status = revocation.status.unwrap_or(0),
            setup = revocation.token_request_setup.as_deref().unwrap_or("-"),
            "the platform refused this installation's credentials (invalid_client): kept but marked refused; the configurator (or a corrected token URL or authentication method) is needed");
        Err(TokenError::Revoked {
            client_id: revocation.client_id,
            detected_at: revocation.detected_at,
        })
    }

    /// Called whenever this process changed the local state.
    pub(super) fn tokens_state_changed(&self) {
        let stored = self
            .own_state()
            .ok()
            .flatten()
            .and_then(|s| s.credentials)
            .map(|c| c.client_id);
        self.inner.tokens.state_changed(stored.as_ref());
    }

    /// Rotates credentials that are close to expiring (see
    /// [`crate::token::rotation_lead`]): new ones are issued, proven by a
    /// token request, and stored, and that token is published, before the
    /// old ones are let go. A failure keeps the old ones (they are still
    /// valid) and is tried again at the next call. `None` when no rotation
    /// was due or it failed.
    pub(super) async fn rotate_if_due(&self) -> Option<EnsureOutcome> {
        let due = |s: &LocalState| {
            let now = Utc::now();
            s.is_configured_at(now) && rotation_due(s, now)
        };
        if !self.own_state().ok().flatten().is_some_and(|s| due(&s)) {
            return None;
        }
        let guard = self.acquire_lock(None).await.ok()?;
        let mut state = self.own_state().ok().flatten().filter(|s| due(s))?;
        let binding = state.binding.clone()?;
        let spec = &self.inner.spec;
        let issue = IssueCredentials {
            environment_id: binding.environment_id.clone(),
            installation_id: spec.id.clone(),
            reuse_if_valid: false,
            idempotency_key: IdempotencyKey::new(),
        };
        let rotated = async {
            // One attempt per step: the platform client is the retry layer.
            let issued = self.inner.platform.issue_credentials(&issue).await?;
            let started = self.inner.tokens.now();
            let grant = match self.inner.platform.request_token(&issued.credentials).await {
                Ok(grant) => Some(grant),
                // A platform without tokens still proves the credentials.
                Err(PlatformError::Config(_)) => {
                    self.inner
                        .platform
                        .verify_credentials(&issued.credentials)
                        .await?;
                    None
                }
                Err(e) => return Err(e),
            };
            Ok::<_, PlatformError>((issued.credentials, grant, started))
        }
        .await;
        let (credentials, grant, started) = match rotated {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e,
                    "rotating credentials before they expire failed; the current ones stay while they are valid");
                return None;
            }
        };
        let task_id = Uuid::new_v4();
        state.credentials = Some(credentials.clone());
        state.revocation = None;
        let entry = self
            .history_entry(HistoryEvent::Rotated, Actor::Transparent, &state)
            .support(task_id.to_string());
        state.record(entry);
        state.last_task = Some(TaskRecord {
            task_id,
            outcome: TaskOutcome::Succeeded {
                environment_id: binding.environment_id.clone(),
                reused_credentials: false,
            },
            finished_at: Utc::now(),
        });
        if let Err(e) = self.save_state(&guard, &state).await {
            tracing::error!(%task_id, error = %e, "rotated credentials could not be stored");
            return None;
        }
        drop(guard);
        self.invalidate_gate();
        if let Some(grant) = grant {
            let (token, lifetime) = grant_token(grant, started);
            let cache = &self.inner.tokens;
            let mut slow = cache.slow();
            cache.publish(&mut slow, &token, lifetime, &credentials.client_id);
        }
        tracing::info!(%task_id, client_id = %credentials.client_id,
            "credentials rotated before they expire");
        Some(EnsureOutcome::Configured {
            environment_id: binding.environment_id,
            reused_credentials: false,
            only_candidate: None,
        })
    }
}

/// Whether stored credentials are close enough to expiry to rotate: when
/// less than [`rotation_lead`] of their lifetime remains. The lifetime is
/// counted from when they were stored (the last successful task).
fn rotation_due(state: &LocalState, now: chrono::DateTime<Utc>) -> bool {
    let Some(expires_at) = state.credentials.as_ref().and_then(|c| c.expires_at) else {
        return false;
    };
    let stored_at = match &state.last_task {
        Some(TaskRecord {
            outcome: TaskOutcome::Succeeded { .. },
            finished_at,
            ..
        }) if *finished_at < expires_at => Some(*finished_at),
        _ => None,
    };
    let lead = rotation_lead(stored_at.map(|s| expires_at - s));
    expires_at - now <= lead
}

/// A grant as the cache keeps it: the token, expiring `expires_in` after
/// `started` (when the request was sent), and its lifetime.
fn grant_token(
    grant: crate::platform::TokenGrant,
    started: chrono::DateTime<Utc>,
) -> (AccessToken, Duration) {
    let lifetime = Duration::from_secs(grant.expires_in);
    let expires_at = i64::try_from(grant.expires_in)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .and_then(|d| started.checked_add_signed(d))
        .unwrap_or(chrono::DateTime::<Utc>::MAX_UTC);
    (AccessToken::new(grant.access_token, expires_at), lifetime)
}

fn revoked_error(state: &LocalState) -> Option<TokenError> {
    state.active_revocation().map(|r| TokenError::Revoked {
        client_id: r.client_id.clone(),
        detected_at: r.detected_at,
    })
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
