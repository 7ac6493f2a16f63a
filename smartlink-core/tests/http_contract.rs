//! `HttpPlatform` against a mock server: what it sends for each endpoint of
//! `docs/platform-api.md`, what it makes of the answers, and the limits it
//! enforces (size, redirects, schemes, secrets).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mockito::{Matcher, Server, ServerGuard};
use secrecy::SecretString;
use serde_json::{Value, json};
use smartlink_core::{
    BindTarget, ClientAuthMethod, ClientId, CreateEnvironment, Credentials, EnvironmentId,
    EnvironmentName, ErpLine, ErrorCode, Etag, HttpPlatform, HttpPlatformConfig, IdempotencyKey,
    Installation, InstallationId, InstallationName, IssueCredentials, Kind, OverwriteConfirmation,
    Platform, PlatformError, Unbind,
};
use uuid::Uuid;

const TOKEN: &str = "tok-contract-1";
const UUID_V4: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";

fn config(server: &ServerGuard) -> HttpPlatformConfig {
    HttpPlatformConfig::new(server.url(), SecretString::from(TOKEN))
        .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .without_proxy()
}

fn platform(server: &ServerGuard) -> HttpPlatform {
    HttpPlatform::new(config(server)).expect("valid config")
}

fn installation() -> Installation {
    Installation::new(
        InstallationId::new("inst-1").unwrap(),
        InstallationName::new("Filial São Paulo").unwrap(),
        ErpLine::Protheus,
        Kind::Production,
    )
}

fn env_json(id: &str, name: &str, etag: &str, bindings: Value) -> Value {
    json!({"id": id, "name": name, "kind": "production", "etag": etag, "bindings": bindings})
}

fn binding_json(installation_id: &str) -> Value {
    json!({"installation_id": installation_id, "installation_name": "Filial São Paulo",
           "line": "protheus", "bound_at": "2026-11-28T12:00:00Z"})
}

fn credentials_json(environment_id: &str, reused: bool) -> Value {
    json!({"client_id": "cli_1", "client_secret": "issued-secret-1",
           "tenant_id": "6f1c1f53-4bb5-4a43-a3a4-3c52d1c5a1f0",
           "environment_id": environment_id, "expires_at": "2027-11-28T12:00:00Z",
           "reused": reused})
}

fn credentials(secret: &str) -> Credentials {
    Credentials {
        client_id: ClientId::new("cli_1").unwrap(),
        client_secret: SecretString::from(secret),
        tenant_id: Uuid::nil(),
        environment_id: EnvironmentId::new("env_1").unwrap(),
        expires_at: None,
    }
}

fn create_request() -> CreateEnvironment {
    CreateEnvironment {
        name: EnvironmentName::new("Homologação").unwrap(),
        kind: Kind::Homologation,
        idempotency_key: IdempotencyKey::new(),
    }
}

fn list_query() -> Matcher {
    Matcher::Exact("line=protheus&installation_id=inst-1".into())
}

// --- endpoints ---------------------------------------------------------------

