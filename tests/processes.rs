//! Several processes of one installation, and a process killed mid-task.
//!
//! The test binary re-executes itself as the child processes: the `child`
//! test does nothing unless `SMARTLINK_CHILD` names a role.

use std::process::{Command, Stdio};
use std::sync::Arc;

use async_trait::async_trait;
use smartlink_core::*;
use smartlink_core::{
    BindTarget, CreateEnvironment, IssueCredentials, Platform, PlatformError, Unbind,
};
use smartlink_sandbox::demo_seed;
use smartlink_sandbox::{InMemoryPlatform, Operation};
use smartlink_testkit::platforms::*;

fn spawn_child(role: &str, envs: &[(&str, String)]) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("SMARTLINK_CHILD", role)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

#[test]
fn child() {
    let Ok(role) = std::env::var("SMARTLINK_CHILD") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let state = std::env::var("SMARTLINK_STATE").unwrap();
        let store: Arc<dyn StateStore> = Arc::new(FileStateStore::open(&state).unwrap());
        match role.as_str() {
            "ensure" => {
                let url = std::env::var("SMARTLINK_URL").unwrap();
                let cfg = configurator_with("old-protheus-prd", &url, store);
                let outcome = cfg.ensure_configured().await.unwrap();
                let creds = cfg.credentials().unwrap().unwrap();
                println!(
                    "RESULT {} {}",
                    serde_json::to_string(&outcome).unwrap(),
                    creds.client_id
                );
            }
            "stall" => {
                let platform = Arc::new(StallOnBind(
                    InMemoryPlatform::from_seed(&demo_seed()).unwrap(),
                ));
                let cfg = Configurator::new(
                    InstallationSpec::parse("killed-inst", "protheus", "production", None).unwrap(),
                    platform,
                    store.clone(),
                )
                .unwrap();
                let request = UnattendedRequest {
                    installation_name: Some("Morre no meio".into()),
                    target: UnattendedTarget::Environment("Produção Nova".into()),
                    confirm: None,
                };
                let _ = cfg.configure_unattended(&request).await;
                unreachable!("the bind never returns");
            }
            "unattended-create" => {
                let url = std::env::var("SMARTLINK_URL").unwrap();
                let id = std::env::var("SMARTLINK_INSTALLATION").unwrap();
                let name = std::env::var("SMARTLINK_ENV_NAME").unwrap();
                let cfg = configurator_with(&id, &url, store);
                let outcome = cfg
                    .configure_unattended(&UnattendedRequest {
                        installation_name: Some("Sobrevive".into()),
                        target: UnattendedTarget::Create(name),
                        confirm: None,
                    })
                    .await
                    .unwrap();
                println!("RESULT {}", serde_json::to_string(&outcome).unwrap());
            }
            other => panic!("unknown role {other}"),
        }
    });
}

/// The in-memory platform, except that binding never answers.
struct StallOnBind(InMemoryPlatform);

