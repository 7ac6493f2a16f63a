//! The PostgreSQL store against a real, throwaway server (the test kit's
//! `pg_server`): the lease (exclusive, fenced, taken over only after it
//! expired by the server's clock), the compare-and-swap, the sealed row
//! (no secret in clear; another key, a tampered byte, another
//! installation's blob refused, nothing overwritten), and configurators on
//! two "machines" sharing one row: gates that agree within the refresh
//! bound, a database restart that keeps the verdict and says
//! `state_unreachable`, terminated backends survived.
//!
//! The proofs with separate processes (SIGKILL, SIGSTOP, skewed clocks) are
//! in tests/pg_machines.rs.
#![cfg(all(unix, feature = "postgres"))]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use smartlink_core::{
    Configurator, ErpLine, InstallationId, InstallationSpec, LocalState, PgStateStore,
    PgStoreOptions, PgTarget, SealError, SealKey, StateError, StateStore, UnattendedRequest,
    UnattendedTarget,
};
use smartlink_sandbox::{InMemoryPlatform, Seed};
use smartlink_testkit::fixtures;
use smartlink_testkit::pg_server::PgServer;

const SECRET: &str = "s3cr3t-pg-DO-NOT-PRINT";

fn key(dir: &tempfile::TempDir, name: &str) -> SealKey {
    let path = dir.path().join(name);
    SealKey::create_file(&path).unwrap()
}

fn key_file(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    let path = dir.path().join(name);
    SealKey::create_file(&path).unwrap();
    path
}

/// A throwaway server and a seal key file: where most tests start.
struct Db {
    server: PgServer,
    key: PathBuf,
    dir: tempfile::TempDir,
}

impl Db {
    fn start() -> Self {
        let server = PgServer::start();
        let dir = tempfile::tempdir().unwrap();
        Self {
            server,
            key: key_file(&dir, "k"),
            dir,
        }
    }

    /// The store of installation `id` on this server, sealed with the key,
    /// its leases lasting `ttl`.
    fn store(&self, id: &str, ttl: Duration) -> PgStateStore {
        open(
            &self.server,
            SealKey::read_file(&self.key).unwrap(),
            id,
            ttl,
        )
    }
}

fn open(server: &PgServer, key: SealKey, id: &str, ttl: Duration) -> PgStateStore {
    PgStateStore::open(
        PgTarget::parse(&server.url()).unwrap(),
        key,
        InstallationId::new(id).unwrap(),
        ErpLine::Protheus,
        PgStoreOptions::new()
            .lease_ttl(ttl)
            .refresh_every(Duration::from_millis(100)),
    )
    .unwrap()
}

fn state_with_secret(id: &str) -> LocalState {
    let mut s = LocalState::new(InstallationId::new(id).unwrap(), ErpLine::Protheus);
    s.credentials = Some(
        serde_json::from_value(serde_json::json!({
            "client_id": "cli_pg_1",
            "client_secret": SECRET,
            "tenant_id": "00000000-0000-0000-0000-000000000000",
            "environment_id": "env_1",
            "expires_at": null,
        }))
        .unwrap(),
    );
    s
}

/// The row as the database holds it: (version, document, lease holder).
fn row(server: &PgServer, id: &str) -> Option<(i64, Option<String>, Option<String>)> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&server.url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .query_opt(
                "SELECT version, document, lease_holder FROM smartlink_state
                 WHERE installation_id = $1 AND line = 'protheus'",
                &[&id],
            )
            .await
            .unwrap()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
    })
}

/// Runs `statement` as the superuser, on a thread of its own (callable
/// from async tests too).
fn sql(server: &PgServer, statement: &str) {
    let url = server.url();
    let statement = statement.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client.batch_execute(&statement).await.unwrap();
        })
    })
    .join()
    .unwrap();
}

