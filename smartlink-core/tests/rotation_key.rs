//! The credential rotation's idempotency key is stored before the request
//! is sent, and reused after a lost answer: the platform then returns the
//! same credentials, never a second set that would orphan the first.

use std::sync::Arc;

use smartlink_core::*;
use smartlink_sandbox::memory::{InMemoryPlatform, Operation};
use smartlink_testkit::fixtures;

const SEED: &str = r#"{"environments":[
  {"id":"env_free","name":"Produção Nova","kind":"production"}
]}"#;

fn platform() -> Arc<InMemoryPlatform> {
    Arc::new(InMemoryPlatform::from_seed(&serde_json::from_str(SEED).unwrap()).unwrap())
}

/// A memory store noting, at every save, how many credentials requests the
/// platform had received and whether the saved state holds a rotation key.
type Noting = fixtures::Noting<(usize, bool)>;

async fn bound() -> (Arc<InMemoryPlatform>, Arc<Noting>, Configurator) {
    let p = platform();
    let store = Arc::new(Noting::new({
        let p = p.clone();
        move |state| {
            (
                p.calls(Operation::Issue),
                state.is_some_and(|s| s.pending_rotation_started_at().is_some()),
            )
        }
    }));
    let spec = InstallationSpec::parse("inst-r", "protheus", "production", None).unwrap();
    let cfg = Configurator::new(spec, p.clone(), store.clone()).unwrap();
    fixtures::bind_unattended(&cfg, "M", "Produção Nova").await;
    (p, store, cfg)
}

fn lost() -> PlatformError {
    PlatformError::Transport {
        detail: "connection reset".into(),
        request_id: None,
    }
}

fn pending(store: &Noting) -> bool {
    store
        .load()
        .unwrap()
        .unwrap()
        .pending_rotation_started_at()
        .is_some()
}

#[tokio::test]
async fn a_lost_answer_is_asked_again_with_the_same_key() {
    let (p, store, cfg) = bound().await;
    let issued = p.credentials_issued();
    // The platform issues, and its answer is lost.
    p.fail_after_next(Operation::Issue, lost());
    assert!(cfg.rotate_credentials().await.is_err());
    assert_eq!(p.credentials_issued(), issued + 1);
    assert!(pending(&store), "the key is kept for the next attempt");

    let new = cfg.rotate_credentials().await.unwrap();
    assert_eq!(
        p.credentials_issued(),
        issued + 1,
        "the same key gets the same set, not a second one"
    );
    let live = p
        .live_credentials(&InstallationId::new("inst-r").unwrap())
        .unwrap();
    assert!(new.same_as(&live));
    assert!(!pending(&store), "a finished rotation drops its key");

    // The next rotation is a new one.
    cfg.rotate_credentials().await.unwrap();
    assert_eq!(p.credentials_issued(), issued + 2);
}

#[tokio::test]
async fn the_key_is_stored_before_the_request_is_sent() {
    let (p, store, cfg) = bound().await;
    let before = p.calls(Operation::Issue);
    store.clear_notes();
    cfg.rotate_credentials().await.unwrap();
    let saves = store.notes();
    assert_eq!(
        saves.first(),
        Some(&(before, true)),
        "first save, before any credentials request, holds the key: {saves:?}"
    );
    assert_eq!(saves.last().map(|s| s.1), Some(false), "{saves:?}");
}

#[tokio::test]
async fn a_final_refusal_ends_the_rotation_and_its_key() {
    let (p, store, cfg) = bound().await;
    p.fail_next(
        Operation::Issue,
        PlatformError::api(ErrorCode::InvalidRequest),
    );
    assert!(cfg.rotate_credentials().await.is_err());
    assert!(!pending(&store));
    // Unreachable: the key is kept.
    p.fail_next(Operation::Issue, lost());
    assert!(cfg.rotate_credentials().await.is_err());
    assert!(pending(&store));
}
