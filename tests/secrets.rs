//! A random canary token and the secrets the platform issues are driven
//! through success and failure paths with logging at TRACE: none appears
//! (raw, base64 or URL-encoded) in a log line, an error message, a Debug or
//! Display output, or a file other than the state file.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use secrecy::SecretString;
use smartlink_core::wizard::Action;
use smartlink_core::*;
use smartlink_sandbox::Operation;
use smartlink_sandbox::{Sandbox, demo_seed};
use smartlink_testkit::fault_proxy::{Fault, FaultProxy};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn forms(secret: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = vec![
        secret.to_owned(),
        b64.encode(secret),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
    ];
    // Base64 of "id:secret" (HTTP Basic) contains the secret's encoding at an
    // offset; checking the raw secret and its own encodings covers the rest.
    out.dedup();
    out
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        for form in forms(secret) {
            assert!(!text.contains(&form), "a secret leaked into {what}");
        }
    }
}

#[test]
fn canaries_never_leak() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_global_default(subscriber);

    let token = format!("canary-token-{}", uuid::Uuid::new_v4().simple());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state_path = dir.path().join("state.json");
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut issued: Vec<String> = Vec::new();
    let mut access_tokens: Vec<String> = Vec::new();

    rt.block_on(async {
        let running = smartlink_testkit::platforms::serve(
            Sandbox::from_seed(&demo_seed(), token.clone()).unwrap(),
        )
        .await;
        let proxy = FaultProxy::start(running.addr()).await;
        let platform = |url: &str, tok: &str| {
            Arc::new(
                HttpPlatform::new(
                    HttpPlatformConfig::new(url, SecretString::from(tok.to_owned()))
                        .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
                        .with_operation_deadline(Duration::from_secs(3)),
                )
                .unwrap(),
            )
        };
        let http = platform(&proxy.url(), &token);
        texts.push(("platform Debug".into(), format!("{http:?}")));
        let store: Arc<dyn StateStore> = Arc::new(FileStateStore::open(&state_path).unwrap());
        let cfg = Configurator::builder(
            InstallationSpec::parse("canary-inst", "protheus", "production", None).unwrap(),
            http.clone(),
            store.clone(),
        )
        .runtime(tokio::runtime::Handle::current())
        .options(ConfiguratorOptions {
            ..Default::default()
        })
        .build()
        .expect("a runtime is given");

        // Success path through the wizard, with faults on the way.
        proxy.push([
            Fault::Status(503, None),
            Fault::Pass,
            Fault::ResetAfter,
            Fault::Pass,
            Fault::Truncate,
        ]);
        for action in [
            Action::Start,
            Action::SetName {
                name: "Canário".into(),
            },
            Action::Select {
                environment_id: EnvironmentId::new("env_prd_nova").unwrap(),
            },
        ] {
            let screen = cfg.apply(action).await.unwrap();
            texts.push(("screen".into(), serde_json::to_string(&screen).unwrap()));
        }
        let status = cfg.wait_for_task().await;
        assert!(matches!(status, TaskStatus::Succeeded { .. }), "{status:?}");
        texts.push((
            "task status".into(),
            format!("{status:?} {}", serde_json::to_string(&status).unwrap()),
        ));
        let creds = cfg.credentials().unwrap().unwrap();
        issued.push(creds.secret().to_owned());
        texts.push((
            "credentials Debug/Display".into(),
            format!("{creds:?} {creds:#?} {creds}"),
        ));
        texts.push((
            "status".into(),
            serde_json::to_string(&cfg.status().unwrap()).unwrap(),
        ));
        texts.push(("configurator Debug".into(), format!("{cfg:?}")));

        // Rotation, then the revoked secret presented again: invalid_client.
        let old = creds.clone();
        let new = cfg.rotate_credentials().await.unwrap();
        issued.push(new.secret().to_owned());
        let err = http.verify_credentials(&old).await.unwrap_err();
        texts.push(("verify error".into(), format!("{err} {err:?}")));

        // Access tokens: served, used, refused (invalid_token) and replaced;
        // a token request that fails (503) and one whose body echoes it.
        let first = cfg.access_token().await.unwrap();
        access_tokens.push(first.expose_secret().to_owned());
        texts.push(("access token Debug".into(), format!("{first:?} {first:#?}")));
        let who = cfg.whoami().await.unwrap();
        texts.push(("whoami".into(), format!("{who:?}")));
        let refused = http
            .whoami(&SecretString::from(format!("{}x", first.expose_secret())))
            .await
            .unwrap_err();
        texts.push(("whoami refused".into(), format!("{refused} {refused:?}")));
        cfg.invalidate_token(&first);
        proxy.push(std::iter::repeat_n(Fault::Status(503, None), 4));
        let err = cfg.access_token().await.unwrap_err();
        texts.push(("token request failed".into(), format!("{err} {err:?}")));
        let second = loop {
            // The failure is held for its backoff (1 s), then asked again.
            match cfg.access_token().await {
                Ok(token) => break token,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        access_tokens.push(second.expose_secret().to_owned());
        proxy.push([Fault::Body(format!(
            r#"{{"access_token": "{}", "expires_in": 0}}"#,
            second.expose_secret()
        ))]);
        let err = http.request_token(&new).await.unwrap_err();
        texts.push(("token protocol error".into(), format!("{err} {err:?}")));

        // Failure paths: wrong token, malformed and echoing bodies, timeouts.
        let wrong = platform(&proxy.url(), &format!("{token}-wrong"));
        let err = wrong
            .list_environments(ErpLine::Protheus, &InstallationId::new("x").unwrap())
            .await
            .unwrap_err();
        texts.push(("unauthorized".into(), format!("{err} {err:?}")));
        let echo = format!(
            r#"{{"environments": [{{"client_secret": "{}", "token": "{token}"}}]"#,
            new.secret()
        );
        proxy.push([Fault::Body(echo)]);
        let err = http
            .list_environments(ErpLine::Protheus, &InstallationId::new("x").unwrap())
            .await
            .unwrap_err();
        texts.push(("protocol error".into(), format!("{err} {err:?}")));
        proxy.push(std::iter::repeat_n(Fault::Stall, 4));
        let err = http
            .list_environments(ErpLine::Protheus, &InstallationId::new("x").unwrap())
            .await
            .unwrap_err();
        texts.push(("timeout".into(), format!("{err} {err:?}")));
        let err = cfg
            .configure_unattended(&UnattendedRequest {
                installation_name: None,
                target: UnattendedTarget::Environment("Produção Matriz".into()),
                confirm: Some("wrong".into()),
            })
            .await
            .unwrap_err();
        texts.push(("decision error".into(), format!("{err} {err:?}")));
        assert!(running.sandbox().platform().calls(Operation::Verify) >= 2);
        running.shutdown().await;
    });

    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(
        logs.lines().count() > 10,
        "TRACE logging captured nothing: the test would prove nothing"
    );
    let mut secrets = issued.clone();
    secrets.push(token.clone());
    secrets.extend(access_tokens.iter().cloned());
    assert_clean("the logs", &logs, &secrets);
    for (what, text) in &texts {
        assert_clean(what, text, &secrets);
    }
    // No file but the state file holds a secret.
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        if entry == state_path {
            assert!(
                text.contains(issued.last().unwrap().as_str()),
                "the state file holds the credentials"
            );
            assert!(!text.contains(&token));
            for access_token in &access_tokens {
                assert!(!text.contains(access_token), "access tokens are not stored");
            }
        } else {
            assert_clean(&entry.display().to_string(), &text, &secrets);
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}
