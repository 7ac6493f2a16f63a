//! What the in-memory platform keeps: environments, credential records,
//! idempotency records and issued tokens, with the invariants a snapshot
//! must keep, and the one rule for replaying an idempotency key.

#[allow(unused_imports)]
use super::*;

/// A contract error produced by the platform's own work (storable, so it
/// can be replayed for an idempotency key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Fail {
    pub(super) code: ErrorCode,
    pub(super) detail: Option<String>,
}

impl Fail {
    pub(super) fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
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
pub(super) struct CreateRequest {
    pub(super) name: String,
    pub(super) kind: Kind,
}

/// The body (and path) of an issue request, as compared for idempotency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct IssueRequest {
    pub(super) environment_id: String,
    pub(super) installation_id: InstallationId,
    pub(super) reuse_if_valid: bool,
}

/// The first response given for an idempotency key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct IdempotencyRecord<B, R> {
    pub(super) request: B,
    pub(super) stored_at: DateTime<Utc>,
    pub(super) response: Result<R, Fail>,
}

/// One credential set ever issued. `Credentials` redacts its secret in Debug.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CredentialRecord {
    pub(super) installation_id: InstallationId,
    pub(super) credentials: Credentials,
    pub(super) revoked: bool,
}

/// Counters and queued faults: test instrumentation, not persisted.
#[derive(Default)]
pub(super) struct Hooks {
    pub(super) calls: [usize; Operation::COUNT],
    pub(super) fail_next: [VecDeque<PlatformError>; Operation::COUNT],
    pub(super) fail_after_next: [VecDeque<PlatformError>; Operation::COUNT],
    /// Token calls per SHA-256 of the secret presented (secrets themselves
    /// are not kept for this).
    pub(super) token_attempts: HashMap<[u8; 32], usize>,
}

/// An access token handed out by the token endpoint, kept by the SHA-256 of
/// its value (the value itself is not kept).
#[derive(Debug, Clone)]
pub(super) struct IssuedToken {
    pub(super) client_id: ClientId,
    pub(super) expires_at: DateTime<Utc>,
}

/// The whole persisted state.
#[derive(Serialize, Deserialize)]
pub(super) struct State {
    pub(super) version: u32,
    pub(super) tenant_id: Uuid,
    pub(super) environments: Vec<Environment>,
    pub(super) next_environment: u64,
    pub(super) next_etag: u64,
    pub(super) credentials: Vec<CredentialRecord>,
    pub(super) credentials_issued: usize,
    pub(super) create_keys: HashMap<Uuid, IdempotencyRecord<CreateRequest, Environment>>,
    pub(super) issue_keys: HashMap<Uuid, IdempotencyRecord<IssueRequest, IssuedCredentials>>,
    pub(super) can_create: bool,
    pub(super) page_size: usize,
    /// Credential lifetime in milliseconds; `None` = never expire.
    pub(super) credential_lifetime_ms: Option<i64>,
    /// Lifetime of the access tokens handed out, in seconds.
    #[serde(default = "default_token_lifetime")]
    pub(super) token_lifetime_secs: u64,
    /// Access tokens handed out and not yet expired. Not persisted: after a
    /// restart every client fetches a new one (a 401 `invalid_token` says so).
    #[serde(skip)]
    pub(super) tokens: HashMap<[u8; 32], IssuedToken>,
    #[serde(skip)]
    pub(super) hooks: Hooks,
}

pub(super) fn default_token_lifetime() -> u64 {
    TOKEN_LIFETIME_SECS
}

