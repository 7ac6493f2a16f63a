//! The binding history: each kind of change recorded once, with its fields,
//! in the same save as the change; bounded; never holding a secret. Each
//! scenario runs on the in-memory platform and over HTTP
//! (`on_both_platforms!`).

use std::sync::Arc;

use smartlink_core::wizard::{Action, Screen};
use smartlink_core::*;
use smartlink_sandbox::Operation;
use smartlink_testkit::fixtures;
use smartlink_testkit::on_both_platforms;
use smartlink_testkit::platforms::{Reach, TestPlatform};

const SEED: &str = r#"{"environments":[
  {"id":"env_free","name":"Produção Nova","kind":"production"},
  {"id":"env_old","name":"Produção","kind":"production","bindings":[
     {"installation_id":"old-inst","installation_name":"Servidor antigo","line":"protheus","bound_at":"2025-01-01T00:00:00Z"}]}
]}"#;

const PLANTED: &str = "planted-secret-7f3a9c";

/// A memory store that keeps every state it was asked to save (`None` for
/// a clear), in order.
type Recording = fixtures::Noting<Option<LocalState>>;

/// An empty [`Recording`].
fn recording() -> Recording {
    Recording::new(|state| state.cloned())
}

/// The seeded platform, reached as `reach` says.
async fn platform(reach: Reach) -> TestPlatform {
    TestPlatform::start(reach, &serde_json::from_str(SEED).unwrap()).await
}

fn configurator(id: &str, p: &TestPlatform, store: &Recording) -> Configurator {
    p.configurator_with(id, Arc::new(store.clone()))
}

fn admin(name: &str) -> Option<AdministratorName> {
    Some(AdministratorName::new(name).unwrap())
}

fn entries_of(history: &[HistoryEntry], event: HistoryEvent) -> Vec<&HistoryEntry> {
    history.iter().filter(|e| e.event == event).collect()
}

/// The index of the first save whose history holds `n` entries of `event`.
fn save_with(saves: &[Option<LocalState>], event: HistoryEvent, n: usize) -> usize {
    saves
        .iter()
        .position(|s| {
            s.as_ref()
                .is_some_and(|s| s.history.iter().filter(|e| e.event == event).count() == n)
        })
        .unwrap_or_else(|| panic!("no save holds {n} {event} entries"))
}

fn unattended(environment: &str, confirm: Option<&str>) -> UnattendedRequest {
    UnattendedRequest {
        installation_name: Some("Matriz".into()),
        target: UnattendedTarget::Environment(environment.into()),
        confirm: confirm.map(str::to_owned),
    }
}

