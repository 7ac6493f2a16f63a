//! The configurator's scenarios end to end, each written once and run on
//! the in-memory platform and over HTTP against the sandbox serving it
//! (`on_both_platforms!`); those of tests/e2e_http.rs likewise. The few
//! below that inject a transient fault (a lost connection, a timeout, an
//! unavailable platform) into the in-memory platform run in memory only:
//! over HTTP the platform client retries such a fault by design, which
//! tests/faults.rs checks through a fault-injecting proxy.

use std::sync::Arc;

use smartlink_core::wizard::{Action, ErrorReason, Screen, TaskStep};
use smartlink_core::*;
use smartlink_core::{LocalState, TaskOutcome};
use smartlink_sandbox::InMemoryPlatform;
use smartlink_sandbox::Operation;

use fixtures::{Hook, Hooked};
use smartlink_testkit::fixtures;
use smartlink_testkit::on_both_platforms;
use smartlink_testkit::platforms::{Reach, TestPlatform, configurator_on};

const SEED: &str = r#"{"environments":[
  {"id":"env_free","name":"Produção Nova","kind":"production"},
  {"id":"env_old","name":"Produção","kind":"production","bindings":[
     {"installation_id":"old-inst","installation_name":"Servidor antigo","line":"protheus","bound_at":"2025-01-01T00:00:00Z"},
     {"installation_id":"rm-1","installation_name":"RM","line":"rm","bound_at":"2025-01-01T00:00:00Z"}]},
  {"id":"env_dev","name":"Desenvolvimento","kind":"development"}
]}"#;

/// The seeded platform, reached as `reach` says.
async fn platform(reach: Reach) -> TestPlatform {
    TestPlatform::start(reach, &serde_json::from_str(SEED).unwrap()).await
}

fn spec(id: &str) -> InstallationSpec {
    InstallationSpec::parse(id, "protheus", "production", None).unwrap()
}

fn configurator(id: &str, platform: &TestPlatform, store: &MemoryStateStore) -> Configurator {
    platform.configurator_with(id, Arc::new(store.clone()))
}

/// Binds to "Produção Nova" unattended, as installation "M".
async fn bind_to_the_free_environment(cfg: &Configurator) {
    fixtures::bind_unattended(cfg, "M", "Produção Nova").await
}

fn eid(s: &str) -> EnvironmentId {
    EnvironmentId::new(s).unwrap()
}

async fn to_list(cfg: &Configurator) -> Screen {
    fixtures::to_list(cfg, "Matriz SP").await
}

/// A new installation, "new-inst", with nothing stored yet, on the seeded
/// platform: the start of most scenarios.
async fn new_installation(reach: Reach) -> (TestPlatform, MemoryStateStore, Configurator) {
    let p = platform(reach).await;
    let store = MemoryStateStore::new();
    let cfg = configurator("new-inst", &p, &store);
    (p, store, cfg)
}

/// Picks `environment_id` on the environment list.
async fn select(cfg: &Configurator, environment_id: &str) -> Screen {
    cfg.apply(Action::Select {
        environment_id: eid(environment_id),
    })
    .await
    .unwrap()
}

/// A connection lost in the middle of a request.
fn connection_lost(detail: &str) -> PlatformError {
    PlatformError::Transport {
        detail: detail.into(),
        request_id: None,
    }
}

/// How many of the platform's environments are named `name`.
fn named(p: &InMemoryPlatform, name: &str) -> usize {
    p.environments()
        .iter()
        .filter(|e| e.name.as_str() == name)
        .count()
}

// The first binding (by selection and by creation), the already-bound
// regeneration, the replacement, the race for one environment, the silent
// start-up and unattended overwrite, and inconsistent platform data:
// tests/e2e_http.rs.

async fn a_stale_listing_fails_the_task_and_leaves_the_configurator_needed(reach: Reach) {
    let (p, _, cfg) = new_installation(reach).await;
    to_list(&cfg).await;
    // Someone else binds the free environment for this line meanwhile.
    let other = configurator("rival", &p, &MemoryStateStore::new());
    other
        .configure_unattended(&UnattendedRequest {
            installation_name: Some("Rival".into()),
            target: UnattendedTarget::Environment("Produção Nova".into()),
            confirm: None,
        })
        .await
        .unwrap();
    select(&cfg, "env_free").await;
    let status = cfg.wait_for_task().await;
    assert!(
        matches!(&status, TaskStatus::Failed { code, .. } if code == "precondition_failed"),
        "{status:?}"
    );
    assert!(matches!(
        cfg.screen(),
        Screen::Error {
            reason: ErrorReason::TaskFailed { .. },
            retry_allowed: true,
            ..
        }
    ));
    assert!(cfg.needs_configuration());
    // Back re-lists: the rival now holds it, so it needs typed confirmation.
    cfg.apply(Action::Back).await.unwrap();
    let screen = cfg
        .apply(Action::SetName {
            name: "Matriz SP".into(),
        })
        .await
        .unwrap();
    let Screen::ChooseEnvironment { choices, .. } = screen else {
        panic!()
    };
    let free = choices
        .iter()
        .find(|c| c.environment.id == eid("env_free"))
        .unwrap();
    assert!(matches!(
        free.availability,
        Availability::NeedsTypedConfirmation { .. }
    ));
}

