//! `HttpPlatform`'s token calls against a mock server: the token request's
//! answer checked against the contract, `invalid_client` typed, and
//! `GET /v1/whoami` sent with the installation's access token. No token or
//! secret ever appears in an error.

use std::time::Duration;

use mockito::{Matcher, Server, ServerGuard};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use smartlink_core::{
    ClientId, Credentials, EnvironmentId, ErrorCode, HttpPlatform, HttpPlatformConfig, Platform,
    PlatformError,
};
use uuid::Uuid;

const ADMIN_TOKEN: &str = "admin-session-token";
const SECRET: &str = "client-secret-value-1";

fn config(server: &ServerGuard) -> HttpPlatformConfig {
    HttpPlatformConfig::new(server.url(), SecretString::from(ADMIN_TOKEN))
        .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .without_proxy()
}

fn platform(server: &ServerGuard) -> HttpPlatform {
    HttpPlatform::new(config(server)).unwrap()
}

fn credentials() -> Credentials {
    Credentials {
        client_id: ClientId::new("cli_1").unwrap(),
        client_secret: SecretString::from(SECRET),
        tenant_id: Uuid::nil(),
        environment_id: EnvironmentId::new("env_1").unwrap(),
        expires_at: None,
    }
}

fn assert_clean(e: &PlatformError, secrets: &[&str]) {
    let shown = format!("{e} {e:?}");
    for s in secrets {
        assert!(!shown.contains(s), "{shown}");
    }
}

#[tokio::test]
async fn the_token_request_returns_the_grant_with_its_lifetime() {
    let mut server = Server::new_async().await;
    let mock = server
        .mock("POST", "/oauth2/token")
        .match_header("authorization", Matcher::Missing)
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()),
            Matcher::UrlEncoded("client_id".into(), "cli_1".into()),
            Matcher::UrlEncoded("client_secret".into(), SECRET.into()),
        ]))
        .with_status(200)
        .with_body(
            json!({"access_token": "at_123", "token_type": "bearer", "expires_in": 120})
                .to_string(),
        )
        .create_async()
        .await;
    let grant = HttpPlatform::new(
        config(&server).with_client_auth(smartlink_core::ClientAuthMethod::ClientSecretPost),
    )
    .unwrap()
    .request_token(&credentials())
    .await
    .unwrap();
    mock.assert_async().await;
    assert_eq!(grant.access_token.expose_secret(), "at_123");
    assert_eq!(grant.expires_in, 120);
    assert!(!format!("{grant:?}").contains("at_123"));
}

#[tokio::test]
async fn answers_outside_the_contract_are_protocol_errors_without_the_token() {
    let bodies = [
        json!({"access_token": "at_leak_1", "token_type": "Bearer", "expires_in": "soon"}),
        json!({"access_token": "at_leak_2", "token_type": "Bearer", "expires_in": 0}),
        json!({"access_token": "at_leak_3", "token_type": "mac", "expires_in": 60}),
        json!({"access_token": "at leak 4", "token_type": "Bearer", "expires_in": 60}),
        json!({"access_token": "", "token_type": "Bearer", "expires_in": 60}),
        json!({"token_type": "Bearer", "expires_in": 60}),
    ];
    for body in bodies {
        let mut server = Server::new_async().await;
        server
            .mock("POST", "/oauth2/token")
            .with_status(200)
            .with_body(body.to_string())
            .create_async()
            .await;
        let e = platform(&server)
            .request_token(&credentials())
            .await
            .unwrap_err();
        assert!(matches!(e, PlatformError::Protocol { .. }), "{body}: {e:?}");
        assert_clean(&e, &["at_leak", "at leak", SECRET]);
    }
}

#[tokio::test]
async fn invalid_client_is_typed_and_not_retried() {
    let mut server = Server::new_async().await;
    let mock = server
        .mock("POST", "/oauth2/token")
        .with_status(401)
        .with_body(
            json!({"error": "invalid_client", "error_description": format!("bad secret {SECRET}")})
                .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let e = platform(&server)
        .request_token(&credentials())
        .await
        .unwrap_err();
    mock.assert_async().await;
    assert!(e.is(ErrorCode::InvalidClient), "{e:?}");
    assert_clean(&e, &[SECRET]);
}

#[tokio::test]
async fn whoami_sends_the_access_token_not_the_configurators() {
    let mut server = Server::new_async().await;
    let mock = server
        .mock("GET", "/v1/whoami")
        .match_header("authorization", "Bearer at_install_1")
        .match_header("x-request-id", Matcher::Any)
        .with_status(200)
        .with_body(
            json!({"client_id": "cli_1", "installation_id": "inst-1",
                   "environment_id": "env_1", "expires_at": "2027-01-01T00:00:00Z"})
            .to_string(),
        )
        .create_async()
        .await;
    let who = platform(&server)
        .whoami(&SecretString::from("at_install_1"))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(who.installation_id.as_str(), "inst-1");
}

#[tokio::test]
async fn whoami_refused_is_invalid_token_without_the_token() {
    let mut server = Server::new_async().await;
    server
        .mock("GET", "/v1/whoami")
        .with_status(401)
        .with_header("content-type", "application/problem+json")
        .with_body(
            json!({"type": "about:blank", "title": "Unauthorized", "status": 401,
                   "code": "invalid_token", "detail": "token at_install_2 is unknown"})
            .to_string(),
        )
        .create_async()
        .await;
    let p = platform(&server);
    let e = p
        .whoami(&SecretString::from("at_install_2"))
        .await
        .unwrap_err();
    assert!(e.is(ErrorCode::InvalidToken), "{e:?}");
    assert_clean(&e, &["at_install_2"]);
    // A token that cannot be a header value is refused before sending.
    let e = p
        .whoami(&SecretString::from("bad\ntoken"))
        .await
        .unwrap_err();
    assert!(matches!(e, PlatformError::InvalidInput(_)));
    assert_clean(&e, &["bad\ntoken"]);
}

/// OAuth2's `error` is taken when this version knows it; other values are
/// typed by the status (a 500 `server_error` is `internal`, never
/// `unknown`), and `invalid_client` comes with 401 or 400 (RFC 6749 §5.2).
#[tokio::test]
async fn oauth2_errors_are_typed_by_their_code_or_their_status() {
    use ErrorCode::*;
    for (status, error, expected) in [
        (401u16, "invalid_client", InvalidClient),
        (400, "invalid_client", InvalidClient),
        (400, "invalid_grant", InvalidRequest),
        (400, "unsupported_grant_type", InvalidRequest),
        (500, "server_error", Internal),
        (503, "temporarily_unavailable", Unavailable),
    ] {
        let mut server = Server::new_async().await;
        let _mock = server
            .mock("POST", "/oauth2/token")
            .with_status(usize::from(status))
            .with_body(json!({ "error": error }).to_string())
            .create_async()
            .await;
        let e = HttpPlatform::new(config(&server).with_max_attempts(1))
            .unwrap()
            .request_token(&credentials())
            .await
            .unwrap_err();
        assert!(
            matches!(&e, PlatformError::Api { status: s, code, .. } if *s == status && *code == expected),
            "{status} {error}: {e:?}"
        );
    }
}
