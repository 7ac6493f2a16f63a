//! The single-candidate first binding (docs/rules.md): with nothing to
//! decide — bound nowhere, exactly one environment of the installation's
//! kind selectable and free — `ensure_configured` binds it without an
//! administrator and names it in its outcome; two candidates, a
//! replacement, none, or the host's refusal leave the decision to an
//! administrator. The wizard preselects the only candidate. Each scenario
//! runs on the in-memory platform and over HTTP.

use std::sync::Arc;

use smartlink_core::wizard::Screen;
use smartlink_core::{
    Configurator, EnsureOutcome, InstallationSpec, MemoryStateStore, Scenario, StateStore,
};
use smartlink_sandbox::Seed;
use smartlink_testkit::fixtures;
use smartlink_testkit::on_both_platforms;
use smartlink_testkit::platforms::{Reach, TestPlatform};

fn seed(environments: serde_json::Value) -> Seed {
    serde_json::from_value(serde_json::json!({ "environments": environments })).unwrap()
}

fn configurator(p: &TestPlatform, bind_alone: bool) -> Configurator {
    Configurator::builder(
        InstallationSpec::parse("inst-one", "protheus", "production", Some("Matriz")).unwrap(),
        p.client.clone(),
        Arc::new(MemoryStateStore::new()) as Arc<dyn StateStore>,
    )
    .bind_only_candidate(bind_alone)
    .build()
    .unwrap()
}

/// One free production environment (a homologation one beside it is not a
/// candidate: another kind).
fn one_candidate() -> Seed {
    seed(serde_json::json!([
        {"id": "env_prd", "name": "Produção", "kind": "production"},
        {"id": "env_hml", "name": "Homologação", "kind": "homologation"}
    ]))
}

async fn the_only_candidate_is_bound_without_an_administrator(reach: Reach) {
    let p = TestPlatform::start(reach, &one_candidate()).await;
    let cfg = configurator(&p, true);
    assert!(cfg.needs_configuration());
    match cfg.ensure_configured().await.unwrap() {
        EnsureOutcome::Configured {
            environment_id,
            only_candidate,
            ..
        } => {
            assert_eq!(environment_id.as_str(), "env_prd");
            assert_eq!(only_candidate.unwrap().as_str(), "Produção");
        }
        other => panic!("expected the only candidate bound, got {other:?}"),
    }
    assert!(!cfg.needs_configuration());
    let creds = cfg.credentials().unwrap().expect("stored credentials");
    let live = p
        .memory
        .live_credentials(&smartlink_core::InstallationId::new("inst-one").unwrap())
        .unwrap();
    assert_eq!(creds.client_id, live.client_id, "issued, proven and stored");
    // Again: nothing to do.
    assert_eq!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::AlreadyConfigured
    );
}

async fn two_candidates_need_an_administrator(reach: Reach) {
    let p = TestPlatform::start(
        reach,
        &seed(serde_json::json!([
            {"id": "env_a", "name": "Produção A", "kind": "production"},
            {"id": "env_b", "name": "Produção B", "kind": "production"}
        ])),
    )
    .await;
    let cfg = configurator(&p, true);
    assert_eq!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::AdminNeeded {
            scenario: Scenario::FirstBinding
        }
    );
    assert_eq!(p.memory.credentials_issued(), 0, "nothing issued");
    // The wizard preselects nothing.
    let screen = fixtures::to_list(&cfg, "Matriz").await;
    assert!(
        matches!(
            screen,
            Screen::ChooseEnvironment {
                preselected: None,
                ..
            }
        ),
        "{screen:?}"
    );
}

async fn a_replacement_is_never_decided_alone(reach: Reach) {
    // One free environment, and another of the kind held by another
    // installation of this line: a replacement scenario, the admin decides.
    let p = TestPlatform::start(
        reach,
        &seed(serde_json::json!([
            {"id": "env_free", "name": "Livre", "kind": "production"},
            {"id": "env_held", "name": "Antiga", "kind": "production",
             "bindings": [{"line": "protheus", "installation_id": "old-inst",
                           "installation_name": "Servidor antigo", "installation_kind": "production",
                           "bound_at": "2026-01-01T00:00:00Z"}]}
        ])),
    )
    .await;
    let cfg = configurator(&p, true);
    assert_eq!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::AdminNeeded {
            scenario: Scenario::Replacement
        }
    );
    assert_eq!(p.memory.credentials_issued(), 0);
}

async fn no_candidate_needs_an_administrator(reach: Reach) {
    let p = TestPlatform::start(
        reach,
        &seed(serde_json::json!([
            {"id": "env_hml", "name": "Homologação", "kind": "homologation"}
        ])),
    )
    .await;
    let cfg = configurator(&p, true);
    assert!(matches!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::AdminNeeded { .. }
    ));
}

async fn the_host_can_turn_it_off_and_the_wizard_preselects(reach: Reach) {
    let p = TestPlatform::start(reach, &one_candidate()).await;
    let cfg = configurator(&p, false);
    assert_eq!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::AdminNeeded {
            scenario: Scenario::FirstBinding
        }
    );
    assert_eq!(p.memory.credentials_issued(), 0);
    let screen = fixtures::to_list(&cfg, "Matriz").await;
    match screen {
        Screen::ChooseEnvironment { preselected, .. } => {
            assert_eq!(preselected.unwrap().as_str(), "env_prd");
        }
        other => panic!("{other:?}"),
    }
}

on_both_platforms!(
    the_only_candidate_is_bound_without_an_administrator,
    two_candidates_need_an_administrator,
    a_replacement_is_never_decided_alone,
    no_candidate_needs_an_administrator,
    the_host_can_turn_it_off_and_the_wizard_preselects,
);
