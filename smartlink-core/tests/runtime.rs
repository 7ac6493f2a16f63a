//! The configurator and its runtime: awaited from an executor that is not
//! tokio, a "wait for good" lock wait, and a background task that panics.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use async_trait::async_trait;
use smartlink_core::wizard::{Action, Screen};
use smartlink_core::*;
use smartlink_sandbox::{InMemoryPlatform, Seed};

use fixtures::{Hook, Hooked};
use smartlink_testkit::fixtures;

/// The smallest executor: polls on this thread, parks until woken. Not tokio.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        thread::park_timeout(Duration::from_millis(50));
    }
}

fn seeded() -> Arc<InMemoryPlatform> {
    let seed: Seed = serde_json::from_str(
        r#"{"environments":[{"id":"env_prd","name":"Produção","kind":"production"}]}"#,
    )
    .unwrap();
    Arc::new(InMemoryPlatform::from_seed(&seed).unwrap())
}

fn spec(id: &str) -> InstallationSpec {
    InstallationSpec::parse(id, "protheus", "production", Some("Matriz")).unwrap()
}

fn to_prod() -> UnattendedRequest {
    UnattendedRequest {
        target: UnattendedTarget::Environment("Produção".into()),
        installation_name: None,
        confirm: None,
    }
}

#[test]
fn every_async_method_can_be_awaited_outside_tokio() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A file store: its I/O runs on the blocking pool of the given runtime.
    // In a directory the store creates, so that it is private on Windows too.
    let store =
        Arc::new(FileStateStore::open(dir.path().join("private").join("state.json")).unwrap());
    let cfg = Configurator::builder(spec("rt-outside"), seeded(), store)
        .runtime(runtime.handle().clone())
        .build()
        .unwrap();
    assert!(tokio::runtime::Handle::try_current().is_err());

    let screen = block_on(cfg.apply(Action::Start)).unwrap();
    assert!(
        matches!(
            screen,
            Screen::Welcome { .. } | Screen::NameInstallation { .. }
        ),
        "{screen:?}"
    );
    let outcome = block_on(cfg.configure_unattended(&to_prod())).unwrap();
    assert!(outcome.status.is_finished(), "{outcome:?}");
    assert!(!cfg.needs_configuration());
    assert!(matches!(
        block_on(cfg.ensure_configured()).unwrap(),
        EnsureOutcome::AlreadyConfigured
    ));
    let token = block_on(cfg.access_token()).unwrap();
    assert!(!token.is_expired_at(chrono::Utc::now()));
    let who = block_on(cfg.whoami()).unwrap();
    assert_eq!(who.installation_id.as_str(), "rt-outside");
    let rotated = block_on(cfg.rotate_credentials()).unwrap();
    assert_eq!(
        cfg.credentials().unwrap().unwrap().client_id,
        rotated.client_id
    );
    block_on(cfg.unbind()).unwrap();
    assert!(cfg.needs_configuration());
}

#[test]
fn a_runtime_that_shut_down_is_a_typed_error_not_a_panic() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cfg = Configurator::builder(spec("rt-gone"), seeded(), Arc::new(MemoryStateStore::new()))
        .runtime(runtime.handle().clone())
        .build()
        .unwrap();
    drop(runtime);
    assert!(matches!(
        block_on(cfg.ensure_configured()),
        Err(ConfiguratorError::NoRuntime)
    ));
    assert!(matches!(
        block_on(cfg.access_token()),
        Err(TokenError::Abandoned)
    ));
}

#[tokio::test]
async fn a_lock_wait_too_long_to_represent_waits_for_good() {
    let store = Arc::new(MemoryStateStore::new());
    let cfg = Configurator::builder(spec("rt-forever"), seeded(), store.clone())
        .lock_wait(Duration::MAX)
        .build()
        .unwrap();
    // Free lock: no overflow, the work is done.
    let outcome = cfg.configure_unattended(&to_prod()).await.unwrap();
    assert!(
        matches!(outcome.status, TaskStatus::Succeeded { .. }),
        "{outcome:?}"
    );
    // Held lock: it waits (instead of failing at once), and finishes once
    // the lock is let go.
    let held = store.try_lock().unwrap().expect("the lock is free");
    let waiting = tokio::spawn({
        let cfg = cfg.clone();
        async move { cfg.rotate_credentials().await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "it waits for the lock");
    drop(held);
    waiting.await.unwrap().unwrap();
}

/// Binding panics once (a bug in a platform implementation).
struct PanickingBind {
    armed: AtomicBool,
}

#[async_trait]
impl Hook for PanickingBind {
    async fn before_bind(&self) {
        if self.armed.swap(false, Ordering::SeqCst) {
            panic!("a bug in a platform implementation");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_background_task_that_panics_still_ends_and_the_next_attempt_finishes() {
    let platform = Hooked::new(
        seeded(),
        PanickingBind {
            armed: AtomicBool::new(true),
        },
    );
    let store = Arc::new(MemoryStateStore::new());
    let cfg = Configurator::new(spec("rt-panic"), platform.clone(), store.clone()).unwrap();
    fixtures::to_list(&cfg, "Matriz").await;
    cfg.apply(Action::Select {
        environment_id: EnvironmentId::new("env_prd").unwrap(),
    })
    .await
    .unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(30), cfg.wait_for_task())
        .await
        .expect("the task's status ends instead of staying pending");
    match &ended {
        TaskStatus::Failed { code, .. } => assert_eq!(code.as_str(), "internal"),
        other => panic!("expected an internal failure, got {other:?}"),
    }
    assert!(cfg.needs_configuration());
    // The lock was let go with the panic, and the next run finishes.
    let outcome = cfg.configure_unattended(&to_prod()).await.unwrap();
    assert!(
        matches!(outcome.status, TaskStatus::Succeeded { .. }),
        "{outcome:?}"
    );
    assert!(!cfg.needs_configuration());
}
