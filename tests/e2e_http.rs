//! The configurator's main scenarios, each written once and run on the
//! in-memory platform and through `HttpPlatform` against the sandbox on
//! 127.0.0.1, over real HTTP (`on_both_platforms!`); the others are in
//! smartlink-core/tests/scenarios.rs, run the same way.

use smartlink_core::wizard::{Action, Screen, WizardError};
use smartlink_core::*;
use smartlink_sandbox::Operation;
use smartlink_sandbox::Seed;
use smartlink_sandbox::demo_seed;
use smartlink_testkit::platforms::*;

fn eid(s: &str) -> EnvironmentId {
    EnvironmentId::new(s).unwrap()
}

async fn to_list(cfg: &Configurator) -> Screen {
    smartlink_testkit::fixtures::to_list(cfg, "Filial São Paulo").await
}

/// The calls a scenario made, per operation, as the platform counted them.
fn calls(platform: &TestPlatform, ops: [Operation; 5]) -> [usize; 5] {
    ops.map(|o| platform.memory.calls(o))
}

/// First binding by selection: the fewest calls (list, bind, issue, verify)
/// and, over HTTP, as many requests.
async fn first_binding_by_selection(reach: Reach) {
    let platform = TestPlatform::start(reach, &demo_seed()).await;
    let cfg = platform.configurator("new-inst");
    assert!(cfg.needs_configuration());
    let screen = to_list(&cfg).await;
    assert!(matches!(
        screen,
        Screen::ChooseEnvironment {
            scenario: Scenario::Replacement,
            create_offered: true,
            ..
        }
    ));
    cfg.apply(Action::Select {
        environment_id: eid("env_prd_nova"),
    })
    .await
    .unwrap();
    let status = cfg.wait_for_task().await;
    assert!(
        matches!(
            status,
            TaskStatus::Succeeded {
                reused_credentials: false,
                ..
            }
        ),
        "{status:?}"
    );
    assert!(!cfg.needs_configuration());
    let creds = cfg.credentials().unwrap().unwrap();
    assert_eq!(creds.environment_id, eid("env_prd_nova"));
    assert_eq!(
        platform
            .memory
            .live_credentials(&InstallationId::new("new-inst").unwrap())
            .unwrap(),
        creds
    );
    assert!(matches!(cfg.screen(), Screen::Done { .. }));
    use Operation::*;
    assert_eq!(
        calls(&platform, [List, Bind, Issue, Verify, Create]),
        [1, 1, 1, 1, 0]
    );
    if let Some(sb) = platform.sandbox() {
        // list, bind, credentials, token check — on the pool's connection.
        // The listing runs in the caller's task and the rest in the
        // background task: when the second request starts before the pool
        // has taken the first connection back, hyper opens a second one, so
        // allow that here (the bench, which runs everything in one task,
        // records the usual single one).
        assert_eq!(sb.sandbox().stats().requests, 4);
        assert!(sb.sandbox().stats().connections <= 2);
    }
}

/// First binding by creation: the environment is created with the
/// installation's kind and bound under the name typed on the first screen.
async fn first_binding_by_creation(reach: Reach) {
    let platform = TestPlatform::start(reach, &demo_seed()).await;
    let cfg = platform.configurator("new-inst");
    to_list(&cfg).await;
    cfg.apply(Action::Create {
        name: "Produção 2027".into(),
    })
    .await
    .unwrap();
    let status = cfg.wait_for_task().await;
    let TaskStatus::Succeeded {
        environment_id,
        environment_name,
        ..
    } = status
    else {
        panic!("{status:?}")
    };
    assert_eq!(environment_name.as_str(), "Produção 2027");
    let env = platform
        .memory
        .environments()
        .into_iter()
        .find(|e| e.id == environment_id)
        .unwrap();
    assert_eq!(env.name.as_str(), "Produção 2027");
    assert_eq!(env.kind, Kind::Production);
    assert_eq!(
        env.binding_for(ErpLine::Protheus)
            .unwrap()
            .installation_name
            .as_str(),
        "Filial São Paulo"
    );
    assert_eq!(platform.memory.calls(Operation::Create), 1);
    assert!(!cfg.needs_configuration());
    if let Some(sb) = platform.sandbox() {
        assert_eq!(
            sb.sandbox().stats().requests,
            5,
            "list, create, bind, credentials, token"
        );
        // As in the first binding above: the listing runs in the caller's
        // task and the rest in the background task, which may start before
        // the pool has the listing's connection back.
        assert!(sb.sandbox().stats().connections <= 2);
    }
}

