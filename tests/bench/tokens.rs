//! Figures of the runtime token cache: the cached path in Rust and through
//! the C ABI, single flight on a cold cache, callers' latency while a
//! refresh is under way, and a run across many expiries.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use smartlink_core::*;
use smartlink_sandbox::Operation;
use smartlink_testkit::TOKEN;
use smartlink_testkit::platforms::configurator_with;

use fixtures::{Hook, Hooked, ManualClock, memory_platform};
use smartlink_testkit::fixtures;

use crate::{Row, fmt_ns, fmt_us, median};

fn percentile(mut samples: Vec<Duration>, p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i]
}

/// Per-call medians from batches of `batch` calls (one clock read per batch,
/// so the clock's own cost does not dominate a sub-100 ns call).
fn batched(iterations: usize, batch: usize, mut f: impl FnMut()) -> Duration {
    let mut samples = Vec::with_capacity(iterations / batch);
    for _ in 0..(iterations / batch).max(1) {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        samples.push(t.elapsed() / batch as u32);
    }
    median(samples)
}

async fn bound(url: &str, id: &str) -> Configurator {
    let cfg = configurator_with(id, url, Arc::new(MemoryStateStore::new()));
    smartlink_testkit::fixtures::unattended_ok(&cfg, "Bench", UnattendedTarget::Create(id.into()))
        .await;
    cfg
}

/// Token requests that take this long.
struct Delay(Duration);

#[async_trait]
impl Hook for Delay {
    async fn before_token_request(&self) {
        tokio::time::sleep(self.0).await;
    }
}

/// Only the cached paths (Rust, one and two threads; C ABI).
pub fn bench_cached_tokens(rows: &mut Vec<Row>, rt: &tokio::runtime::Runtime, quick: bool) {
    let running = rt.block_on(async {
        smartlink_testkit::platforms::sandbox(&smartlink_sandbox::demo_seed()).await
    });
    bench_cached(rows, rt, &running.url(), quick);
    rt.block_on(running.shutdown());
}

pub fn bench_tokens(rows: &mut Vec<Row>, rt: &tokio::runtime::Runtime, quick: bool) {
    let running = rt.block_on(async {
        smartlink_testkit::platforms::sandbox(&smartlink_sandbox::demo_seed()).await
    });
    let url = running.url();
    let platform = running.sandbox().platform().clone();

    bench_cached(rows, rt, &url, quick);

    // 1,000 callers on a cold cache.
    let cold = rt.block_on(bound(&url, "bench-tok-2"));
    let before = platform.calls(Operation::Verify);
    let tokens = rt.block_on(async {
        let barrier = Arc::new(tokio::sync::Barrier::new(1000));
        let callers: Vec<_> = (0..1000)
            .map(|_| {
                let cfg = cold.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    cfg.access_token().await.unwrap()
                })
            })
            .collect();
        let mut tokens = Vec::new();
        for c in callers {
            tokens.push(c.await.unwrap());
        }
        tokens
    });
    let requests = platform.calls(Operation::Verify) - before;
    assert!(tokens.iter().all(|t| t == &tokens[0]));
    rows.push(Row {
        what: "tokens: 1,000 concurrent callers on a cold cache (HTTP) → token requests".into(),
        figure: format!("{requests}"),
        target: "1".into(),
    });

    // p99 while a refresh is under way (the token endpoint takes 50 ms).
    bench_refresh_p99(rows, rt, quick);

    // 10,000 calls across expiries, 2-second tokens, over HTTP.
    platform.set_token_lifetime(Duration::from_secs(2));
    let short = rt.block_on(bound(&url, "bench-tok-3"));
    let calls = 10_000;
    // A 1 ms pause every third call: about 3.5 s, crossing a few expiries.
    let pause = Duration::from_millis(1);
    let started = Instant::now();
    let (expired, distinct) = rt.block_on(async {
        let mut expired = 0;
        let mut distinct = 0;
        let mut last: Option<AccessToken> = None;
        for i in 0..calls {
            let token = short.access_token().await.unwrap();
            if token.is_expired_at(Utc::now()) {
                expired += 1;
            }
            if last.as_ref() != Some(&token) {
                distinct += 1;
                last = Some(token);
            }
            if i % 3 == 0 {
                tokio::time::sleep(pause).await;
            }
        }
        (expired, distinct)
    });
    let elapsed = started.elapsed();
    let stats = short.token_stats();
    rows.push(Row {
        what: format!(
            "tokens: {calls} calls over {:.1} s, 2 s tokens (HTTP): tokens / requests / expired handed out",
            elapsed.as_secs_f64()
        ),
        figure: format!("{distinct} / {} / {expired}", stats.requests),
        target: format!(
            "one request per token (~{:.0}: renewed at half life), 0 expired",
            elapsed.as_secs_f64()
        ),
    });
    rt.block_on(running.shutdown());
}