async fn a_task_failing_mid_way_is_recorded_and_shown_again(reach: Reach) {
    let (p, store, cfg) = new_installation(reach).await;
    to_list(&cfg).await;
    p.fail_next(
        Operation::Verify,
        PlatformError::api(ErrorCode::InvalidClient),
    );
    select(&cfg, "env_free").await;
    let status = cfg.wait_for_task().await;
    let TaskStatus::Failed { task_id, code, .. } = status else {
        panic!("{status:?}")
    };
    assert_eq!(code, "invalid_client");
    // After a restart (a new configurator on the same store) it is still needed.
    let again = configurator("new-inst", &p, &store);
    assert!(again.needs_configuration());
    let state = store.load().unwrap().unwrap();
    // The failed task keeps its keys for the next attempt (it reached the
    // platform); it is recorded as failed, not reported as interrupted.
    assert_eq!(state.pending_task_id(), Some(task_id));
    assert_eq!(again.status().unwrap().interrupted_task, None);
    let record = state.last_task.unwrap();
    assert_eq!(record.task_id, task_id);
    assert!(matches!(record.outcome, TaskOutcome::Failed { .. }));
}

/// Unattended request for `target`, as installation "M".
fn unattended(target: UnattendedTarget) -> UnattendedRequest {
    UnattendedRequest {
        installation_name: Some("M".into()),
        target,
        confirm: None,
    }
}

#[tokio::test]
async fn the_configurator_calls_each_step_once_and_a_rerun_finishes_with_the_same_keys() {
    // One retry layer: the platform client retries requests; the
    // configurator does not retry steps on top of it.
    let (p, _, cfg) = new_installation(Reach::InMemory).await;
    to_list(&cfg).await;
    p.fail_after_next(
        Operation::Bind,
        PlatformError::Timeout {
            elapsed: Default::default(),
            request_id: None,
        },
    );
    select(&cfg, "env_free").await;
    assert!(matches!(
        cfg.wait_for_task().await,
        TaskStatus::Failed { .. }
    ));
    assert_eq!(p.calls(Operation::Bind), 1, "no step retry");
    assert_eq!(p.calls(Operation::Issue), 0);
    // The bind reached the platform; the run again finishes the work there.
    let outcome = cfg
        .configure_unattended(&unattended(UnattendedTarget::Environment(
            "Produção Nova".into(),
        )))
        .await
        .unwrap();
    assert!(matches!(outcome.status, TaskStatus::Succeeded { .. }));
    assert!(!outcome.nothing_to_do);
    assert_eq!(p.calls(Operation::Bind), 2);
    assert_eq!(p.credentials_issued(), 1);
    assert!(!cfg.needs_configuration());
}

#[tokio::test]
async fn a_transient_failure_of_a_step_fails_the_task_without_a_second_attempt() {
    let (p, _, cfg) = new_installation(Reach::InMemory).await;
    to_list(&cfg).await;
    p.fail_next(Operation::Issue, PlatformError::api(ErrorCode::Unavailable));
    select(&cfg, "env_free").await;
    let TaskStatus::Failed { code, .. } = cfg.wait_for_task().await else {
        panic!("the task must fail")
    };
    assert_eq!(code, "unavailable");
    assert_eq!(p.calls(Operation::Issue), 1);
}

#[tokio::test]
async fn a_lost_create_response_creates_the_environment_once() {
    let (p, _, cfg) = new_installation(Reach::InMemory).await;
    to_list(&cfg).await;
    p.fail_after_next(Operation::Create, connection_lost("reset"));
    cfg.apply(Action::Create {
        name: "Nova".into(),
    })
    .await
    .unwrap();
    assert!(matches!(
        cfg.wait_for_task().await,
        TaskStatus::Failed { .. }
    ));
    // The environment exists; the same decision, made again, sends the
    // create again with its key and the platform answers with that one.
    let outcome = cfg
        .configure_unattended(&unattended(UnattendedTarget::Create("Nova".into())))
        .await
        .unwrap();
    assert!(matches!(outcome.status, TaskStatus::Succeeded { .. }));
    assert_eq!(named(&p, "Nova"), 1);
    assert_eq!(p.calls(Operation::Create), 2);
}