async fn each_change_is_recorded_once_with_its_fields_in_the_save_that_makes_it(reach: Reach) {
    let p = platform(reach).await;
    let store = recording();
    let base = configurator("new-inst", &p, &store);

    // First binding, in the wizard, by a named administrator.
    let cfg = base.with_administrator(admin("Maria Souza"));
    fixtures::to_list(&cfg, "Matriz").await;
    cfg.apply(Action::Select {
        environment_id: EnvironmentId::new("env_free").unwrap(),
    })
    .await
    .unwrap();
    let TaskStatus::Succeeded { task_id, .. } = cfg.wait_for_task().await else {
        panic!("the first binding failed");
    };
    let saves = store.notes();
    let at = save_with(&saves, HistoryEvent::FirstBinding, 1);
    let saved = saves[at].as_ref().unwrap();
    assert!(saved.binding.is_some() && saved.credentials.is_some());
    assert!(
        saves[..at]
            .iter()
            .all(|s| s.as_ref().is_none_or(|s| s.credentials.is_none())),
        "the binding was stored in the save that records it, not before"
    );
    let first = &cfg.history().unwrap()[0];
    assert_eq!(first.event, HistoryEvent::FirstBinding);
    assert_eq!(
        first.actor.name().map(AdministratorName::as_str),
        Some("Maria Souza")
    );
    assert_eq!(first.installation_id.as_str(), "new-inst");
    assert_eq!(first.installation_name.as_ref().unwrap().as_str(), "Matriz");
    assert_eq!(first.environment_id.as_ref().unwrap().as_str(), "env_free");
    assert_eq!(
        first.environment_name.as_ref().unwrap().as_str(),
        "Produção Nova"
    );
    assert_eq!(
        first.support_code.as_deref(),
        Some(task_id.to_string().as_str())
    );
    let (machine, process) = holder_id().split_once(':').unwrap();
    assert_eq!(first.machine, machine);
    assert_eq!(first.process, process);

    // An explicit rotation, by another administrator.
    let cfg = base.with_administrator(admin("João"));
    let before = cfg.credentials().unwrap().unwrap();
    let after = cfg.rotate_credentials().await.unwrap();
    let saves = store.notes();
    let at = save_with(&saves, HistoryEvent::Rotated, 1);
    assert_eq!(
        saves[at]
            .as_ref()
            .unwrap()
            .credentials
            .as_ref()
            .unwrap()
            .client_id,
        after.client_id
    );
    assert_ne!(before.client_id, after.client_id);
    let rotated = &cfg.history().unwrap()[0];
    assert_eq!(rotated.event, HistoryEvent::Rotated);
    assert_eq!(rotated.actor.name().unwrap().as_str(), "João");

    // Forgotten locally; the transparent start-up repair regenerates.
    cfg.forget_local().unwrap();
    let saves = store.notes();
    let at = save_with(&saves, HistoryEvent::Forgotten, 1);
    assert!(saves[at].as_ref().unwrap().is_forgotten());
    let forgotten = &cfg.history().unwrap()[0];
    assert_eq!(forgotten.actor.name().unwrap().as_str(), "João");
    assert_eq!(
        forgotten.environment_id.as_ref().unwrap().as_str(),
        "env_free"
    );
    let cfg = base.clone();
    assert!(matches!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::Configured { .. }
    ));
    let regenerated = &cfg.history().unwrap()[0];
    assert_eq!(regenerated.event, HistoryEvent::Regenerated);
    assert_eq!(regenerated.actor, Actor::Transparent);
    assert_eq!(
        regenerated.environment_id.as_ref().unwrap().as_str(),
        "env_free"
    );

    // Refused by the token endpoint, then accepted again.
    p.fail_next(
        Operation::Verify,
        PlatformError::Api {
            status: 401,
            code: ErrorCode::InvalidClient,
            detail: None,
            request_id: Some("req-refused-1".into()),
        },
    );
    assert!(matches!(
        cfg.access_token().await,
        Err(TokenError::Revoked { .. })
    ));
    let saves = store.notes();
    let at = save_with(&saves, HistoryEvent::RevocationSeen, 1);
    assert!(saves[at].as_ref().unwrap().revocation.is_some());
    let seen = &cfg.history().unwrap()[0];
    assert_eq!(seen.event, HistoryEvent::RevocationSeen);
    assert_eq!(seen.actor, Actor::Transparent);
    match reach {
        // The platform's request id of the refusal: the one the in-memory
        // platform was told to answer with, or over HTTP the id of the
        // request the client sent.
        Reach::InMemory => assert_eq!(seen.support_code.as_deref(), Some("req-refused-1")),
        Reach::Http => assert!(seen.support_code.is_some(), "{seen:?}"),
    }
    let cfg = base.with_administrator(admin("Maria Souza"));
    cfg.reverify_credentials().await.unwrap();
    let saves = store.notes();
    let at = save_with(&saves, HistoryEvent::RevocationLifted, 1);
    assert!(saves[at].as_ref().unwrap().revocation.is_none());
    assert_eq!(
        cfg.history().unwrap()[0].event,
        HistoryEvent::RevocationLifted
    );

    // Unbound: the binding and credentials go, the history stays.
    cfg.unbind().await.unwrap();
    let saves = store.notes();
    let at = save_with(&saves, HistoryEvent::Unbound, 1);
    let kept = saves[at].as_ref().unwrap();
    assert!(kept.is_forgotten());
    assert!(kept.credentials.is_none() && kept.binding.is_none());
    let unbound = &cfg.history().unwrap()[0];
    assert_eq!(
        unbound.environment_id.as_ref().unwrap().as_str(),
        "env_free"
    );
    assert!(cfg.needs_configuration());

    // Replacement: the environment another installation held, confirmed.
    cfg.configure_unattended(&unattended("Produção", Some("Produção")))
        .await
        .unwrap();
    let replaced = &cfg.history().unwrap()[0];
    assert_eq!(replaced.event, HistoryEvent::Replaced);
    let lost = replaced.replaced.as_ref().expect("who lost access");
    assert_eq!(lost.installation_id.as_str(), "old-inst");
    assert_eq!(lost.installation_name.as_str(), "Servidor antigo");
    assert_eq!(
        replaced.environment_id.as_ref().unwrap().as_str(),
        "env_old"
    );

    // Creation.
    cfg.unbind().await.unwrap();
    cfg.configure_unattended(&UnattendedRequest {
        installation_name: Some("Matriz".into()),
        target: UnattendedTarget::Create("Produção SP".into()),
        confirm: None,
    })
    .await
    .unwrap();
    let created = &cfg.history().unwrap()[0];
    assert_eq!(created.event, HistoryEvent::Created);
    assert_eq!(
        created.environment_name.as_ref().unwrap().as_str(),
        "Produção SP"
    );
    assert!(created.environment_id.is_some());

    // Each change once.
    let history = cfg.history().unwrap();
    for (event, n) in [
        (HistoryEvent::FirstBinding, 1),
        (HistoryEvent::Rotated, 1),
        (HistoryEvent::Forgotten, 1),
        (HistoryEvent::Regenerated, 1),
        (HistoryEvent::RevocationSeen, 1),
        (HistoryEvent::RevocationLifted, 1),
        (HistoryEvent::Unbound, 2),
        (HistoryEvent::Replaced, 1),
        (HistoryEvent::Created, 1),
        (HistoryEvent::TaskFailed, 0),
    ] {
        assert_eq!(entries_of(&history, event).len(), n, "{event}");
    }
    assert!(
        history.windows(2).all(|w| w[0].at >= w[1].at),
        "newest first"
    );
    // Another process sharing the state reads the same history.
    let other = configurator("new-inst", &p, &store);
    assert_eq!(other.history().unwrap(), history);
}