/// The cached path: Rust (awaited, sync, two threads at once) and C ABI.
fn bench_cached(rows: &mut Vec<Row>, rt: &tokio::runtime::Runtime, url: &str, quick: bool) {
    let cfg = rt.block_on(bound(url, "bench-tok-1"));
    rt.block_on(cfg.access_token()).unwrap();
    let iterations = if quick { 200_000 } else { 2_000_000 };
    let sync = batched(iterations, 100, || {
        std::hint::black_box(cfg.cached_access_token());
    });
    let awaited = rt.block_on(async {
        let mut samples = Vec::new();
        for _ in 0..(iterations / 100) {
            let t = Instant::now();
            for _ in 0..100 {
                std::hint::black_box(cfg.access_token().await.unwrap());
            }
            samples.push(t.elapsed() / 100);
        }
        median(samples)
    });
    rows.push(Row {
        what: "tokens: cached access_token().await, median (Rust)".into(),
        figure: fmt_ns(awaited),
        target: "≤ 100 ns".into(),
    });
    rows.push(Row {
        what: "tokens: cached_access_token() (sync fast path), median (Rust)".into(),
        figure: fmt_ns(sync),
        target: "≤ 100 ns".into(),
    });
    let figures = crate::at_once::measure(iterations / 200, 100, || {
        std::hint::black_box(cfg.cached_access_token());
    });
    rows.push(Row {
        what: "tokens: cached_access_token(), 2 threads at once, per call, median (batches of 100)"
            .into(),
        figure: figures.figure(fmt_ns),
        target: "≤ 2× one thread".into(),
    });

    // Cached path, C ABI.
    bench_ffi_token(rows, url, iterations);
}

fn bench_ffi_token(rows: &mut Vec<Row>, url: &str, iterations: usize) {
    use smartlink::*;
    use std::ffi::{CString, c_char};
    let config = CString::new(format!(
        r#"{{"platform_url":"{url}","token":"{TOKEN}","state":"memory","installation":{{"id":"bench-tok-ffi","line":"protheus","kind":"production"}}}}"#
    ))
    .unwrap();
    let mut handle = std::ptr::null_mut();
    assert_eq!(
        unsafe { smartlink_configurator_new(config.as_ptr(), &mut handle) } as u32,
        0
    );
    let bind = CString::new(
        r#"{"op":"configure_unattended","installation_name":"Bench","target":{"mode":"create","name":"bench-tok-ffi"}}"#,
    )
    .unwrap();
    let mut out = std::ptr::null_mut();
    assert_eq!(
        unsafe { smartlink_call_alloc(handle, bind.as_ptr(), &mut out) } as u32,
        0
    );
    unsafe { smartlink_string_free(out) };
    let mut buf = [0 as c_char; 256];
    let mut needed = 0usize;
    let mut expires = 0i64;
    let typed = batched(iterations / 4, 100, || {
        let rc = unsafe {
            smartlink_access_token(
                handle,
                buf.as_mut_ptr(),
                buf.len(),
                &mut needed,
                &mut expires,
            )
        };
        assert_eq!(rc as u32, 0);
    });
    let request = CString::new(r#"{"op":"access_token"}"#).unwrap();
    let mut response = vec![0 as c_char; 4096];
    let json = batched(iterations / 40, 10, || {
        let rc = unsafe {
            smartlink_call(
                handle,
                request.as_ptr(),
                response.as_mut_ptr(),
                response.len(),
                &mut needed,
            )
        };
        assert_eq!(rc as u32, 0);
    });
    unsafe { smartlink_configurator_free(handle) };
    rows.push(Row {
        what: "tokens: cached smartlink_access_token (C ABI, caller buffer), median".into(),
        figure: fmt_ns(typed),
        target: "≤ 1 µs".into(),
    });
    rows.push(Row {
        what: "tokens: cached {\"op\":\"access_token\"} through smartlink_call, median".into(),
        figure: fmt_us(json),
        target: "-".into(),
    });
}

/// Callers' p99 with a cached token, then while one refresh (50 ms at the
/// token endpoint) is in flight; a manual clock moves into the margin.
fn bench_refresh_p99(rows: &mut Vec<Row>, rt: &tokio::runtime::Runtime, quick: bool) {
    let memory = memory_platform(
        r#"{"environments":[{"id":"env_b","name":"B","kind":"production","bindings":[
                {"installation_id":"bench-p99","installation_name":"B","line":"protheus",
                 "bound_at":"2026-01-01T00:00:00Z"}]}]}"#,
    );
    let platform = Hooked::new(memory, Delay(Duration::from_millis(50)));
    let clock = ManualClock::new();
    let cfg = rt.block_on(fixtures::configured(
        "bench-p99",
        platform,
        Arc::new(MemoryStateStore::new()),
        &clock,
    ));
    let first = rt.block_on(cfg.access_token()).unwrap();
    let n = if quick { 20_000 } else { 200_000 };
    let sample = |cfg: &Configurator| {
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            std::hint::black_box(cfg.cached_access_token());
            samples.push(t.elapsed());
        }
        samples
    };
    let _warm_up = sample(&cfg);
    let cached = sample(&cfg);
    // Into the margin: the first call starts the refresh; measure while it
    // is in flight (it takes 50 ms; stop sampling when it lands).
    clock.advance(Duration::from_secs(3600 - 200));
    let requests = cfg.token_stats().requests;
    let mut during = Vec::with_capacity(n);
    let deadline = Instant::now() + Duration::from_secs(5);
    while cfg.token_stats().published == 1 && Instant::now() < deadline {
        let t = Instant::now();
        let token = cfg.cached_access_token();
        during.push(t.elapsed());
        std::hint::black_box(token);
    }
    assert_eq!(cfg.token_stats().requests, requests + 1, "one refresh");
    assert!(cfg.cached_access_token().is_some_and(|t| t != first));
    let (p99_cached, p99_during) = (percentile(cached, 0.99), percentile(during.clone(), 0.99));
    rows.push(Row {
        what: format!(
            "tokens: p99 per call, cached vs during a 50 ms refresh ({} calls)",
            during.len()
        ),
        figure: format!(
            "{} vs {} ({:.2}×)",
            fmt_ns(p99_cached),
            fmt_ns(p99_during),
            p99_during.as_nanos() as f64 / p99_cached.as_nanos().max(1) as f64
        ),
        target: "≤ 2×".into(),
    });
}
