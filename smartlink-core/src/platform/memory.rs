//! The platform contract's semantics, in memory.
//!
//! [`InMemoryPlatform`] is the single source of platform behaviour: the
//! sandbox serves it over HTTP by calling its *raw* methods
//! ([`InMemoryPlatform::list_page`], [`InMemoryPlatform::create_raw`],
//! [`InMemoryPlatform::bind_raw`], [`InMemoryPlatform::issue_raw`],
//! [`InMemoryPlatform::unbind_raw`], [`InMemoryPlatform::token`]), which map
//! one to one to the endpoints of `docs/platform-api.md` and take what arrived
//! in the request. The [`Platform`] implementation calls the same methods.
//!
//! Test hooks count calls ([`InMemoryPlatform::calls`]), inject faults before
//! ([`InMemoryPlatform::fail_next`]) or after
//! ([`InMemoryPlatform::fail_after_next`]) the work of a call, and expose the
//! state. [`InMemoryPlatform::snapshot`] / [`InMemoryPlatform::restore`]
//! persist the whole platform state (environments, credentials with their
//! secrets, idempotency records, settings); counters and queued faults are
//! test instrumentation and are not part of a snapshot.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    BindTarget, CreateEnvironment, ErrorCode, IdempotencyKey, IssueCredentials, Platform,
    PlatformError, TokenGrant, Unbind, WhoAmI,
};
use crate::credentials::{ClientId, Credentials, IssuedCredentials};
use crate::environment::{Binding, Environment, EnvironmentId, EnvironmentName, Etag};
use crate::installation::{ErpLine, Installation, InstallationId, InstallationName, Kind};

/// The contract's largest page.
const MAX_PAGE_SIZE: usize = 500;
/// How long an idempotency record is kept.
const IDEMPOTENCY_TTL_HOURS: i64 = 24;
/// Default credential lifetime, in days.
const DEFAULT_CREDENTIAL_LIFETIME_DAYS: i64 = 365;
/// Lifetime announced for access tokens, in seconds.
const TOKEN_LIFETIME_SECS: u64 = 3600;
/// Version of the snapshot format.
const SNAPSHOT_VERSION: u32 = 1;

/// Seed data: the customer's environments and existing bindings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seed {
    /// The environments, in creation order.
    #[serde(default)]
    pub environments: Vec<SeedEnvironment>,
}

/// One environment of a [`Seed`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedEnvironment {
    /// Its id; generated as `env_<n>` when absent.
    #[serde(default)]
    pub id: Option<EnvironmentId>,
    /// Its name (unique, case-insensitively).
    pub name: EnvironmentName,
    /// Its kind.
    pub kind: Kind,
    /// Its bindings (R1 and R2 are checked; R3 is not, so a seed can show
    /// an inconsistent platform).
    #[serde(default)]
    pub bindings: Vec<Binding>,
}

/// One page of `GET /v1/environments`, in the contract's JSON shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// The environments of this page.
    pub environments: Vec<Environment>,
    /// The cursor of the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// The body of `PUT /v1/environments/{id}/bindings/{line}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindBody {
    /// The installation to bind.
    pub installation_id: InstallationId,
    /// Its friendly name.
    pub installation_name: InstallationName,
    /// Its kind (must be the environment's).
    pub installation_kind: Kind,
    /// Take the line from another installation.
    #[serde(default)]
    pub overwrite: bool,
}

/// The answer of the token endpoint. `Debug` redacts the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    /// The bearer token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// The platform's operations, for call counters and fault injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// `GET /v1/environments` (one call per page).
    List,
    /// `POST /v1/environments`.
    Create,
    /// `PUT .../bindings/{line}`.
    Bind,
    /// `POST .../credentials`.
    Issue,
    /// `POST /oauth2/token`.
    Verify,
    /// `DELETE .../bindings/{line}`.
    Unbind,
    /// `GET /v1/whoami`.
    Whoami,
}

impl Operation {
    const COUNT: usize = 7;

    fn index(self) -> usize {
        match self {
            Operation::List => 0,
            Operation::Create => 1,
            Operation::Bind => 2,
            Operation::Issue => 3,
            Operation::Verify => 4,
            Operation::Unbind => 5,
            Operation::Whoami => 6,
        }
    }
}

/// A contract error produced by the platform's own work (storable, so it
/// can be replayed for an idempotency key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Fail {
    code: ErrorCode,
    detail: Option<String>,
}

impl Fail {
    fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: Some(detail.into()),
        }
    }
}

impl From<Fail> for PlatformError {
    fn from(fail: Fail) -> Self {
        PlatformError::Api {
            status: fail.code.status(),
            code: fail.code,
            detail: fail.detail,
            request_id: None,
        }
    }
}

/// The body of a create request, as compared for idempotency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CreateRequest {
    name: String,
    kind: Kind,
}

/// The body (and path) of an issue request, as compared for idempotency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct IssueRequest {
    environment_id: String,
    installation_id: InstallationId,
    reuse_if_valid: bool,
}

