//! Network faults between `HttpPlatform` and the sandbox, injected by a
//! proxy on 127.0.0.1: each call ends in a typed error or success, within
//! its deadline, never creating anything twice.

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use smartlink_core::*;
use smartlink_sandbox::Operation;
use smartlink_sandbox::demo_seed;
use smartlink_testkit::TOKEN;
use smartlink_testkit::fault_proxy::{Fault, FaultProxy};
use smartlink_testkit::fixtures::{open_fds, threads};
use smartlink_testkit::platforms::*;

fn platform(url: &str, deadline: Duration, attempts: u32) -> Arc<HttpPlatform> {
    Arc::new(
        HttpPlatform::new(
            HttpPlatformConfig::new(url, SecretString::from(TOKEN))
                .with_backoff(Duration::from_millis(10), Duration::from_millis(100))
                .with_retry_after_cap(Duration::from_secs(2))
                .with_max_attempts(attempts)
                .with_connect_timeout(Duration::from_secs(2))
                .with_read_timeout(Duration::from_secs(30))
                .with_operation_deadline(deadline),
        )
        .unwrap(),
    )
}

async fn setup() -> (smartlink_sandbox::RunningSandbox, FaultProxy) {
    let sb = sandbox(&demo_seed()).await;
    let proxy = FaultProxy::start(sb.addr()).await;
    (sb, proxy)
}

fn create(name: &str) -> CreateEnvironment {
    CreateEnvironment {
        name: EnvironmentName::new(name).unwrap(),
        kind: Kind::Production,
        idempotency_key: IdempotencyKey::new(),
    }
}

fn count_named(sb: &smartlink_sandbox::RunningSandbox, name: &str) -> usize {
    sb.sandbox()
        .platform()
        .environments()
        .iter()
        .filter(|e| e.name.as_str() == name)
        .count()
}

#[tokio::test]
async fn connection_refused_is_a_typed_transport_error_within_the_deadline() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = platform(
        &format!("http://127.0.0.1:{port}"),
        Duration::from_secs(3),
        3,
    );
    let t = Instant::now();
    let err = p
        .list_environments(ErpLine::Rm, &InstallationId::new("x").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Transport { .. }), "{err:?}");
    assert!(err.is_transient());
    assert!(t.elapsed() < Duration::from_secs(5), "did not hang");
}

#[tokio::test]
async fn reset_before_the_server_sees_a_create_is_retried_with_the_same_key() {
    let (sb, proxy) = setup().await;
    let p = platform(&proxy.url(), Duration::from_secs(10), 4);
    proxy.push([Fault::ResetBefore]);
    let env = p.create_environment(&create("Após reset")).await.unwrap();
    assert_eq!(env.name.as_str(), "Após reset");
    assert_eq!(count_named(&sb, "Após reset"), 1);
    assert_eq!(sb.sandbox().platform().calls(Operation::Create), 1);
    assert_eq!(proxy.requests(), 2);
}

#[tokio::test]
async fn reset_after_the_server_committed_a_create_replays_and_creates_once() {
    let (sb, proxy) = setup().await;
    let p = platform(&proxy.url(), Duration::from_secs(10), 4);
    proxy.push([Fault::ResetAfter]);
    let env = p.create_environment(&create("Commitado")).await.unwrap();
    assert_eq!(count_named(&sb, "Commitado"), 1, "exactly one environment");
    // The server saw the create twice; the second was a replay of the first.
    assert_eq!(sb.sandbox().platform().calls(Operation::Create), 2);
    assert!(
        sb.sandbox()
            .platform()
            .environments()
            .iter()
            .any(|e| e.id == env.id)
    );
}