/// A new installation's unattended run creating "Nova" whose `step` loses
/// its connection (`detail`): the run fails and leaves its pending task.
async fn a_create_broken_at(
    step: Operation,
    detail: &str,
) -> (
    TestPlatform,
    MemoryStateStore,
    Configurator,
    UnattendedRequest,
) {
    let (p, store, cfg) = new_installation(Reach::InMemory).await;
    p.fail_next(step, connection_lost(detail));
    let request = unattended(UnattendedTarget::Create("Nova".into()));
    assert!(cfg.configure_unattended(&request).await.is_err());
    (p, store, cfg, request)
}

#[tokio::test]
async fn unattended_create_whose_bind_failed_resumes_with_its_keys() {
    // The create is made, then the bind's connection breaks.
    let (p, store, cfg, request) = a_create_broken_at(Operation::Bind, "reset").await;
    assert!(named(&p, "Nova") > 0);
    let kept = store.load().unwrap().unwrap();
    assert!(
        kept.pending_task_id().is_some(),
        "the keys are kept for the next run"
    );
    assert_eq!(
        cfg.status().unwrap().interrupted_task,
        None,
        "failed, not interrupted"
    );

    // Another process runs the same command: resumed, not "name taken".
    let again = configurator("new-inst", &p, &store);
    let outcome = again.configure_unattended(&request).await.unwrap();
    assert!(outcome.resumed, "{outcome:?}");
    assert!(matches!(outcome.status, TaskStatus::Succeeded { .. }));
    assert_eq!(named(&p, "Nova"), 1, "one environment, whatever happened");
    assert!(!again.needs_configuration());
    assert!(store.load().unwrap().unwrap().pending_task_id().is_none());
}

async fn unattended_create_interrupted_with_its_pending_task_resumes_it(reach: Reach) {
    let (p, gated) = gated_platform(reach).await;
    let store = MemoryStateStore::new();
    let cfg = gated.configurator(&store);
    let request = unattended(UnattendedTarget::Create("Nova".into()));
    // Run until the bind is held, then abandon the run: the state keeps the
    // pending task with its keys, exactly as after a SIGKILL.
    let run = tokio::spawn({
        let cfg = cfg.clone();
        let request = request.clone();
        async move { cfg.configure_unattended(&request).await }
    });
    gated.wait_for_a_bind().await;
    assert_eq!(named(&p, "Nova"), 1, "the task never created");
    run.abort();
    let _ = run.await;
    let kept = store.load().unwrap().unwrap();
    let pending = kept
        .pending_task_id()
        .expect("a pending task after the kill");
    assert_eq!(cfg.status().unwrap().interrupted_task, Some(pending));

    // The rerun, on the plain platform: resumed, not refused as name_taken.
    let again = configurator("new-inst", &p, &store);
    let outcome = again.configure_unattended(&request).await.unwrap();
    assert!(outcome.resumed, "{outcome:?}");
    assert_eq!(
        p.calls(Operation::Create),
        2,
        "the create was sent again with its key"
    );
    assert_eq!(named(&p, "Nova"), 1);
    let state = store.load().unwrap().unwrap();
    assert!(state.pending_task_id().is_none());
    assert!(state.credentials.is_some());

    // Run once more: nothing to do, nothing sent.
    let creates = p.calls(Operation::Create);
    let binds = p.calls(Operation::Bind);
    let third = configurator("new-inst", &p, &store)
        .configure_unattended(&request)
        .await
        .unwrap();
    assert!(third.nothing_to_do);
    assert_eq!(p.calls(Operation::Create), creates);
    assert_eq!(p.calls(Operation::Bind), binds);
}

#[tokio::test]
async fn unattended_killed_after_the_bind_finishes_on_the_rerun() {
    // The bind is made, then the process dies before credentials.
    let (p, store, _cfg, request) = a_create_broken_at(Operation::Issue, "killed").await;
    let again = configurator("new-inst", &p, &store);
    let outcome = again.configure_unattended(&request).await.unwrap();
    assert!(
        matches!(outcome.status, TaskStatus::Succeeded { .. }),
        "{outcome:?}"
    );
    assert!(!again.needs_configuration());
    assert_eq!(named(&p, "Nova"), 1);
}