/// Already bound: no create tab, an alert before regenerating, valid
/// credentials reused; once they are revoked, new ones issued.
async fn already_bound_regenerates_reusing_valid_credentials(reach: Reach) {
    let platform = TestPlatform::start(reach, &demo_seed()).await;
    let store = std::sync::Arc::new(MemoryStateStore::new());
    let cfg = platform.configurator_with("new-inst", store.clone());
    to_list(&cfg).await;
    cfg.apply(Action::Select {
        environment_id: eid("env_prd_nova"),
    })
    .await
    .unwrap();
    cfg.wait_for_task().await;
    let first = cfg.credentials().unwrap().unwrap();

    let cfg = platform.configurator_with("new-inst", store.clone());
    let screen = to_list(&cfg).await;
    let Screen::ChooseEnvironment {
        scenario,
        create_offered,
        ..
    } = screen
    else {
        panic!()
    };
    assert_eq!(
        scenario,
        Scenario::AlreadyBound {
            environment_id: eid("env_prd_nova")
        }
    );
    assert!(!create_offered);
    cfg.apply(Action::Select {
        environment_id: eid("env_prd_nova"),
    })
    .await
    .unwrap();
    assert!(matches!(cfg.screen(), Screen::ConfirmRegeneration { .. }));
    cfg.apply(Action::Confirm).await.unwrap();
    assert!(matches!(
        cfg.wait_for_task().await,
        TaskStatus::Succeeded {
            reused_credentials: true,
            ..
        }
    ));
    assert!(cfg.credentials().unwrap().unwrap().same_as(&first));

    platform
        .memory
        .revoke_credentials(&InstallationId::new("new-inst").unwrap());
    let cfg = platform.configurator_with("new-inst", store);
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

smartlink_testkit::on_both_platforms!(
    first_binding_by_selection,
    first_binding_by_creation,
    already_bound_regenerates_reusing_valid_credentials,
);

/// The replacement scenario, written once and run on the in-memory
/// platform and over HTTP: another installation's line is taken only with
/// the environment's name typed exactly (case included, surrounding spaces
/// and Unicode normalisation aside), the other line's binding stays (R2) and
/// the replaced installation's credentials are revoked.
async fn replacement_overwrites_only_with_the_typed_name(reach: Reach) {
    let platform = TestPlatform::start(reach, &demo_seed()).await;
    let cfg = platform.configurator("new-inst");
    to_list(&cfg).await;
    cfg.apply(Action::Select {
        environment_id: eid("env_prd_matriz"),
    })
    .await
    .unwrap();
    assert!(matches!(
        cfg.apply(Action::Confirm).await,
        Err(ConfiguratorError::Wizard(WizardError::Decision(
            DecisionError::ConfirmationMismatch(_)
        )))
    ));
    cfg.apply(Action::TypeConfirmation {
        text: "Produção matriz".into(),
    })
    .await
    .unwrap();
    assert!(cfg.apply(Action::Confirm).await.is_err());
    assert_eq!(platform.memory.calls(Operation::Bind), 0);
    cfg.apply(Action::TypeConfirmation {
        text: " Produção Matriz ".into(),
    })
    .await
    .unwrap();
    cfg.apply(Action::Confirm).await.unwrap();
    let status = cfg.wait_for_task().await;
    assert!(matches!(status, TaskStatus::Succeeded { .. }), "{status:?}");
    let env = platform
        .memory
        .environments()
        .into_iter()
        .find(|e| e.id == eid("env_prd_matriz"))
        .unwrap();
    let holder = |line| {
        env.binding_for(line)
            .unwrap()
            .installation_id
            .as_str()
            .to_owned()
    };
    assert_eq!(holder(ErpLine::Protheus), "new-inst");
    assert_eq!(
        holder(ErpLine::Rm),
        "rm-prd-01",
        "R2: the RM line keeps its binding"
    );
    assert!(
        platform
            .memory
            .live_credentials(&InstallationId::new("old-protheus-prd").unwrap())
            .is_none()
    );
    assert_eq!(
        platform
            .memory
            .live_credentials(&InstallationId::new("new-inst").unwrap()),
        cfg.credentials().unwrap()
    );
}

smartlink_testkit::on_both_platforms!(replacement_overwrites_only_with_the_typed_name);

async fn two_clients_racing_for_one_environment_one_wins_the_other_gets_a_typed_conflict(
    reach: Reach,
) {
    let platform = TestPlatform::start(reach, &demo_seed()).await;
    let a = platform.configurator("racer-a");
    let b = platform.configurator("racer-b");
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
    let env = platform
        .memory
        .environments()
        .into_iter()
        .find(|e| e.id == eid("env_prd_nova"))
        .unwrap();
    assert_eq!(env.bindings.len(), 1);
}

async fn unattended_and_transparent_configuration(reach: Reach) {
    let platform = TestPlatform::start(reach, &demo_seed()).await;
    // The old installation is bound on the platform: start-up configures it silently.
    let old = platform.configurator("old-protheus-prd");
    assert!(matches!(
        old.ensure_configured().await.unwrap(),
        EnsureOutcome::Configured { .. }
    ));
    assert_eq!(
        old.ensure_configured().await.unwrap(),
        EnsureOutcome::AlreadyConfigured
    );
    // Another one overwrites it unattended, with the name repeated.
    let new = platform.configurator("new-protheus-prd");
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
    let verify = platform.client.verify_credentials(&old_creds).await;
    assert!(verify.unwrap_err().is(ErrorCode::InvalidClient));
}

async fn inconsistent_platform_data_reaches_the_error_screen(reach: Reach) {
    let seed: Seed = serde_json::from_str(r#"{"environments":[
      {"id":"env_a","name":"A","kind":"custom","bindings":[
        {"installation_id":"odd","installation_name":"Odd","line":"protheus","bound_at":"2026-01-01T00:00:00Z"}]}]}"#).unwrap();
    let platform = TestPlatform::start(reach, &seed).await;
    // Bound to a custom environment while the host says production (R3 broken, R5).
    let cfg = platform.configurator("odd");
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

smartlink_testkit::on_both_platforms!(
    two_clients_racing_for_one_environment_one_wins_the_other_gets_a_typed_conflict,
    unattended_and_transparent_configuration,
    inconsistent_platform_data_reaches_the_error_screen,
);
