//! Runtime credentials: the access token the ERP sends with every request it
//! makes to the platform, cached per [`crate::Configurator`].
//!
//! [`crate::Configurator::access_token`] hands out an [`AccessToken`] from a
//! cache shared by every thread of the host:
//!
//! - **Fast path.** While the cached token is fresh, a call is one clock
//!   read, one load of a global sequence number, a look into the calling
//!   thread's own copy of the published token and one increment of that
//!   copy's reference count: no allocation, no lock, no network, no state
//!   file, and no write to memory another thread reads, so threads calling
//!   at once do not slow each other down (see [`TokenCache::lookup`]).
//! - **Proactive refresh.** A token is refreshed once the time left falls
//!   under its *refresh margin*, the smaller of [`TokenOptions::refresh_margin`]
//!   (5 minutes by default) and half its lifetime: a 1-hour token is renewed
//!   5 minutes before it expires, a 2-second token after 1 second. The first
//!   caller to see this starts one refresh in the background and, like every
//!   other caller, gets the still-valid token at once.
//! - **One retry layer.** A token request is one call of the platform
//!   client, which makes its own attempts within its budget (the library's
//!   only retries). The cache adds pacing between *whole* requests only.
//! - **Failure fallback.** A proactive refresh that fails keeps the valid
//!   token in service; the next refresh comes [`refresh_retry_step`] later
//!   (a fifth of the refresh window), so at most [`REFRESH_TRIES`] refreshes
//!   spread evenly over the window, none bunched near expiry.
//! - **Single flight.** When no valid token exists, every caller waits for
//!   the same one token request. After a failed one, callers get that error
//!   without a new request for a pause ([`TokenOptions::retry_backoff`],
//!   1 s, doubling up to [`TokenOptions::retry_backoff_cap`], 4 s): after
//!   the endpoint recovers, the next caller gets a token within that pause
//!   plus one request.
//! - **Invalidation.** After the platform answered `401 invalid_token` to a
//!   token, [`crate::Configurator::invalidate_token`] drops *that* token:
//!   invalidating an older one never drops a newer one. Every invalidation
//!   (and every change of the local state) starts a new *generation*; a
//!   request started in an older generation never publishes its token.
//! - **Revocation.** When the token endpoint answers `invalid_client` (401
//!   or 400) for the stored credentials, the state records the refusal and
//!   keeps the credentials marked refused (see [`crate::state::Revocation`]),
//!   the login gate opens, and callers get [`TokenError::Revoked`] without
//!   any further request, until a token request with them succeeds again
//!   (after the host changed its token URL or authentication method, or
//!   through [`crate::Configurator::reverify_credentials`]).
//!
//! A token handed out is never expired: its expiry is counted from the
//! moment the request was sent, and the cache stops handing it out at that
//! instant.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;
use tokio::sync::watch;

use crate::credentials::ClientId;
use crate::platform::PlatformError;

/// Default upper bound of the refresh margin.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// Default first backoff after a failed token request.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_secs(1);
/// Default longest pause after failed token requests while no valid token
/// exists: after the endpoint recovers, the next caller gets a token at
/// most this long (plus one request) later.
pub const DEFAULT_RETRY_BACKOFF_CAP: Duration = Duration::from_secs(4);
/// How many whole refreshes a refresh window holds at most while they fail:
/// they are spread evenly over it, one every window / 5 (a 1-hour token's
/// 5-minute window: one a minute; a 6-second token's 3-second window: one
/// every 0.6 s), the last one a step before expiry.
pub const REFRESH_TRIES: u32 = 5;
/// Lifetime given to an access token whose answer has no `expires_in`
/// (RFC 6749 §5.1 makes it RECOMMENDED only): 5 minutes, shorter than what
/// authorization servers hand out in practice, so the token is renewed before
/// the server stops taking it. A token refused earlier (`invalid_token`) is
/// dropped by [`crate::Configurator::invalidate_token`] all the same.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Credentials are rotated when this much, or a third of their lifetime,
/// whichever is less, remains.
pub const ROTATION_LEAD: TimeDelta = TimeDelta::days(7);