async fn the_same_unattended_command_again_has_nothing_to_do(reach: Reach) {
    let (p, store, cfg) = new_installation(reach).await;
    for target in [
        UnattendedTarget::Environment("Produção Nova".into()),
        UnattendedTarget::Create("Nova".into()),
    ] {
        let p = platform(reach).await;
        let store = MemoryStateStore::new();
        let first = configurator("new-inst", &p, &store)
            .configure_unattended(&unattended(target.clone()))
            .await
            .unwrap();
        assert!(!first.nothing_to_do);
        let TaskStatus::Succeeded { task_id, .. } = first.status else {
            panic!()
        };
        let calls: Vec<usize> = [Operation::Create, Operation::Bind, Operation::Issue]
            .iter()
            .map(|op| p.calls(*op))
            .collect();
        // Same command, another process; and the name typed another way.
        for again in [target.clone(), upper(&target)] {
            let outcome = configurator("new-inst", &p, &store)
                .configure_unattended(&unattended(again))
                .await
                .unwrap();
            assert!(outcome.nothing_to_do, "{outcome:?}");
            assert!(
                matches!(outcome.status, TaskStatus::Succeeded { task_id: t, .. } if t == task_id)
            );
        }
        let after: Vec<usize> = [Operation::Create, Operation::Bind, Operation::Issue]
            .iter()
            .map(|op| p.calls(*op))
            .collect();
        assert_eq!(calls, after, "nothing was sent");
        // A different target is still refused.
        assert!(matches!(
            configurator("new-inst", &p, &store)
                .configure_unattended(&unattended(UnattendedTarget::Create("Outra".into())))
                .await,
            Err(ConfiguratorError::Decision(DecisionError::CreateNotOffered))
        ));
    }
    drop((cfg, store, p));
}

fn upper(target: &UnattendedTarget) -> UnattendedTarget {
    match target {
        UnattendedTarget::Environment(n) => UnattendedTarget::Environment(n.to_uppercase()),
        UnattendedTarget::Create(n) => UnattendedTarget::Create(format!(" {} ", n.to_uppercase())),
    }
}

async fn two_identical_unattended_runs_at_once_both_succeed_and_create_once(reach: Reach) {
    let (p, gated) = gated_platform(reach).await;
    let store = MemoryStateStore::new();
    let request = unattended(UnattendedTarget::Create("Nova".into()));
    let a = gated.configurator(&store);
    let b = gated.configurator(&store);
    let first = tokio::spawn({
        let request = request.clone();
        async move { a.configure_unattended(&request).await }
    });
    // Wait until the first holds the lock and has created the environment.
    gated.wait_for_a_bind().await;
    assert_eq!(named(&p, "Nova"), 1);
    let second = tokio::spawn({
        let request = request.clone();
        async move { b.configure_unattended(&request).await }
    });
    // The second cannot finish while the first holds the lock at the gated
    // bind; let it start, then open the gate.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert!(!second.is_finished(), "the second run waits for the lock");
    gated.release(100);
    let first = first.await.unwrap().unwrap();
    let second = second.await.unwrap().unwrap();
    assert!(!first.nothing_to_do);
    assert!(second.nothing_to_do, "{second:?}");
    assert_eq!(p.calls(Operation::Create), 1, "no second create");
    let state = store.load().unwrap().unwrap();
    assert!(matches!(
        state.last_task.unwrap().outcome,
        TaskOutcome::Succeeded { .. }
    ));
    let status = configurator("new-inst", &p, &store).status().unwrap();
    assert!(!status.needs_configuration);
}

async fn a_refused_task_never_overwrites_a_valid_configuration(reach: Reach) {
    let (p, store, cfg) = new_installation(reach).await;
    bind_to_the_free_environment(&cfg).await;
    let before = store.load().unwrap().unwrap().last_task.unwrap();
    // A wizard session of the configured installation asks to regenerate;
    // the platform refuses the bind before changing anything.
    let cfg = configurator("new-inst", &p, &store);
    to_list(&cfg).await;
    let screen = select(&cfg, "env_free").await;
    assert!(
        matches!(screen, Screen::ConfirmRegeneration { .. }),
        "{screen:?}"
    );
    p.fail_next(
        Operation::Bind,
        PlatformError::api(ErrorCode::PreconditionFailed),
    );
    cfg.apply(Action::Confirm).await.unwrap();
    let status = cfg.wait_for_task().await;
    assert!(matches!(status, TaskStatus::Failed { .. }), "{status:?}");
    let after = store.load().unwrap().unwrap();
    assert_eq!(after.last_task.unwrap(), before, "the success stays");
    assert!(!cfg.needs_configuration());
    assert!(cfg.credentials().unwrap().is_some());
}

