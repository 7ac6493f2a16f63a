//! The platform contract's semantics, in memory.
//!
//! [`InMemoryPlatform`] is the single source of platform behaviour: the
//! sandbox serves it over HTTP through its endpoints, one method per
//! endpoint of `docs/platform-api.md`, taking what arrived in the request
//! ([`InMemoryPlatform::endpoints`]). Its [`Platform`] implementation calls
//! the same methods, so tests use it in-process with the same semantics.
//!
//! Test hooks count calls ([`InMemoryPlatform::calls`]) and inject faults
//! before ([`InMemoryPlatform::fail_next`]) or after
//! ([`InMemoryPlatform::fail_after_next`]) the work of a call; inspection
//! methods expose the state. [`InMemoryPlatform::snapshot`] /
//! [`InMemoryPlatform::restore`] persist the whole platform state
//! (environments, credentials with their secrets, idempotency records,
//! settings); counters and queued faults are test instrumentation and are
//! not part of a snapshot.
//!
//! The module reads in parts: `state` (what the platform keeps, its
//! invariants and the one idempotency-replay rule), `semantics` (what each
//! endpoint does, in the contract's order of checks), `endpoints` (one
//! method per endpoint, which the sandbox serves and the `Platform`
//! implementation calls), `wire` (the request and answer bodies), and
//! `hooks` (call counters and fault injection).

mod endpoints;
mod hooks;
mod semantics;
mod state;
pub mod wire;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use smartlink_core::{
    BindTarget, Binding, ClientId, CreateEnvironment, Credentials, Environment, EnvironmentId,
    EnvironmentName, ErpLine, ErrorCode, Etag, IdempotencyKey, Installation, InstallationId,
    IssueCredentials, IssuedCredentials, Kind, Platform, PlatformError, TokenGrant, Unbind, WhoAmI,
};

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

use semantics::*;
use state::*;
use wire::{BindBody, Endpoints, Page, TokenAnswer};

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
    ///
    /// The error names what is wrong and where (line and column in the
    /// snapshot pretty-printed, as `serde_json::to_string_pretty` writes it),
    /// never a value: the snapshot holds secrets.
    pub fn restore(snapshot: &serde_json::Value) -> Result<Self, PlatformError> {
        let text = serde_json::to_string_pretty(snapshot).map_err(|e| {
            PlatformError::InvalidInput(format!(
                "snapshot: {}",
                smartlink_contract::describe_json_error(&e)
            ))
        })?;
        Self::restore_json(text.as_bytes())
    }

    /// A platform restored from the JSON text of a snapshot, as
    /// [`InMemoryPlatform::restore`] does. An error's line and column are
    /// those of `json`; it quotes no value from it.
    pub fn restore_json(json: &[u8]) -> Result<Self, PlatformError> {
        let mut state: State = serde_json::from_slice(json).map_err(|e| {
            PlatformError::InvalidInput(format!(
                "snapshot: {}",
                smartlink_contract::describe_json_error(&e)
            ))
        })?;
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
            let page = self
                .endpoints()
                .list(line, installation_id, cursor.as_deref())?;
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
        self.endpoints()
            .create(request.name.as_str(), request.kind, request.idempotency_key)
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
        self.endpoints().bind(
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
        self.endpoints().issue(
            request.environment_id.as_str(),
            &request.installation_id,
            request.reuse_if_valid,
            request.idempotency_key,
        )
    }

    async fn verify_credentials(&self, credentials: &Credentials) -> Result<(), PlatformError> {
        self.endpoints()
            .token(credentials.client_id.as_str(), credentials.secret())
            .map(|_| ())
    }

    async fn unbind(&self, request: &Unbind) -> Result<(), PlatformError> {
        self.endpoints().unbind(
            request.environment_id.as_str(),
            request.line,
            &request.installation_id,
            Some(request.etag.as_str()),
        )
    }

    async fn request_token(&self, credentials: &Credentials) -> Result<TokenGrant, PlatformError> {
        let token = self
            .endpoints()
            .token(credentials.client_id.as_str(), credentials.secret())?;
        Ok(TokenGrant {
            access_token: SecretString::from(token.access_token),
            expires_in: token.expires_in.unwrap_or_default(),
        })
    }

    async fn whoami(&self, access_token: &SecretString) -> Result<WhoAmI, PlatformError> {
        use secrecy::ExposeSecret as _;
        self.endpoints().whoami(access_token.expose_secret())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smartlink_core::InstallationName;

    fn assert_send_sync<T: Send + Sync>() {}

    fn bound_platform() -> (InMemoryPlatform, InstallationId) {
        let p = InMemoryPlatform::new();
        let env = p
            .endpoints()
            .create("Prod", Kind::Production, IdempotencyKey::new())
            .unwrap();
        let id = InstallationId::new("inst-1").unwrap();
        let body = BindBody {
            installation_id: id.clone(),
            installation_name: InstallationName::new("Matriz").unwrap(),
            installation_kind: Kind::Production,
            overwrite: false,
        };
        p.endpoints()
            .bind(
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
            .endpoints()
            .create("A", Kind::Custom, IdempotencyKey::new())
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
            .endpoints()
            .issue("env_1", &id, true, IdempotencyKey::new())
            .unwrap();
        let secret = issued.credentials.secret().to_owned();
        let wrong = p
            .endpoints()
            .token(issued.credentials.client_id.as_str(), "nope");
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
            .endpoints()
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
            assert!(
                p.endpoints()
                    .bind(env, ErpLine::Rm, &body, Some("\"1\""))
                    .is_err()
            );
            assert!(p.endpoints().unbind(env, ErpLine::Rm, &id, None).is_err());
            assert!(
                p.endpoints()
                    .issue(env, &id, true, IdempotencyKey::new())
                    .unwrap_err()
                    .is(ErrorCode::NotFound)
            );
        }
        assert!(p.endpoints().token("", "").is_err());
        p.set_page_size(0);
        let page = p
            .endpoints()
            .list(ErpLine::Rm, &id, None)
            .expect("page size 0 is clamped to 1");
        assert_eq!(page.environments.len(), 1);
        p.set_credential_lifetime(Some(TimeDelta::MAX));
        let issued = p
            .endpoints()
            .issue("env_1", &id, false, IdempotencyKey::new())
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