#[tokio::test]
async fn list_sends_line_installation_and_follows_next_cursor_until_null() {
    let mut server = Server::new_async().await;
    let first = server
        .mock("GET", "/v1/environments")
        .match_query(list_query())
        .match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .match_header("accept", "application/json")
        .match_header("x-request-id", Matcher::Regex(UUID_V4.into()))
        .match_header("user-agent", Matcher::Regex("^smartlink/".into()))
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body(
            json!({"environments": [
                env_json("env_1", "Produção", "\"7\"", json!([binding_json("inst-1")])),
                env_json("env_2", "Outra", "\"1\"", json!([])),
            ], "next_cursor": "c/2 +="})
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let second = server
        .mock("GET", "/v1/environments")
        .match_query(Matcher::Exact(
            "line=protheus&installation_id=inst-1&cursor=c%2F2+%2B%3D".into(),
        ))
        .match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .match_header("x-request-id", Matcher::Regex(UUID_V4.into()))
        .with_status(200)
        .with_body(
            json!({"environments": [env_json("env_3", "Dev", "\"3\"", json!([]))],
                   "next_cursor": null, "unknown_field": 1})
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;

    let environments = platform(&server)
        .list_environments(ErpLine::Protheus, &InstallationId::new("inst-1").unwrap())
        .await
        .unwrap();

    first.assert_async().await;
    second.assert_async().await;
    let ids: Vec<&str> = environments.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["env_1", "env_2", "env_3"]);
    assert_eq!(environments[0].etag.as_str(), "\"7\"");
    let binding = environments[0].binding_for(ErpLine::Protheus).unwrap();
    assert_eq!(binding.installation_id.as_str(), "inst-1");
}

#[tokio::test]
async fn create_posts_name_and_kind_with_the_idempotency_key() {
    let mut server = Server::new_async().await;
    let request = create_request();
    let mock = server
        .mock("POST", "/v1/environments")
        .match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .match_header("x-request-id", Matcher::Regex(UUID_V4.into()))
        .match_header(
            "idempotency-key",
            request.idempotency_key.to_string().as_str(),
        )
        .match_header("content-type", "application/json")
        .match_header("accept", "application/json")
        .match_body(Matcher::Json(
            json!({"name": "Homologação", "kind": "homologation"}),
        ))
        .with_status(201)
        .with_body(
            json!({"id": "env_9", "name": "Homologação", "kind": "homologation",
                   "etag": "\"1\"", "bindings": []})
            .to_string(),
        )
        .create_async()
        .await;

    let created = platform(&server)
        .create_environment(&request)
        .await
        .unwrap();

    mock.assert_async().await;
    assert_eq!(created.id.as_str(), "env_9");
    assert_eq!(created.kind, Kind::Homologation);
    assert!(created.bindings.is_empty());
}

#[tokio::test]
async fn bind_puts_the_installation_with_if_match_and_no_overwrite() {
    let mut server = Server::new_async().await;
    let mock = server
        .mock("PUT", "/v1/environments/env_1/bindings/protheus")
        .match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .match_header("x-request-id", Matcher::Regex(UUID_V4.into()))
        .match_header("if-match", "\"7\"")
        .match_header("content-type", "application/json")
        .match_header("idempotency-key", Matcher::Missing)
        .match_body(Matcher::Json(json!({
            "installation_id": "inst-1",
            "installation_name": "Filial São Paulo",
            "installation_kind": "production",
            "overwrite": false,
        })))
        .with_status(200)
        .with_body(
            env_json(
                "env_1",
                "Produção",
                "\"8\"",
                json!([binding_json("inst-1")]),
            )
            .to_string(),
        )
        .create_async()
        .await;

    let target = BindTarget::with_etag(
        EnvironmentId::new("env_1").unwrap(),
        Etag::new("\"7\"").unwrap(),
    );
    let bound = platform(&server)
        .bind(&installation(), &target)
        .await
        .unwrap();

    mock.assert_async().await;
    assert_eq!(bound.etag.as_str(), "\"8\"");
    assert!(bound.binds(&InstallationId::new("inst-1").unwrap()));
}

#[tokio::test]
async fn bind_with_a_confirmation_sends_overwrite_true() {
    let mut server = Server::new_async().await;
    let listed: smartlink_core::Environment = serde_json::from_value(env_json(
        "env_1",
        "Produção",
        "\"7\"",
        json!([binding_json("other-inst")]),
    ))
    .unwrap();
    let mock = server
        .mock("PUT", "/v1/environments/env_1/bindings/protheus")
        .match_header("if-match", "\"7\"")
        .match_body(Matcher::PartialJson(json!({"overwrite": true})))
        .with_status(200)
        .with_body(
            env_json(
                "env_1",
                "Produção",
                "\"8\"",
                json!([binding_json("inst-1")]),
            )
            .to_string(),
        )
        .create_async()
        .await;

    let confirmation = OverwriteConfirmation::new(&listed, "Produção").unwrap();
    platform(&server)
        .bind(&installation(), &BindTarget::overwrite(confirmation))
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn issue_credentials_posts_reuse_flag_with_the_idempotency_key() {
    let mut server = Server::new_async().await;
    let request = IssueCredentials {
        environment_id: EnvironmentId::new("env_1").unwrap(),
        installation_id: InstallationId::new("inst-1").unwrap(),
        reuse_if_valid: true,
        idempotency_key: IdempotencyKey::new(),
    };
    let mock = server
        .mock("POST", "/v1/environments/env_1/credentials")
        .match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .match_header("x-request-id", Matcher::Regex(UUID_V4.into()))
        .match_header(
            "idempotency-key",
            request.idempotency_key.to_string().as_str(),
        )
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(
            json!({"installation_id": "inst-1", "reuse_if_valid": true}),
        ))
        .with_status(201)
        .with_body(credentials_json("env_1", true).to_string())
        .create_async()
        .await;

    let issued = platform(&server).issue_credentials(&request).await.unwrap();

    mock.assert_async().await;
    assert!(issued.reused);
    assert_eq!(issued.credentials.client_id.as_str(), "cli_1");
    assert_eq!(issued.credentials.secret(), "issued-secret-1");
    assert_eq!(issued.credentials.environment_id.as_str(), "env_1");
    assert!(issued.credentials.expires_at.is_some());
}

#[tokio::test]
async fn credentials_for_another_environment_are_a_protocol_error() {
    let mut server = Server::new_async().await;
    let _mock = server
        .mock("POST", "/v1/environments/env_1/credentials")
        .with_status(201)
        .with_body(credentials_json("env_OTHER", false).to_string())
        .create_async()
        .await;
    let request = IssueCredentials {
        environment_id: EnvironmentId::new("env_1").unwrap(),
        installation_id: InstallationId::new("inst-1").unwrap(),
        reuse_if_valid: false,
        idempotency_key: IdempotencyKey::new(),
    };
    let err = platform(&server)
        .issue_credentials(&request)
        .await
        .unwrap_err();
    let PlatformError::Protocol { body_excerpt, .. } = &err else {
        panic!("expected Protocol, got {err:?}");
    };
    assert!(body_excerpt.contains("env_OTHER"));
    assert!(!body_excerpt.contains("issued-secret-1"), "{body_excerpt}");
}

#[tokio::test]
async fn path_segments_are_percent_encoded() {
    let mut server = Server::new_async().await;
    let mock = server
        .mock("POST", "/v1/environments/env%7B1%7D%22x/credentials")
        .with_status(201)
        .with_body(credentials_json("env{1}\"x", false).to_string())
        .create_async()
        .await;
    let request = IssueCredentials {
        environment_id: EnvironmentId::new("env{1}\"x").unwrap(),
        installation_id: InstallationId::new("inst-1").unwrap(),
        reuse_if_valid: false,
        idempotency_key: IdempotencyKey::new(),
    };
    let issued = platform(&server).issue_credentials(&request).await.unwrap();
    mock.assert_async().await;
    assert!(!issued.reused);
}

#[tokio::test]
async fn unbind_deletes_with_if_match_and_the_installation() {
    let mut server = Server::new_async().await;
    let mock = server
        .mock("DELETE", "/v1/environments/env_1/bindings/rm")
        .match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .match_header("x-request-id", Matcher::Regex(UUID_V4.into()))
        .match_header("if-match", "\"9\"")
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(json!({"installation_id": "inst-1"})))
        .with_status(204)
        .create_async()
        .await;

    platform(&server)
        .unbind(&Unbind {
            environment_id: EnvironmentId::new("env_1").unwrap(),
            line: ErpLine::Rm,
            installation_id: InstallationId::new("inst-1").unwrap(),
            etag: Etag::new("\"9\"").unwrap(),
        })
        .await
        .unwrap();
    mock.assert_async().await;
}