/// Time as the token cache sees it (replaceable in tests).
pub type TokenClock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

/// A bearer token for the ERP's requests, and when it expires.
///
/// Cheap to clone (shared). `Debug` shows `[redacted]` instead of the value;
/// read it with [`AccessToken::expose_secret`] only where the
/// `Authorization` header is built. Two clones of one token are equal;
/// two tokens are never equal, even with the same value.
#[derive(Clone)]
pub struct AccessToken(Arc<TokenValue>);

struct TokenValue {
    secret: SecretString,
    expires_at: DateTime<Utc>,
    serial: u64,
}

impl AccessToken {
    /// A token expiring at `expires_at`.
    pub fn new(secret: SecretString, expires_at: DateTime<Utc>) -> Self {
        Self(Arc::new(TokenValue {
            secret,
            expires_at,
            serial: NEXT_SERIAL.fetch_add(1, Ordering::Relaxed),
        }))
    }

    /// The token value, for the `Authorization: Bearer` header.
    pub fn expose_secret(&self) -> &str {
        self.0.secret.expose_secret()
    }

    /// The token value, still wrapped.
    pub fn secret(&self) -> &SecretString {
        &self.0.secret
    }

    /// When it expires.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    /// Whether it has expired at `now`.
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.0.expires_at
    }

    fn serial(&self) -> u64 {
        self.0.serial
    }

    /// The same token (same value, expiry and serial, so equal to this one)
    /// behind a reference count of its own: clones of the copy never touch
    /// the original's count.
    fn private_copy(&self) -> Self {
        Self(Arc::new(TokenValue {
            secret: self.0.secret.clone(),
            expires_at: self.0.expires_at,
            serial: self.0.serial,
        }))
    }
}

impl PartialEq for AccessToken {
    fn eq(&self, other: &Self) -> bool {
        self.serial() == other.serial()
    }
}

impl Eq for AccessToken {}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"[redacted]")
            .field("expires_at", &self.0.expires_at)
            .finish()
    }
}

/// Tuning of the token cache.
#[derive(Clone)]
pub struct TokenOptions {
    /// Upper bound of the refresh margin (the margin is the smaller of this
    /// and half the token's lifetime).
    pub refresh_margin: Duration,
    /// While no valid token exists: the first pause after a failed token
    /// request (callers get its error without a new request meanwhile),
    /// doubling with each further failure.
    pub retry_backoff: Duration,
    /// The longest such pause.
    pub retry_backoff_cap: Duration,
    /// The clock (`None`: the system clock). Tests use a controllable one.
    pub clock: Option<TokenClock>,
}

impl Default for TokenOptions {
    fn default() -> Self {
        Self {
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            retry_backoff_cap: DEFAULT_RETRY_BACKOFF_CAP,
            clock: None,
        }
    }
}

impl fmt::Debug for TokenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenOptions")
            .field("refresh_margin", &self.refresh_margin)
            .field("retry_backoff", &self.retry_backoff)
            .field("retry_backoff_cap", &self.retry_backoff_cap)
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .finish()
    }
}

/// How long before expiry a token of `lifetime` is refreshed: the smaller of
/// `max_margin` and half the lifetime.
pub fn refresh_margin(lifetime: Duration, max_margin: Duration) -> Duration {
    max_margin.min(lifetime / 2)
}

/// The pause between two failed proactive refreshes of a token whose
/// refresh window (the time from its refresh point to its expiry) is
/// `window`: a fifth of it ([`REFRESH_TRIES`]), at least 50 ms. Each refresh
/// is one token request with the HTTP client's own attempts; this pacing is
/// the only thing the cache adds.
pub fn refresh_retry_step(window: Duration) -> Duration {
    (window / REFRESH_TRIES).max(Duration::from_millis(50))
}