#[async_trait]
impl Platform for StallOnBind {
    async fn list_environments(
        &self,
        line: ErpLine,
        id: &InstallationId,
    ) -> Result<Vec<Environment>, PlatformError> {
        self.0.list_environments(line, id).await
    }
    async fn create_environment(
        &self,
        r: &CreateEnvironment,
    ) -> Result<Environment, PlatformError> {
        self.0.create_environment(r).await
    }
    async fn bind(&self, _: &Installation, _: &BindTarget) -> Result<Environment, PlatformError> {
        println!("BINDING");
        std::future::pending().await
    }
    async fn issue_credentials(
        &self,
        r: &IssueCredentials,
    ) -> Result<IssuedCredentials, PlatformError> {
        self.0.issue_credentials(r).await
    }
    async fn verify_credentials(&self, c: &Credentials) -> Result<(), PlatformError> {
        self.0.verify_credentials(c).await
    }
    async fn unbind(&self, r: &Unbind) -> Result<(), PlatformError> {
        self.0.unbind(r).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_ensure_configured_at_once_one_does_the_work() {
    // Eight processes run the transparent configuration at once against one
    // state file and one sandbox: one binding, one credential set, and every
    // process ends configured.
    const PROCESSES: usize = 8;
    let sb = sandbox(&demo_seed()).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json").display().to_string();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            spawn_child(
                "ensure",
                &[
                    ("SMARTLINK_URL", sb.url()),
                    ("SMARTLINK_STATE", state.clone()),
                ],
            )
        })
        .collect();
    let mut results = Vec::new();
    for child in children {
        let out = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        assert!(out.status.success(), "child failed: {:?}", out.status);
        let stdout = String::from_utf8(out.stdout).unwrap();
        // libtest prints "test child ... " before the child's own output.
        let line = stdout
            .lines()
            .find_map(|l| l.find("RESULT ").map(|at| l[at..].to_owned()))
            .unwrap_or_else(|| panic!("no child result in {stdout:?}"));
        results.push(line);
    }
    let platform = sb.sandbox().platform();
    assert_eq!(
        platform.calls(Operation::Issue),
        1,
        "exactly one process issued credentials"
    );
    assert_eq!(platform.calls(Operation::Bind), 1);
    assert_eq!(platform.credentials_issued(), 1);
    assert_eq!(results.len(), PROCESSES);
    let configured = results
        .iter()
        .filter(|r| r.contains("\"configured\""))
        .count();
    assert_eq!(configured, 1, "{results:?}");
    let already = results
        .iter()
        .filter(|r| r.contains("\"already_configured\""))
        .count();
    assert_eq!(
        already,
        PROCESSES - 1,
        "the others found it done: {results:?}"
    );
    let client_ids: std::collections::HashSet<_> = results
        .iter()
        .map(|r| r.rsplit(' ').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        client_ids.len(),
        1,
        "all {PROCESSES} end with the same credentials: {results:?}"
    );
    // The one state file: configured, with those credentials.
    let stored = FileStateStore::open(&state)
        .unwrap()
        .load()
        .unwrap()
        .unwrap();
    let stored_client = stored.credentials.as_ref().unwrap().client_id.to_string();
    assert!(client_ids.contains(&stored_client), "{stored_client}");
    assert_eq!(
        stored.binding.as_ref().unwrap().environment_id.as_str(),
        "env_prd_matriz"
    );
    let env = platform
        .environments()
        .into_iter()
        .find(|e| e.id.as_str() == "env_prd_matriz")
        .unwrap();
    assert_eq!(
        env.bindings.len(),
        2,
        "still one Protheus binding (and the RM one)"
    );
}

#[test]
fn a_process_killed_mid_task_shows_the_configurator_again_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut child = spawn_child("stall", &[("SMARTLINK_STATE", state.display().to_string())]);
    let stdout = child.stdout.take().unwrap();
    let mut reader = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let reached = reader.any(|l| l.map(|l| l.contains("BINDING")).unwrap_or(false));
    assert!(reached, "the child reached the bind");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let _guard = rt.enter();
    let store = Arc::new(FileStateStore::open(&state).unwrap());
    let cfg = Configurator::new(
        InstallationSpec::parse("killed-inst", "protheus", "production", None).unwrap(),
        Arc::new(InMemoryPlatform::new()),
        store,
    )
    .unwrap();
    assert!(cfg.needs_configuration());
    let status = cfg.status().unwrap();
    assert!(
        status.interrupted_task.is_some(),
        "the pending task was persisted before the bind"
    );
    assert!(cfg.credentials().unwrap().is_none());
    // The lock died with the process: a new task can start at once.
    let lock = FileStateStore::open(&state).unwrap().try_lock().unwrap();
    assert!(lock.is_some());
}

fn unattended_child(url: &str, state: &str, id: &str, name: &str) -> std::process::Child {
    spawn_child(
        "unattended-create",
        &[
            ("SMARTLINK_URL", url.to_owned()),
            ("SMARTLINK_STATE", state.to_owned()),
            ("SMARTLINK_INSTALLATION", id.to_owned()),
            ("SMARTLINK_ENV_NAME", name.to_owned()),
        ],
    )
}

fn child_result(out: std::process::Output) -> UnattendedOutcome {
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "child failed: {:?}\n{stdout}",
        out.status
    );
    let line = stdout
        .lines()
        .find_map(|l| l.find("RESULT ").map(|at| l[at + 7..].to_owned()))
        .unwrap_or_else(|| panic!("no child result in {stdout:?}"));
    serde_json::from_str(&line).unwrap()
}

