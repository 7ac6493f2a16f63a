//! The endpoints, one method each: what the sandbox calls with what arrived
//! in a request, and what the [`Platform`] implementation calls too.

#[allow(unused_imports)]
use super::*;

impl Endpoints<'_> {
    /// A keyed `POST` (`op`): counted, its expired idempotency records
    /// dropped, then the first answer for `key` replayed or `work` run and
    /// its answer stored under `key` (see `replay_or_run`).
    fn keyed<B: PartialEq, R: Clone>(
        &self,
        op: Operation,
        records: fn(&mut State) -> &mut HashMap<Uuid, IdempotencyRecord<B, R>>,
        key: IdempotencyKey,
        request: B,
        work: impl FnOnce(&mut State, DateTime<Utc>) -> Result<R, Fail>,
    ) -> Result<R, PlatformError> {
        let now = self.platform.now();
        let mut st = self.platform.lock();
        st.begin(op)?;
        st.purge_expired_keys(now);
        let result = replay_or_run(&mut st, records, key, request, now, |st| work(st, now));
        st.finish(op, result)
    }

    /// `GET /v1/environments?line=&installation_id=[&cursor=]`: one page of
    /// every environment (bindings of all lines), in creation order. A
    /// cursor this platform did not hand out is `400 invalid_request`.
    pub fn list(
        &self,
        line: ErpLine,
        installation_id: &InstallationId,
        cursor: Option<&str>,
    ) -> Result<Page, PlatformError> {
        // The contract lets the server narrow what it says with these; this
        // platform lists everything.
        let _ = (line, installation_id);
        let mut st = self.platform.lock();
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
    /// `409 name_taken` (the name rule's uniqueness key); the first answer
    /// for a key is replayed for 24 h, and `422 idempotency_key_reused` for
    /// another body.
    pub fn create(
        &self,
        name: &str,
        kind: Kind,
        key: IdempotencyKey,
    ) -> Result<Environment, PlatformError> {
        let request = CreateRequest {
            name: name.to_owned(),
            kind,
        };
        self.keyed(
            Operation::Create,
            |st| &mut st.create_keys,
            key,
            request,
            |st, _| create_work(st, name, kind),
        )
    }

    /// `PUT /v1/environments/{environment_id}/bindings/{line}` with
    /// `If-Match`: `404`, idempotent `200`, `428`, `412`,
    /// `422 kind_mismatch`, `409 installation_bound_elsewhere`,
    /// `409 binding_exists` (or, with `overwrite`, the old binding replaced
    /// and its installation's credentials for this environment revoked).
    pub fn bind(
        &self,
        environment_id: &str,
        line: ErpLine,
        body: &BindBody,
        if_match: Option<&str>,
    ) -> Result<Environment, PlatformError> {
        let now = self.platform.now();
        let mut st = self.platform.lock();
        st.begin(Operation::Bind)?;
        let result = bind_work(&mut st, now, environment_id, line, body, if_match);
        st.finish(Operation::Bind, result)
    }

    /// `POST /v1/environments/{environment_id}/credentials` with
    /// `Idempotency-Key`: `404 not_found`, `409 not_bound`; with
    /// `reuse_if_valid` the installation's valid current set is returned
    /// (`reused: true`), otherwise a new set is issued and older ones revoked.
    pub fn issue(
        &self,
        environment_id: &str,
        installation_id: &InstallationId,
        reuse_if_valid: bool,
        key: IdempotencyKey,
    ) -> Result<IssuedCredentials, PlatformError> {
        let request = IssueRequest {
            environment_id: environment_id.to_owned(),
            installation_id: installation_id.clone(),
            reuse_if_valid,
        };
        self.keyed(
            Operation::Issue,
            |st| &mut st.issue_keys,
            key,
            request,
            |st, now| issue_work(st, now, environment_id, installation_id, reuse_if_valid),
        )
    }

    /// `DELETE /v1/environments/{environment_id}/bindings/{line}` with
    /// `If-Match`: `404`, `428`, `412`, `409 not_bound`; on success the
    /// binding is removed and the installation's credentials for it revoked.
    pub fn unbind(
        &self,
        environment_id: &str,
        line: ErpLine,
        installation_id: &InstallationId,
        if_match: Option<&str>,
    ) -> Result<(), PlatformError> {
        let mut st = self.platform.lock();
        st.begin(Operation::Unbind)?;
        let result = unbind_work(&mut st, environment_id, line, installation_id, if_match);
        st.finish(Operation::Unbind, result)
    }

    /// `POST /oauth2/token` (`client_credentials`): `401 invalid_client`
    /// for an unknown, revoked or expired client or a wrong secret.
    pub fn token(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<TokenAnswer, PlatformError> {
        let now = self.platform.now();
        let mut st = self.platform.lock();
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
            Ok(TokenAnswer {
                access_token,
                token_type: Some("Bearer".to_owned()),
                expires_in: Some(lifetime),
            })
        } else {
            Err(invalid_client())
        };
        st.finish(Operation::Verify, result)
    }

    /// `GET /v1/whoami` with the access token presented as bearer: whose
    /// token it is; `401 invalid_token` when the token is unknown, expired,
    /// or its credentials were revoked or expired since.
    pub fn whoami(&self, access_token: &str) -> Result<WhoAmI, PlatformError> {
        let now = self.platform.now();
        let mut st = self.platform.lock();
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
}