/// In memory only: over HTTP the client retries the platform's 500 by design.
#[tokio::test]
async fn a_failed_task_is_recorded_with_its_code_and_never_a_secret() {
    let p = platform(Reach::InMemory).await;
    let store = recording();
    let cfg = configurator("new-inst", &p, &store).with_administrator(admin("Maria"));
    // A failure whose detail quotes a secret: the detail stays out.
    p.fail_next(
        Operation::Issue,
        PlatformError::Api {
            status: 500,
            code: ErrorCode::Internal,
            detail: Some(format!("client_secret={PLANTED}")),
            request_id: None,
        },
    );
    let err = cfg
        .configure_unattended(&unattended("Produção Nova", None))
        .await
        .unwrap_err();
    let ConfiguratorError::TaskFailed { task_id, code, .. } = err else {
        panic!("{err:?}");
    };
    let saves = store.notes();
    let at = save_with(&saves, HistoryEvent::TaskFailed, 1);
    assert!(matches!(
        saves[at].as_ref().unwrap().last_task,
        Some(TaskRecord {
            outcome: TaskOutcome::Failed { .. },
            ..
        })
    ));
    let failed = &cfg.history().unwrap()[0];
    assert_eq!(failed.event, HistoryEvent::TaskFailed);
    assert_eq!(failed.code.as_ref(), Some(&code));
    assert_eq!(
        failed.support_code.as_deref(),
        Some(task_id.to_string().as_str())
    );
    assert_eq!(failed.environment_id.as_ref().unwrap().as_str(), "env_free");
    assert_eq!(failed.actor.name().unwrap().as_str(), "Maria");

    // Bound, rotated and refused: secrets on every side of the history.
    cfg.configure_unattended(&unattended("Produção Nova", None))
        .await
        .unwrap();
    let first_secret = cfg.credentials().unwrap().unwrap().secret().to_owned();
    let second_secret = cfg.rotate_credentials().await.unwrap().secret().to_owned();
    let token = cfg.access_token().await.unwrap();
    let history = cfg.history().unwrap();
    assert!(history.len() >= 3, "{history:?}");
    let json = serde_json::to_string(&history).unwrap();
    let debug = format!("{history:?}");
    for secret in [
        PLANTED,
        first_secret.as_str(),
        second_secret.as_str(),
        token.expose_secret(),
    ] {
        assert!(!json.contains(secret), "a secret in the history's JSON");
        assert!(!debug.contains(secret), "a secret in the history's Debug");
    }
    // The state stores the secret (sealed or not) outside the history.
    let stored = store.load().unwrap().unwrap();
    let stored_history = serde_json::to_string(&stored.history).unwrap();
    assert!(!stored_history.contains(&second_secret));
}

