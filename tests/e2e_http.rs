//! Every scenario of the configurator through `HttpPlatform` against the
//! sandbox on 127.0.0.1, over real HTTP.

use smartlink_core::platform::Operation;
use smartlink_core::wizard::{Action, Screen};
use smartlink_core::*;
use smartlink_sandbox::demo_seed;
use smartlink_tests::*;

fn eid(s: &str) -> EnvironmentId {
    EnvironmentId::new(s).unwrap()
}

async fn to_list(cfg: &Configurator) -> Screen {
    cfg.apply(Action::Start).await.unwrap();
    cfg.apply(Action::SetName {
        name: "Filial São Paulo".into(),
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_binding_by_selection_over_http_takes_four_requests() {
    let sb = sandbox(&demo_seed()).await;
    let cfg = configurator("http-first", &sb.url());
    let screen = to_list(&cfg).await;
    assert!(matches!(
        screen,
        Screen::ChooseEnvironment {
            scenario: Scenario::Replacement,
            ..
        }
    ));
    cfg.apply(Action::Select {
        environment_id: eid("env_prd_nova"),
    })
    .await
    .unwrap();
    let status = cfg.wait_for_task().await;
    assert!(matches!(status, TaskStatus::Succeeded { .. }), "{status:?}");
    let creds = cfg.credentials().unwrap().unwrap();
    let platform = sb.sandbox().platform();
    assert_eq!(
        platform
            .live_credentials(&InstallationId::new("http-first").unwrap())
            .unwrap(),
        creds
    );
    // list, bind, credentials, token check — on the pool's connection. The
    // listing runs in the caller's task and the rest in the background task:
    // when the second request starts before the pool has taken the first
    // connection back, hyper opens a second one, so allow that here (the
    // bench, which runs everything in one task, records the usual single one).
    assert_eq!(sb.sandbox().stats().requests, 4);
    assert!(sb.sandbox().stats().connections <= 2);
    assert_eq!(platform.calls(Operation::Create), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_binding_by_creation_over_http() {
    let sb = sandbox(&demo_seed()).await;
    let cfg = configurator("http-create", &sb.url());
    to_list(&cfg).await;
    cfg.apply(Action::Create {
        name: "Nova Produção".into(),
    })
    .await
    .unwrap();
    let status = cfg.wait_for_task().await;
    let TaskStatus::Succeeded { environment_id, .. } = status else {
        panic!("{status:?}")
    };
    let env = sb
        .sandbox()
        .platform()
        .environments()
        .into_iter()
        .find(|e| e.id == environment_id)
        .unwrap();
    assert_eq!(env.name.as_str(), "Nova Produção");
    assert_eq!(env.kind, Kind::Production);
    assert_eq!(
        sb.sandbox().stats().requests,
        5,
        "list, create, bind, credentials, token"
    );
    // As in the first binding above: the listing runs in the caller's task
    // and the rest in the background task, which may start before the pool
    // has the listing's connection back.
    assert!(sb.sandbox().stats().connections <= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn already_bound_over_http_regenerates_reusing_valid_credentials() {
    let sb = sandbox(&demo_seed()).await;
    let store = std::sync::Arc::new(MemoryStateStore::new());
    let cfg = configurator_with("http-bound", &sb.url(), store.clone());
    to_list(&cfg).await;
    cfg.apply(Action::Select {
        environment_id: eid("env_prd_nova"),
    })
    .await
    .unwrap();
    cfg.wait_for_task().await;
    let first = cfg.credentials().unwrap().unwrap();

    let cfg = configurator_with("http-bound", &sb.url(), store.clone());
    let screen = to_list(&cfg).await;
    assert!(matches!(
        screen,
        Screen::ChooseEnvironment {
            create_offered: false,
            scenario: Scenario::AlreadyBound { .. },
            ..
        }
    ));
    cfg.apply(Action::Select {
        environment_id: eid("env_prd_nova"),
    })
    .await
    .unwrap();
    cfg.apply(Action::Confirm).await.unwrap();
    assert!(matches!(
        cfg.wait_for_task().await,
        TaskStatus::Succeeded {
            reused_credentials: true,
            ..
        }
    ));
    assert!(cfg.credentials().unwrap().unwrap().same_as(&first));

    sb.sandbox()
        .platform()
        .revoke_credentials(&InstallationId::new("http-bound").unwrap());
    let cfg = configurator_with("http-bound", &sb.url(), store);
    to_list(&cfg).await;
    cfg.apply(Action::Select {
        environment_id: eid("env_prd_nova"),
    })
    .await
    .unwrap();
    cfg.apply(Action::Confirm).await.unwrap();
    assert!(matches!(
        cfg.wait_for_task().await,
        TaskStatus::Succeeded {
            reused_credentials: false,
            ..
        }
    ));
    assert!(!cfg.credentials().unwrap().unwrap().same_as(&first));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacement_over_http_needs_the_typed_name() {
    let sb = sandbox(&demo_seed()).await;
    let cfg = configurator("http-replace", &sb.url());
    to_list(&cfg).await;
    cfg.apply(Action::Select {
        environment_id: eid("env_prd_matriz"),
    })
    .await
    .unwrap();
    cfg.apply(Action::TypeConfirmation {
        text: "Produção matriz".into(),
    })
    .await
    .unwrap();
    assert!(cfg.apply(Action::Confirm).await.is_err());
    cfg.apply(Action::TypeConfirmation {
        text: "Produção Matriz".into(),
    })
    .await
    .unwrap();
    cfg.apply(Action::Confirm).await.unwrap();
    assert!(matches!(
        cfg.wait_for_task().await,
        TaskStatus::Succeeded { .. }
    ));
    let env = sb
        .sandbox()
        .platform()
        .environments()
        .into_iter()
        .find(|e| e.id == eid("env_prd_matriz"))
        .unwrap();
    assert_eq!(
        env.binding_for(ErpLine::Protheus)
            .unwrap()
            .installation_id
            .as_str(),
        "http-replace"
    );
    assert_eq!(
        env.binding_for(ErpLine::Rm)
            .unwrap()
            .installation_id
            .as_str(),
        "rm-prd-01"
    );
    // The replaced installation's credentials no longer exist.
    assert!(
        sb.sandbox()
            .platform()
            .live_credentials(&InstallationId::new("old-protheus-prd").unwrap())
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_racing_for_one_environment_one_wins_the_other_gets_a_typed_conflict() {
    let sb = sandbox(&demo_seed()).await;
    let a = configurator("racer-a", &sb.url());
    let b = configurator("racer-b", &sb.url());
    to_list(&a).await;
    to_list(&b).await;
    let (ra, rb) = tokio::join!(
        a.apply(Action::Select {
            environment_id: eid("env_prd_nova")
        }),
        b.apply(Action::Select {
            environment_id: eid("env_prd_nova")
        }),
    );
    ra.unwrap();
    rb.unwrap();
    let (sa, sbs) = tokio::join!(a.wait_for_task(), b.wait_for_task());
    let outcomes = [&sa, &sbs];
    let wins = outcomes
        .iter()
        .filter(|s| matches!(s, TaskStatus::Succeeded { .. }))
        .count();
    assert_eq!(wins, 1, "{sa:?} / {sbs:?}");
    let loser = outcomes
        .iter()
        .find(|s| matches!(s, TaskStatus::Failed { .. }))
        .unwrap();
    let TaskStatus::Failed { code, .. } = loser else {
        unreachable!()
    };
    assert!(
        code == "precondition_failed" || code == "binding_exists",
        "{code}"
    );
    let env = sb
        .sandbox()
        .platform()
        .environments()
        .into_iter()
        .find(|e| e.id == eid("env_prd_nova"))
        .unwrap();
    assert_eq!(env.bindings.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unattended_and_transparent_configuration_over_http() {
    let sb = sandbox(&demo_seed()).await;
    // The old installation is bound on the platform: start-up configures it silently.
    let old = configurator("old-protheus-prd", &sb.url());
    assert!(matches!(
        old.ensure_configured().await.unwrap(),
        EnsureOutcome::Configured { .. }
    ));
    assert_eq!(
        old.ensure_configured().await.unwrap(),
        EnsureOutcome::AlreadyConfigured
    );
    // Another one overwrites it unattended, with the name repeated.
    let new = configurator("new-protheus-prd", &sb.url());
    let request = UnattendedRequest {
        installation_name: Some("Servidor novo".into()),
        target: UnattendedTarget::Environment("Produção Matriz".into()),
        confirm: Some("Produção Matriz".into()),
    };
    assert!(matches!(
        new.configure_unattended(&request).await.unwrap().status,
        TaskStatus::Succeeded { .. }
    ));
    // The old installation's stored credentials were revoked by the overwrite.
    let old_creds = old.credentials().unwrap().unwrap();
    let verify = http_platform(&sb.url())
        .verify_credentials(&old_creds)
        .await;
    assert!(verify.unwrap_err().is(ErrorCode::InvalidClient));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inconsistent_platform_data_reaches_the_error_screen_over_http() {
    let seed: Seed = serde_json::from_str(r#"{"environments":[
      {"id":"env_a","name":"A","kind":"custom","bindings":[
        {"installation_id":"odd","installation_name":"Odd","line":"protheus","bound_at":"2026-01-01T00:00:00Z"}]}]}"#).unwrap();
    let sb = sandbox(&seed).await;
    // Bound to a custom environment while the host says production (R3 broken, R5).
    let cfg = configurator("odd", &sb.url());
    let screen = to_list(&cfg).await;
    assert!(
        matches!(
            screen,
            Screen::Error {
                retry_allowed: false,
                ..
            }
        ),
        "{screen:?}"
    );
}