/// A small xorshift: kill delays that differ from round to round.
fn next_random(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unattended_create_killed_at_random_points_is_finished_by_the_same_command() {
    // `--unattended --create NAME`, killed with SIGKILL at a random moment,
    // then run again: it ends configured, with exactly one environment of
    // that name, whatever step the kill interrupted; a third run has
    // nothing to do.
    let rounds = std::env::var("SMARTLINK_LONG").map_or(16, |_| 200);
    let sb = sandbox(&demo_seed()).await;
    let dir = tempfile::tempdir().unwrap();
    // How long one whole run takes here, to spread the kills over it.
    let started = std::time::Instant::now();
    let whole = unattended_child(
        &sb.url(),
        &dir.path().join("whole.json").display().to_string(),
        "kill-whole",
        "Inteiro",
    );
    let whole = tokio::task::spawn_blocking(move || whole.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(!child_result(whole).nothing_to_do);
    let span = started.elapsed().as_micros().max(1) as u64;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ span;
    let mut interrupted = 0;
    for round in 0..rounds {
        let id = format!("kill-{round}");
        let name = format!("Morte {round}");
        let state = dir.path().join(format!("{id}.json")).display().to_string();
        let mut child = unattended_child(&sb.url(), &state, &id, &name);
        let delay = next_random(&mut seed) % span;
        tokio::time::sleep(std::time::Duration::from_micros(delay)).await;
        let killed = child.try_wait().unwrap().is_none();
        let _ = child.kill();
        let _ = child.wait();
        if killed {
            interrupted += 1;
        }
        let store: Arc<dyn StateStore> = Arc::new(FileStateStore::open(&state).unwrap());
        let cfg = configurator_with(&id, &sb.url(), store.clone());
        let request = UnattendedRequest {
            installation_name: Some("Sobrevive".into()),
            target: UnattendedTarget::Create(name.clone()),
            confirm: None,
        };
        let outcome = cfg
            .configure_unattended(&request)
            .await
            .unwrap_or_else(|e| panic!("round {round} (killed after {delay} µs): {e}"));
        assert!(
            matches!(outcome.status, TaskStatus::Succeeded { .. }),
            "round {round}"
        );
        let named = sb
            .sandbox()
            .platform()
            .environments()
            .into_iter()
            .filter(|e| e.name.as_str() == name)
            .count();
        assert_eq!(named, 1, "round {round}: one environment named {name}");
        let status = cfg.status().unwrap();
        assert!(!status.needs_configuration, "round {round}: {status:?}");
        let again = configurator_with(&id, &sb.url(), store)
            .configure_unattended(&request)
            .await
            .unwrap();
        assert!(again.nothing_to_do, "round {round}: {again:?}");
    }
    println!("{interrupted} of {rounds} runs were killed before they ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_identical_unattended_processes_at_once_both_succeed() {
    // Two `--unattended --create NAME` at once for one installation and one
    // state file: one creates and binds, the other waits for the lock and
    // finds the work done. Neither fails, nothing is created twice, and the
    // state says configured.
    let sb = sandbox(&demo_seed()).await;
    for round in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json").display().to_string();
        let id = format!("twice-{round}");
        let name = format!("Duas vezes {round}");
        let children: Vec<_> = (0..2)
            .map(|_| unattended_child(&sb.url(), &state, &id, &name))
            .collect();
        let mut outcomes = Vec::new();
        for child in children {
            let out = tokio::task::spawn_blocking(move || child.wait_with_output())
                .await
                .unwrap()
                .unwrap();
            outcomes.push(child_result(out));
        }
        let did_work = outcomes.iter().filter(|o| !o.nothing_to_do).count();
        assert_eq!(did_work, 1, "round {round}: {outcomes:?}");
        let named = sb
            .sandbox()
            .platform()
            .environments()
            .into_iter()
            .filter(|e| e.name.as_str() == name)
            .count();
        assert_eq!(named, 1);
        let store: Arc<dyn StateStore> = Arc::new(FileStateStore::open(&state).unwrap());
        let status = configurator_with(&id, &sb.url(), store).status().unwrap();
        assert!(!status.needs_configuration, "{status:?}");
        assert!(matches!(
            status.last_task.unwrap().outcome,
            smartlink_core::TaskOutcome::Succeeded { .. }
        ));
    }
}