/// The first response given for an idempotency key.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdempotencyRecord<B, R> {
    request: B,
    stored_at: DateTime<Utc>,
    response: Result<R, Fail>,
}

/// One credential set ever issued. `Credentials` redacts its secret in Debug.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CredentialRecord {
    installation_id: InstallationId,
    credentials: Credentials,
    revoked: bool,
}

/// Counters and queued faults: test instrumentation, not persisted.
#[derive(Default)]
struct Hooks {
    calls: [usize; Operation::COUNT],
    fail_next: [VecDeque<PlatformError>; Operation::COUNT],
    fail_after_next: [VecDeque<PlatformError>; Operation::COUNT],
    /// Token calls per SHA-256 of the secret presented (secrets themselves
    /// are not kept for this).
    token_attempts: HashMap<[u8; 32], usize>,
}

/// An access token handed out by the token endpoint, kept by the SHA-256 of
/// its value (the value itself is not kept).
#[derive(Debug, Clone)]
struct IssuedToken {
    client_id: ClientId,
    expires_at: DateTime<Utc>,
}

/// The whole persisted state.
#[derive(Serialize, Deserialize)]
struct State {
    version: u32,
    tenant_id: Uuid,
    environments: Vec<Environment>,
    next_environment: u64,
    next_etag: u64,
    credentials: Vec<CredentialRecord>,
    credentials_issued: usize,
    create_keys: HashMap<Uuid, IdempotencyRecord<CreateRequest, Environment>>,
    issue_keys: HashMap<Uuid, IdempotencyRecord<IssueRequest, IssuedCredentials>>,
    can_create: bool,
    page_size: usize,
    /// Credential lifetime in milliseconds; `None` = never expire.
    credential_lifetime_ms: Option<i64>,
    /// Lifetime of the access tokens handed out, in seconds.
    #[serde(default = "default_token_lifetime")]
    token_lifetime_secs: u64,
    /// Access tokens handed out and not yet expired. Not persisted: after a
    /// restart every client fetches a new one (a 401 `invalid_token` says so).
    #[serde(skip)]
    tokens: HashMap<[u8; 32], IssuedToken>,
    #[serde(skip)]
    hooks: Hooks,
}

fn default_token_lifetime() -> u64 {
    TOKEN_LIFETIME_SECS
}

impl State {
    fn new() -> Self {
        Self {
            version: SNAPSHOT_VERSION,
            tenant_id: Uuid::new_v4(),
            environments: Vec::new(),
            next_environment: 1,
            next_etag: 1,
            credentials: Vec::new(),
            credentials_issued: 0,
            create_keys: HashMap::new(),
            issue_keys: HashMap::new(),
            can_create: true,
            page_size: MAX_PAGE_SIZE,
            credential_lifetime_ms: Some(DEFAULT_CREDENTIAL_LIFETIME_DAYS * 24 * 3600 * 1000),
            token_lifetime_secs: TOKEN_LIFETIME_SECS,
            tokens: HashMap::new(),
            hooks: Hooks::default(),
        }
    }

    fn new_etag(&mut self) -> Etag {
        let n = self.next_etag;
        self.next_etag = self.next_etag.saturating_add(1);
        Etag::new(format!("\"{n}\"")).expect("a quoted decimal number is a valid etag")
    }

    fn new_environment_id(&mut self, taken: &HashSet<String>) -> EnvironmentId {
        loop {
            let n = self.next_environment;
            self.next_environment = self.next_environment.saturating_add(1);
            let candidate = format!("env_{n}");
            if !taken.contains(&candidate)
                && !self.environments.iter().any(|e| e.id.as_str() == candidate)
                && let Ok(id) = EnvironmentId::new(candidate)
            {
                return id;
            }
        }
    }

    fn environment_index(&self, id: &str) -> Option<usize> {
        self.environments.iter().position(|e| e.id.as_str() == id)
    }