async fn waiting_for_a_task_ends_after_it_released_the_state_lock(reach: Reach) {
    for _ in 0..20 {
        let (_p, _store, cfg) = new_installation(reach).await;
        to_list(&cfg).await;
        select(&cfg, "env_free").await;
        assert!(matches!(
            cfg.wait_for_task().await,
            TaskStatus::Succeeded { .. }
        ));
        // The lock must be free the moment the wait ends.
        cfg.forget_local()
            .expect("the task no longer holds the lock");
    }
}

#[tokio::test]
async fn a_401_is_final_whatever_its_body_says() {
    let e = PlatformError::Api {
        status: 401,
        code: ErrorCode::Unavailable,
        detail: None,
        request_id: None,
    };
    assert!(!e.is_transient());
    for status in [408, 429, 500, 502, 503, 504, 599] {
        assert!(is_transient_status(status), "{status}");
    }
    for status in [400, 401, 403, 404, 409, 412, 422, 428, 501, 505] {
        assert!(!is_transient_status(status), "{status}");
    }
}

/// Every bind held back until released.
struct BindGate {
    gate: tokio::sync::Semaphore,
    /// A permit for every bind that reached the gate.
    arrived: tokio::sync::Semaphore,
}

#[async_trait::async_trait]
impl Hook for BindGate {
    async fn before_bind(&self) {
        self.arrived.add_permits(1);
        let _permit = self.gate.acquire().await.expect("gate open");
    }
}

/// The platform, with every binding held back until released.
type GatedBind = Hooked<BindGate>;

/// The seeded platform, and its client behind a [`GatedBind`] whose gate
/// is closed.
async fn gated_platform(reach: Reach) -> (TestPlatform, Arc<GatedBind>) {
    let p = platform(reach).await;
    let gated = Hooked::new(
        p.client.clone(),
        BindGate {
            gate: tokio::sync::Semaphore::new(0),
            arrived: tokio::sync::Semaphore::new(0),
        },
    );
    (p, gated)
}

/// What the scenarios do with a [`GatedBind`].
trait Gate {
    fn configurator(&self, store: &MemoryStateStore) -> Configurator;
    fn release(&self, n: usize);
    async fn wait_for_a_bind(&self);
}

impl Gate for Arc<GatedBind> {
    /// A configurator for "new-inst" on this platform and `store`.
    fn configurator(&self, store: &MemoryStateStore) -> Configurator {
        configurator_on("new-inst", self.clone(), Arc::new(store.clone()))
    }

    /// Opens the gate for `n` binds.
    fn release(&self, n: usize) {
        self.hook.gate.add_permits(n);
    }

    /// Waits until a bind reached the gate: the task's steps before it are
    /// done, and it is held there.
    async fn wait_for_a_bind(&self) {
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            self.hook.arrived.acquire(),
        )
        .await
        .expect("no bind reached the gate")
        .unwrap()
        .forget();
    }
}

async fn progress_is_observable_on_the_finishing_screen_until_done(reach: Reach) {
    let (_p, gated) = gated_platform(reach).await;
    let cfg = gated.configurator(&MemoryStateStore::new());
    to_list(&cfg).await;
    select(&cfg, "env_free").await;
    // The task is held at the bind: both the status and the screen say so.
    gated.wait_for_a_bind().await;
    assert!(
        matches!(
            cfg.task_status(),
            TaskStatus::Running {
                step: TaskStep::Binding,
                ..
            }
        ),
        "{:?}",
        cfg.task_status()
    );
    assert!(matches!(
        cfg.screen(),
        Screen::Finishing {
            step: Some(TaskStep::Binding),
            ..
        }
    ));
    assert!(
        cfg.needs_configuration(),
        "not configured while the task runs"
    );
    gated.release(1);
    assert!(matches!(
        cfg.wait_for_task().await,
        TaskStatus::Succeeded { .. }
    ));
    assert!(matches!(cfg.screen(), Screen::Done { .. }));
    assert!(!cfg.needs_configuration());
}

async fn listing_failure_shows_a_retryable_error_with_a_support_id(reach: Reach) {
    let (p, _, cfg) = new_installation(reach).await;
    cfg.apply(Action::Start).await.unwrap();
    p.fail_next(Operation::List, PlatformError::api(ErrorCode::Unauthorized));
    let screen = cfg
        .apply(Action::SetName { name: "X".into() })
        .await
        .unwrap();
    assert!(
        matches!(&screen, Screen::Error { retry_allowed: true, reason: ErrorReason::Platform { code, .. }, .. } if code == "unauthorized")
    );
    cfg.apply(Action::Back).await.unwrap();
    assert!(matches!(
        cfg.apply(Action::SetName { name: "X".into() })
            .await
            .unwrap(),
        Screen::ChooseEnvironment { .. }
    ));
}