/// How long before their expiry credentials of `lifetime` (when known) are
/// rotated: the smaller of [`ROTATION_LEAD`] (7 days) and a third of the
/// lifetime; 7 days when the lifetime is unknown.
pub fn rotation_lead(lifetime: Option<TimeDelta>) -> TimeDelta {
    match lifetime {
        Some(lifetime) if lifetime > TimeDelta::zero() => ROTATION_LEAD.min(lifetime / 3),
        _ => ROTATION_LEAD,
    }
}

/// Counters of the token cache, for diagnostics and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TokenStats {
    /// Token requests started (cold and proactive).
    pub requests: u64,
    /// Of which proactive refreshes.
    pub proactive: u64,
    /// Requests that failed.
    pub failures: u64,
    /// Requests whose result was discarded as stale.
    pub stale: u64,
    /// Tokens published.
    pub published: u64,
}

/// Why no access token could be handed out. No variant holds a token or a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The installation is not configured (or the login gate is open).
    #[error("this installation is not configured")]
    NotConfigured,
    /// The token endpoint refused the stored credentials (`invalid_client`):
    /// revoked or expired, or asked for with a token URL or authentication
    /// method the server does not take. They are kept, marked refused; the
    /// configurator (or a corrected setup) is needed.
    #[error(
        "the platform refused this installation's credentials (client {client_id}): revoked or expired, or the token URL or client authentication method is not what the server expects; they are kept, marked refused, until the configurator runs again or they are verified anew"
    )]
    Revoked {
        /// The refused credentials' client id.
        client_id: ClientId,
        /// When the refusal was seen.
        detected_at: DateTime<Utc>,
    },
    /// The token request failed (unreachable, refused, malformed answer).
    #[error(transparent)]
    Platform(PlatformError),
    /// The local state could not be read or written.
    #[error("local state: {0}")]
    State(String),
    /// The token request was abandoned (the runtime is shutting down).
    #[error("the token request was abandoned")]
    Abandoned,
}

// ---------------------------------------------------------------------------
// The cache's data; its behaviour lives with the configurator
// (configurator/tokens.rs), which owns the credentials and the state.
// ---------------------------------------------------------------------------

/// The published token and when to refresh it, in milliseconds since the
/// epoch (so the fast path compares integers).
pub(crate) struct Entry {
    pub(crate) token: AccessToken,
    pub(crate) refresh_at_ms: i64,
    pub(crate) expires_ms: i64,
    pub(crate) generation: u64,
    pub(crate) client_id: ClientId,
}

/// What a token request told the callers waiting for it.
#[derive(Clone)]
pub(crate) enum FlightOutcome {
    Token(AccessToken),
    Failed(TokenError),
    /// Started before an invalidation or a state change: not published; ask again.
    Stale,
}

pub(crate) type FlightReceiver = watch::Receiver<Option<FlightOutcome>>;

/// The token request in progress.
pub(crate) struct Flight {
    pub(crate) id: u64,
    pub(crate) generation: u64,
    pub(crate) rx: FlightReceiver,
}

/// Everything but the published token: changed under one mutex, off the
/// fast path.
#[derive(Default)]
pub(crate) struct Slow {
    pub(crate) generation: u64,
    pub(crate) flight: Option<Flight>,
    pub(crate) next_flight: u64,
    /// Consecutive failed requests (for the backoff).
    pub(crate) failures: u32,
    /// Until then, callers without a valid token get `last_error` at once.
    pub(crate) cold_retry_at_ms: i64,
    pub(crate) last_error: Option<TokenError>,
}

/// What the fast path found.
pub(crate) enum Lookup {
    /// A fresh token.
    Fresh(AccessToken),
    /// A valid token whose refresh is due (published in `generation`).
    RefreshDue(AccessToken, u64),
    /// No valid token.
    Missing,
}