/// RFC 6749 §2.3.1: HTTP Basic by default, each of id and secret
/// form-urlencoded before Base64; nothing of them in the body.
#[tokio::test]
async fn token_requests_authenticate_with_http_basic_by_default() {
    use base64::Engine as _;
    let mut server = Server::new_async().await;
    let secret = "s3cr3t &=+:/é";
    let id = "cli:1+";
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode("cli%3A1%2B:s3cr3t%20%26%3D%2B%3A%2F%C3%A9")
    );
    let mock = server
        .mock("POST", "/oauth2/token")
        .match_header("authorization", expected.as_str())
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_body("grant_type=client_credentials")
        .with_status(200)
        .with_body(r#"{"access_token":"at-1","token_type":"bearer","expires_in":3600}"#)
        .expect(2)
        .create_async()
        .await;
    let mut creds = credentials(secret);
    creds.client_id = ClientId::new(id).unwrap();
    let platform = platform(&server);
    assert_eq!(platform.client_auth(), ClientAuthMethod::ClientSecretBasic);
    platform.verify_credentials(&creds).await.unwrap();
    let grant = platform.request_token(&creds).await.unwrap();
    assert_eq!(grant.expires_in, 3600);
    mock.assert_async().await;
}

/// `expires_in` is RECOMMENDED only (RFC 6749 §5.1): its absence gives the
/// documented default lifetime; a token type other than Bearer is refused.
#[tokio::test]
async fn token_answers_without_expires_in_get_the_default_lifetime() {
    let mut server = Server::new_async().await;
    let _ok = server
        .mock("POST", "/oauth2/token")
        .with_status(200)
        .with_body(r#"{"access_token":"at-1","token_type":"BEARER"}"#)
        .create_async()
        .await;
    let grant = platform(&server)
        .request_token(&credentials("x"))
        .await
        .unwrap();
    assert_eq!(
        grant.expires_in,
        smartlink_core::DEFAULT_TOKEN_LIFETIME.as_secs()
    );
    let mut server = Server::new_async().await;
    let _mac = server
        .mock("POST", "/oauth2/token")
        .with_status(200)
        .with_body(r#"{"access_token":"at-1","token_type":"mac","expires_in":60}"#)
        .create_async()
        .await;
    let err = platform(&server)
        .request_token(&credentials("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Protocol { .. }), "{err:?}");
}

#[tokio::test]
async fn verify_credentials_posts_the_client_credentials_form_without_bearer() {
    let mut server = Server::new_async().await;
    let mock = server
        .mock("POST", "/oauth2/token")
        .match_header("authorization", Matcher::Missing)
        .match_header("x-request-id", Matcher::Regex(UUID_V4.into()))
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()),
            Matcher::UrlEncoded("client_id".into(), "cli_1".into()),
            Matcher::UrlEncoded("client_secret".into(), "s3cr3t &=+".into()),
        ]))
        .with_status(200)
        .with_body(r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#)
        .create_async()
        .await;

    HttpPlatform::new(config(&server).with_client_auth(ClientAuthMethod::ClientSecretPost))
        .unwrap()
        .verify_credentials(&credentials("s3cr3t &=+"))
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn verify_credentials_uses_the_configured_token_url() {
    let mut server = Server::new_async().await;
    let mock = server
        .mock("POST", "/totvs.rac/connect/token")
        .with_status(200)
        .with_body(r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#)
        .create_async()
        .await;
    let platform = HttpPlatform::new(
        config(&server).with_token_url(format!("{}/totvs.rac/connect/token", server.url())),
    )
    .unwrap();
    platform
        .verify_credentials(&credentials("x"))
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn refused_client_is_invalid_client() {
    let mut server = Server::new_async().await;
    let mock = server
        .mock("POST", "/oauth2/token")
        .with_status(401)
        .with_header("x-request-id", "srv-tok-1")
        .with_body(r#"{"error":"invalid_client"}"#)
        .expect(1)
        .create_async()
        .await;
    let err = platform(&server)
        .verify_credentials(&credentials("wrong"))
        .await
        .unwrap_err();
    mock.assert_async().await;
    assert_eq!(
        err,
        PlatformError::Api {
            status: 401,
            code: ErrorCode::InvalidClient,
            detail: None,
            request_id: Some("srv-tok-1".into()),
        }
    );
}

// --- error codes -------------------------------------------------------------

#[tokio::test]
async fn every_problem_code_of_the_contract_becomes_its_typed_error() {
    use ErrorCode::*;
    let table = [
        (400u16, "invalid_request", InvalidRequest),
        (401, "unauthorized", Unauthorized),
        (403, "forbidden", Forbidden),
        (404, "not_found", NotFound),
        (409, "name_taken", NameTaken),
        (409, "binding_exists", BindingExists),
        (
            409,
            "installation_bound_elsewhere",
            InstallationBoundElsewhere,
        ),
        (409, "not_bound", NotBound),
        (412, "precondition_failed", PreconditionFailed),
        (422, "invalid_name", InvalidName),
        (422, "kind_mismatch", KindMismatch),
        (422, "idempotency_key_reused", IdempotencyKeyReused),
        (428, "precondition_required", PreconditionRequired),
        (429, "rate_limited", RateLimited),
        (500, "internal", Internal),
        (502, "unavailable", Unavailable),
        (503, "unavailable", Unavailable),
        (504, "unavailable", Unavailable),
        (409, "some_future_code", Unknown),
    ];
    for (status, code, expected) in table {
        let mut server = Server::new_async().await;
        let mock = server
            .mock("POST", "/v1/environments")
            .with_status(usize::from(status))
            .with_header("content-type", "application/problem+json")
            .with_header("x-request-id", "srv-req-42")
            .with_body(
                json!({"type": "about:blank", "title": "Refused", "status": status,
                       "detail": format!("because {code}"), "code": code})
                .to_string(),
            )
            .expect(1)
            .create_async()
            .await;
        // One attempt, so 429/5xx show their error instead of being retried.
        let platform = HttpPlatform::new(config(&server).with_max_attempts(1)).unwrap();
        let err = platform
            .create_environment(&create_request())
            .await
            .unwrap_err();
        mock.assert_async().await;
        assert_eq!(
            err,
            PlatformError::Api {
                status,
                code: expected,
                detail: Some(format!("because {code}")),
                request_id: Some("srv-req-42".into()),
            },
            "{status} {code}"
        );
    }
}

#[tokio::test]
async fn error_without_echoed_request_id_carries_ours() {
    let mut server = Server::new_async().await;
    let sent = Arc::new(Mutex::new(None::<String>));
    let seen = sent.clone();
    let _mock = server
        .mock("DELETE", "/v1/environments/env_1/bindings/protheus")
        .with_status(409)
        .with_body_from_request(move |request| {
            let id = request.header("x-request-id")[0]
                .to_str()
                .unwrap()
                .to_owned();
            *seen.lock().unwrap() = Some(id);
            br#"{"code":"not_bound","status":409}"#.to_vec()
        })
        .create_async()
        .await;
    let err = platform(&server)
        .unbind(&Unbind {
            environment_id: EnvironmentId::new("env_1").unwrap(),
            line: ErpLine::Protheus,
            installation_id: InstallationId::new("inst-1").unwrap(),
            etag: Etag::new("\"1\"").unwrap(),
        })
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::NotBound));
    assert!(err.is_conflict());
    let ours = sent.lock().unwrap().clone().unwrap();
    assert_eq!(err.request_id(), Some(ours.as_str()));
}

#[tokio::test]
async fn error_without_a_problem_document_is_typed_by_its_status() {
    let mut server = Server::new_async().await;
    let _mock = server
        .mock("PUT", "/v1/environments/env_1/bindings/protheus")
        .with_status(412)
        .with_header("content-type", "text/html")
        .with_body("<html>stale</html>")
        .create_async()
        .await;
    let target = BindTarget::with_etag(
        EnvironmentId::new("env_1").unwrap(),
        Etag::new("\"1\"").unwrap(),
    );
    let err = platform(&server)
        .bind(&installation(), &target)
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::PreconditionFailed), "{err:?}");
}

// --- limits ------------------------------------------------------------------

#[tokio::test]
async fn body_over_the_limit_is_refused_with_content_length() {
    let mut server = Server::new_async().await;
    let _mock = server
        .mock("GET", "/v1/environments")
        .match_query(list_query())
        .with_status(200)
        .with_body(vec![b' '; 2 * 1024 * 1024])
        .create_async()
        .await;
    let err = platform(&server)
        .list_environments(ErpLine::Protheus, &InstallationId::new("inst-1").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, PlatformError::ResponseTooLarge { limit, .. } if limit == 1024 * 1024),
        "{err:?}"
    );
}