async fn ensure_configured_does_nothing_binds_silently_or_asks_for_an_admin(reach: Reach) {
    let p = platform(reach).await;
    let store = MemoryStateStore::new();
    // Not bound anywhere: an admin is needed.
    let cfg = configurator("new-inst", &p, &store);
    assert!(matches!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::AdminNeeded {
            scenario: Scenario::Replacement
        }
    ));
    assert_eq!(p.calls(Operation::Bind), 0);
    // The old installation is bound on the platform but has no local state: silent.
    let old = configurator("old-inst", &p, &MemoryStateStore::new());
    let outcome = old.ensure_configured().await.unwrap();
    assert!(
        matches!(outcome, EnsureOutcome::Configured { ref environment_id, .. } if environment_id == &eid("env_old")),
        "{outcome:?}"
    );
    assert!(!old.needs_configuration());
    let calls = p.calls(Operation::List);
    assert_eq!(
        old.ensure_configured().await.unwrap(),
        EnsureOutcome::AlreadyConfigured
    );
    assert_eq!(
        p.calls(Operation::List),
        calls,
        "no network when configured"
    );
}

async fn unattended_overwrite_needs_the_exact_name(reach: Reach) {
    let (p, _, cfg) = new_installation(reach).await;
    let mut request = UnattendedRequest {
        installation_name: Some("Matriz".into()),
        target: UnattendedTarget::Environment("produção".into()),
        confirm: None,
    };
    assert!(matches!(
        cfg.configure_unattended(&request).await,
        Err(ConfiguratorError::Decision(
            DecisionError::ConfirmationRequired(_)
        ))
    ));
    request.confirm = Some("PRODUÇÃO".into());
    assert!(matches!(
        cfg.configure_unattended(&request).await,
        Err(ConfiguratorError::Decision(
            DecisionError::ConfirmationMismatch(_)
        ))
    ));
    assert_eq!(p.calls(Operation::Bind), 0);
    request.confirm = Some("Produção".into());
    assert!(matches!(
        cfg.configure_unattended(&request).await.unwrap().status,
        TaskStatus::Succeeded { .. }
    ));
    assert!(!cfg.needs_configuration());
}

async fn unattended_refusals_are_typed(reach: Reach) {
    let (_p, _, cfg) = new_installation(reach).await;
    let req = |target| UnattendedRequest {
        installation_name: Some("M".into()),
        target,
        confirm: None,
    };
    assert!(matches!(
        cfg.configure_unattended(&req(UnattendedTarget::Environment("Nope".into())))
            .await,
        Err(ConfiguratorError::Decision(
            DecisionError::EnvironmentNotFound(_)
        ))
    ));
    assert!(matches!(
        cfg.configure_unattended(&req(UnattendedTarget::Environment(
            "Desenvolvimento".into()
        )))
        .await,
        Err(ConfiguratorError::Decision(
            DecisionError::NotSelectable { .. }
        ))
    ));
    assert!(matches!(
        cfg.configure_unattended(&req(UnattendedTarget::Create("produção nova".into())))
            .await,
        Err(ConfiguratorError::Decision(DecisionError::NameTaken))
    ));
    cfg.configure_unattended(&req(UnattendedTarget::Create("Nova".into())))
        .await
        .unwrap();
    assert!(matches!(
        cfg.configure_unattended(&req(UnattendedTarget::Create("Outra".into())))
            .await,
        Err(ConfiguratorError::Decision(DecisionError::CreateNotOffered))
    ));
}

async fn a_cloned_state_is_never_used_nor_sent(reach: Reach) {
    let p = platform(reach).await;
    let store = MemoryStateStore::new();
    let prod = configurator("prod-inst", &p, &store);
    prod.configure_unattended(&UnattendedRequest {
        installation_name: Some("Produção".into()),
        target: UnattendedTarget::Environment("Produção Nova".into()),
        confirm: None,
    })
    .await
    .unwrap();
    let secret = prod.credentials().unwrap().unwrap().secret().to_owned();
    let before = p.token_attempts_with_secret(&secret);

    // The database is copied to a test server: the host now derives another id.
    let clone = configurator("clone-inst", &p, &store);
    assert!(clone.needs_configuration());
    assert!(clone.credentials().unwrap().is_none());
    assert!(clone.status().unwrap().state_from_other_installation);
    assert!(matches!(
        clone.ensure_configured().await.unwrap(),
        EnsureOutcome::AdminNeeded {
            scenario: Scenario::Replacement
        }
    ));
    let screen = to_list(&clone).await;
    assert!(matches!(
        screen,
        Screen::ChooseEnvironment {
            scenario: Scenario::Replacement,
            ..
        }
    ));
    assert_eq!(
        p.token_attempts_with_secret(&secret),
        before,
        "the old secret was sent"
    );
}