#[tokio::test]
async fn a_whole_first_binding_survives_a_reset_on_every_step() {
    let (sb, proxy) = setup().await;
    let cfg = Configurator::builder(
        InstallationSpec::parse("fault-inst", "protheus", "production", None).unwrap(),
        platform(&proxy.url(), Duration::from_secs(10), 4),
        Arc::new(MemoryStateStore::new()),
    )
    .runtime(tokio::runtime::Handle::current())
    .build()
    .expect("a runtime is given");
    // list, create, bind, issue, token: each reset once after the server answered.
    proxy.push([
        Fault::ResetAfter,
        Fault::Pass,
        Fault::ResetAfter,
        Fault::Pass,
        Fault::ResetAfter,
        Fault::Pass,
        Fault::ResetAfter,
        Fault::Pass,
        Fault::ResetAfter,
        Fault::Pass,
    ]);
    let status = cfg
        .configure_unattended(&UnattendedRequest {
            installation_name: Some("Com falhas".into()),
            target: UnattendedTarget::Create("Criado com falhas".into()),
            confirm: None,
        })
        .await
        .unwrap()
        .status;
    assert!(matches!(status, TaskStatus::Succeeded { .. }), "{status:?}");
    assert_eq!(count_named(&sb, "Criado com falhas"), 1);
    assert_eq!(sb.sandbox().platform().credentials_issued(), 1);
    assert!(!cfg.needs_configuration());
}

#[tokio::test]
async fn a_stalled_server_returns_within_the_deadline() {
    let (_sb, proxy) = setup().await;
    let p = platform(&proxy.url(), Duration::from_secs(2), 4);
    proxy.push(std::iter::repeat_n(Fault::Stall, 4));
    let t = Instant::now();
    let err = p
        .list_environments(ErpLine::Rm, &InstallationId::new("x").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Timeout { .. }), "{err:?}");
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "deadline 2 s, took {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn a_one_byte_per_second_drip_returns_within_the_deadline() {
    let (_sb, proxy) = setup().await;
    let p = platform(&proxy.url(), Duration::from_secs(2), 4);
    proxy.push(std::iter::repeat_n(Fault::Drip(Duration::from_secs(1)), 4));
    let t = Instant::now();
    let err = p
        .list_environments(ErpLine::Rm, &InstallationId::new("x").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Timeout { .. }), "{err:?}");
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "deadline 2 s, took {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn a_body_truncated_mid_json_is_retried_then_reported() {
    let (_sb, proxy) = setup().await;
    let p = platform(&proxy.url(), Duration::from_secs(10), 3);
    proxy.push([Fault::Truncate]);
    let envs = p
        .list_environments(ErpLine::Rm, &InstallationId::new("x").unwrap())
        .await
        .unwrap();
    assert_eq!(envs.len(), 7);
    proxy.push([Fault::Truncate, Fault::Truncate, Fault::Truncate]);
    let err = p
        .list_environments(ErpLine::Rm, &InstallationId::new("x").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            PlatformError::Transport { .. } | PlatformError::Protocol { .. }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_5xx_burst_is_retried_and_a_long_one_is_a_typed_error() {
    let (sb, proxy) = setup().await;
    let p = platform(&proxy.url(), Duration::from_secs(10), 4);
    proxy.push([
        Fault::Status(503, None),
        Fault::Status(502, None),
        Fault::Status(500, None),
    ]);
    p.list_environments(ErpLine::Rm, &InstallationId::new("x").unwrap())
        .await
        .unwrap();
    assert_eq!(proxy.requests(), 4);
    proxy.push(std::iter::repeat_n(Fault::Status(503, None), 4));
    let err = p.create_environment(&create("Nunca")).await.unwrap_err();
    assert!(err.is(ErrorCode::Unavailable), "{err:?}");
    assert_eq!(count_named(&sb, "Nunca"), 0);
}

#[tokio::test]
async fn rate_limits_are_honoured_in_both_retry_after_forms() {
    let (_sb, proxy) = setup().await;
    let p = platform(&proxy.url(), Duration::from_secs(10), 4);
    let date = httpdate_in(Duration::from_secs(1));
    proxy.push([
        Fault::Status(429, Some("1".into())),
        Fault::Status(429, Some(date)),
    ]);
    let t = Instant::now();
    p.list_environments(ErpLine::Rm, &InstallationId::new("x").unwrap())
        .await
        .unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(proxy.requests(), 3);
}

fn httpdate_in(d: Duration) -> String {
    let when =
        chrono::Utc::now() + chrono::Duration::from_std(d).unwrap() + chrono::Duration::seconds(1);
    when.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[tokio::test]
async fn malformed_and_oversized_answers_are_typed_errors() {
    let (_sb, proxy) = setup().await;
    let p = platform(&proxy.url(), Duration::from_secs(10), 1);
    let id = InstallationId::new("x").unwrap();
    proxy.push([Fault::Body(
        "{\"environments\": [{\"id\": 1}], \"next_cursor\": null}".into(),
    )]);
    assert!(matches!(
        p.list_environments(ErpLine::Rm, &id).await,
        Err(PlatformError::Protocol { .. })
    ));
    proxy.push([Fault::Body("[".repeat(100_000))]);
    assert!(matches!(
        p.list_environments(ErpLine::Rm, &id).await,
        Err(PlatformError::Protocol { .. })
    ));
    proxy.push([Fault::Body(format!(
        "{{\"x\":\"{}\"}}",
        "a".repeat(2 << 20)
    ))]);
    assert!(matches!(
        p.list_environments(ErpLine::Rm, &id).await,
        Err(PlatformError::ResponseTooLarge { .. })
    ));
}

/// Set in the child process that [`a_thousand_failed_calls_leak_no_descriptors_or_threads`]
/// starts; the child runs only [`leak_probe_child_entry`].
const LEAK_CHILD_ENV: &str = "SMARTLINK_LEAK_PROBE_CHILD";

/// Counts what the platform client holds, in a process of its own: the
/// other tests of this binary open sockets and threads of their own, so the
/// counts are only meaningful where nothing else runs.
#[test]
fn a_thousand_failed_calls_leak_no_descriptors_or_threads() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "leak_probe_child_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LEAK_CHILD_ENV, "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("leak probe: ok"),
        "the child did not run the probe:\n{stdout}"
    );
}