#[tokio::test]
async fn chunked_body_over_the_limit_is_refused_while_reading() {
    let mut server = Server::new_async().await;
    let _mock = server
        .mock("GET", "/v1/environments")
        .match_query(list_query())
        .with_status(200)
        .with_chunked_body(|w| {
            let chunk = vec![b' '; 64 * 1024];
            for _ in 0..32 {
                w.write_all(&chunk)?;
            }
            Ok(())
        })
        .create_async()
        .await;
    let err = platform(&server)
        .list_environments(ErpLine::Protheus, &InstallationId::new("inst-1").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, PlatformError::ResponseTooLarge { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn malformed_json_is_a_protocol_error_with_an_excerpt() {
    let mut server = Server::new_async().await;
    let _mock = server
        .mock("POST", "/v1/environments")
        .with_status(201)
        .with_header("x-request-id", "srv-bad-1")
        .with_body(r#"{"id": "env_1", "name": oops"#)
        .create_async()
        .await;
    let err = platform(&server)
        .create_environment(&create_request())
        .await
        .unwrap_err();
    let PlatformError::Protocol {
        detail,
        body_excerpt,
        request_id,
    } = &err
    else {
        panic!("expected Protocol, got {err:?}");
    };
    assert!(detail.contains("malformed JSON"), "{detail}");
    assert_eq!(body_excerpt, r#"{"id": "env_1", "name": oops"#);
    assert_eq!(request_id.as_deref(), Some("srv-bad-1"));
}

#[tokio::test]
async fn long_bodies_are_excerpted_to_512_characters() {
    let mut server = Server::new_async().await;
    let _mock = server
        .mock("POST", "/v1/environments")
        .with_status(201)
        .with_body(format!("not json {}", "ç".repeat(5000)))
        .create_async()
        .await;
    let err = platform(&server)
        .create_environment(&create_request())
        .await
        .unwrap_err();
    let PlatformError::Protocol { body_excerpt, .. } = &err else {
        panic!("expected Protocol, got {err:?}");
    };
    assert!(body_excerpt.chars().count() <= 513);
    assert!(body_excerpt.starts_with("not json ç"));
}

#[tokio::test]
async fn missing_required_field_is_a_protocol_error() {
    let mut server = Server::new_async().await;
    let _mock = server
        .mock("POST", "/v1/environments")
        .with_status(201)
        .with_body(r#"{"id": "env_1", "name": "Dev", "kind": "development", "bindings": []}"#)
        .create_async()
        .await;
    let err = platform(&server)
        .create_environment(&create_request())
        .await
        .unwrap_err();
    let PlatformError::Protocol { detail, .. } = &err else {
        panic!("expected Protocol, got {err:?}");
    };
    assert!(detail.contains("missing field `etag`"), "{detail}");
}

#[tokio::test]
async fn list_without_next_cursor_is_a_protocol_error_not_a_short_list() {
    let mut server = Server::new_async().await;
    let _mock = server
        .mock("GET", "/v1/environments")
        .match_query(list_query())
        .with_status(200)
        .with_body(json!({"environments": []}).to_string())
        .create_async()
        .await;
    let err = platform(&server)
        .list_environments(ErpLine::Protheus, &InstallationId::new("inst-1").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Protocol { .. }), "{err:?}");
}

#[tokio::test]
async fn a_repeating_cursor_is_a_protocol_error() {
    let mut server = Server::new_async().await;
    let mock = server
        .mock("GET", "/v1/environments")
        .match_query(Matcher::UrlEncoded("line".into(), "protheus".into()))
        .with_status(200)
        .with_body(json!({"environments": [], "next_cursor": "same"}).to_string())
        .expect(2)
        .create_async()
        .await;
    let err = platform(&server)
        .list_environments(ErpLine::Protheus, &InstallationId::new("inst-1").unwrap())
        .await
        .unwrap_err();
    mock.assert_async().await;
    let PlatformError::Protocol { detail, .. } = &err else {
        panic!("expected Protocol, got {err:?}");
    };
    assert!(detail.contains("cursor"), "{detail}");
}

#[tokio::test]
async fn http_to_a_remote_host_is_refused_before_anything_is_sent() {
    for url in [
        "http://platform.example.com",
        "http://10.0.0.1:8080/api",
        "ftp://127.0.0.1",
    ] {
        let err =
            HttpPlatform::new(HttpPlatformConfig::new(url, SecretString::from(TOKEN))).unwrap_err();
        assert!(matches!(err, PlatformError::Config(_)), "{url}: {err:?}");
    }
    let err = HttpPlatform::new(
        HttpPlatformConfig::new("https://platform.example.com", SecretString::from(TOKEN))
            .with_token_url("http://identity.example.com/oauth2/token"),
    )
    .unwrap_err();
    assert!(matches!(err, PlatformError::Config(_)), "{err:?}");
    // Loopback may use http (the sandbox).
    for url in ["http://127.0.0.1:1", "http://[::1]:1", "http://localhost:1"] {
        assert!(
            HttpPlatform::new(HttpPlatformConfig::new(url, SecretString::from(TOKEN))).is_ok(),
            "{url}"
        );
    }
}

/// A configuration without a token does not compile (a doctest on
/// `HttpPlatformConfig` proves it); a replaced source is the one used.
#[tokio::test]
async fn the_token_source_given_last_is_the_one_sent() {
    let mut server = Server::new_async().await;
    let listed = server
        .mock("GET", "/v1/environments")
        .match_query(list_query())
        .match_header("authorization", "Bearer replaced-token")
        .with_status(200)
        .with_body(r#"{"environments":[],"next_cursor":null}"#)
        .expect(1)
        .create_async()
        .await;
    let config = HttpPlatformConfig::new(server.url(), SecretString::from("first-token"))
        .with_token_source(Arc::new(smartlink_core::StaticToken::new(
            SecretString::from("replaced-token"),
        )));
    let platform = HttpPlatform::new(config).unwrap();
    platform
        .list_environments(ErpLine::Protheus, &InstallationId::new("inst-1").unwrap())
        .await
        .unwrap();
    listed.assert_async().await;
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let mut server = Server::new_async().await;
    let redirect = server
        .mock("GET", "/v1/environments")
        .match_query(list_query())
        .with_status(302)
        .with_header("location", &format!("{}/elsewhere", server.url()))
        .expect(1)
        .create_async()
        .await;
    let target = server
        .mock("GET", "/elsewhere")
        .with_status(200)
        .with_body(json!({"environments": [], "next_cursor": null}).to_string())
        .expect(0)
        .create_async()
        .await;
    let err = platform(&server)
        .list_environments(ErpLine::Protheus, &InstallationId::new("inst-1").unwrap())
        .await
        .unwrap_err();
    redirect.assert_async().await;
    target.assert_async().await;
    let PlatformError::Protocol { detail, .. } = &err else {
        panic!("expected Protocol, got {err:?}");
    };
    assert!(detail.contains("redirect"), "{detail}");
}

#[tokio::test]
async fn extra_ca_bundle_is_loaded_or_refused_with_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let base = HttpPlatformConfig::new("https://platform.example.com", SecretString::from(TOKEN));

    let missing = dir.path().join("missing.pem");
    let err = HttpPlatform::new(base.clone().with_extra_ca_file(&missing)).unwrap_err();
    assert!(matches!(err, PlatformError::Config(_)), "{err:?}");

    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "this is not a certificate").unwrap();
    let err = HttpPlatform::new(base.clone().with_extra_ca_file(&garbage)).unwrap_err();
    assert!(matches!(err, PlatformError::Config(_)), "{err:?}");

    let broken = dir.path().join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let err = HttpPlatform::new(base.clone().with_extra_ca_file(&broken)).unwrap_err();
    assert!(matches!(err, PlatformError::Config(_)), "{err:?}");

    let good = dir.path().join("isrg-root-x1.pem");
    std::fs::write(&good, ISRG_ROOT_X1).unwrap();
    HttpPlatform::new(base.with_extra_ca_file(&good)).unwrap();
}

// --- secrets -----------------------------------------------------------------

const CANARY_TOKEN: &str = "canary-bearer-TOKEN-7781";
const CANARY_SECRET: &str = "canary-client-SECRET-9923";

fn assert_no_canary(what: &str, text: &str) {
    assert!(
        !text.contains(CANARY_TOKEN),
        "token leaked in {what}: {text}"
    );
    assert!(
        !text.contains(CANARY_SECRET),
        "secret leaked in {what}: {text}"
    );
    assert!(!text.contains("canary-"), "canary leaked in {what}: {text}");
}

fn assert_error_clean(err: &PlatformError) {
    if let PlatformError::Protocol { body_excerpt, .. } = err {
        // The echo did reach the excerpt, scrubbed.
        assert!(body_excerpt.contains("oops"), "{body_excerpt}");
        assert!(body_excerpt.contains("[redacted]"), "{body_excerpt}");
    }
    assert_no_canary("Display", &err.to_string());
    assert_no_canary("Debug", &format!("{err:?}"));
    assert_no_canary("pretty Debug", &format!("{err:#?}"));
}

#[tokio::test]
async fn secrets_echoed_by_the_server_never_reach_errors() {
    let mut server = Server::new_async().await;
    // Echo the request's headers and body back inside malformed JSON.
    let echo = |request: &mockito::Request| {
        let auth = request.header("authorization");
        let auth = auth.first().map(|v| v.to_str().unwrap()).unwrap_or("");
        let raw_token = auth.strip_prefix("Bearer ").unwrap_or("");
        let body = request.utf8_lossy_body().unwrap().into_owned();
        // The decoded secret, outside any key=value shape.
        let raw_secret = url::form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "client_secret")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        format!(
            "{{\"oops\": Authorization: {auth} body={body} \"access_token\":\"{raw_token}\" raw [{raw_token}] ({raw_secret})"
        )
        .into_bytes()
    };
    let _list = server
        .mock("GET", "/v1/environments")
        .match_query(list_query())
        .with_status(200)
        .with_body_from_request(echo)
        .create_async()
        .await;
    let _token_ok = server
        .mock("POST", "/oauth2/token")
        .match_body(Matcher::UrlEncoded("client_id".into(), "cli_1".into()))
        .with_status(200)
        .with_body_from_request(echo)
        .create_async()
        .await;
    let _token_refused = server
        .mock("POST", "/oauth2/token")
        .match_body(Matcher::UrlEncoded("client_id".into(), "cli_2".into()))
        .with_status(401)
        .with_body(
            json!({"error": "invalid_client",
                   "error_description": format!("secret {CANARY_SECRET} is wrong")})
            .to_string(),
        )
        .create_async()
        .await;

    let config = HttpPlatformConfig::new(server.url(), SecretString::from(CANARY_TOKEN))
        .with_client_auth(ClientAuthMethod::ClientSecretPost)
        .with_max_attempts(1);
    assert_no_canary("config Debug", &format!("{config:?}"));
    let platform = HttpPlatform::new(config).unwrap();
    assert_no_canary("platform Debug", &format!("{platform:?}"));

    let err = platform
        .list_environments(ErpLine::Protheus, &InstallationId::new("inst-1").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Protocol { .. }), "{err:?}");
    assert_error_clean(&err);

    let err = platform
        .verify_credentials(&credentials(CANARY_SECRET))
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Protocol { .. }), "{err:?}");
    assert_error_clean(&err);

    let mut other = credentials(CANARY_SECRET);
    other.client_id = ClientId::new("cli_2").unwrap();
    let err = platform.verify_credentials(&other).await.unwrap_err();
    assert!(err.is(ErrorCode::InvalidClient), "{err:?}");
    assert_error_clean(&err);
}

