//! Figures of the stores shared by several machines: the login gate with
//! each store (median and p99, and the database round trips it costs), the
//! time until a second machine's gate agrees after a change, and a first
//! binding on PostgreSQL against the local file.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use smartlink_core::{
    Configurator, ErpLine, FileStateStore, FileStoreOptions, InstallationId, InstallationSpec,
    MemoryStateStore, PgStateStore, PgStoreOptions, PgTarget, SealKey, StateStore, TaskStatus,
    UnattendedRequest, UnattendedTarget,
};
use smartlink_sandbox::InMemoryPlatform;
use smartlink_testkit::pg_server::PgServer;
use smartlink_testkit::platforms::http_platform;

use crate::{Row, configured_state, fmt_ms, median};

fn percentile(mut samples: Vec<Duration>, p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i]
}

fn fmt_ns(d: Duration) -> String {
    format!("{} ns", d.as_nanos())
}

fn pg(server: &PgServer, key: &Path, id: &str) -> Arc<PgStateStore> {
    Arc::new(
        PgStateStore::open(
            PgTarget::parse(&server.url()).unwrap(),
            SealKey::read_file(key).unwrap(),
            InstallationId::new(id).unwrap(),
            ErpLine::Protheus,
            PgStoreOptions::new(),
        )
        .unwrap(),
    )
}

fn folder(dir: &Path, key: &Path, id: &str) -> Arc<FileStateStore> {
    let options = FileStoreOptions::new().seal_key_file(key).shared_folder();
    Arc::new(FileStateStore::open_with(dir.join(format!("{id}.json")), &options).unwrap())
}

fn configurator(
    id: &str,
    platform: Arc<dyn smartlink_core::Platform>,
    store: Arc<dyn StateStore>,
    rt: &tokio::runtime::Runtime,
) -> Configurator {
    Configurator::builder(
        InstallationSpec::parse(id, "protheus", "production", None).unwrap(),
        platform,
        store,
    )
    .runtime(rt.handle().clone())
    .lock_wait(Duration::from_secs(60))
    .build()
    .unwrap()
}

/// Per-call times of `iterations` gate calls, in batches of 100.
fn gate_samples(cfg: &Configurator, iterations: usize) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(iterations / 100);
    for _ in 0..(iterations / 100).max(10) {
        let t = Instant::now();
        for _ in 0..100 {
            std::hint::black_box(cfg.needs_configuration());
        }
        samples.push(t.elapsed() / 100);
    }
    samples
}

