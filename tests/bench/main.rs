//! Prints the project's performance figures as one table.
//!
//! `cargo run --release -p smartlink-tests --bin smartlink-bench`
//! (`SMARTLINK_BENCH_QUICK=1` for fewer iterations).
//! Figures are medians over repeated runs; nothing here asserts on time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use smartlink_core::*;
use smartlink_sandbox::SeedEnvironment;
use smartlink_sandbox::{InMemoryPlatform, Seed};
use smartlink_testkit::TOKEN;
use smartlink_testkit::platforms::http_platform;

mod at_once;
#[cfg(unix)]
mod shared;
mod tokens;

struct Row {
    what: String,
    figure: String,
    target: String,
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn fmt_ns(d: Duration) -> String {
    format!("{:.0} ns", d.as_nanos() as f64)
}

fn fmt_us(d: Duration) -> String {
    format!("{:.2} µs", d.as_nanos() as f64 / 1000.0)
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_nanos() as f64 / 1_000_000.0)
}

fn configured_state(store: &dyn StateStore, id: &str) {
    let env = EnvironmentId::new("env_1").unwrap();
    let mut state = LocalState::new(InstallationId::new(id).unwrap(), ErpLine::Protheus);
    state.binding = Some(smartlink_core::LocalBinding {
        environment_id: env.clone(),
        environment_name: EnvironmentName::new("Produção").unwrap(),
        environment_kind: Kind::Production,
        bound_at: chrono_now(),
    });
    state.credentials = Some(Credentials {
        client_id: ClientId::new("client").unwrap(),
        client_secret: SecretString::from("secret-secret-secret"),
        tenant_id: uuid::Uuid::nil(),
        environment_id: env,
        expires_at: None,
    });
    store.save(&state).unwrap();
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn gate_configurator(store: Arc<dyn StateStore>, rt: &tokio::runtime::Runtime) -> Configurator {
    Configurator::builder(
        InstallationSpec::parse("bench-inst", "protheus", "production", None).unwrap(),
        Arc::new(InMemoryPlatform::new()),
        store,
    )
    .runtime(rt.handle().clone())
    .build()
    .expect("a runtime is given")
}

fn bench_gate(rows: &mut Vec<Row>, rt: &tokio::runtime::Runtime, iterations: usize) {
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<(&str, Arc<dyn StateStore>)> = vec![
        ("memory", Arc::new(MemoryStateStore::new())),
        (
            "file",
            Arc::new(FileStateStore::open(dir.path().join("state.json")).unwrap()),
        ),
    ];
    for (name, store) in stores {
        configured_state(store.as_ref(), "bench-inst");
        let cfg = gate_configurator(store.clone(), rt);
        assert!(!cfg.needs_configuration());
        let mut samples = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let t = Instant::now();
            std::hint::black_box(cfg.needs_configuration());
            samples.push(t.elapsed());
        }
        let one = median(samples);
        rows.push(Row {
            what: format!("login gate, warm ({name} store)"),
            figure: fmt_us(one),
            target: "≤ 10 µs".into(),
        });
        // Every ERP thread asks the gate at login: two threads at once
        // should each see about one thread's figure.
        let figures = at_once::measure((iterations / 10).max(100), 10, || {
            std::hint::black_box(cfg.needs_configuration());
        });
        rows.push(Row {
            what: format!(
                "login gate, warm ({name} store), 2 threads at once, per call, median (batches of 10)"
            ),
            figure: figures.figure(fmt_ns),
            target: "≤ 2× one thread".into(),
        });
        let mut samples = Vec::with_capacity(iterations / 10);
        for _ in 0..(iterations / 10).max(10) {
            let t = Instant::now();
            let cfg = gate_configurator(store.clone(), rt);
            std::hint::black_box(cfg.needs_configuration());
            samples.push(t.elapsed());
        }
        rows.push(Row {
            what: format!("login gate, cold: new configurator + first read ({name} store)"),
            figure: fmt_us(median(samples)),
            target: "-".into(),
        });
    }
}

fn one_free_env_seed() -> Seed {
    serde_json::from_str(
        r#"{"environments":[{"id":"env_free","name":"Produção","kind":"production"}]}"#,
    )
    .unwrap()
}

