//! What each endpoint does to the state, in the contract's order of checks
//! (`docs/platform-api.md`): the work behind the endpoints.

#[allow(unused_imports)]
use super::*;

pub(super) fn parse_cursor(cursor: &str) -> Option<usize> {
    let digits = cursor.strip_prefix('c')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

pub(super) fn key_reused() -> Fail {
    Fail::new(
        ErrorCode::IdempotencyKeyReused,
        "this Idempotency-Key was used with another request",
    )
}

pub(super) fn check_precondition(env: &Environment, if_match: Option<&str>) -> Result<(), Fail> {
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

pub(super) fn create_work(st: &mut State, name: &str, kind: Kind) -> Result<Environment, Fail> {
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

pub(super) fn bind_work(
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

pub(super) fn issue_work(
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

pub(super) fn unbind_work(
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