/// Bumped after every write to any cache's published entry (publish,
/// invalidate, state change, clear, a cache dropped). A thread's copy of a
/// published entry is good while this still holds the value the copy was
/// taken under.
static PUBLISHED: AtomicU64 = AtomicU64::new(1);

/// Identifies each cache for the threads' copies: a number never reused
/// (an address could be, by the next cache allocated there).
static NEXT_CACHE_ID: AtomicU64 = AtomicU64::new(1);

/// A thread's copy of one cache's published entry.
struct ThreadCopy {
    cache: u64,
    /// [`PUBLISHED`] when the copy was taken.
    published: u64,
    token: AccessToken,
    refresh_at_ms: i64,
    expires_ms: i64,
    generation: u64,
}

impl ThreadCopy {
    fn lookup(&self, now: i64) -> Lookup {
        classify(
            &self.token,
            self.refresh_at_ms,
            self.expires_ms,
            self.generation,
            now,
        )
    }
}

thread_local! {
    /// This thread's copies of the published entries, at most one per cache
    /// and all taken under the same [`PUBLISHED`] value.
    ///
    /// A copy holds the token's secret (wiped when dropped, like every
    /// `SecretString`) from the thread's first lookup after the token was
    /// published until the thread's first lookup, of any cache, after the
    /// token was replaced, invalidated or dropped with its cache, or found
    /// expired; or until the thread ends. The thread was handed that token
    /// by the lookup that made the copy, so the copy keeps in its memory
    /// nothing it did not already hold.
    static COPIES: RefCell<Vec<ThreadCopy>> = const { RefCell::new(Vec::new()) };
}

fn classify(
    token: &AccessToken,
    refresh_at_ms: i64,
    expires_ms: i64,
    generation: u64,
    now: i64,
) -> Lookup {
    if now < refresh_at_ms {
        Lookup::Fresh(token.clone())
    } else if now < expires_ms {
        Lookup::RefreshDue(token.clone(), generation)
    } else {
        Lookup::Missing
    }
}

pub(crate) struct TokenCache {
    /// Never reused; keys the threads' copies.
    id: u64,
    current: RwLock<Option<Arc<Entry>>>,
    /// A proactive refresh is in flight.
    pub(crate) refreshing: AtomicBool,
    /// No proactive refresh before this (after a failed one).
    pub(crate) retry_at_ms: AtomicI64,
    slow: Mutex<Slow>,
    clock: OnceLock<TokenClock>,
    options: Mutex<TokenOptions>,
    pub(crate) requests: AtomicU64,
    pub(crate) proactive: AtomicU64,
    pub(crate) failures: AtomicU64,
    pub(crate) stale: AtomicU64,
    published: AtomicU64,
}

