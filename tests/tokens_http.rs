//! Runtime access tokens over real HTTP against the sandbox: the ERP's
//! authenticated call (`GET /v1/whoami`), single flight, expiry with short
//! token lifetimes, revocation reopening the gate, rotation without a gap.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use smartlink_core::*;
use smartlink_sandbox::Operation;
use smartlink_sandbox::demo_seed;
use smartlink_sandbox::memory::wire::BindBody;
use smartlink_testkit::TOKEN;
use smartlink_testkit::platforms::*;

/// A configurator bound to "Produção Nova" over HTTP.
async fn bound(
    sb: &smartlink_sandbox::RunningSandbox,
    id: &str,
) -> (Configurator, MemoryStateStore) {
    let store = MemoryStateStore::new();
    let cfg = configurator_with(id, &sb.url(), Arc::new(store.clone()));
    smartlink_testkit::fixtures::bind_unattended(&cfg, "Filial", "Produção Nova").await;
    (cfg, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_token_authenticates_whoami_over_http() {
    let sb = sandbox(&demo_seed()).await;
    let (cfg, _) = bound(&sb, "tok-whoami").await;
    let token = cfg.access_token().await.unwrap();
    assert!(token.expires_at() > Utc::now() + TimeDelta::minutes(59));
    let who = cfg.whoami().await.unwrap();
    assert_eq!(who.installation_id.as_str(), "tok-whoami");
    assert_eq!(who.environment_id.as_str(), "env_prd_nova");
    assert_eq!(who.client_id, cfg.credentials().unwrap().unwrap().client_id);
    // The same token, from the cache: one token request in all.
    assert_eq!(cfg.token_stats().requests, 1);

    // The endpoint itself: unknown tokens are 401 invalid_token.
    let client = reqwest::Client::new();
    for auth in [Some("Bearer at_unknown"), Some("Basic eDp5"), None] {
        let mut request = client.get(format!("{}/v1/whoami", sb.url()));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert!(
            response
                .headers()
                .get("www-authenticate")
                .is_some_and(|v| v.to_str().unwrap().contains("invalid_token"))
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "invalid_token");
    }
    // The configurator's bearer token is not an access token.
    let response = client
        .get(format!("{}/v1/whoami", sb.url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_callers_on_a_cold_cache_make_one_request_over_http() {
    let sb = sandbox(&demo_seed()).await;
    let (cfg, _) = bound(&sb, "tok-flight").await;
    let before = sb.sandbox().platform().calls(Operation::Verify);
    let callers: Vec<_> = (0..500)
        .map(|_| {
            let cfg = cfg.clone();
            tokio::spawn(async move { cfg.access_token().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for c in callers {
        tokens.push(c.await.unwrap().unwrap());
    }
    assert_eq!(sb.sandbox().platform().calls(Operation::Verify) - before, 1);
    assert!(tokens.iter().all(|t| t == &tokens[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_lived_tokens_are_renewed_and_never_handed_out_expired() {
    let sb = sandbox(&demo_seed()).await;
    sb.sandbox()
        .platform()
        .set_token_lifetime(Duration::from_secs(2));
    let (cfg, _) = bound(&sb, "tok-expiry").await;
    let mut distinct: Vec<AccessToken> = Vec::new();
    // Until three tokens have been seen (about 2 s with a 1 s margin).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while distinct.len() < 3 {
        assert!(tokio::time::Instant::now() < deadline);
        let token = cfg.access_token().await.unwrap();
        assert!(!token.is_expired_at(Utc::now()), "expired token handed out");
        if distinct.last() != Some(&token) {
            // Each new token works for an authenticated call.
            let who = sb
                .sandbox()
                .platform()
                .endpoints()
                .whoami(token.expose_secret())
                .unwrap();
            assert_eq!(who.installation_id.as_str(), "tok-expiry");
            distinct.push(token);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let stats = cfg.token_stats();
    assert_eq!(stats.published, 3, "{stats:?}");
    assert_eq!(stats.failures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_over_http_is_seen_once_and_reopens_the_gate() {
    let sb = sandbox(&demo_seed()).await;
    let (cfg, _) = bound(&sb, "tok-revoked").await;
    let secret = cfg.credentials().unwrap().unwrap().secret().to_owned();
    cfg.whoami().await.unwrap();
    // Another Protheus installation takes "Produção Nova" (R4, confirmed).
    let platform = sb.sandbox().platform();
    let env = platform
        .environments()
        .into_iter()
        .find(|e| e.id.as_str() == "env_prd_nova")
        .unwrap();
    platform
        .endpoints()
        .bind(
            "env_prd_nova",
            ErpLine::Protheus,
            &BindBody {
                installation_id: InstallationId::new("tok-thief").unwrap(),
                installation_name: InstallationName::new("Cópia de teste").unwrap(),
                installation_kind: Kind::Production,
                overwrite: true,
            },
            Some(env.etag.as_str()),
        )
        .unwrap();
    let before = platform.token_attempts_with_secret(&secret);
    // whoami is refused (invalid_token), the token dropped, one new token
    // request made: invalid_client, so the credentials were revoked.
    let err = cfg.whoami().await.unwrap_err();
    assert!(matches!(err, TokenError::Revoked { .. }), "{err:?}");
    for _ in 0..20 {
        assert!(matches!(
            cfg.access_token().await,
            Err(TokenError::Revoked { .. })
        ));
    }
    assert_eq!(platform.token_attempts_with_secret(&secret) - before, 1);
    assert!(cfg.needs_configuration());
    let status = cfg.status().unwrap();
    assert!(status.credentials_revoked.is_some());
    assert!(!format!("{err} {err:?} {status:?}").contains(&secret));
    assert!(matches!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::AdminNeeded {
            scenario: Scenario::Replacement
        }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_over_http_publishes_the_new_token_before_letting_the_old_go() {
    let sb = sandbox(&demo_seed()).await;
    let (cfg, store) = bound(&sb, "tok-rotate").await;
    let old_token = cfg.access_token().await.unwrap();
    let old = cfg.credentials().unwrap().unwrap();
    // Stored 29 of 30 days ago: due (less than 7 days left).
    let mut state = store.load().unwrap().unwrap();
    state.credentials.as_mut().unwrap().expires_at = Some(Utc::now() + TimeDelta::days(1));
    state.last_task.as_mut().unwrap().finished_at = Utc::now() - TimeDelta::days(29);
    store.save(&state).unwrap();
    let requests = cfg.token_stats().requests;
    assert!(matches!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::Configured {
            reused_credentials: false,
            ..
        }
    ));
    let new = cfg.credentials().unwrap().unwrap();
    assert_ne!(new.client_id, old.client_id);
    let token = cfg.access_token().await.unwrap();
    assert_ne!(token, old_token);
    assert_eq!(
        cfg.token_stats().requests,
        requests,
        "the rotation's token was published"
    );
    let who = cfg.whoami().await.unwrap();
    assert_eq!(who.client_id, new.client_id);
    // The platform revoked the old set when it issued the new one.
    assert!(
        sb.sandbox()
            .platform()
            .endpoints()
            .whoami(old_token.expose_secret())
            .unwrap_err()
            .is(ErrorCode::InvalidToken)
    );
    assert_eq!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::AlreadyConfigured
    );
}