impl State {
    pub(super) fn new() -> Self {
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

    pub(super) fn new_etag(&mut self) -> Etag {
        let n = self.next_etag;
        self.next_etag = self.next_etag.saturating_add(1);
        Etag::new(format!("\"{n}\"")).expect("a quoted decimal number is a valid etag")
    }

    pub(super) fn new_environment_id(&mut self, taken: &HashSet<String>) -> EnvironmentId {
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

    pub(super) fn environment_index(&self, id: &str) -> Option<usize> {
        self.environments.iter().position(|e| e.id.as_str() == id)
    }

    /// Begins a call: counts it and pops a fault to return instead.
    pub(super) fn begin(&mut self, op: Operation) -> Result<(), PlatformError> {
        let i = op.index();
        self.hooks.calls[i] = self.hooks.calls[i].saturating_add(1);
        match self.hooks.fail_next[i].pop_front() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Ends a call whose work is done: a queued "lost response" replaces the result.
    pub(super) fn finish<T>(
        &mut self,
        op: Operation,
        result: Result<T, Fail>,
    ) -> Result<T, PlatformError> {
        match self.hooks.fail_after_next[op.index()].pop_front() {
            Some(error) => Err(error),
            None => result.map_err(PlatformError::from),
        }
    }

    pub(super) fn credential_lifetime(&self) -> Option<TimeDelta> {
        self.credential_lifetime_ms
            .and_then(TimeDelta::try_milliseconds)
    }

    /// Revokes every unrevoked credential set of `installation` (for
    /// `environment`, when given).
    pub(super) fn revoke(
        &mut self,
        installation: &InstallationId,
        environment: Option<&EnvironmentId>,
    ) {
        for record in &mut self.credentials {
            if &record.installation_id == installation
                && environment.is_none_or(|env| &record.credentials.environment_id == env)
            {
                record.revoked = true;
            }
        }
    }

    pub(super) fn purge_expired_keys(&mut self, now: DateTime<Utc>) {
        self.create_keys
            .retain(|_, r| !record_expired(r.stored_at, now));
        self.issue_keys
            .retain(|_, r| !record_expired(r.stored_at, now));
    }

    /// Checks R1, R2, unique ids and names: the invariants of any state.
    pub(super) fn check_invariants(&self) -> Result<(), String> {
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
pub(super) fn name_key(name: &EnvironmentName) -> String {
    name.uniqueness_key()
}

pub(super) fn record_expired(stored_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now.signed_duration_since(stored_at) >= TimeDelta::hours(IDEMPOTENCY_TTL_HOURS)
}

pub(super) fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// Compares two secrets in time independent of where they differ.
pub(super) fn secrets_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    // Hashing first makes the comparison independent of the lengths too.
    bool::from(sha256(a).ct_eq(&sha256(b)))
}

pub(super) fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", Uuid::new_v4().simple())
}

pub(super) fn invalid_client() -> Fail {
    Fail::new(
        ErrorCode::InvalidClient,
        "invalid_client: unknown, revoked or expired client, or wrong secret",
    )
}

pub(super) fn invalid_token() -> Fail {
    Fail::new(
        ErrorCode::InvalidToken,
        "the access token is unknown, expired, or its credentials were revoked",
    )
}

pub(super) fn not_found(id: &str) -> Fail {
    // Ids that are not valid environment ids are not echoed.
    let shown = EnvironmentId::new(id)
        .map(|id| id.to_string())
        .unwrap_or_else(|_| "(invalid id)".to_owned());
    Fail::new(
        ErrorCode::NotFound,
        format!("no environment with id {shown}"),
    )
}

/// The one idempotency rule of the contract, for every keyed `POST`: the
/// first answer given for `key` is replayed (for 24 h) to a request with the
/// same body; another body with that key is `422 idempotency_key_reused`;
/// a new key runs `work` and stores its answer, failures included.
pub(super) fn replay_or_run<B, R>(
    st: &mut State,
    records: fn(&mut State) -> &mut HashMap<Uuid, IdempotencyRecord<B, R>>,
    key: IdempotencyKey,
    request: B,
    now: DateTime<Utc>,
    work: impl FnOnce(&mut State) -> Result<R, Fail>,
) -> Result<R, Fail>
where
    B: PartialEq,
    R: Clone,
{
    match records(st).get(&key.as_uuid()) {
        Some(record) if record.request == request => return record.response.clone(),
        Some(_) => return Err(super::semantics::key_reused()),
        None => {}
    }
    let response = work(st);
    records(st).insert(
        key.as_uuid(),
        IdempotencyRecord {
            request,
            stored_at: now,
            response: response.clone(),
        },
    );
    response
}