/// A secret as real platforms issue them: Base64 text with `+`, `/`, `=`.
const B64_SECRET: &str = "c2Vj+cmV0/LXNlY3JldA==";

/// The spellings of [`B64_SECRET`] a server may echo for client `client_id`.
fn echoed_spellings(client_id: &str) -> Vec<(&'static str, String)> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![
        (
            "form-urlencoded",
            url::form_urlencoded::byte_serialize(B64_SECRET.as_bytes()).collect(),
        ),
        (
            "form-urlencoded, lowercase hex",
            B64_SECRET
                .replace('+', "%2b")
                .replace('/', "%2f")
                .replace('=', "%3d"),
        ),
        (
            "HTTP Basic",
            b64.encode(format!("{client_id}:{B64_SECRET}")),
        ),
    ]
}

#[tokio::test]
async fn form_encoded_and_basic_spellings_of_the_secret_are_redacted() {
    let mut server = Server::new_async().await;
    let mut mocks = Vec::new();
    for (n, _) in echoed_spellings("cli_0").iter().enumerate() {
        let client_id = format!("cli_{n}");
        let echo = move |request: &mockito::Request| {
            let body = request.utf8_lossy_body().unwrap().into_owned();
            let client_id = url::form_urlencoded::parse(body.as_bytes())
                .find(|(k, _)| k == "client_id")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            // The secret as it travelled: a slice of the form body itself.
            let sent = body
                .split('&')
                .find_map(|pair| pair.strip_prefix("client_secret="))
                .unwrap_or_default()
                .to_owned();
            let spelling = if n == 0 {
                sent
            } else {
                echoed_spellings(&client_id)[n].1.clone()
            };
            json!({"error": "invalid_client",
                   "error_description": format!("secret {spelling} is not valid")})
            .to_string()
            .into_bytes()
        };
        mocks.push(
            server
                .mock("POST", "/oauth2/token")
                .match_body(Matcher::UrlEncoded("client_id".into(), client_id))
                .with_status(401)
                .with_body_from_request(echo)
                .create_async()
                .await,
        );
    }
    let platform = HttpPlatform::new(
        config(&server)
            .with_max_attempts(1)
            .with_client_auth(ClientAuthMethod::ClientSecretPost),
    )
    .unwrap();
    let mut leaks = Vec::new();
    for (n, (what, spelling)) in echoed_spellings("cli_0").iter().enumerate() {
        let client_id = format!("cli_{n}");
        let spelling = if n == 0 {
            spelling.clone()
        } else {
            echoed_spellings(&client_id)[n].1.clone()
        };
        let mut credentials = credentials(B64_SECRET);
        credentials.client_id = ClientId::new(&client_id).unwrap();
        let err = platform.verify_credentials(&credentials).await.unwrap_err();
        assert!(err.is(ErrorCode::InvalidClient), "{what}: {err:?}");
        let PlatformError::Api { detail, .. } = &err else {
            panic!("{what}: {err:?}");
        };
        // The echo did come back, with the secret replaced.
        if detail.as_deref() != Some("secret [redacted] is not valid") {
            leaks.push(format!("{what}: detail {detail:?}"));
        }
        for text in [err.to_string(), format!("{err:?}")] {
            if text.contains(&spelling) || text.contains(B64_SECRET) {
                leaks.push(format!("{what}: {text}"));
            }
        }
    }
    assert!(leaks.is_empty(), "secret spellings leaked: {leaks:#?}");
}