fn recover<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl TokenCache {
    pub(crate) fn new() -> Self {
        Self {
            id: NEXT_CACHE_ID.fetch_add(1, Ordering::Relaxed),
            current: RwLock::new(None),
            refreshing: AtomicBool::new(false),
            retry_at_ms: AtomicI64::new(0),
            slow: Mutex::new(Slow::default()),
            clock: OnceLock::new(),
            options: Mutex::new(TokenOptions::default()),
            requests: AtomicU64::new(0),
            proactive: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            stale: AtomicU64::new(0),
            published: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> TokenStats {
        TokenStats {
            requests: self.requests.load(Ordering::Relaxed),
            proactive: self.proactive.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            stale: self.stale.load(Ordering::Relaxed),
            published: self.published.load(Ordering::Relaxed),
        }
    }

    /// Replaces the options. The clock can be set once, before the first
    /// token: a later clock is ignored. Set by the builder's test hook.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub(crate) fn set_options(&self, options: TokenOptions) {
        if let Some(clock) = &options.clock {
            let _ = self.clock.set(clock.clone());
        }
        *recover(&self.options) = options;
    }

    pub(crate) fn options(&self) -> TokenOptions {
        recover(&self.options).clone()
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        match self.clock.get() {
            Some(clock) => clock(),
            None => Utc::now(),
        }
    }

    pub(crate) fn now_ms(&self) -> i64 {
        match self.clock.get() {
            Some(clock) => clock().timestamp_millis(),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        }
    }

    /// The fast path: what the published entry says at this moment.
    ///
    /// Every ERP thread calls this, so it writes nothing another thread
    /// reads: a read lock (its reader count) or a clone of the shared token
    /// (its reference count) would move one cache line between the cores of
    /// threads calling at once. Each thread answers instead from its own
    /// copy of the published entry, with its own copy of the token, and
    /// checks that copy against [`PUBLISHED`], which every write to a
    /// cache's entry bumps after it is made. So a copy is never used after
    /// a change that happened before this call (on this thread, or on
    /// another one that this thread has synchronized with): the bump is
    /// then visible here, and the copy is taken again, under the read lock.
    #[inline]
    pub(crate) fn lookup(&self) -> Lookup {
        let now = self.now_ms();
        let published = PUBLISHED.load(Ordering::Acquire);
        COPIES
            .try_with(|copies| {
                let mut copies = copies.try_borrow_mut().ok()?;
                if let Some(copy) = copies
                    .iter()
                    .find(|c| c.cache == self.id && c.published == published)
                {
                    let found = copy.lookup(now);
                    if matches!(found, Lookup::Missing) {
                        // Expired: no reason to keep its secret.
                        copies.retain(|c| c.cache != self.id);
                    }
                    return Some(found);
                }
                Some(self.copy_published(&mut copies, published, now))
            })
            .ok()
            .flatten()
            // While the thread's storage is being torn down.
            .unwrap_or_else(|| self.lookup_shared(now))
    }

    /// Drops this thread's stale copies (of every cache: a cache dropped
    /// since leaves none behind) and copies this cache's entry.
    #[cold]
    fn copy_published(&self, copies: &mut Vec<ThreadCopy>, published: u64, now: i64) -> Lookup {
        copies.retain(|c| c.published == published);
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        let Some(entry) = current.as_deref().filter(|e| now < e.expires_ms) else {
            return Lookup::Missing;
        };
        let copy = ThreadCopy {
            cache: self.id,
            published,
            token: entry.token.private_copy(),
            refresh_at_ms: entry.refresh_at_ms,
            expires_ms: entry.expires_ms,
            generation: entry.generation,
        };
        drop(current);
        let found = copy.lookup(now);
        copies.push(copy);
        found
    }

    /// The fast path's answer from the shared entry.
    fn lookup_shared(&self, now: i64) -> Lookup {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        match current.as_deref() {
            Some(e) => classify(&e.token, e.refresh_at_ms, e.expires_ms, e.generation, now),
            None => Lookup::Missing,
        }
    }

    /// Replaces the published entry; every thread's copy is stale from now.
    fn set_current(&self, current: &mut Option<Arc<Entry>>, entry: Option<Arc<Entry>>) {
        *current = entry;
        PUBLISHED.fetch_add(1, Ordering::Release);
    }

    /// The published entry, whatever its age.
    pub(crate) fn current(&self) -> Option<Arc<Entry>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether `token` is the published token, in `generation`.
    pub(crate) fn is_published(&self, token: &AccessToken, generation: u64) -> bool {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_deref()
            .is_some_and(|e| e.token == *token && e.generation == generation)
    }

    pub(crate) fn slow(&self) -> MutexGuard<'_, Slow> {
        recover(&self.slow)
    }

    /// Publishes `token` (obtained with `client_id`, its lifetime counted
    /// from `started`) in the slow state's generation. Returns `false`, and
    /// publishes nothing, when the token has already expired.
    pub(crate) fn publish(
        &self,
        slow: &mut Slow,
        token: &AccessToken,
        lifetime: Duration,
        client_id: &ClientId,
    ) -> bool {
        let now = self.now_ms();
        let expires_ms = token.expires_at().timestamp_millis();
        if expires_ms <= now {
            return false;
        }
        let margin = refresh_margin(lifetime, self.options().refresh_margin);
        let margin_ms = i64::try_from(margin.as_millis()).unwrap_or(i64::MAX);
        let entry = Entry {
            token: token.clone(),
            refresh_at_ms: expires_ms.saturating_sub(margin_ms),
            expires_ms,
            generation: slow.generation,
            client_id: client_id.clone(),
        };
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        self.set_current(&mut current, Some(Arc::new(entry)));
        drop(current);
        self.published.fetch_add(1, Ordering::Relaxed);
        slow.failures = 0;
        slow.last_error = None;
        slow.cold_retry_at_ms = 0;
        self.retry_at_ms.store(0, Ordering::Release);
        true
    }

    /// Drops the published token if it is `token`; starts a new generation
    /// then. Returns whether it was dropped.
    pub(crate) fn invalidate(&self, matches: impl Fn(&AccessToken) -> bool) -> bool {
        let mut slow = self.slow();
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if !current.as_ref().is_some_and(|e| matches(&e.token)) {
            return false;
        }
        self.set_current(&mut current, None);
        slow.generation = slow.generation.wrapping_add(1);
        slow.last_error = None;
        slow.cold_retry_at_ms = 0;
        self.retry_at_ms.store(0, Ordering::Release);
        true
    }

    /// The local state changed: requests in flight must not publish; the
    /// published token stays only if it came from the credentials now stored.
    pub(crate) fn state_changed(&self, stored: Option<&ClientId>) {
        let mut slow = self.slow();
        slow.generation = slow.generation.wrapping_add(1);
        slow.failures = 0;
        slow.last_error = None;
        slow.cold_retry_at_ms = 0;
        self.retry_at_ms.store(0, Ordering::Release);
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        let kept = current
            .take()
            .filter(|e| stored == Some(&e.client_id))
            .map(|e| {
                Arc::new(Entry {
                    token: e.token.clone(),
                    refresh_at_ms: e.refresh_at_ms,
                    expires_ms: e.expires_ms,
                    generation: slow.generation,
                    client_id: e.client_id.clone(),
                })
            });
        self.set_current(&mut current, kept);
    }

    /// Drops the published token (its credentials are gone).
    pub(crate) fn clear(&self, _slow: &mut Slow) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        self.set_current(&mut current, None);
    }

    /// The pause after `failures` consecutive failures with no valid token
    /// (and the step of a proactive refresh when the window is unknown).
    pub(crate) fn backoff(&self, failures: u32) -> Duration {
        let options = self.options();
        let exponent = failures.saturating_sub(1).min(16);
        options
            .retry_backoff
            .saturating_mul(1u32 << exponent)
            .min(options.retry_backoff_cap)
    }
}