async fn rotation_replaces_credentials_only_after_verifying_the_new_ones(reach: Reach) {
    let (_p, _, cfg) = new_installation(reach).await;
    bind_to_the_free_environment(&cfg).await;
    let old = cfg.credentials().unwrap().unwrap();
    let new = cfg.rotate_credentials().await.unwrap();
    assert!(!new.same_as(&old));
    assert!(cfg.credentials().unwrap().unwrap().same_as(&new));
    assert!(!cfg.needs_configuration());
    assert!(matches!(
        cfg.wait_for_task().await,
        TaskStatus::Succeeded {
            reused_credentials: false,
            ..
        }
    ));
}

async fn a_rotation_failing_after_issue_never_leaves_revoked_credentials_looking_configured(
    reach: Reach,
) {
    let (p, _, cfg) = new_installation(reach).await;
    bind_to_the_free_environment(&cfg).await;
    let old = cfg.credentials().unwrap().unwrap();
    // The platform issues (revoking the old set), then the proof fails.
    p.fail_next(
        Operation::Verify,
        PlatformError::api(ErrorCode::InvalidClient),
    );
    assert!(cfg.rotate_credentials().await.is_err());
    let live = p
        .live_credentials(&InstallationId::new("new-inst").unwrap())
        .unwrap();
    assert!(!live.same_as(&old), "the platform revoked the old set");
    assert!(
        cfg.needs_configuration(),
        "revoked credentials must not pass the gate"
    );
    assert!(cfg.credentials().unwrap().is_none());
    // The status ends, so waiting returns at once.
    let status = tokio::time::timeout(std::time::Duration::from_secs(1), cfg.wait_for_task())
        .await
        .expect("wait_for_task returned");
    assert!(matches!(status, TaskStatus::Failed { .. }), "{status:?}");
    // Start-up repairs it without an admin, reusing the set issued meanwhile.
    assert!(matches!(
        cfg.ensure_configured().await.unwrap(),
        EnsureOutcome::Configured {
            reused_credentials: true,
            ..
        }
    ));
    assert!(cfg.credentials().unwrap().unwrap().same_as(&live));
}

async fn inline_paths_refused_at_the_lock_leave_no_unfinished_status(reach: Reach) {
    let p = platform(reach).await;
    let store = MemoryStateStore::new();
    let cfg = Configurator::builder(spec("old-inst"), p.client.clone(), Arc::new(store.clone()))
        .runtime(tokio::runtime::Handle::current())
        .options(
            ConfiguratorOptions::default().with_lock_wait(std::time::Duration::from_millis(50)),
        )
        .build()
        .expect("a runtime is given");
    let held = store.try_lock().unwrap().unwrap();
    assert!(matches!(
        cfg.ensure_configured().await,
        Err(ConfiguratorError::Busy)
    ));
    let request = UnattendedRequest {
        installation_name: Some("M".into()),
        target: UnattendedTarget::Environment("Produção".into()),
        confirm: None,
    };
    assert!(matches!(
        cfg.configure_unattended(&request).await,
        Err(ConfiguratorError::Busy)
    ));
    assert!(matches!(
        cfg.rotate_credentials().await,
        Err(ConfiguratorError::Busy)
    ));
    assert_eq!(cfg.task_status(), TaskStatus::Idle);
    drop(held);
    let status = tokio::time::timeout(std::time::Duration::from_secs(1), cfg.wait_for_task())
        .await
        .expect("wait_for_task returned");
    assert_eq!(status, TaskStatus::Idle);
}

#[tokio::test]
async fn unbind_whose_answer_was_lost_still_forgets_the_local_state() {
    let (p, store, cfg) = new_installation(Reach::InMemory).await;
    bind_to_the_free_environment(&cfg).await;
    p.fail_after_next(Operation::Unbind, connection_lost("reset"));
    cfg.unbind().await.unwrap();
    assert!(cfg.needs_configuration());
    // Forgotten, the history kept.
    let kept = store.load().unwrap().unwrap();
    assert!(kept.is_forgotten());
    assert_eq!(kept.history.last().unwrap().event, HistoryEvent::Unbound);
    assert!(
        p.live_credentials(&InstallationId::new("new-inst").unwrap())
            .is_none()
    );
}

