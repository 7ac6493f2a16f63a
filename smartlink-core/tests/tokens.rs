//! Runtime access tokens on the in-memory platform: single flight, proactive
//! refresh, failure fallback, the invalidation race, revocation reopening the
//! login gate, and rotation before expiry without a gap.
//!
//! Token requests go through [`Controlled`], a platform double that can hold
//! them at a gate the test opens, and time is a manual clock: nothing here
//! waits on wall-clock time to decide an outcome.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeDelta, Utc};
use secrecy::ExposeSecret;
use smartlink_core::wizard::{Action, Screen};
use smartlink_core::*;
use smartlink_core::{ErrorCode, TokenGrant};
use smartlink_sandbox::InMemoryPlatform;
use smartlink_sandbox::Operation;
use smartlink_sandbox::memory::wire::BindBody;
use tokio::sync::Semaphore;

use fixtures::{Hook, Hooked, ManualClock, memory_platform};
use smartlink_testkit::fixtures;

const SEED: &str = r#"{"environments":[
  {"id":"env_prd","name":"Produção","kind":"production","bindings":[
     {"installation_id":"erp-1","installation_name":"Matriz","line":"protheus","bound_at":"2026-01-01T00:00:00Z"}]},
  {"id":"env_free","name":"Produção Nova","kind":"production"}
]}"#;

/// Token requests that can be held at a gate, counted and noted.
struct Controlled {
    hold: AtomicBool,
    permits: Semaphore,
    /// Token requests that arrived (held or not).
    entered: AtomicUsize,
    /// Token values handed out, in order.
    handed_out: Mutex<Vec<String>>,
}

impl Controlled {
    fn new() -> Self {
        Self {
            hold: AtomicBool::new(false),
            permits: Semaphore::new(0),
            entered: AtomicUsize::new(0),
            handed_out: Mutex::new(Vec::new()),
        }
    }

    fn entered(&self) -> usize {
        self.entered.load(Ordering::SeqCst)
    }

    fn last_handed_out(&self) -> String {
        self.handed_out.lock().unwrap().last().cloned().unwrap()
    }

    /// Waits (polling, with a deadline) until `n` token requests arrived.
    async fn wait_entered(&self, n: usize) {
        wait_until(|| self.entered() >= n).await;
    }
}

#[async_trait]
impl Hook for Controlled {
    async fn before_token_request(&self) {
        self.entered.fetch_add(1, Ordering::SeqCst);
        if self.hold.load(Ordering::SeqCst) {
            self.permits.acquire().await.unwrap().forget();
        }
    }
    fn token_granted(&self, grant: &TokenGrant) {
        self.handed_out
            .lock()
            .unwrap()
            .push(grant.access_token.expose_secret().to_owned());
    }
}

