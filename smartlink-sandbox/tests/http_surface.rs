//! The sandbox's HTTP surface: auth, required headers, problem+json, echo
//! of the request id, persistence across restarts.

use serde_json::{Value, json};
use smartlink_sandbox::{Sandbox, demo_seed};
use smartlink_testkit::TOKEN;
use smartlink_testkit::platforms::{serve, serve_in_background};

async fn start() -> smartlink_sandbox::RunningSandbox {
    smartlink_testkit::platforms::sandbox(&demo_seed()).await
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn listing_needs_the_bearer_token_and_echoes_the_request_id() {
    let sb = start().await;
    let url = format!(
        "{}/v1/environments?line=protheus&installation_id=x1",
        sb.url()
    );
    let r = client().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");

    let r = client()
        .get(&url)
        .bearer_auth(TOKEN)
        .header("X-Request-Id", "3f1a7d2e-0000-4000-8000-000000000001")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["x-request-id"],
        "3f1a7d2e-0000-4000-8000-000000000001"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["environments"].as_array().unwrap().len(), 7);
    assert!(body["next_cursor"].is_null());
    assert_eq!(sb.sandbox().stats().requests, 2);
}

#[tokio::test]
async fn listing_requires_line_and_installation_id() {
    let sb = start().await;
    let r = client()
        .get(format!(
            "{}/v1/environments?line=sap&installation_id=x",
            sb.url()
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_request");
    assert_eq!(body["status"], 400);
}

#[tokio::test]
async fn create_requires_an_idempotency_key_and_replays_it() {
    let sb = start().await;
    let url = format!("{}/v1/environments", sb.url());
    let body = json!({"name": "Nova", "kind": "production"});
    let r = client()
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let key = "6a3c1a5e-1b2c-4d5e-8f90-123456789abc";
    let first: Value = client()
        .post(&url)
        .bearer_auth(TOKEN)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let again = client()
        .post(&url)
        .bearer_auth(TOKEN)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    let other = client()
        .post(&url)
        .bearer_auth(TOKEN)
        .header("Idempotency-Key", key)
        .json(&json!({"name": "Outra", "kind": "production"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 422);
    assert_eq!(
        other.json::<Value>().await.unwrap()["code"],
        "idempotency_key_reused"
    );
    let taken = client()
        .post(&url)
        .bearer_auth(TOKEN)
        .header("Idempotency-Key", "6a3c1a5e-1b2c-4d5e-8f90-123456789abd")
        .json(&json!({"name": "NOVA", "kind": "production"}))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 409);
}

#[tokio::test]
async fn bind_without_if_match_is_428_and_malformed_bodies_are_400() {
    let sb = start().await;
    let url = format!(
        "{}/v1/environments/env_prd_nova/bindings/protheus",
        sb.url()
    );
    let body = json!({"installation_id": "inst-1", "installation_name": "Matriz",
                      "installation_kind": "production", "overwrite": false});
    let r = client()
        .put(&url)
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 428);
    let r = client()
        .put(&url)
        .bearer_auth(TOKEN)
        .header("If-Match", "\"1\"")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = client()
        .put(format!(
            "{}/v1/environments/env_prd_nova/bindings/sap",
            sb.url()
        ))
        .bearer_auth(TOKEN)
        .header("If-Match", "\"1\"")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn token_endpoint_answers_invalid_client_for_unknown_clients() {
    let sb = start().await;
    let r = client()
        .post(format!("{}/oauth2/token", sb.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=nobody&client_secret=wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
}

#[tokio::test]
async fn state_file_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sandbox.json");
    let sb = Sandbox::persistent(&demo_seed(), TOKEN, path.clone()).unwrap();
    let running = serve(sb).await;
    let r = client()
        .post(format!("{}/v1/environments", running.url()))
        .bearer_auth(TOKEN)
        .header("Idempotency-Key", "6a3c1a5e-1b2c-4d5e-8f90-123456789abc")
        .json(&json!({"name": "Persistida", "kind": "custom"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    running.shutdown().await;
    let again = Sandbox::persistent(&demo_seed(), TOKEN, path).unwrap();
    assert!(
        again
            .platform()
            .environments()
            .iter()
            .any(|e| e.name.as_str() == "Persistida")
    );
}

/// Served from a runtime of its own, for a caller without one: it answers
/// on its port while it lives, and the port is closed once it is dropped.
#[test]
fn a_sandbox_served_in_the_background_answers_until_dropped() {
    use std::io::{Read, Write};
    assert!(tokio::runtime::Handle::try_current().is_err());
    let served = serve_in_background(Sandbox::from_seed(&demo_seed(), "tok").unwrap());
    let addr = served.addr();
    assert_eq!(served.url(), format!("http://{addr}"));
    assert!(!served.sandbox().platform().environments().is_empty());
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /v1/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    drop(served);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still listening"
    );
}

/// RFC 6749 §2.3.1: the token endpoint takes HTTP Basic (id and secret
/// form-urlencoded first) and the form body, never both in one request; a
/// sandbox restricted to one method refuses the other with `invalid_client`.
#[tokio::test]
async fn token_endpoint_takes_basic_and_post_and_can_be_restricted_to_one() {
    use secrecy::SecretString;
    use smartlink_core::{
        BindTarget, ClientAuthMethod, CreateEnvironment, EnvironmentName, ErpLine, ErrorCode,
        HttpPlatform, HttpPlatformConfig, IdempotencyKey, Installation, InstallationId,
        InstallationName, IssueCredentials, Kind, Platform,
    };
    let sandbox = Sandbox::from_seed(&demo_seed(), TOKEN).unwrap();
    let sb = serve(sandbox.clone()).await;
    let platform = |method| {
        HttpPlatform::new(
            HttpPlatformConfig::new(sb.url(), SecretString::from(TOKEN))
                .without_proxy()
                .with_client_auth(method),
        )
        .unwrap()
    };
    let basic = platform(ClientAuthMethod::ClientSecretBasic);
    let post = platform(ClientAuthMethod::ClientSecretPost);
    let env = basic
        .create_environment(&CreateEnvironment {
            name: EnvironmentName::new("Autenticação").unwrap(),
            kind: Kind::Custom,
            idempotency_key: IdempotencyKey::new(),
        })
        .await
        .unwrap();
    let installation = Installation::new(
        InstallationId::new("auth-1").unwrap(),
        InstallationName::new("Auth").unwrap(),
        ErpLine::Protheus,
        Kind::Custom,
    );
    basic
        .bind(&installation, &BindTarget::plain(&env))
        .await
        .unwrap();
    let issued = basic
        .issue_credentials(&IssueCredentials {
            environment_id: env.id.clone(),
            installation_id: installation.id.clone(),
            reuse_if_valid: false,
            idempotency_key: IdempotencyKey::new(),
        })
        .await
        .unwrap();
    let creds = issued.credentials;
    basic.request_token(&creds).await.unwrap();
    post.request_token(&creds).await.unwrap();

    sandbox.set_client_auth(Some(ClientAuthMethod::ClientSecretPost));
    let err = basic.request_token(&creds).await.unwrap_err();
    assert!(err.is(ErrorCode::InvalidClient), "{err:?}");
    post.request_token(&creds).await.unwrap();
    sandbox.set_client_auth(Some(ClientAuthMethod::ClientSecretBasic));
    let err = post.request_token(&creds).await.unwrap_err();
    assert!(err.is(ErrorCode::InvalidClient), "{err:?}");
    basic.request_token(&creds).await.unwrap();
    sandbox.set_client_auth(None);

    // Both methods in one request: invalid_request.
    use base64::Engine as _;
    let r = client()
        .post(format!("{}/oauth2/token", sb.url()))
        .header(
            "authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    creds.client_id,
                    creds.secret()
                ))
            ),
        )
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", creds.client_id.as_str()),
            ("client_secret", creds.secret()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
}