impl Drop for TokenCache {
    /// The threads' copies of this cache's token go at their next lookup.
    fn drop(&mut self) {
        PUBLISHED.fetch_add(1, Ordering::Release);
    }
}

pub(crate) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &str) -> AccessToken {
        AccessToken::new(SecretString::from(value), Utc::now() + TimeDelta::hours(1))
    }

    fn client(id: &str) -> ClientId {
        ClientId::new(id).unwrap()
    }

    /// A cache with `t` published (a 1-hour token: refreshed 5 minutes
    /// before it expires).
    fn publishing(t: &AccessToken, client_id: &str) -> TokenCache {
        let cache = TokenCache::new();
        publish(&cache, t, client_id);
        cache
    }

    fn publish(cache: &TokenCache, t: &AccessToken, client_id: &str) {
        let mut slow = cache.slow();
        assert!(cache.publish(&mut slow, t, Duration::from_secs(3600), &client(client_id)));
    }

    fn fresh(cache: &TokenCache) -> Option<AccessToken> {
        match cache.lookup() {
            Lookup::Fresh(t) => Some(t),
            Lookup::RefreshDue(..) => panic!("a 1-hour token is not due yet"),
            Lookup::Missing => None,
        }
    }

    /// This thread's copies: (cache, token serial).
    fn copies() -> Vec<(u64, u64)> {
        COPIES.with(|c| {
            c.borrow()
                .iter()
                .map(|c| (c.cache, c.token.serial()))
                .collect()
        })
    }

    #[test]
    fn lookups_never_touch_the_shared_tokens_reference_count() {
        // (Other tests running at once may make this thread take its copy
        // again: never does it clone the shared token.)
        let t = token("at_shared");
        let cache = publishing(&t, "cli_1");
        let shared = cache.current().unwrap();
        let before = Arc::strong_count(&shared.token.0);
        // The first lookup on this thread takes the copy; the next ones
        // (and the clones they hand out, kept here) count on the copy.
        let handed: Vec<_> = (0..100).map(|_| fresh(&cache).unwrap()).collect();
        assert!(
            handed
                .iter()
                .all(|h| *h == t && h.expose_secret() == "at_shared")
        );
        assert!(handed.iter().all(|h| !Arc::ptr_eq(&h.0, &shared.token.0)));
        assert_eq!(Arc::strong_count(&shared.token.0), before);
    }

    #[test]
    fn a_copy_is_dropped_with_its_token_and_never_serves_another_cache() {
        let (a, b) = (token("at_a"), token("at_b"));
        let cache_a = publishing(&a, "cli_a");
        let cache_b = publishing(&b, "cli_b");
        let empty = TokenCache::new();
        for _ in 0..3 {
            assert_eq!(fresh(&cache_a), Some(a.clone()));
            assert_eq!(fresh(&cache_b), Some(b.clone()));
            assert_eq!(fresh(&empty), None);
        }
        // (Other tests running at once may make this thread take its
        // copies again: what is held is a subset of these, never more.)
        let held = copies();
        assert!(held.len() <= 2, "at most one copy per cache with a token");
        let expected = [(cache_a.id, a.serial()), (cache_b.id, b.serial())];
        assert!(held.iter().all(|c| expected.contains(c)));

        // Invalidated: gone from this thread at its next lookup.
        assert!(cache_a.invalidate(|t| *t == a));
        assert_eq!(fresh(&cache_a), None);
        assert!(copies().iter().all(|&(_, serial)| serial != a.serial()));
        assert_eq!(fresh(&cache_b), Some(b.clone()));

        // A dropped cache leaves no copy behind after any next lookup, and
        // a new cache (perhaps at the same address) does not inherit it.
        let id_b = cache_b.id;
        drop(cache_b);
        let new = TokenCache::new();
        assert_eq!(fresh(&new), None);
        assert!(copies().iter().all(|&(cache, _)| cache != id_b));
        assert_eq!(fresh(&cache_a), None);
        assert!(copies().is_empty());
    }

    #[test]
    fn a_state_change_reaches_every_copy() {
        let t = token("at_state");
        let cache = publishing(&t, "cli_1");
        let due = |cache: &TokenCache| {
            // Read as if 10 minutes before expiry: the refresh is due.
            let e = cache.current().unwrap();
            classify(
                &e.token,
                e.refresh_at_ms,
                e.expires_ms,
                e.generation,
                e.refresh_at_ms,
            )
        };
        assert_eq!(fresh(&cache), Some(t.clone()));
        let generation = cache.slow().generation;
        // Same credentials still stored: the token stays, in a new
        // generation, which the copy must carry too (a refresh is started
        // only by a caller that saw the current generation).
        cache.state_changed(Some(&client("cli_1")));
        assert!(matches!(due(&cache), Lookup::RefreshDue(_, g) if g == generation + 1));
        assert_eq!(fresh(&cache), Some(t.clone()));
        let copy = COPIES.with(|c| {
            c.borrow()
                .iter()
                .find(|c| c.cache == cache.id)
                .map(|c| c.generation)
        });
        assert_eq!(copy, Some(generation + 1));
        // Other credentials stored: the token goes, from the copy too.
        cache.state_changed(Some(&client("cli_2")));
        assert_eq!(fresh(&cache), None);
        publish(&cache, &t, "cli_2");
        assert_eq!(fresh(&cache), Some(t.clone()));
        let mut slow = cache.slow();
        cache.clear(&mut slow);
        drop(slow);
        assert_eq!(fresh(&cache), None);
    }

    #[test]
    fn a_token_seen_due_is_no_longer_published_once_its_successor_is() {
        let (old, new) = (token("at_old"), token("at_new"));
        let cache = publishing(&old, "cli_1");
        let generation = cache.slow().generation;
        assert!(cache.is_published(&old, generation));
        assert!(!cache.is_published(&old, generation + 1));
        // A refresh published the successor in the same generation: a
        // caller that saw `old` due must not start another refresh.
        publish(&cache, &new, "cli_1");
        assert!(!cache.is_published(&old, generation));
        assert!(cache.is_published(&new, generation));
        assert!(cache.invalidate(|t| *t == new));
        assert!(!cache.is_published(&new, generation));
    }

    #[test]
    fn another_thread_never_sees_a_token_dropped_before_it_synchronized() {
        use std::sync::mpsc;
        let cache = Arc::new(TokenCache::new());
        let (ask, asked) = mpsc::channel::<()>();
        let (answer, answers) = mpsc::channel::<Option<AccessToken>>();
        let reader = {
            let cache = cache.clone();
            std::thread::spawn(move || {
                while asked.recv().is_ok() {
                    answer.send(fresh(&cache)).unwrap();
                }
            })
        };
        let other = || {
            ask.send(()).unwrap();
            answers.recv().unwrap()
        };
        for round in 0..500 {
            let t = token(&format!("at_{round}"));
            publish(&cache, &t, "cli_1");
            // The other thread takes its copy...
            assert_eq!(other(), Some(t.clone()));
            // ...this one drops the token (in turn: an invalidation, a
            // state change to other credentials, a clear), then tells it.
            match round % 3 {
                0 => assert!(cache.invalidate(|x| *x == t)),
                1 => cache.state_changed(Some(&client("cli_other"))),
                _ => cache.clear(&mut cache.slow()),
            }
            assert_eq!(other(), None, "round {round}");
        }
        drop(ask);
        reader.join().unwrap();
    }

    #[test]
    fn debug_redacts_the_token() {
        let t = AccessToken::new(SecretString::from("at_very_secret"), Utc::now());
        let shown = format!("{t:?} {t:#?}");
        assert!(!shown.contains("at_very_secret"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn tokens_are_equal_only_to_their_clones() {
        let a = AccessToken::new(SecretString::from("same"), Utc::now());
        let b = AccessToken::new(SecretString::from("same"), Utc::now());
        assert_eq!(a, a.clone());
        assert_ne!(a, b);
    }

    #[test]
    fn refresh_margin_is_the_smaller_of_the_cap_and_half_the_lifetime() {
        let cap = DEFAULT_REFRESH_MARGIN;
        assert_eq!(
            refresh_margin(Duration::from_secs(3600), cap),
            Duration::from_secs(300)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(2), cap),
            Duration::from_secs(1)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(600), cap),
            Duration::from_secs(300)
        );
    }

    #[test]
    fn rotation_lead_is_the_smaller_of_seven_days_and_a_third() {
        assert_eq!(
            rotation_lead(Some(TimeDelta::days(365))),
            TimeDelta::days(7)
        );
        assert_eq!(rotation_lead(Some(TimeDelta::days(3))), TimeDelta::days(1));
        assert_eq!(
            rotation_lead(Some(TimeDelta::seconds(60))),
            TimeDelta::seconds(20)
        );
        assert_eq!(rotation_lead(None), TimeDelta::days(7));
    }
}