    /// Begins a call: counts it and pops a fault to return instead.
    fn begin(&mut self, op: Operation) -> Result<(), PlatformError> {
        let i = op.index();
        self.hooks.calls[i] = self.hooks.calls[i].saturating_add(1);
        match self.hooks.fail_next[i].pop_front() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Ends a call whose work is done: a queued "lost response" replaces the result.
    fn finish<T>(&mut self, op: Operation, result: Result<T, Fail>) -> Result<T, PlatformError> {
        match self.hooks.fail_after_next[op.index()].pop_front() {
            Some(error) => Err(error),
            None => result.map_err(PlatformError::from),
        }
    }

    fn credential_lifetime(&self) -> Option<TimeDelta> {
        self.credential_lifetime_ms
            .and_then(TimeDelta::try_milliseconds)
    }

    /// Revokes every unrevoked credential set of `installation` (for
    /// `environment`, when given).
    fn revoke(&mut self, installation: &InstallationId, environment: Option<&EnvironmentId>) {
        for record in &mut self.credentials {
            if &record.installation_id == installation
                && environment.is_none_or(|env| &record.credentials.environment_id == env)
            {
                record.revoked = true;
            }
        }
    }

    fn purge_expired_keys(&mut self, now: DateTime<Utc>) {
        self.create_keys
            .retain(|_, r| !record_expired(r.stored_at, now));
        self.issue_keys
            .retain(|_, r| !record_expired(r.stored_at, now));
    }

    /// Checks R1, R2, unique ids and names: the invariants of any state.
    fn check_invariants(&self) -> Result<(), String> {
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        let mut installations = HashSet::new();
        for env in &self.environments {
            if !ids.insert(env.id.as_str()) {
                return Err(format!("environment id {} appears twice", env.id));
            }
            if !names.insert(name_key(&env.name)) {
                return Err(format!(
                    "environment name of {} is not unique (case-insensitive)",
                    env.id
                ));
            }
            let mut lines = HashSet::new();
            for binding in &env.bindings {
                if !lines.insert(binding.line) {
                    return Err(format!(
                        "environment {} holds two installations of line {} (R2)",
                        env.id, binding.line
                    ));
                }
                if !installations.insert(binding.installation_id.as_str()) {
                    return Err(format!(
                        "installation {} is bound more than once (R1)",
                        binding.installation_id
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The key under which names are unique: the library's one definition.
fn name_key(name: &EnvironmentName) -> String {
    name.uniqueness_key()
}

fn record_expired(stored_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now.signed_duration_since(stored_at) >= TimeDelta::hours(IDEMPOTENCY_TTL_HOURS)
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// Compares two secrets in time independent of where they differ.
fn secrets_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    // Hashing first makes the comparison independent of the lengths too.
    bool::from(sha256(a).ct_eq(&sha256(b)))
}

fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", Uuid::new_v4().simple())
}

fn invalid_client() -> Fail {
    Fail::new(
        ErrorCode::InvalidClient,
        "invalid_client: unknown, revoked or expired client, or wrong secret",
    )
}

fn invalid_token() -> Fail {
    Fail::new(
        ErrorCode::InvalidToken,
        "the access token is unknown, expired, or its credentials were revoked",
    )
}

fn not_found(id: &str) -> Fail {
    // Ids that are not valid environment ids are not echoed.
    let shown = EnvironmentId::new(id)
        .map(|id| id.to_string())
        .unwrap_or_else(|_| "(invalid id)".to_owned());
    Fail::new(
        ErrorCode::NotFound,
        format!("no environment with id {shown}"),
    )
}

/// Time as the platform sees it.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The platform in memory: every rule of the contract, etags, idempotency
/// keys, credentials and their revocation, plus test hooks.
///
/// `Send + Sync`; every method takes `&self`. No input makes it panic, and a
/// poisoned lock is recovered.
pub struct InMemoryPlatform {
    state: Mutex<State>,
    clock: Clock,
}

impl Default for InMemoryPlatform {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for InMemoryPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("InMemoryPlatform")
            .field("environments", &state.environments.len())
            .field("credentials_issued", &state.credentials_issued)
            .field("can_create", &state.can_create)
            .field("page_size", &state.page_size)
            .finish_non_exhaustive()
    }
}

impl InMemoryPlatform {
    /// An empty platform (creation allowed, pages of 500, credentials valid
    /// for 365 days, the system clock).
    pub fn new() -> Self {
        Self::from_state(State::new())
    }

    fn from_state(state: State) -> Self {
        Self {
            state: Mutex::new(state),
            clock: Arc::new(Utc::now),
        }
    }

    /// A platform holding `seed`'s environments and bindings. Refuses
    /// (`InvalidInput`) a seed that breaks R1 or R2, repeats an id, or
    /// repeats a name case-insensitively. Missing ids become `env_<n>`.
    pub fn from_seed(seed: &Seed) -> Result<Self, PlatformError> {
        let mut state = State::new();
        let mut given = HashSet::new();
        for env in &seed.environments {
            if let Some(id) = &env.id
                && !given.insert(id.as_str().to_owned())
            {
                return Err(PlatformError::InvalidInput(format!(
                    "seed: environment id {id} appears twice"
                )));
            }
        }
        for env in &seed.environments {
            let id = match &env.id {
                Some(id) => id.clone(),
                None => state.new_environment_id(&given),
            };
            let etag = state.new_etag();
            state.environments.push(Environment {
                id,
                name: env.name.clone(),
                kind: env.kind,
                etag,
                bindings: env.bindings.clone(),
            });
        }
        state
            .check_invariants()
            .map_err(|e| PlatformError::InvalidInput(format!("seed: {e}")))?;
        Ok(Self::from_state(state))
    }

    /// Replaces the clock (for idempotency-record and credential expiry).
    pub fn with_clock(mut self, clock: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets how long newly issued credentials live (`None`: forever).
    pub fn set_credential_lifetime(&self, lifetime: Option<chrono::Duration>) {
        self.lock().credential_lifetime_ms = lifetime.map(|l| l.num_milliseconds());
    }

    /// Sets the lifetime of the access tokens handed out from now on
    /// (`expires_in`; at least one second).
    pub fn set_token_lifetime(&self, lifetime: std::time::Duration) {
        self.lock().token_lifetime_secs = lifetime.as_secs().max(1);
    }

    /// Allows or forbids creating environments (`403 forbidden`).
    pub fn set_can_create(&self, allowed: bool) {
        self.lock().can_create = allowed;
    }

    /// Sets the page size of listings (clamped to 1..=500).
    pub fn set_page_size(&self, n: usize) {
        self.lock().page_size = n.clamp(1, MAX_PAGE_SIZE);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    // ----- raw operations: one per endpoint -------------------------------

    /// `GET /v1/environments?line=&installation_id=[&cursor=]`: one page of
    /// every environment (bindings of all lines), in creation order.
    /// A cursor this platform did not hand out is `400 invalid_request`.
    pub fn list_page(
        &self,
        line: ErpLine,
        installation_id: &InstallationId,
        cursor: Option<&str>,
    ) -> Result<Page, PlatformError> {
        // The contract lets the server narrow what it says with these; this
        // platform lists everything.
        let _ = (line, installation_id);
        let mut st = self.lock();
        st.begin(Operation::List)?;
        let result = (|| {
            let total = st.environments.len();
            let start = match cursor {
                None => 0,
                Some(c) => parse_cursor(c)
                    .filter(|&offset| offset <= total)
                    .ok_or_else(|| Fail::new(ErrorCode::InvalidRequest, "invalid cursor"))?,
            };
            let end = start.saturating_add(st.page_size.max(1)).min(total);
            let environments = st.environments.get(start..end).unwrap_or(&[]).to_vec();
            let next_cursor = (end < total).then(|| format!("c{end}"));
            Ok(Page {
                environments,
                next_cursor,
            })
        })();
        st.finish(Operation::List, result)
    }

    /// `POST /v1/environments` with `Idempotency-Key`: creates an
    /// environment without bindings. `403 forbidden`, `422 invalid_name`,
    /// `409 name_taken` (case-insensitive); the first answer for a key is
    /// replayed for 24 h, and `422 idempotency_key_reused` for another body.
    pub fn create_raw(
        &self,
        name: &str,
        kind: Kind,
        key: IdempotencyKey,
    ) -> Result<Environment, PlatformError> {
        let now = self.now();
        let mut st = self.lock();
        st.begin(Operation::Create)?;
        st.purge_expired_keys(now);
        let request = CreateRequest {
            name: name.to_owned(),
            kind,
        };
        let result = match st.create_keys.get(&key.as_uuid()) {
            Some(record) if record.request == request => record.response.clone(),
            Some(_) => Err(key_reused()),
            None => {
                let response = create_work(&mut st, name, kind);
                st.create_keys.insert(
                    key.as_uuid(),
                    IdempotencyRecord {
                        request,
                        stored_at: now,
                        response: response.clone(),
                    },
                );
                response
            }
        };
        st.finish(Operation::Create, result)
    }

    /// `PUT /v1/environments/{environment_id}/bindings/{line}` with
    /// `If-Match`, checked in the contract's order: `404`, idempotent `200`,
    /// `428`, `412`, `422 kind_mismatch`, `409 installation_bound_elsewhere`,
    /// `409 binding_exists` (or, with `overwrite`, the old binding replaced
    /// and its installation's credentials for this environment revoked).
    pub fn bind_raw(
        &self,
        environment_id: &str,
        line: ErpLine,
        body: &BindBody,
        if_match: Option<&str>,
    ) -> Result<Environment, PlatformError> {
        let now = self.now();
        let mut st = self.lock();
        st.begin(Operation::Bind)?;
        let result = bind_work(&mut st, now, environment_id, line, body, if_match);
        st.finish(Operation::Bind, result)
    }

    /// `POST /v1/environments/{environment_id}/credentials` with
    /// `Idempotency-Key`. `404 not_found`, `409 not_bound`; with
    /// `reuse_if_valid` the installation's valid current set is returned
    /// (`reused: true`), otherwise a new set is issued and older ones revoked.
    pub fn issue_raw(
        &self,
        environment_id: &str,
        installation_id: &InstallationId,
        reuse_if_valid: bool,
        key: IdempotencyKey,
    ) -> Result<IssuedCredentials, PlatformError> {
        let now = self.now();
        let mut st = self.lock();
        st.begin(Operation::Issue)?;
        st.purge_expired_keys(now);
        let request = IssueRequest {
            environment_id: environment_id.to_owned(),
            installation_id: installation_id.clone(),
            reuse_if_valid,
        };
        let result = match st.issue_keys.get(&key.as_uuid()) {
            Some(record) if record.request == request => record.response.clone(),
            Some(_) => Err(key_reused()),
            None => {
                let response = issue_work(
                    &mut st,
                    now,
                    environment_id,
                    installation_id,
                    reuse_if_valid,
                );
                st.issue_keys.insert(
                    key.as_uuid(),
                    IdempotencyRecord {
                        request,
                        stored_at: now,
                        response: response.clone(),
                    },
                );
                response
            }
        };
        st.finish(Operation::Issue, result)
    }

    /// `DELETE /v1/environments/{environment_id}/bindings/{line}` with
    /// `If-Match`: `404`, `428`, `412`, `409 not_bound` (another
    /// installation, or nobody, holds the line); on success the binding is
    /// removed and the installation's credentials for it revoked.
    pub fn unbind_raw(
        &self,
        environment_id: &str,
        line: ErpLine,
        installation_id: &InstallationId,
        if_match: Option<&str>,
    ) -> Result<(), PlatformError> {
        let mut st = self.lock();
        st.begin(Operation::Unbind)?;
        let result = unbind_work(&mut st, environment_id, line, installation_id, if_match);
        st.finish(Operation::Unbind, result)
    }

    /// `POST /oauth2/token` (`client_credentials`). `401 invalid_client` for
    /// an unknown, revoked or expired client or a wrong secret.
    pub fn token(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<AccessToken, PlatformError> {
        let now = self.now();
        let mut st = self.lock();
        let attempts = st
            .hooks
            .token_attempts
            .entry(sha256(client_secret))
            .or_insert(0);
        *attempts = attempts.saturating_add(1);
        st.begin(Operation::Verify)?;
        let valid = st.credentials.iter().any(|r| {
            r.credentials.client_id.as_str() == client_id
                && !r.revoked
                && r.credentials.is_unexpired_at(now)
                && secrets_equal(r.credentials.secret(), client_secret)
        });
        let result = if valid {
            let lifetime = st.token_lifetime_secs.max(1);
            let access_token = random_token("at_");
            let expires_at = i64::try_from(lifetime)
                .ok()
                .and_then(TimeDelta::try_seconds)
                .and_then(|d| now.checked_add_signed(d))
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            st.tokens.retain(|_, t| t.expires_at > now);
            if let Ok(client_id) = ClientId::new(client_id) {
                st.tokens.insert(
                    sha256(&access_token),
                    IssuedToken {
                        client_id,
                        expires_at,
                    },
                );
            }
            Ok(AccessToken {
                access_token,
                token_type: "Bearer".to_owned(),
                expires_in: lifetime,
            })
        } else {
            Err(invalid_client())
        };
        st.finish(Operation::Verify, result)
    }

    /// `GET /v1/whoami` with the access token presented as bearer: whose
    /// token it is. `401 invalid_token` when the token is unknown, expired,
    /// or its credentials were revoked or expired since.
    pub fn whoami_raw(&self, access_token: &str) -> Result<WhoAmI, PlatformError> {
        let now = self.now();
        let mut st = self.lock();
        st.begin(Operation::Whoami)?;
        let result = (|| {
            let issued = st
                .tokens
                .get(&sha256(access_token))
                .filter(|t| t.expires_at > now)
                .ok_or_else(invalid_token)?;
            let record = st
                .credentials
                .iter()
                .find(|r| r.credentials.client_id == issued.client_id)
                .filter(|r| !r.revoked && r.credentials.is_unexpired_at(now))
                .ok_or_else(invalid_token)?;
            Ok(WhoAmI {
                client_id: issued.client_id.clone(),
                installation_id: record.installation_id.clone(),
                environment_id: record.credentials.environment_id.clone(),
                expires_at: issued.expires_at,
            })
        })();
        st.finish(Operation::Whoami, result)
    }

    /// How many access tokens handed out are still unexpired.
    pub fn live_tokens(&self) -> usize {
        let now = self.now();
        self.lock()
            .tokens
            .values()
            .filter(|t| t.expires_at > now)
            .count()
    }

    // ----- inspection and test hooks --------------------------------------

    /// The environments as they are now, in creation order.
    pub fn environments(&self) -> Vec<Environment> {
        self.lock().environments.clone()
    }

    /// How many distinct credential sets were ever issued (reuses excluded).
    pub fn credentials_issued(&self) -> usize {
        self.lock().credentials_issued
    }

    /// The installation's current unrevoked credential set (it may have
    /// expired), if any.
    pub fn live_credentials(&self, installation_id: &InstallationId) -> Option<Credentials> {
        self.lock()
            .credentials
            .iter()
            .rev()
            .find(|r| &r.installation_id == installation_id && !r.revoked)
            .map(|r| r.credentials.clone())
    }

    /// Test hook: revokes the installation's current credentials.
    pub fn revoke_credentials(&self, installation_id: &InstallationId) {
        self.lock().revoke(installation_id, None);
    }

    /// How many calls of `op` were made (through the trait or raw; a listing
    /// counts one call per page; injected failures count too).
    pub fn calls(&self, op: Operation) -> usize {
        self.lock().hooks.calls[op.index()]
    }

    /// Queues `error` as the answer of the next call of `op`, which then
    /// does nothing else. Several may be queued (FIFO).
    pub fn fail_next(&self, op: Operation, error: PlatformError) {
        self.lock().hooks.fail_next[op.index()].push_back(error);
    }

    /// Queues `error` as the answer of the next call of `op` that gets to do
    /// its work: the work is done (and, for keyed operations, its real answer
    /// stored for replay), then `error` is returned, as when a response is lost.
    pub fn fail_after_next(&self, op: Operation, error: PlatformError) {
        self.lock().hooks.fail_after_next[op.index()].push_back(error);
    }

    /// How many token calls presented `secret`.
    pub fn token_attempts_with_secret(&self, secret: &str) -> usize {
        self.lock()
            .hooks
            .token_attempts
            .get(&sha256(secret))
            .copied()
            .unwrap_or(0)
    }

    /// The whole platform state as JSON (environments, credentials with
    /// their secrets, idempotency records, tenant, settings). It holds
    /// secrets: store it like a credentials file, never log it.
    pub fn snapshot(&self) -> serde_json::Value {
        let st = self.lock();
        serde_json::to_value(&*st).unwrap_or(serde_json::Value::Null)
    }

    /// A platform restored from [`InMemoryPlatform::snapshot`] (system clock;
    /// fresh counters, no queued faults). `InvalidInput` when the snapshot
    /// is malformed or breaks the platform's invariants.
    pub fn restore(snapshot: &serde_json::Value) -> Result<Self, PlatformError> {
        let mut state = State::deserialize(snapshot)
            .map_err(|e| PlatformError::InvalidInput(format!("snapshot: {e}")))?;
        if state.version != SNAPSHOT_VERSION {
            return Err(PlatformError::InvalidInput(format!(
                "snapshot: unsupported version {}",
                state.version
            )));
        }
        state
            .check_invariants()
            .map_err(|e| PlatformError::InvalidInput(format!("snapshot: {e}")))?;
        state.page_size = state.page_size.clamp(1, MAX_PAGE_SIZE);
        Ok(Self::from_state(state))
    }
}

fn parse_cursor(cursor: &str) -> Option<usize> {
    let digits = cursor.strip_prefix('c')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn key_reused() -> Fail {
    Fail::new(
        ErrorCode::IdempotencyKeyReused,
        "this Idempotency-Key was used with another request",
    )
}

fn check_precondition(env: &Environment, if_match: Option<&str>) -> Result<(), Fail> {
    match if_match.map(str::trim) {
        None | Some("") => Err(Fail::new(
            ErrorCode::PreconditionRequired,
            "If-Match is required",
        )),
        Some(tag) if tag == env.etag.as_str() => Ok(()),
        Some(_) => Err(Fail::new(
            ErrorCode::PreconditionFailed,
            format!("the etag of {} is not the current one", env.id),
        )),
    }
}

fn create_work(st: &mut State, name: &str, kind: Kind) -> Result<Environment, Fail> {
    if !st.can_create {
        return Err(Fail::new(
            ErrorCode::Forbidden,
            "only the customer's main company may create environments",
        ));
    }
    let name =
        EnvironmentName::new(name).map_err(|e| Fail::new(ErrorCode::InvalidName, e.to_string()))?;
    let key = name_key(&name);
    if st.environments.iter().any(|e| name_key(&e.name) == key) {
        return Err(Fail::new(
            ErrorCode::NameTaken,
            "an environment with this name exists",
        ));
    }
    let id = st.new_environment_id(&HashSet::new());
    let etag = st.new_etag();
    let env = Environment {
        id,
        name,
        kind,
        etag,
        bindings: Vec::new(),
    };
    st.environments.push(env.clone());
    Ok(env)
}

fn bind_work(
    st: &mut State,
    now: DateTime<Utc>,
    environment_id: &str,
    line: ErpLine,
    body: &BindBody,
    if_match: Option<&str>,
) -> Result<Environment, Fail> {
    let index = st
        .environment_index(environment_id)
        .ok_or_else(|| not_found(environment_id))?;
    let installation = &body.installation_id;

    // Idempotent repeat: whatever the If-Match; the name follows the request.
    let repeat = st.environments[index]
        .bindings
        .iter()
        .position(|b| b.line == line && &b.installation_id == installation);
    if let Some(b) = repeat {
        if st.environments[index].bindings[b].installation_name != body.installation_name {
            let etag = st.new_etag();
            let env = &mut st.environments[index];
            env.bindings[b].installation_name = body.installation_name.clone();
            env.etag = etag;
        }
        return Ok(st.environments[index].clone());
    }

    let env = &st.environments[index];
    check_precondition(env, if_match)?;
    if body.installation_kind != env.kind {
        return Err(Fail::new(
            ErrorCode::KindMismatch,
            format!(
                "installation kind {} differs from environment kind {}",
                body.installation_kind, env.kind
            ),
        ));
    }
    // R1: an installation has one environment. Any binding it holds is
    // "elsewhere" here (the idempotent repeat was handled above), including
    // one under another line of this same environment.
    if let Some(other) = st.environments.iter().find(|e| e.binds(installation)) {
        return Err(Fail::new(
            ErrorCode::InstallationBoundElsewhere,
            format!("the installation is bound to environment {}", other.id),
        ));
    }
    let env = &st.environments[index];
    let holder = env.binding_for(line).map(|b| b.installation_id.clone());
    if holder.is_some() && !body.overwrite {
        return Err(Fail::new(
            ErrorCode::BindingExists,
            format!("another installation holds line {line} of {}", env.id),
        ));
    }
    let env_id = env.id.clone();
    if let Some(old) = &holder {
        st.revoke(old, Some(&env_id));
    }
    let etag = st.new_etag();
    let env = &mut st.environments[index];
    env.bindings.retain(|b| b.line != line);
    env.bindings.push(Binding {
        installation_id: installation.clone(),
        installation_name: body.installation_name.clone(),
        line,
        bound_at: now,
    });
    env.etag = etag;
    Ok(env.clone())
}

fn issue_work(
    st: &mut State,
    now: DateTime<Utc>,
    environment_id: &str,
    installation_id: &InstallationId,
    reuse_if_valid: bool,
) -> Result<IssuedCredentials, Fail> {
    let index = st
        .environment_index(environment_id)
        .ok_or_else(|| not_found(environment_id))?;
    let env_id = st.environments[index].id.clone();
    if !st.environments[index].binds(installation_id) {
        return Err(Fail::new(
            ErrorCode::NotBound,
            format!("the installation is not bound to {env_id}"),
        ));
    }
    if reuse_if_valid
        && let Some(current) = st.credentials.iter().rev().find(|r| {
            &r.installation_id == installation_id
                && !r.revoked
                && r.credentials.environment_id == env_id
                && r.credentials.is_unexpired_at(now)
        })
    {
        return Ok(IssuedCredentials {
            credentials: current.credentials.clone(),
            reused: true,
        });
    }
    st.revoke(installation_id, None);
    let client_id = ClientId::new(random_token("cli_"))
        .map_err(|e| Fail::new(ErrorCode::Internal, e.to_string()))?;
    let secret = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let expires_at = st
        .credential_lifetime()
        .and_then(|lifetime| now.checked_add_signed(lifetime));
    let credentials = Credentials {
        client_id,
        client_secret: SecretString::from(secret),
        tenant_id: st.tenant_id,
        environment_id: env_id,
        expires_at,
    };
    st.credentials.push(CredentialRecord {
        installation_id: installation_id.clone(),
        credentials: credentials.clone(),
        revoked: false,
    });
    st.credentials_issued = st.credentials_issued.saturating_add(1);
    Ok(IssuedCredentials {
        credentials,
        reused: false,
    })
}

fn unbind_work(
    st: &mut State,
    environment_id: &str,
    line: ErpLine,
    installation_id: &InstallationId,
    if_match: Option<&str>,
) -> Result<(), Fail> {
    let index = st
        .environment_index(environment_id)
        .ok_or_else(|| not_found(environment_id))?;
    let env = &st.environments[index];
    check_precondition(env, if_match)?;
    if env
        .binding_for(line)
        .is_none_or(|b| &b.installation_id != installation_id)
    {
        return Err(Fail::new(
            ErrorCode::NotBound,
            format!("the installation does not hold line {line} of {}", env.id),
        ));
    }
    let env_id = env.id.clone();
    st.revoke(installation_id, Some(&env_id));
    let etag = st.new_etag();
    let env = &mut st.environments[index];
    env.bindings.retain(|b| b.line != line);
    env.etag = etag;
    Ok(())
}

#[async_trait]
impl Platform for InMemoryPlatform {
    async fn list_environments(
        &self,
        line: ErpLine,
        installation_id: &InstallationId,
    ) -> Result<Vec<Environment>, PlatformError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.list_page(line, installation_id, cursor.as_deref())?;
            all.extend(page.environments);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }

    async fn create_environment(
        &self,
        request: &CreateEnvironment,
    ) -> Result<Environment, PlatformError> {
        self.create_raw(request.name.as_str(), request.kind, request.idempotency_key)
    }

    async fn bind(
        &self,
        installation: &Installation,
        target: &BindTarget,
    ) -> Result<Environment, PlatformError> {
        let body = BindBody {
            installation_id: installation.id.clone(),
            installation_name: installation.name.clone(),
            installation_kind: installation.kind,
            overwrite: target.is_overwrite(),
        };
        self.bind_raw(
            target.environment_id().as_str(),
            installation.line,
            &body,
            Some(target.etag().as_str()),
        )
    }

    async fn issue_credentials(
        &self,
        request: &IssueCredentials,
    ) -> Result<IssuedCredentials, PlatformError> {
        self.issue_raw(
            request.environment_id.as_str(),
            &request.installation_id,
            request.reuse_if_valid,
            request.idempotency_key,
        )
    }

    async fn verify_credentials(&self, credentials: &Credentials) -> Result<(), PlatformError> {
        self.token(credentials.client_id.as_str(), credentials.secret())
            .map(|_| ())
    }

    async fn unbind(&self, request: &Unbind) -> Result<(), PlatformError> {
        self.unbind_raw(
            request.environment_id.as_str(),
            request.line,
            &request.installation_id,
            Some(request.etag.as_str()),
        )
    }

    async fn request_token(&self, credentials: &Credentials) -> Result<TokenGrant, PlatformError> {
        let token = self.token(credentials.client_id.as_str(), credentials.secret())?;
        Ok(TokenGrant {
            access_token: SecretString::from(token.access_token),
            expires_in: token.expires_in,
        })
    }

    async fn whoami(&self, access_token: &SecretString) -> Result<WhoAmI, PlatformError> {
        use secrecy::ExposeSecret as _;
        self.whoami_raw(access_token.expose_secret())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    fn bound_platform() -> (InMemoryPlatform, InstallationId) {
        let p = InMemoryPlatform::new();
        let env = p
            .create_raw("Prod", Kind::Production, IdempotencyKey::new())
            .unwrap();
        let id = InstallationId::new("inst-1").unwrap();
        let body = BindBody {
            installation_id: id.clone(),
            installation_name: InstallationName::new("Matriz").unwrap(),
            installation_kind: Kind::Production,
            overwrite: false,
        };
        p.bind_raw(
            env.id.as_str(),
            ErpLine::Protheus,
            &body,
            Some(env.etag.as_str()),
        )
        .unwrap();
        (p, id)
    }

    #[test]
    fn platform_is_send_sync_and_trait_object_safe() {
        assert_send_sync::<InMemoryPlatform>();
        let p: Arc<dyn Platform> = Arc::new(InMemoryPlatform::default());
        drop(p);
    }

    #[test]
    fn etags_are_quoted_and_change_with_bindings() {
        let p = InMemoryPlatform::new();
        let env = p
            .create_raw("A", Kind::Custom, IdempotencyKey::new())
            .unwrap();
        let tag = env.etag.as_str();
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() > 2);
        let json = serde_json::to_value(&env).unwrap();
        assert!(json["etag"].as_str().unwrap().starts_with('"'));
    }

    #[test]
    fn nothing_prints_a_secret() {
        let (p, id) = bound_platform();
        let issued = p
            .issue_raw("env_1", &id, true, IdempotencyKey::new())
            .unwrap();
        let secret = issued.credentials.secret().to_owned();
        let wrong = p.token(issued.credentials.client_id.as_str(), "nope");
        let texts = [
            format!("{p:?}"),
            format!("{issued:?}"),
            format!("{wrong:?}"),
            format!("{}", wrong.clone().unwrap_err()),
        ];
        for text in texts {
            assert!(!text.contains(&secret), "{text}");
        }
        let token = p
            .token(issued.credentials.client_id.as_str(), &secret)
            .unwrap();
        assert!(!format!("{token:?}").contains(&token.access_token));
        // The snapshot does hold it: it is the sandbox's persisted state.
        assert!(p.snapshot().to_string().contains(&secret));
    }

    #[test]
    fn poisoned_lock_is_recovered() {
        let (p, _) = bound_platform();
        let p = Arc::new(p);
        let q = p.clone();
        let poisoned = std::thread::spawn(move || {
            let _guard = q.state.lock();
            panic!("poison the lock");
        })
        .join();
        assert!(poisoned.is_err());
        assert!(p.state.is_poisoned());
        assert_eq!(p.environments().len(), 1);
        assert_eq!(p.calls(Operation::Bind), 1);
    }

    #[test]
    fn cursor_parsing_is_strict() {
        assert_eq!(parse_cursor("c0"), Some(0));
        assert_eq!(parse_cursor("c500"), Some(500));
        for bad in [
            "",
            "c",
            "500",
            "c+1",
            "c 1",
            "c1.0",
            "c99999999999999999999999",
        ] {
            assert_eq!(parse_cursor(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn odd_inputs_are_errors_not_panics() {
        let (p, id) = bound_platform();
        let body = BindBody {
            installation_id: id.clone(),
            installation_name: InstallationName::new("x").unwrap(),
            installation_kind: Kind::Production,
            overwrite: true,
        };
        for env in ["", "env/../1", "%", "env_999", &"e".repeat(10_000)] {
            assert!(p.bind_raw(env, ErpLine::Rm, &body, Some("\"1\"")).is_err());
            assert!(p.unbind_raw(env, ErpLine::Rm, &id, None).is_err());
            assert!(
                p.issue_raw(env, &id, true, IdempotencyKey::new())
                    .unwrap_err()
                    .is(ErrorCode::NotFound)
            );
        }
        assert!(p.token("", "").is_err());
        p.set_page_size(0);
        let page = p
            .list_page(ErpLine::Rm, &id, None)
            .expect("page size 0 is clamped to 1");
        assert_eq!(page.environments.len(), 1);
        p.set_credential_lifetime(Some(TimeDelta::MAX));
        let issued = p
            .issue_raw("env_1", &id, false, IdempotencyKey::new())
            .unwrap();
        assert_eq!(
            issued.credentials.expires_at, None,
            "overflow: never expires"
        );
    }

    #[test]
    fn bind_body_is_the_contract_json() {
        let body: BindBody = serde_json::from_str(
            r#"{"installation_id":"i-1","installation_name":"Filial","installation_kind":"production"}"#,
        )
        .unwrap();
        assert!(!body.overwrite);
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["installation_kind"], "production");
        assert!(
            serde_json::from_str::<BindBody>(
                r#"{"installation_id":"a/b","installation_name":"F","installation_kind":"production"}"#
            )
            .is_err()
        );
    }
}