pub fn bench_shared(rows: &mut Vec<Row>, rt: &tokio::runtime::Runtime, quick: bool) {
    let server = PgServer::start();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("seal.key");
    SealKey::create_file(&key).unwrap();
    let share = dir.path().join("share");
    std::fs::create_dir(&share).unwrap();
    let iterations = if quick { 100_000 } else { 1_000_000 };

    // The gate, warm, with each store.
    let pg_store = pg(&server, &key, "bench-gate");
    let stores: Vec<(&str, Arc<dyn StateStore>)> = vec![
        ("memory", Arc::new(MemoryStateStore::new())),
        (
            "local file",
            Arc::new(FileStateStore::open(dir.path().join("local.json")).unwrap()),
        ),
        ("shared folder", folder(&share, &key, "bench-gate")),
        ("PostgreSQL", pg_store.clone()),
    ];
    for (name, store) in stores {
        configured_state(store.as_ref(), "bench-gate");
        let cfg = configurator("bench-gate", Arc::new(InMemoryPlatform::new()), store, rt);
        assert!(!cfg.needs_configuration());
        let trips = pg_store.round_trips();
        let samples = gate_samples(&cfg, iterations);
        let sent = pg_store.round_trips() - trips;
        let extra = if name == "PostgreSQL" {
            format!(", {sent} statements in {} calls", samples.len() * 100)
        } else {
            String::new()
        };
        rows.push(Row {
            what: format!("login gate, warm ({name} store): median / p99 of 100-call batches"),
            figure: format!(
                "{} / {}{extra}",
                fmt_ns(median(samples.clone())),
                fmt_ns(percentile(samples, 0.99))
            ),
            target: "≤ 1 µs median, 0 round trips".into(),
        });
    }

    // Agreement: a change on machine A, seen by machine B's gate.
    let seed = serde_json::from_value(serde_json::json!({"environments": [
        {"id": "env_a", "name": "Produção", "kind": "production"}]}))
    .unwrap();
    let trials = if quick { 3 } else { 6 };
    for (name, make) in [("PostgreSQL", 0), ("shared folder", 1)] {
        let platform = Arc::new(InMemoryPlatform::from_seed(&seed).unwrap());
        let id = format!("bench-agree-{make}");
        let store = |_: ()| -> Arc<dyn StateStore> {
            if make == 0 {
                pg(&server, &key, &id)
            } else {
                folder(&share, &key, &id)
            }
        };
        let a = configurator(&id, platform.clone(), store(()), rt);
        let b = configurator(&id, platform.clone(), store(()), rt);
        let mut waits = Vec::new();
        for trial in 0..trials {
            // At a moment unrelated to the other machine's refresh timer.
            std::thread::sleep(Duration::from_millis((trial as u64 * 737) % 2000));
            rt.block_on(a.configure_unattended(&UnattendedRequest {
                installation_name: Some("Bench".into()),
                target: UnattendedTarget::Environment("Produção".into()),
                confirm: None,
            }))
            .unwrap();
            let t = Instant::now();
            while b.needs_configuration() {
                std::thread::sleep(Duration::from_millis(1));
            }
            waits.push(t.elapsed());
            std::thread::sleep(Duration::from_millis((trial as u64 * 1291) % 2000));
            rt.block_on(a.unbind()).unwrap();
            let t = Instant::now();
            while !b.needs_configuration() {
                std::thread::sleep(Duration::from_millis(1));
            }
            waits.push(t.elapsed());
        }
        waits.sort();
        rows.push(Row {
            what: format!("gates agree after a change on another machine ({name}): median / max"),
            figure: format!(
                "{} / {} ({} changes)",
                fmt_ms(median(waits.clone())),
                fmt_ms(*waits.last().unwrap()),
                waits.len()
            ),
            target: "≤ 2 s (the refresh period)".into(),
        });
    }

    // A first binding over loopback: PostgreSQL against the local file, on
    // the same disk, each flushing what it commits (the server with its
    // defaults, not the test settings of the others above).
    drop(pg_store);
    let durable = PgServer::start_durable();
    let rounds = if quick { 5 } else { 20 };
    let (pg_times, file_times, trips) = rt.block_on(async {
        let sandbox = smartlink_testkit::platforms::sandbox(&seed).await;
        let url = sandbox.url();
        let mut pg_times = Vec::new();
        let mut file_times = Vec::new();
        let mut trips = Vec::new();
        for i in 0..rounds {
            for side in if i % 2 == 0 { [0, 1] } else { [1, 0] } {
                let id = format!("bench-first-{side}-{i}");
                let (store, counter): (Arc<dyn StateStore>, Option<Arc<PgStateStore>>) = if side
                    == 0
                {
                    let s = pg(&durable, &key, &id);
                    (s.clone(), Some(s))
                } else {
                    (
                        Arc::new(
                            FileStateStore::open(dir.path().join(format!("{id}.json"))).unwrap(),
                        ),
                        None,
                    )
                };
                let cfg = Configurator::builder(
                    InstallationSpec::parse(&id, "protheus", "production", None).unwrap(),
                    http_platform(&url),
                    store,
                )
                .runtime(tokio::runtime::Handle::current())
                .build()
                .unwrap();
                // Each round binds the one environment anew: free it first.
                let platform = sandbox.sandbox().platform();
                for env in platform.environments() {
                    if let Some(b) = env.binding_for(ErpLine::Protheus) {
                        let _ = smartlink_core::Platform::unbind(
                            platform.as_ref(),
                            &smartlink_core::Unbind {
                                environment_id: env.id.clone(),
                                line: ErpLine::Protheus,
                                installation_id: b.installation_id.clone(),
                                etag: env.etag.clone(),
                            },
                        )
                        .await;
                    }
                }
                // A configurator is made when the ERP starts and its gate
                // read then (the connection made, the table checked): the
                // binding, later, is what is timed, on both stores alike.
                assert!(cfg.status().unwrap().needs_configuration);
                let before = counter.as_ref().map(|c| c.round_trips());
                let t = Instant::now();
                let outcome = cfg
                    .configure_unattended(&UnattendedRequest {
                        installation_name: Some("Bench".into()),
                        target: UnattendedTarget::Environment("Produção".into()),
                        confirm: None,
                    })
                    .await
                    .unwrap();
                let elapsed = t.elapsed();
                assert!(matches!(outcome.status, TaskStatus::Succeeded { .. }));
                if let (Some(c), Some(before)) = (&counter, before) {
                    trips.push(c.round_trips() - before);
                    pg_times.push(elapsed);
                } else {
                    file_times.push(elapsed);
                }
            }
        }
        sandbox.shutdown().await;
        (median(pg_times), median(file_times), trips)
    });
    let mut trips = trips;
    trips.sort();
    rows.push(Row {
        what: "first binding over loopback, PostgreSQL store (statements sent)".into(),
        figure: format!(
            "{} ({} statements)",
            fmt_ms(pg_times),
            trips[trips.len() / 2]
        ),
        target: "-".into(),
    });
    rows.push(Row {
        what: "first binding over loopback, local file store".into(),
        figure: fmt_ms(file_times),
        target: "-".into(),
    });
    rows.push(Row {
        what: "ratio PostgreSQL / local file".into(),
        figure: format!("{:.2}", pg_times.as_secs_f64() / file_times.as_secs_f64()),
        target: "≤ 1.3".into(),
    });
}