async fn the_history_keeps_the_newest_200_entries(reach: Reach) {
    let p = platform(reach).await;
    let store = recording();
    let cfg = configurator("new-inst", &p, &store);
    cfg.configure_unattended(&unattended("Produção Nova", None))
        .await
        .unwrap();
    for _ in 0..(HISTORY_LIMIT + 5) {
        cfg.rotate_credentials().await.unwrap();
    }
    let history = cfg.history().unwrap();
    assert_eq!(history.len(), HISTORY_LIMIT);
    assert!(
        history.iter().all(|e| e.event == HistoryEvent::Rotated),
        "the oldest (the first binding and the first rotations) dropped"
    );
    let stored = store.load().unwrap().unwrap();
    assert_eq!(stored.history.len(), HISTORY_LIMIT);
    // The size docs/support.md gives (about 80 KB for 200 entries).
    let size = serde_json::to_vec(&stored.history).unwrap().len();
    println!("{HISTORY_LIMIT} history entries: {size} bytes of JSON");
    assert!(size < 120_000, "{size} bytes");
    assert_eq!(stored.history.last().unwrap(), &history[0]);
}

#[test]
fn a_state_written_before_the_history_loads_with_none() {
    let old = serde_json::json!({"installation_id": "x", "line": "rm"});
    let state: LocalState = serde_json::from_value(old).unwrap();
    assert!(state.history.is_empty());
    // And an empty history is not written, so older readers see no change.
    let written = serde_json::to_value(&state).unwrap();
    assert!(written.get("history").is_none());
}

async fn the_transparent_binding_of_the_only_candidate_is_a_first_binding_by_nobody(reach: Reach) {
    let p = TestPlatform::start(
        reach,
        &serde_json::from_str(
            r#"{"environments":[{"id":"env_one","name":"Única","kind":"production"}]}"#,
        )
        .unwrap(),
    )
    .await;
    let store = recording();
    let cfg = configurator("new-inst", &p, &store)
        .with_administrator(admin("Not recorded: nobody at a screen"));
    assert!(matches!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::Configured { .. }
    ));
    let history = cfg.history().unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].event, HistoryEvent::FirstBinding);
    assert_eq!(history[0].actor, Actor::Transparent);
    assert_eq!(
        history[0].environment_id.as_ref().unwrap().as_str(),
        "env_one"
    );
}

async fn a_failed_rotation_is_a_failed_task_with_its_code_in_the_same_save(reach: Reach) {
    let p = platform(reach).await;
    let store = recording();
    let cfg = configurator("new-inst", &p, &store).with_administrator(admin("Ana"));
    cfg.configure_unattended(&unattended("Produção Nova", None))
        .await
        .unwrap();
    let kept = cfg.credentials().unwrap().unwrap();
    p.fail_next(
        Operation::Issue,
        PlatformError::Api {
            status: 403,
            code: ErrorCode::Forbidden,
            detail: None,
            request_id: None,
        },
    );
    assert!(cfg.rotate_credentials().await.is_err());
    let saves = store.notes();
    let at = save_with(&saves, HistoryEvent::TaskFailed, 1);
    let saved = saves[at].as_ref().unwrap();
    // Refused before anything was issued: the stored credentials are still
    // valid, so the last task stays the binding's and the gate stays shut.
    assert!(!matches!(
        saved.last_task,
        Some(TaskRecord {
            outcome: TaskOutcome::Failed { .. },
            ..
        })
    ));
    assert!(!cfg.needs_configuration());
    assert_eq!(
        saved.credentials.as_ref().unwrap().client_id,
        kept.client_id
    );
    let failed = &cfg.history().unwrap()[0];
    assert_eq!(failed.event, HistoryEvent::TaskFailed);
    assert_eq!(
        failed.code.as_ref().map(FailureCode::as_str),
        Some("forbidden")
    );
    assert_eq!(failed.actor.name().unwrap().as_str(), "Ana");
    assert_eq!(failed.environment_id.as_ref().unwrap().as_str(), "env_free");
}