#[tokio::test]
async fn transport_errors_name_neither_url_nor_secrets() {
    // A port nothing listens on: bind, note it, close it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let platform = HttpPlatform::new(
        HttpPlatformConfig::new(
            format!("http://127.0.0.1:{port}/canary-path"),
            SecretString::from(CANARY_TOKEN),
        )
        .with_max_attempts(2)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(2))
        .without_proxy(),
    )
    .unwrap();
    let started = Instant::now();
    let err = platform
        .verify_credentials(&credentials(CANARY_SECRET))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(20), "did not hang");
    assert!(matches!(err, PlatformError::Transport { .. }), "{err:?}");
    assert!(err.is_transient());
    assert!(err.request_id().is_some());
    assert_error_clean(&err);
    assert!(!err.to_string().contains("127.0.0.1"), "{err}");
}

/// ISRG Root X1 (Let's Encrypt's root): a real, public CA certificate.
const ISRG_ROOT_X1: &str = "-----BEGIN CERTIFICATE-----
MIIFazCCA1OgAwIBAgIRAIIQz7DSQONZRGPgu2OCiwAwDQYJKoZIhvcNAQELBQAw
TzELMAkGA1UEBhMCVVMxKTAnBgNVBAoTIEludGVybmV0IFNlY3VyaXR5IFJlc2Vh
cmNoIEdyb3VwMRUwEwYDVQQDEwxJU1JHIFJvb3QgWDEwHhcNMTUwNjA0MTEwNDM4
WhcNMzUwNjA0MTEwNDM4WjBPMQswCQYDVQQGEwJVUzEpMCcGA1UEChMgSW50ZXJu
ZXQgU2VjdXJpdHkgUmVzZWFyY2ggR3JvdXAxFTATBgNVBAMTDElTUkcgUm9vdCBY
MTCCAiIwDQYJKoZIhvcNAQEBBQADggIPADCCAgoCggIBAK3oJHP0FDfzm54rVygc
h77ct984kIxuPOZXoHj3dcKi/vVqbvYATyjb3miGbESTtrFj/RQSa78f0uoxmyF+
0TM8ukj13Xnfs7j/EvEhmkvBioZxaUpmZmyPfjxwv60pIgbz5MDmgK7iS4+3mX6U
A5/TR5d8mUgjU+g4rk8Kb4Mu0UlXjIB0ttov0DiNewNwIRt18jA8+o+u3dpjq+sW
T8KOEUt+zwvo/7V3LvSye0rgTBIlDHCNAymg4VMk7BPZ7hm/ELNKjD+Jo2FR3qyH
B5T0Y3HsLuJvW5iB4YlcNHlsdu87kGJ55tukmi8mxdAQ4Q7e2RCOFvu396j3x+UC
B5iPNgiV5+I3lg02dZ77DnKxHZu8A/lJBdiB3QW0KtZB6awBdpUKD9jf1b0SHzUv
KBds0pjBqAlkd25HN7rOrFleaJ1/ctaJxQZBKT5ZPt0m9STJEadao0xAH0ahmbWn
OlFuhjuefXKnEgV4We0+UXgVCwOPjdAvBbI+e0ocS3MFEvzG6uBQE3xDk3SzynTn
jh8BCNAw1FtxNrQHusEwMFxIt4I7mKZ9YIqioymCzLq9gwQbooMDQaHWBfEbwrbw
qHyGO0aoSCqI3Haadr8faqU9GY/rOPNk3sgrDQoo//fb4hVC1CLQJ13hef4Y53CI
rU7m2Ys6xt0nUW7/vGT1M0NPAgMBAAGjQjBAMA4GA1UdDwEB/wQEAwIBBjAPBgNV
HRMBAf8EBTADAQH/MB0GA1UdDgQWBBR5tFnme7bl5AFzgAiIyBpY9umbbjANBgkq
hkiG9w0BAQsFAAOCAgEAVR9YqbyyqFDQDLHYGmkgJykIrGF1XIpu+ILlaS/V9lZL
ubhzEFnTIZd+50xx+7LSYK05qAvqFyFWhfFQDlnrzuBZ6brJFe+GnY+EgPbk6ZGQ
3BebYhtF8GaV0nxvwuo77x/Py9auJ/GpsMiu/X1+mvoiBOv/2X/qkSsisRcOj/KK
NFtY2PwByVS5uCbMiogziUwthDyC3+6WVwW6LLv3xLfHTjuCvjHIInNzktHCgKQ5
ORAzI4JMPJ+GslWYHb4phowim57iaztXOoJwTdwJx4nLCgdNbOhdjsnvzqvHu7Ur
TkXWStAmzOVyyghqpZXjFaH3pO3JLF+l+/+sKAIuvtd7u+Nxe5AW0wdeRlN8NwdC
jNPElpzVmbUq4JUagEiuTDkHzsxHpFKVK7q4+63SM1N95R1NbdWhscdCb+ZAJzVc
oyi3B43njTOQ5yOf+1CceWxG1bQVs5ZufpsMljq4Ui0/1lvh+wjChP4kqKOJ2qxq
4RgqsahDYVvTH9w7jXbyLeiNdd8XM2w9U/t7y0Ff/9yi0GE44Za4rF2LN9d11TPA
mRGunUHBcnWEvgJBQl9nJEiU0Zsnvgc/ubhPgXRR4Xq37Z0j4r7g1SgEEzwxA57d
emyPxgcYxn/eR44/KJ4EBs+lVDR3veyJm+kXQ99b21/+jh5Xos1AnX5iItreGCc=
-----END CERTIFICATE-----
";