async fn wait_until(mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

struct Setup {
    memory: Arc<InMemoryPlatform>,
    platform: Arc<Hooked<Controlled>>,
    store: MemoryStateStore,
    cfg: Configurator,
    clock: ManualClock,
}

fn spec() -> InstallationSpec {
    InstallationSpec::parse("erp-1", "protheus", "production", None).unwrap()
}

/// An installation already bound on the platform, configured by
/// `ensure_configured` (credentials issued, proven and stored).
async fn configured() -> Setup {
    let memory = memory_platform(SEED);
    let platform = Hooked::new(memory.clone(), Controlled::new());
    let store = MemoryStateStore::new();
    let clock = ManualClock::new();
    let cfg =
        fixtures::configured("erp-1", platform.clone(), Arc::new(store.clone()), &clock).await;
    Setup {
        memory,
        platform,
        store,
        cfg,
        clock,
    }
}

fn token_requests(s: &Setup) -> usize {
    s.memory.calls(Operation::Verify)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_token_is_served_without_a_request_and_works_for_whoami() {
    let s = configured().await;
    let before = token_requests(&s);
    let token = s.cfg.access_token().await.unwrap();
    assert_eq!(token_requests(&s), before + 1);
    for _ in 0..100 {
        assert_eq!(s.cfg.access_token().await.unwrap(), token);
    }
    assert_eq!(token_requests(&s), before + 1, "served from the cache");
    assert!(token.expires_at() > s.clock.now());
    let who = s.memory.endpoints().whoami(token.expose_secret()).unwrap();
    assert_eq!(who.installation_id.as_str(), "erp-1");
    assert_eq!(who.environment_id.as_str(), "env_prd");
    let via_cfg = s.cfg.whoami().await.unwrap();
    assert_eq!(via_cfg, who);
    // Nothing prints it.
    assert!(!format!("{token:?}").contains(token.expose_secret()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_configured_is_a_typed_error_without_a_request() {
    let memory = Arc::new(InMemoryPlatform::new());
    let cfg = Configurator::new(spec(), memory.clone(), Arc::new(MemoryStateStore::new())).unwrap();
    assert_eq!(cfg.access_token().await, Err(TokenError::NotConfigured));
    assert_eq!(memory.calls(Operation::Verify), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_on_a_cold_cache_share_one_request() {
    let s = configured().await;
    let before = s.platform.hook.entered();
    s.platform.hook.hold.store(true, Ordering::SeqCst);
    let mut callers = Vec::new();
    for _ in 0..200 {
        let cfg = s.cfg.clone();
        callers.push(tokio::spawn(async move { cfg.access_token().await }));
    }
    s.platform.hook.wait_entered(before + 1).await;
    // Let every caller reach the flight while the request is held.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    s.platform.hook.permits.add_permits(1);
    let mut tokens = Vec::new();
    for c in callers {
        tokens.push(c.await.unwrap().unwrap());
    }
    assert_eq!(
        s.platform.hook.entered(),
        before + 1,
        "exactly one token request"
    );
    assert!(tokens.iter().all(|t| t == &tokens[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_starts_before_expiry_while_callers_keep_the_valid_token() {
    let s = configured().await;
    let first = s.cfg.access_token().await.unwrap();
    let requests = s.platform.hook.entered();
    // One hour tokens: the margin is 5 minutes. Just before it, no refresh.
    s.clock.advance(Duration::from_secs(3600 - 301));
    assert_eq!(s.cfg.access_token().await.unwrap(), first);
    assert_eq!(s.platform.hook.entered(), requests);
    // Inside the margin: one refresh, held; every caller gets the valid token.
    s.platform.hook.hold.store(true, Ordering::SeqCst);
    s.clock.advance(Duration::from_secs(2));
    for _ in 0..1000 {
        assert_eq!(s.cfg.access_token().await.unwrap(), first);
    }
    s.platform.hook.wait_entered(requests + 1).await;
    assert_eq!(
        s.platform.hook.entered(),
        requests + 1,
        "one caller refreshes"
    );
    s.platform.hook.permits.add_permits(1);
    wait_until(|| s.cfg.cached_access_token().is_some_and(|t| t != first)).await;
    let second = s.cfg.access_token().await.unwrap();
    assert_eq!(second.expose_secret(), s.platform.hook.last_handed_out());
    assert!(second.expires_at() > first.expires_at());
    assert_eq!(s.platform.hook.entered(), requests + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refresh_keeps_the_valid_token_and_retries_one_step_later() {
    let s = configured().await;
    let first = s.cfg.access_token().await.unwrap();
    let requests = s.platform.hook.entered();
    s.memory.fail_next(
        Operation::Verify,
        PlatformError::api(ErrorCode::Unavailable),
    );
    s.clock.advance(Duration::from_secs(3600 - 200));
    assert_eq!(s.cfg.access_token().await.unwrap(), first);
    s.platform.hook.wait_entered(requests + 1).await;
    // The refresh window of a 1-hour token is 5 minutes: the next whole
    // refresh comes a fifth of it (60 s) later, not sooner.
    wait_until(|| s.cfg.token_stats().failures == 1).await;
    for _ in 0..100 {
        assert_eq!(s.cfg.access_token().await.unwrap(), first);
    }
    s.clock.advance(Duration::from_millis(59_900));
    for _ in 0..100 {
        assert_eq!(s.cfg.access_token().await.unwrap(), first);
    }
    assert_eq!(
        s.platform.hook.entered(),
        requests + 1,
        "no retry within the step"
    );
    s.clock.advance(Duration::from_millis(200));
    assert_eq!(s.cfg.access_token().await.unwrap(), first);
    wait_until(|| s.cfg.cached_access_token().is_some_and(|t| t != first)).await;
    assert_eq!(s.platform.hook.entered(), requests + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_cold_request_is_reported_and_not_repeated_within_the_backoff() {
    let s = configured().await;
    let requests = s.platform.hook.entered();
    s.memory.fail_next(
        Operation::Verify,
        PlatformError::api(ErrorCode::Unavailable),
    );
    let err = s.cfg.access_token().await.unwrap_err();
    assert!(
        matches!(&err, TokenError::Platform(p) if p.is(ErrorCode::Unavailable)),
        "{err:?}"
    );
    assert_eq!(s.cfg.access_token().await.unwrap_err(), err);
    assert_eq!(s.platform.hook.entered(), requests + 1);
    s.clock.advance(Duration::from_millis(1001));
    s.cfg.access_token().await.unwrap();
    assert_eq!(s.platform.hook.entered(), requests + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_started_before_an_invalidation_never_publishes() {
    let s = configured().await;
    let first = s.cfg.access_token().await.unwrap();
    let requests = s.platform.hook.entered();
    // A proactive refresh starts and is held at the platform.
    s.platform.hook.hold.store(true, Ordering::SeqCst);
    s.clock.advance(Duration::from_secs(3600 - 100));
    assert_eq!(s.cfg.access_token().await.unwrap(), first);
    s.platform.hook.wait_entered(requests + 1).await;
    // The platform refused `first` (401 invalid_token): the host invalidates it.
    assert!(s.cfg.invalidate_token(&first));
    assert!(s.cfg.cached_access_token().is_none());
    // The held refresh now completes, with a token obtained before the
    // invalidation: it must not be published.
    s.platform.hook.permits.add_permits(1);
    wait_until(|| s.platform.hook.handed_out.lock().unwrap().len() == requests + 1).await;
    let stale = s.platform.hook.last_handed_out();
    s.platform.hook.hold.store(false, Ordering::SeqCst);
    let fresh = s.cfg.access_token().await.unwrap();
    assert_ne!(
        fresh.expose_secret(),
        stale,
        "the stale refresh was published"
    );
    assert_ne!(fresh, first);
    assert_eq!(fresh.expose_secret(), s.platform.hook.last_handed_out());
    // Invalidating an older token never drops the newer one.
    assert!(!s.cfg.invalidate_token(&first));
    assert!(!s.cfg.invalidate_token_value(&stale));
    assert_eq!(s.cfg.cached_access_token(), Some(fresh.clone()));
    assert!(s.cfg.invalidate_token_value(fresh.expose_secret()));
    assert!(s.cfg.cached_access_token().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_waiting_on_a_request_that_turned_stale_get_a_fresh_token() {
    let s = configured().await;
    let first = s.cfg.access_token().await.unwrap();
    let requests = s.platform.hook.entered();
    assert!(s.cfg.invalidate_token(&first));
    // Cold request held; callers wait on it.
    s.platform.hook.hold.store(true, Ordering::SeqCst);
    // Each waiter is polled once: it has joined the request before the
    // state changes.
    let mut waiters: Vec<_> = (0..20)
        .map(|_| {
            let cfg = s.cfg.clone();
            Box::pin(async move { cfg.access_token().await })
        })
        .collect();
    for w in &mut waiters {
        assert!(tokio::time::timeout(Duration::ZERO, w).await.is_err());
    }
    s.platform.hook.wait_entered(requests + 1).await;
    assert_eq!(s.cfg.token_stats().requests, 2, "one request for all");
    // The local state changes (another save by this process): the request
    // in flight belongs to an older generation.
    let state = s.store.load().unwrap().unwrap();
    s.cfg.forget_local().unwrap();
    s.store.save(&state).unwrap();
    // forget_local + save: same credentials stored again; the waiters must
    // not get the stale request's token, but one obtained afterwards.
    s.platform.hook.hold.store(false, Ordering::SeqCst);
    s.platform.hook.permits.add_permits(1);
    let mut got = Vec::new();
    for w in waiters {
        got.push(w.await.unwrap());
    }
    let handed = s.platform.hook.handed_out.lock().unwrap().clone();
    let stale = &handed[requests];
    assert!(got.iter().all(|t| t.expose_secret() != stale));
    assert!(got.iter().all(|t| t == &got[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_is_detected_by_one_request_and_reopens_the_login_gate() {
    let s = configured().await;
    let token = s.cfg.access_token().await.unwrap();
    let secret = s.cfg.credentials().unwrap().unwrap().secret().to_owned();
    // Another installation takes the environment, confirming the overwrite
    // (R4): the platform revokes this installation's credentials.
    let env = s
        .memory
        .environments()
        .into_iter()
        .find(|e| e.id.as_str() == "env_prd")
        .unwrap();
    s.memory
        .endpoints()
        .bind(
            "env_prd",
            ErpLine::Protheus,
            &BindBody {
                installation_id: InstallationId::new("erp-new").unwrap(),
                installation_name: InstallationName::new("Novo servidor").unwrap(),
                installation_kind: Kind::Production,
                overwrite: true,
            },
            Some(env.etag.as_str()),
        )
        .unwrap();
    // The ERP's next call is refused: 401 invalid_token.
    let refused = s
        .memory
        .endpoints()
        .whoami(token.expose_secret())
        .unwrap_err();
    assert!(refused.is(ErrorCode::InvalidToken));
    s.cfg.invalidate_token(&token);
    let before = s.memory.token_attempts_with_secret(&secret);
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let cfg = s.cfg.clone();
            tokio::spawn(async move { cfg.access_token().await })
        })
        .collect();
    for c in callers {
        let err = c.await.unwrap().unwrap_err();
        assert!(matches!(err, TokenError::Revoked { .. }), "{err:?}");
        assert_eq!(FailureCode::from(&err), "credentials_revoked");
        assert!(!err.to_string().contains(&secret));
    }
    assert_eq!(
        s.memory.token_attempts_with_secret(&secret) - before,
        1,
        "one request detects it"
    );
    // Later calls answer from the state, with no request.
    for _ in 0..10 {
        assert!(matches!(
            s.cfg.access_token().await,
            Err(TokenError::Revoked { .. })
        ));
    }
    assert_eq!(s.memory.token_attempts_with_secret(&secret) - before, 1);
    // The gate is open, with the reason; the credentials are kept in the
    // state, marked refused, and handed to nobody.
    assert!(s.cfg.needs_configuration());
    let status = s.cfg.status().unwrap();
    assert!(status.needs_configuration);
    let revoked = status
        .credentials_revoked
        .expect("the reason is in the status");
    let stored = s.store.load().unwrap().unwrap();
    assert_eq!(stored.credentials.as_ref().unwrap().secret(), secret);
    assert_eq!(
        stored.refused_credentials().map(|c| c.client_id.clone()),
        Some(revoked.client_id.clone())
    );
    assert_eq!(stored.revocation.as_ref().unwrap().status, Some(401));
    assert!(s.cfg.credentials().unwrap().is_none());
    // The unattended path does not guess: an administrator must decide.
    assert!(matches!(
        s.cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::AdminNeeded {
            scenario: Scenario::Replacement
        }
    ));
    // The next login shows the scenario the rules give: the local binding
    // was lost and the environment is now another installation's.
    let login = Configurator::new(spec(), s.platform.clone(), Arc::new(s.store.clone())).unwrap();
    let screen = fixtures::to_list(&login, "Matriz").await;
    match screen {
        Screen::ChooseEnvironment {
            scenario,
            local_binding_lost,
            ..
        } => {
            assert_eq!(scenario, Scenario::Replacement);
            assert!(local_binding_lost);
        }
        other => panic!("unexpected screen {other:?}"),
    }
    // Binding again (to the free environment) stores new credentials and
    // the revocation no longer applies.
    login
        .apply(Action::Select {
            environment_id: EnvironmentId::new("env_free").unwrap(),
        })
        .await
        .unwrap();
    assert!(matches!(
        login.wait_for_task().await,
        TaskStatus::Succeeded { .. }
    ));
    assert!(!s.cfg.needs_configuration());
    assert!(s.cfg.status().unwrap().credentials_revoked.is_none());
    let new_token = s.cfg.access_token().await.unwrap();
    let who = s
        .memory
        .endpoints()
        .whoami(new_token.expose_secret())
        .unwrap();
    assert_eq!(who.environment_id.as_str(), "env_free");
    let _ = revoked;
}

/// Makes the stored credentials look as if stored 29 of their 30 days ago.
fn age_credentials(s: &Setup) {
    let mut state = s.store.load().unwrap().unwrap();
    let now = Utc::now();
    state.credentials.as_mut().unwrap().expires_at = Some(now + TimeDelta::days(1));
    if let Some(task) = state.last_task.as_mut() {
        task.finished_at = now - TimeDelta::days(29);
    }
    s.store.save(&state).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_not_rotated_long_before_expiry() {
    let s = configured().await;
    let issued = s.memory.credentials_issued();
    assert_eq!(
        s.cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::AlreadyConfigured
    );
    assert_eq!(s.memory.credentials_issued(), issued);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_before_expiry_has_no_gap() {
    let s = configured().await;
    let old_token = s.cfg.access_token().await.unwrap();
    let old = s.cfg.credentials().unwrap().unwrap();
    age_credentials(&s);
    let requests = s.platform.hook.entered();

    s.platform.hook.hold.store(true, Ordering::SeqCst);
    let rotation = {
        let cfg = s.cfg.clone();
        tokio::spawn(async move { cfg.ensure_configured().await })
    };
    // New credentials issued (the platform revoked the old ones); their
    // proof is held. Meanwhile the installation stays configured and the
    // cached token is still served.
    s.platform.hook.wait_entered(requests + 1).await;
    assert!(!s.cfg.needs_configuration());
    assert_eq!(s.cfg.access_token().await.unwrap(), old_token);
    // The ERP's request with the old token is refused; it asks for a new
    // one, whose request (with the old credentials) is refused too: that is
    // the rotation, not a revocation.
    assert!(s.cfg.invalidate_token(&old_token));
    let caller = {
        let cfg = s.cfg.clone();
        tokio::spawn(async move { cfg.access_token().await })
    };
    s.platform.hook.wait_entered(requests + 2).await;
    s.platform.hook.permits.add_permits(1); // the rotation's proof (first in line)
    let outcome = rotation.await.unwrap().unwrap();
    assert!(matches!(
        outcome,
        EnsureOutcome::Configured {
            reused_credentials: false,
            ..
        }
    ));
    s.platform.hook.hold.store(false, Ordering::SeqCst);
    s.platform.hook.permits.add_permits(1); // the caller's request
    let token = caller
        .await
        .unwrap()
        .expect("no gap: a token, not an error");
    let new = s.cfg.credentials().unwrap().unwrap();
    assert_ne!(new.client_id, old.client_id);
    assert!(s.cfg.status().unwrap().credentials_revoked.is_none());
    assert!(!s.cfg.needs_configuration());
    let who = s.memory.endpoints().whoami(token.expose_secret()).unwrap();
    assert_eq!(who.client_id, new.client_id);
    // The rotation's own token was published: no extra request needed.
    let seen = s.platform.hook.entered();
    let again = s.cfg.access_token().await.unwrap();
    assert_eq!(s.platform.hook.entered(), seen);
    assert!(s.memory.endpoints().whoami(again.expose_secret()).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_rotation_keeps_the_valid_credentials() {
    let s = configured().await;
    let token = s.cfg.access_token().await.unwrap();
    age_credentials(&s);
    let old = s.cfg.credentials().unwrap().unwrap();
    // One attempt per step (the platform client is the only retry layer).
    s.memory
        .fail_next(Operation::Issue, PlatformError::api(ErrorCode::Unavailable));
    assert_eq!(
        s.cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::AlreadyConfigured
    );
    assert!(!s.cfg.needs_configuration());
    assert!(s.cfg.credentials().unwrap().unwrap().same_as(&old));
    assert_eq!(s.cfg.access_token().await.unwrap(), token);
    assert!(s.memory.endpoints().whoami(token.expose_secret()).is_ok());
    // Tried again at the next call, and done.
    assert!(matches!(
        s.cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::Configured { .. }
    ));
    assert!(!s.cfg.credentials().unwrap().unwrap().same_as(&old));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expire_in_the_cache_never_in_a_callers_hands() {
    let s = configured().await;
    s.memory.set_token_lifetime(Duration::from_secs(2));
    s.cfg.invalidate_token(&s.cfg.access_token().await.unwrap());
    let mut refreshes = 0;
    let mut last: Option<AccessToken> = None;
    // 20 simulated seconds in 10 ms steps: one new token per second (the
    // margin of a 2 s token is 1 s), and never an expired one.
    for _ in 0..2000 {
        let now = s.clock.now();
        let t = s.cfg.access_token().await.unwrap();
        assert!(!t.is_expired_at(now), "an expired token was handed out");
        if last.as_ref() != Some(&t) {
            refreshes += 1;
            last = Some(t);
        }
        // Let a background refresh land before time moves on.
        wait_until(|| {
            s.cfg
                .cached_access_token()
                .is_none_or(|c| c.expires_at() - s.clock.now() > TimeDelta::seconds(1))
        })
        .await;
        s.clock.advance(Duration::from_millis(10));
    }
    assert!((19..=22).contains(&refreshes), "{refreshes} tokens in 20 s");
}

/// One retry layer, paced: with a 6-second token (refresh window 3 s) and
/// a failing endpoint, whole refreshes come a fifth of the window (0.6 s)
/// apart — at 3, 3.6, 4.2, 4.8 and 5.4 s — never bunched near expiry, and
/// the valid token stays in service until it expires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_refreshes_are_spread_evenly_over_the_refresh_window() {
    let s = configured().await;
    s.memory.set_token_lifetime(Duration::from_secs(6));
    // The token obtained now lives 6 s (counted from this instant).
    let token = {
        let t = s.cfg.access_token().await.unwrap();
        if t.expires_at() - s.clock.now() > chrono::TimeDelta::seconds(6) {
            assert!(s.cfg.invalidate_token(&t));
            s.cfg.access_token().await.unwrap()
        } else {
            t
        }
    };
    for _ in 0..10 {
        s.memory.fail_next(
            Operation::Verify,
            PlatformError::api(ErrorCode::Unavailable),
        );
    }
    let start = s.platform.hook.entered();
    let mut tried_at = Vec::new();
    // Walk the clock in 100 ms steps to 5.9 s, asking at every step.
    for step in 1..=59 {
        s.clock.advance(Duration::from_millis(100));
        let before = s.cfg.token_stats();
        assert_eq!(s.cfg.access_token().await.unwrap(), token, "step {step}");
        // A refresh starts (counted at once) and fails in the background.
        if s.cfg.token_stats().requests > before.requests {
            wait_until(|| s.cfg.token_stats().failures > before.failures).await;
            tried_at.push(step * 100);
        }
    }
    assert_eq!(s.platform.hook.entered() - start, tried_at.len());
    assert_eq!(tried_at, vec![3000, 3600, 4200, 4800, 5400], "{tried_at:?}");
}