async fn unbind_and_forget(reach: Reach) {
    let (p, store, cfg) = new_installation(reach).await;
    bind_to_the_free_environment(&cfg).await;
    cfg.unbind().await.unwrap();
    assert!(cfg.needs_configuration());
    assert!(
        p.live_credentials(&InstallationId::new("new-inst").unwrap())
            .is_none()
    );
    assert!(matches!(
        cfg.unbind().await,
        Err(ConfiguratorError::NotConfigured)
    ));
    store
        .save(&LocalState::new(
            InstallationId::new("new-inst").unwrap(),
            ErpLine::Protheus,
        ))
        .unwrap();
    cfg.forget_local().unwrap();
    assert!(store.load().unwrap().is_none());
}

async fn after_a_crash_mid_create_the_created_environment_is_bound_not_created_again(reach: Reach) {
    let p = platform(reach).await;
    let store = MemoryStateStore::new();
    // A previous process persisted its pending create, sent it, and died
    // before recording the answer.
    let key = IdempotencyKey::new();
    let state = LocalState::new(InstallationId::new("new-inst").unwrap(), ErpLine::Protheus)
        .with_interrupted_create(
            Installation::new(
                InstallationId::new("new-inst").unwrap(),
                InstallationName::new("Matriz SP").unwrap(),
                ErpLine::Protheus,
                Kind::Production,
            ),
            EnvironmentName::new("Nova").unwrap(),
            key,
        );
    store.save(&state).unwrap();
    p.endpoints().create("Nova", Kind::Production, key).unwrap();

    // After the restart the configurator is needed again; the environment
    // the lost answer created is listed, so creating it again is refused
    // and binding to it is what the admin does.
    let cfg = configurator("new-inst", &p, &store);
    assert!(cfg.needs_configuration());
    assert!(cfg.status().unwrap().interrupted_task.is_some());
    to_list(&cfg).await;
    assert!(matches!(
        cfg.apply(Action::Create {
            name: "nova".into()
        })
        .await,
        Err(ConfiguratorError::Wizard(wizard::WizardError::Decision(
            DecisionError::NameTaken
        )))
    ));
    let status = cfg
        .configure_unattended(&UnattendedRequest {
            installation_name: Some("Matriz SP".into()),
            target: UnattendedTarget::Environment("Nova".into()),
            confirm: None,
        })
        .await
        .unwrap()
        .status;
    assert!(matches!(status, TaskStatus::Succeeded { .. }));
    assert_eq!(named(&p, "Nova"), 1);
}

#[tokio::test]
async fn state_is_saved_off_the_async_worker() {
    // A current-thread runtime: its one worker is this thread. Saves (which
    // fsync for a file) must run elsewhere, on the blocking pool.
    let p = platform(Reach::InMemory).await;
    // A store noting the thread of each save, called as a file store is.
    let store = fixtures::Noting::new(|_| std::thread::current().id()).as_if_blocking();
    let cfg =
        Configurator::new(spec("new-inst"), p.client.clone(), Arc::new(store.clone())).unwrap();
    bind_to_the_free_environment(&cfg).await;
    cfg.rotate_credentials().await.unwrap();
    let saved_on = store.notes();
    assert!(saved_on.len() >= 3, "{saved_on:?}");
    let worker = std::thread::current().id();
    assert!(
        saved_on.iter().all(|t| *t != worker),
        "a save ran on the async worker"
    );
}

on_both_platforms!(
    a_stale_listing_fails_the_task_and_leaves_the_configurator_needed,
    a_task_failing_mid_way_is_recorded_and_shown_again,
    unattended_create_interrupted_with_its_pending_task_resumes_it,
    the_same_unattended_command_again_has_nothing_to_do,
    two_identical_unattended_runs_at_once_both_succeed_and_create_once,
    a_refused_task_never_overwrites_a_valid_configuration,
    waiting_for_a_task_ends_after_it_released_the_state_lock,
    progress_is_observable_on_the_finishing_screen_until_done,
    listing_failure_shows_a_retryable_error_with_a_support_id,
    ensure_configured_does_nothing_binds_silently_or_asks_for_an_admin,
    unattended_overwrite_needs_the_exact_name,
    unattended_refusals_are_typed,
    a_cloned_state_is_never_used_nor_sent,
    rotation_replaces_credentials_only_after_verifying_the_new_ones,
    a_rotation_failing_after_issue_never_leaves_revoked_credentials_looking_configured,
    inline_paths_refused_at_the_lock_leave_no_unfinished_status,
    unbind_and_forget,
    after_a_crash_mid_create_the_created_environment_is_bound_not_created_again,
);