async fn smartlink_first_binding(url: &str) -> Duration {
    let cfg = Configurator::builder(
        InstallationSpec::parse("bench-inst", "protheus", "production", None).unwrap(),
        http_platform(url),
        Arc::new(MemoryStateStore::new()),
    )
    .runtime(tokio::runtime::Handle::current())
    .build()
    .expect("a runtime is given");
    let request = UnattendedRequest {
        installation_name: Some("Bench".into()),
        target: UnattendedTarget::Environment("Produção".into()),
        confirm: None,
    };
    let t = Instant::now();
    let status = cfg.configure_unattended(&request).await.unwrap().status;
    let elapsed = t.elapsed();
    assert!(matches!(status, TaskStatus::Succeeded { .. }));
    elapsed
}

/// The same four requests, by hand, with a bare reqwest client.
async fn bare_first_binding(url: &str) -> Duration {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let rid = || uuid::Uuid::new_v4().to_string();
    let t = Instant::now();
    let list: serde_json::Value = client
        .get(format!("{url}/v1/environments"))
        .query(&[("line", "protheus"), ("installation_id", "bench-inst")])
        .bearer_auth(TOKEN)
        .header("X-Request-Id", rid())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let env = &list["environments"][0];
    let etag = env["etag"].as_str().unwrap();
    let id = env["id"].as_str().unwrap();
    let bound = client
        .put(format!("{url}/v1/environments/{id}/bindings/protheus"))
        .bearer_auth(TOKEN)
        .header("X-Request-Id", rid())
        .header("If-Match", etag)
        .json(
            &serde_json::json!({"installation_id": "bench-inst", "installation_name": "Bench",
                                   "installation_kind": "production", "overwrite": false}),
        )
        .send()
        .await
        .unwrap();
    assert!(bound.status().is_success());
    let _ = bound.bytes().await.unwrap();
    let creds: serde_json::Value = client
        .post(format!("{url}/v1/environments/{id}/credentials"))
        .bearer_auth(TOKEN)
        .header("X-Request-Id", rid())
        .header("Idempotency-Key", rid())
        .json(&serde_json::json!({"installation_id": "bench-inst", "reuse_if_valid": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = client
        .post(format!("{url}/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", creds["client_id"].as_str().unwrap()),
            ("client_secret", creds["client_secret"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert!(token.status().is_success());
    let _ = token.bytes().await.unwrap();
    t.elapsed()
}

fn bench_first_binding(rows: &mut Vec<Row>, rt: &tokio::runtime::Runtime, iterations: usize) {
    let (ours, bare, requests, connections) = rt.block_on(async {
        let mut ours = Vec::new();
        let mut bare = Vec::new();
        let mut counts = (0, 0);
        for i in 0..iterations {
            // Alternate the order so neither side always runs on a warmer machine.
            for side in if i % 2 == 0 { [0, 1] } else { [1, 0] } {
                let running = smartlink_testkit::platforms::sandbox(&one_free_env_seed()).await;
                if side == 0 {
                    ours.push(smartlink_first_binding(&running.url()).await);
                    let stats = running.sandbox().stats();
                    counts = (stats.requests, stats.connections);
                } else {
                    bare.push(bare_first_binding(&running.url()).await);
                }
                running.shutdown().await;
            }
        }
        (median(ours), median(bare), counts.0, counts.1)
    });
    rows.push(Row {
        what: "first binding over loopback (smartlink, unattended, memory store)".into(),
        figure: format!(
            "{} ({requests} requests, {connections} connection)",
            fmt_ms(ours)
        ),
        target: "4 requests, 1 connection".into(),
    });
    rows.push(Row {
        what: "same four requests, bare reqwest client".into(),
        figure: fmt_ms(bare),
        target: "-".into(),
    });
    rows.push(Row {
        what: "ratio smartlink / bare".into(),
        figure: format!("{:.2}", ours.as_secs_f64() / bare.as_secs_f64()),
        target: "≤ 1.2".into(),
    });
}

fn bench_ten_thousand(rows: &mut Vec<Row>, rt: &tokio::runtime::Runtime, iterations: usize) {
    let mut seed = Seed::default();
    for i in 0..10_000 {
        seed.environments.push(SeedEnvironment {
            id: None,
            name: EnvironmentName::new(format!("Ambiente {i}")).unwrap(),
            kind: Kind::ALL[i % 4],
            bindings: vec![],
        });
    }
    let installation = Installation::new(
        InstallationId::new("bench-inst").unwrap(),
        InstallationName::new("Bench").unwrap(),
        ErpLine::Protheus,
        Kind::Production,
    );
    let (listing, classify_time) = rt.block_on(async {
        let running = smartlink_testkit::platforms::sandbox(&seed).await;
        let platform = http_platform(&running.url());
        let mut list_samples = Vec::new();
        let mut classify_samples = Vec::new();
        for _ in 0..iterations {
            let t = Instant::now();
            let envs = platform
                .list_environments(ErpLine::Protheus, &installation.id)
                .await
                .unwrap();
            list_samples.push(t.elapsed());
            assert_eq!(envs.len(), 10_000);
            let t = Instant::now();
            let c = classify(&installation, None, &envs);
            classify_samples.push(t.elapsed());
            assert_eq!(c.choices.len(), 10_000);
        }
        running.shutdown().await;
        (median(list_samples), median(classify_samples))
    });
    rows.push(Row {
        what: "10,000 environments: listing over loopback (20 pages of 500)".into(),
        figure: fmt_ms(listing),
        target: "-".into(),
    });
    rows.push(Row {
        what: "10,000 environments: classification after transfer".into(),
        figure: fmt_ms(classify_time),
        target: "≤ 20 ms".into(),
    });
}

fn vm_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A full first binding through the C ABI (in-process): threads held while
/// idle and after free, and the process's resident memory.
fn bench_ffi_footprint(rows: &mut Vec<Row>, rt: &tokio::runtime::Runtime) {
    use smartlink::*;
    use std::ffi::{CStr, CString};
    let running = rt.block_on(async {
        smartlink_testkit::platforms::sandbox(&smartlink_sandbox::demo_seed()).await
    });
    std::thread::sleep(Duration::from_millis(300));
    let threads_before = smartlink_testkit::fixtures::threads();
    let dir = tempfile::tempdir().unwrap();
    let config = CString::new(format!(
        r#"{{"platform_url":"{}","token":"{TOKEN}","state_file":"{}","installation":{{"id":"bench-ffi","line":"protheus","kind":"production"}}}}"#,
        running.url(),
        dir.path().join("state.json").display()
    ))
    .unwrap();
    let mut handle = std::ptr::null_mut();
    let rc = unsafe { smartlink_configurator_new(config.as_ptr(), &mut handle) };
    assert_eq!(rc as u32, 0);
    let call = |request: &str| -> String {
        let request = CString::new(request).unwrap();
        let mut out = std::ptr::null_mut();
        let rc = unsafe { smartlink_call_alloc(handle, request.as_ptr(), &mut out) };
        assert_eq!(rc as u32, 0);
        let text = unsafe { CStr::from_ptr(out) }
            .to_string_lossy()
            .into_owned();
        unsafe { smartlink_string_free(out) };
        text
    };
    let done = call(
        r#"{"op":"configure_unattended","installation_name":"Bench","target":{"mode":"environment","name":"Produção Nova"}}"#,
    );
    assert!(done.contains("\"ok\":true"), "{done}");
    assert!(call(r#"{"op":"needs_configuration"}"#).contains("false"));
    std::thread::sleep(Duration::from_millis(1_000)); // past the blocking pool's keep-alive
    let idle = smartlink_testkit::fixtures::threads() - threads_before;
    let rss = vm_rss_kib();
    unsafe { smartlink_configurator_free(handle) };
    let after = smartlink_testkit::fixtures::threads().saturating_sub(threads_before);
    rows.push(Row {
        what: "C ABI: threads held while idle after a first binding / after free".into(),
        figure: format!("{idle} / {after}"),
        target: "≤ 2 / 0".into(),
    });
    rows.push(Row {
        what: "C ABI: resident memory of the bench process after the flow".into(),
        figure: format!("{:.1} MiB", rss as f64 / 1024.0),
        target: "-".into(),
    });
    rt.block_on(running.shutdown());
}

/// One JSON wizard step and the typed login gate through the C ABI, with no
/// network (the platform URL is never contacted by these calls).
fn bench_ffi_step(rows: &mut Vec<Row>, iterations: usize) {
    use smartlink::*;
    use std::ffi::{CString, c_char};
    let config = CString::new(
        r#"{"platform_url":"http://127.0.0.1:9","token":"t","state":"memory","installation":{"id":"bench-step","line":"protheus","kind":"production"}}"#,
    )
    .unwrap();
    let mut handle = std::ptr::null_mut();
    assert_eq!(
        unsafe { smartlink_configurator_new(config.as_ptr(), &mut handle) } as u32,
        0
    );
    let start = CString::new(r#"{"op":"apply","action":{"action":"start"}}"#).unwrap();
    let back = CString::new(r#"{"op":"apply","action":{"action":"back"}}"#).unwrap();
    let mut buf = vec![0 as c_char; 16 * 1024];
    let mut needed = 0usize;
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let request = if i % 2 == 0 { &start } else { &back };
        let t = Instant::now();
        let rc = unsafe {
            smartlink_call(
                handle,
                request.as_ptr(),
                buf.as_mut_ptr(),
                buf.len(),
                &mut needed,
            )
        };
        samples.push(t.elapsed());
        assert_eq!(rc as u32, 0);
    }
    let mut gate = Vec::with_capacity(iterations);
    let mut needs = false;
    for _ in 0..iterations {
        let t = Instant::now();
        let rc = unsafe { smartlink_needs_configuration(handle, &mut needs) };
        gate.push(t.elapsed());
        assert_eq!(rc as u32, 0);
    }
    unsafe { smartlink_configurator_free(handle) };
    rows.push(Row {
        what: "C ABI: one JSON wizard step, no network (apply start/back)".into(),
        figure: fmt_us(median(samples)),
        target: "≤ 20 µs".into(),
    });
    rows.push(Row {
        what: "C ABI: login gate (smartlink_needs_configuration)".into(),
        figure: fmt_us(median(gate)),
        target: "≤ 10 µs".into(),
    });
}

fn main() {
    let quick = std::env::var_os("SMARTLINK_BENCH_QUICK").is_some();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    // `SMARTLINK_BENCH_ONLY=reads`: only what every ERP thread reads (the
    // login gate and the cached access token), one and two threads at once.
    // `SMARTLINK_BENCH_ONLY=shared`: only the shared stores' figures.
    let only = std::env::var("SMARTLINK_BENCH_ONLY").unwrap_or_default();
    let only_reads = only == "reads";
    #[cfg(unix)]
    if only == "shared" {
        shared::bench_shared(&mut rows, &rt, quick);
        print_rows(rows);
        return;
    }
    bench_gate(&mut rows, &rt, if quick { 10_000 } else { 200_000 });
    if only_reads {
        tokens::bench_cached_tokens(&mut rows, &rt, quick);
        print_rows(rows);
        return;
    }
    bench_first_binding(&mut rows, &rt, if quick { 10 } else { 60 });
    bench_ten_thousand(&mut rows, &rt, if quick { 3 } else { 15 });
    bench_ffi_footprint(&mut rows, &rt);
    bench_ffi_step(&mut rows, if quick { 2_000 } else { 20_000 });
    tokens::bench_tokens(&mut rows, &rt, quick);
    #[cfg(unix)]
    shared::bench_shared(&mut rows, &rt, quick);
    if let Some(path) = std::env::var_os("SMARTLINK_BENCH_SO") {
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        rows.push(Row {
            what: "release libsmartlink.so, stripped".into(),
            figure: format!("{size} bytes"),
            target: "≤ 4,000,000 bytes".into(),
        });
    }
    print_rows(rows);
}

fn print_rows(rows: Vec<Row>) {
    let w = rows
        .iter()
        .map(|r| r.what.chars().count())
        .max()
        .unwrap_or(10);
    let f = rows
        .iter()
        .map(|r| r.figure.chars().count())
        .max()
        .unwrap_or(10);
    println!("| {:w$} | {:f$} | target |", "measure", "figure");
    println!("|{}|{}|--------|", "-".repeat(w + 2), "-".repeat(f + 2));
    for r in rows {
        println!("| {:w$} | {:f$} | {} |", r.what, r.figure, r.target);
    }
}