#[test]
fn the_lease_is_exclusive_fenced_and_taken_over_only_after_it_expired() {
    let db = Db::start();
    let a = db.store("inst-lease", Duration::from_millis(600));
    let b = db.store("inst-lease", Duration::from_millis(600));
    assert!(a.load().unwrap().is_none());

    let held = a.try_lock().unwrap().expect("a free lease is taken");
    let epoch = held.lease().unwrap().epoch;
    assert!(b.try_lock().unwrap().is_none(), "a held lease is exclusive");
    let seen = b.observe().unwrap();
    assert_eq!(
        seen.lease_holder.as_deref(),
        Some(smartlink_core::holder_id())
    );
    assert!(seen.lease_expires_in_ms.unwrap() > 0);

    a.save_fenced(&held, &state_with_secret("inst-lease"))
        .unwrap();
    assert_eq!(held.expected_version(), Some(1));
    a.renew(&held).unwrap();

    // The holder pauses past its lease: another machine takes over.
    std::thread::sleep(Duration::from_millis(900));
    let taken = b
        .try_lock()
        .unwrap()
        .expect("an expired lease is taken over");
    assert_eq!(taken.lease().unwrap().epoch, epoch + 1);
    // The former holder's late writes and renewals are refused.
    let mut late = state_with_secret("inst-lease");
    late.installation_name = Some(smartlink_core::InstallationName::new("late").unwrap());
    assert!(matches!(
        a.save_fenced(&held, &late),
        Err(StateError::LeaseLost { .. })
    ));
    assert!(matches!(a.renew(&held), Err(StateError::LeaseLost { .. })));
    assert!(matches!(
        a.clear_fenced(&held),
        Err(StateError::LeaseLost { .. })
    ));
    assert!(
        b.load().unwrap().unwrap().installation_name.is_none(),
        "the late write changed nothing"
    );
    b.save_fenced(&taken, &state_with_secret("inst-lease"))
        .unwrap();
    assert_eq!(taken.expected_version(), Some(2));

    // Released on drop: the next taker does not wait for the expiry.
    drop(taken);
    assert!(a.try_lock().unwrap().is_some());
}

#[test]
fn a_stale_version_is_a_conflict_and_nothing_is_written() {
    let db = Db::start();
    let a = db.store("inst-cas", Duration::from_secs(10));
    let held = a.try_lock().unwrap().unwrap();
    // Someone writes without the lease (a tool, an older library).
    a.save(&state_with_secret("inst-cas")).unwrap();
    let before = row(&db.server, "inst-cas").unwrap();
    let mut mine = state_with_secret("inst-cas");
    mine.installation_name = Some(smartlink_core::InstallationName::new("mine").unwrap());
    match a.save_fenced(&held, &mine) {
        Err(StateError::Conflict { expected, found }) => {
            assert_eq!((expected, found), (0, 1));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        row(&db.server, "inst-cas").unwrap(),
        before,
        "nothing written"
    );
}

#[test]
fn the_row_is_sealed_and_bad_keys_or_blobs_are_refused_without_overwriting() {
    let db = Db::start();
    let store = db.store("inst-seal", Duration::from_secs(10));
    let held = store.try_lock().unwrap().unwrap();
    store
        .save_fenced(&held, &state_with_secret("inst-seal"))
        .unwrap();
    drop(held);
    let (_, document, _) = row(&db.server, "inst-seal").unwrap();
    let document = document.unwrap();
    assert!(
        !document.contains(SECRET),
        "the secret is sealed in the row"
    );
    assert!(document.contains("\"sealed\""));
    assert_eq!(
        store
            .load()
            .unwrap()
            .unwrap()
            .credentials
            .unwrap()
            .client_id
            .as_str(),
        "cli_pg_1"
    );

    // Another key: refused, typed, and it never replaces the row.
    let other = open(
        &db.server,
        key(&db.dir, "other"),
        "inst-seal",
        Duration::from_secs(10),
    );
    assert!(matches!(
        other.load(),
        Err(StateError::Sealed {
            source: SealError::WrongKey,
            ..
        })
    ));
    let lock = other.try_lock().unwrap().unwrap();
    let before = row(&db.server, "inst-seal").unwrap().1;
    assert!(matches!(
        other.save_fenced(&lock, &state_with_secret("inst-seal")),
        Err(StateError::Sealed {
            source: SealError::WrongKey,
            ..
        })
    ));
    assert!(matches!(
        other.save(&state_with_secret("inst-seal")),
        Err(StateError::Sealed {
            source: SealError::WrongKey,
            ..
        })
    ));
    drop(lock);
    assert_eq!(row(&db.server, "inst-seal").unwrap().1, before);

    // A tampered byte of the sealed data.
    let tampered = {
        let mut v: serde_json::Value = serde_json::from_str(&document).unwrap();
        let data = v["sealed"]["data"].as_str().unwrap().to_owned();
        let flipped = if data.starts_with('A') { "B" } else { "A" };
        v["sealed"]["data"] = serde_json::Value::String(format!("{flipped}{}", &data[1..]));
        v.to_string()
    };
    sql(
        &db.server,
        &format!(
            "UPDATE smartlink_state SET document = '{}' WHERE installation_id = 'inst-seal'",
            tampered.replace('\'', "''")
        ),
    );
    assert!(matches!(
        store.load(),
        Err(StateError::Sealed {
            source: SealError::Tampered,
            ..
        })
    ));

    // Another installation's row copied here: refused.
    let elsewhere = db.store("inst-else", Duration::from_secs(10));
    elsewhere.save(&state_with_secret("inst-else")).unwrap();
    sql(
        &db.server,
        "UPDATE smartlink_state SET document = (SELECT document FROM smartlink_state
           WHERE installation_id = 'inst-else') WHERE installation_id = 'inst-seal'",
    );
    assert!(matches!(
        store.load(),
        Err(StateError::Sealed {
            source: SealError::OtherInstallation,
            ..
        })
    ));
    // Nothing in any error or Debug output names the secret.
    let shown = format!("{:?} {:?}", store.load(), store);
    assert!(!shown.contains(SECRET));
}