/// The wizard to the list, then `environment` selected.
async fn wizard_select(cfg: &Configurator, environment: &str) -> Screen {
    fixtures::to_list(cfg, "Matriz").await;
    cfg.apply(Action::Select {
        environment_id: EnvironmentId::new(environment).unwrap(),
    })
    .await
    .unwrap()
}

async fn the_wizards_regeneration_is_recorded_for_the_administrator_who_confirmed_it(reach: Reach) {
    let p = platform(reach).await;
    let store = recording();
    let base = configurator("new-inst", &p, &store);
    base.with_administrator(admin("Ana"))
        .configure_unattended(&unattended("Produção Nova", None))
        .await
        .unwrap();

    // Already bound: the wizard (of another process: this one's is done)
    // asks before regenerating. The steps before the confirmation are taken
    // through a handle without a name; the change is recorded for the
    // handle whose action started it.
    let wizard = configurator("new-inst", &p, &store);
    let screen = wizard_select(&wizard, "env_free").await;
    assert!(
        matches!(screen, Screen::ConfirmRegeneration { .. }),
        "{screen:?}"
    );
    let maria = wizard.with_administrator(admin("Maria Souza"));
    maria.apply(Action::Confirm).await.unwrap();
    let TaskStatus::Succeeded { task_id, .. } = maria.wait_for_task().await else {
        panic!("the regeneration failed");
    };
    let saves = store.notes();
    let at = save_with(&saves, HistoryEvent::Regenerated, 1);
    let saved = saves[at].as_ref().unwrap();
    assert!(saved.binding.is_some() && saved.credentials.is_some());
    assert!(matches!(
        saved.last_task,
        Some(TaskRecord {
            outcome: TaskOutcome::Succeeded { .. },
            ..
        })
    ));
    let history = base.history().unwrap();
    let regenerated = &history[0];
    assert_eq!(regenerated.event, HistoryEvent::Regenerated);
    assert_eq!(
        regenerated.actor,
        Actor::Administrator {
            name: AdministratorName::new("Maria Souza").unwrap()
        }
    );
    assert_eq!(
        regenerated.support_code.as_deref(),
        Some(task_id.to_string().as_str())
    );
    assert_eq!(
        regenerated.installation_name.as_ref().unwrap().as_str(),
        "Matriz"
    );
    assert_eq!(
        regenerated.environment_id.as_ref().unwrap().as_str(),
        "env_free"
    );
    assert_eq!(
        regenerated.environment_name.as_ref().unwrap().as_str(),
        "Produção Nova"
    );
    assert!(regenerated.replaced.is_none() && regenerated.code.is_none());
    // The binding before it stays Ana's.
    assert_eq!(history[1].event, HistoryEvent::FirstBinding);
    assert_eq!(history[1].actor.name().unwrap().as_str(), "Ana");

    // The same regeneration through a handle without a name: an unnamed
    // administrator (docs/support.md), not the transparent library and not
    // the last name used.
    let again = configurator("new-inst", &p, &store);
    let screen = wizard_select(&again, "env_free").await;
    assert!(
        matches!(screen, Screen::ConfirmRegeneration { .. }),
        "{screen:?}"
    );
    again.apply(Action::Confirm).await.unwrap();
    assert!(matches!(
        again.wait_for_task().await,
        TaskStatus::Succeeded { .. }
    ));
    let history = again.history().unwrap();
    assert_eq!(history.len(), 3, "{history:?}");
    assert_eq!(history[0].event, HistoryEvent::Regenerated);
    assert_eq!(history[0].actor, Actor::Unnamed);
    assert_eq!(
        serde_json::to_value(&history[0].actor).unwrap(),
        serde_json::json!({"by": "unnamed"})
    );
    assert_eq!(entries_of(&history, HistoryEvent::Regenerated).len(), 2);
}

on_both_platforms!(
    each_change_is_recorded_once_with_its_fields_in_the_save_that_makes_it,
    the_history_keeps_the_newest_200_entries,
    the_transparent_binding_of_the_only_candidate_is_a_first_binding_by_nobody,
    a_failed_rotation_is_a_failed_task_with_its_code_in_the_same_save,
    the_wizards_regeneration_is_recorded_for_the_administrator_who_confirmed_it,
);