/// The probe itself; does nothing unless started by the test above.
#[test]
fn leak_probe_child_entry() {
    if std::env::var_os(LEAK_CHILD_ENV).is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (_sb, proxy) = setup().await;
        let p = platform(&proxy.url(), Duration::from_secs(5), 1);
        let id = InstallationId::new("x").unwrap();
        // Warm up the pool and the runtime before counting.
        p.list_environments(ErpLine::Rm, &id).await.unwrap();
        let (fds, thread_count) = (open_fds(), threads());
        let calls = std::env::var("SMARTLINK_LONG")
            .map(|_| 10_000)
            .unwrap_or(1_000);
        for i in 0..calls {
            proxy.push([match i % 3 {
                0 => Fault::ResetBefore,
                1 => Fault::Status(503, None),
                _ => Fault::Truncate,
            }]);
            assert!(p.list_environments(ErpLine::Rm, &id).await.is_err());
        }
        // Closed sockets are reaped and idle blocking threads retire in
        // their own time: poll until the counts are back, within a bound.
        let deadline = Instant::now() + Duration::from_secs(20);
        while open_fds() > fds + 2 || threads() > thread_count {
            assert!(
                Instant::now() < deadline,
                "fds {fds} -> {}, threads {thread_count} -> {}",
                open_fds(),
                threads()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        println!("leak probe: ok ({calls} calls, {fds} fds, {thread_count} threads)");
    });
}

#[tokio::test]
async fn an_explicit_proxy_carries_every_request() {
    let (_sb, proxy) = setup().await;
    // The base URL names a port where nothing listens: only the proxy
    // (which forwards to the sandbox) can answer.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let p = HttpPlatform::new(
        HttpPlatformConfig::new(format!("http://{dead}"), SecretString::from(TOKEN))
            .with_proxy(proxy.url())
            .with_max_attempts(1),
    )
    .unwrap();
    let envs = p
        .list_environments(ErpLine::Rm, &InstallationId::new("x").unwrap())
        .await
        .unwrap();
    assert_eq!(envs.len(), 7);
    assert_eq!(proxy.requests(), 1);
}