#[test]
fn a_password_in_the_url_appears_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let url = "postgres://smartlink:hunter2-pg-pass@127.0.0.1:1/nowhere?connect_timeout=1";
    let store = PgStateStore::open(
        PgTarget::parse(url).unwrap(),
        key(&dir, "k"),
        InstallationId::new("inst-pass").unwrap(),
        ErpLine::Protheus,
        PgStoreOptions::new().operation_timeout(Duration::from_secs(3)),
    )
    .unwrap();
    let err = store.load().unwrap_err();
    assert!(
        matches!(
            err,
            StateError::Unreachable {
                fault: smartlink_core::StoreFault::Unreachable,
                ..
            }
        ),
        "{err:?}"
    );
    let shown = format!("{err} {err:?} {store:?} {:?}", store.describe());
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("127.0.0.1"), "{shown}");
}

fn seed() -> Seed {
    serde_json::from_value(serde_json::json!({"environments": [
        {"id": "env_prd", "name": "Produção", "kind": "production"}]}))
    .unwrap()
}

fn machine(platform: &Arc<InMemoryPlatform>, store: PgStateStore) -> Configurator {
    Configurator::builder(
        InstallationSpec::parse("inst-two", "protheus", "production", None).unwrap(),
        platform.clone(),
        Arc::new(store),
    )
    .lock_wait(Duration::from_secs(30))
    .build()
    .unwrap()
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within 20 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_machines_agree_and_a_database_outage_keeps_the_verdict() {
    let mut db = Db::start();
    let platform = Arc::new(InMemoryPlatform::from_seed(&seed()).unwrap());
    let ttl = Duration::from_secs(5);
    let a = machine(&platform, db.store("inst-two", ttl));
    let b = machine(&platform, db.store("inst-two", ttl));
    assert!(a.needs_configuration() && b.needs_configuration());
    assert_eq!(b.status().unwrap().state_problem, None);

    a.configure_unattended(&UnattendedRequest {
        installation_name: Some("Matriz".into()),
        target: UnattendedTarget::Environment("Produção".into()),
        confirm: None,
    })
    .await
    .unwrap();
    assert!(
        !a.needs_configuration(),
        "the machine that configured knows at once"
    );
    eventually("the other machine's gate opens", || {
        !b.needs_configuration()
    })
    .await;
    assert_eq!(
        b.credentials().unwrap().unwrap().client_id,
        a.credentials().unwrap().unwrap().client_id
    );

    // The database goes away: both gates keep their verdict, status says why.
    db.server.stop();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!b.needs_configuration(), "a database blip shows no wizard");
    let status = b.status().unwrap();
    assert_eq!(
        status.state_problem.map(|p| p.code.as_str()),
        Some("state_unreachable")
    );
    assert!(!status.needs_configuration);

    // Back: the problem clears.
    db.server.start_again();
    eventually("the problem clears", || {
        b.status().is_ok_and(|s| s.state_problem.is_none())
    })
    .await;

    // Terminated backends (a DBA, a failover): the next operations reconnect.
    sql(
        &db.server,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = 'smartlink' AND pid <> pg_backend_pid()",
    );
    a.unbind().await.unwrap();
    assert!(a.needs_configuration());
    eventually("the unbind reaches the other gate", || {
        b.needs_configuration()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_administrators_on_two_machines_one_winner_the_other_sees_it() {
    use smartlink_core::wizard::{Action, Screen};
    use smartlink_core::{EnvironmentId, TaskStatus};
    let db = Db::start();
    let seed: Seed = serde_json::from_value(serde_json::json!({"environments": [
        {"id": "env_a", "name": "Produção A", "kind": "production"},
        {"id": "env_b", "name": "Produção B", "kind": "production"}]}))
    .unwrap();
    let platform = Arc::new(InMemoryPlatform::from_seed(&seed).unwrap());
    let ttl = Duration::from_secs(5);
    let a = machine(&platform, db.store("inst-two", ttl));
    let b = machine(&platform, db.store("inst-two", ttl));
    // Both administrators reach the list of environments.
    for cfg in [&a, &b] {
        let screen = fixtures::to_list(cfg, "Matriz").await;
        assert!(
            matches!(screen, Screen::ChooseEnvironment { .. }),
            "{screen:?}"
        );
    }
    // Each picks another environment, at the same moment.
    let pick = |cfg: &Configurator, id: &str| {
        let cfg = cfg.clone();
        let id = EnvironmentId::new(id).unwrap();
        async move {
            cfg.apply(Action::Select { environment_id: id })
                .await
                .unwrap();
            cfg.wait_for_task().await
        }
    };
    let (ra, rb) = tokio::join!(pick(&a, "env_a"), pick(&b, "env_b"));
    let outcomes = [&ra, &rb];
    let won: Vec<_> = outcomes
        .iter()
        .filter(|s| matches!(s, TaskStatus::Succeeded { .. }))
        .collect();
    assert_eq!(won.len(), 1, "one winner: {ra:?} / {rb:?}");
    let lost = outcomes
        .iter()
        .find(|s| !matches!(s, TaskStatus::Succeeded { .. }))
        .unwrap();
    match lost {
        TaskStatus::Failed { code, .. } => assert_eq!(code.as_str(), "state_changed"),
        other => panic!("the other task should fail as state_changed: {other:?}"),
    }
    let TaskStatus::Succeeded { environment_id, .. } = won[0] else {
        unreachable!()
    };
    // The platform holds the winner's binding only; both machines agree.
    let bound: Vec<_> = platform
        .environments()
        .into_iter()
        .filter(|e| e.binding_for(ErpLine::Protheus).is_some())
        .map(|e| e.id)
        .collect();
    assert_eq!(bound, vec![environment_id.clone()]);
    eventually("both gates open", || {
        !a.needs_configuration() && !b.needs_configuration()
    })
    .await;
    for cfg in [&a, &b] {
        let status = cfg.status().unwrap();
        assert_eq!(&status.binding.unwrap().environment_id, environment_id);
    }
}

#[test]
fn a_missing_database_is_a_typed_fault() {
    let server = PgServer::start();
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/no_such_database",
        server.port()
    );
    let store = PgStateStore::open(
        PgTarget::parse(&url).unwrap(),
        key(&dir, "k"),
        InstallationId::new("inst-nodb").unwrap(),
        ErpLine::Protheus,
        PgStoreOptions::new(),
    )
    .unwrap();
    match store.load() {
        Err(StateError::Unreachable { fault, cause, .. }) => {
            assert_eq!(fault, smartlink_core::StoreFault::NoDatabase, "{cause}");
            assert!(fault.is_refusal());
        }
        other => panic!("expected a typed fault, got {other:?}"),
    }
}

/// What a first binding costs the database once the configurator is made
/// (its connection open, the table checked, the gate read): the lease taken
/// with the row in one statement, the task recorded before anything is
/// sent, the outcome, the lease released. A run that finds the work done
/// takes and releases the lease only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_binding_sends_four_statements() {
    let db = Db::start();
    let platform = Arc::new(InMemoryPlatform::from_seed(&seed()).unwrap());
    let store = Arc::new(
        PgStateStore::open(
            PgTarget::parse(&db.server.url()).unwrap(),
            SealKey::read_file(&db.key).unwrap(),
            InstallationId::new("inst-count").unwrap(),
            ErpLine::Protheus,
            // No background read during the count.
            PgStoreOptions::new().refresh_every(Duration::from_secs(3600)),
        )
        .unwrap(),
    );
    let cfg = Configurator::builder(
        InstallationSpec::parse("inst-count", "protheus", "production", None).unwrap(),
        platform.clone(),
        store.clone(),
    )
    .build()
    .unwrap();
    assert!(cfg.status().unwrap().needs_configuration);
    let request = UnattendedRequest {
        installation_name: Some("Matriz".into()),
        target: UnattendedTarget::Environment("Produção".into()),
        confirm: None,
    };
    let before = store.round_trips();
    let outcome = cfg.configure_unattended(&request).await.unwrap();
    assert!(!outcome.nothing_to_do);
    assert_eq!(store.round_trips() - before, 4);
    assert!(!cfg.needs_configuration());

    let before = store.round_trips();
    let again = cfg.configure_unattended(&request).await.unwrap();
    assert!(again.nothing_to_do);
    assert_eq!(store.round_trips() - before, 2);
}
