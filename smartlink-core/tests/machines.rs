//! One installation, several machines, one shared store: proofs with
//! separate processes (each its own handle, nothing kept locally), against
//! the sandbox over HTTP, run once with the PostgreSQL store (a real
//! throwaway server) and once with the file store on a shared folder.
//!
//! - **race**: 6 machines configure an unbound installation at once, one
//!   with its clock 10 minutes ahead and one 10 minutes behind
//!   (libfaketime): exactly one environment, one binding, one credential
//!   set; every machine ends configured;
//! - **kill**: 100 rounds of a machine SIGKILLed at a random point of its
//!   task, then another machine run: it takes over after the lease,
//!   resumes with the stored idempotency keys; one environment, one
//!   binding, one credential set each round;
//! - **stop** (PostgreSQL): a lease holder SIGSTOPped past its lease,
//!   another machine takes over and writes, then SIGCONT: the late write is
//!   refused and nothing is lost. (On a folder the lock is the operating
//!   system's: a stopped process keeps it, and only a file server ending
//!   the session of a machine that vanished releases it; see
//!   docs/state.md.)
//! - **restart** (PostgreSQL): the server stops and starts again while a
//!   machine's task runs: a typed failure or a success, then a machine
//!   run again finishes; one environment.
//!
//! This target has no test harness: `main` is both the parent (the
//! scenarios) and, when `SMARTLINK_MACHINE` is set, one machine.
#![cfg_attr(not(all(unix, feature = "postgres")), allow(unused))]

/// Elsewhere (the Windows build run under Wine) there is nothing to run:
/// the machines are forked and signalled, and the database is a throwaway
/// Unix server. Nothing is reported as passed.
#[cfg(not(all(unix, feature = "postgres")))]
fn main() {
    println!("machines: not run here (Unix processes and signals, a throwaway PostgreSQL)");
}

#[cfg(all(unix, feature = "postgres"))]
fn main() {
    machines::main()
}

#[cfg(all(unix, feature = "postgres"))]
mod machines {
    use std::io::{BufRead, BufReader};
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use async_trait::async_trait;
    use secrecy::SecretString;
    use smartlink_core::{
        BindTarget, Configurator, CreateEnvironment, Credentials, Environment, ErpLine,
        FileStateStore, FileStoreOptions, Installation, InstallationId, InstallationSpec,
        IssueCredentials, IssuedCredentials, PgStateStore, PgStoreOptions, PgTarget, Platform,
        PlatformError, SealKey, StateError, StateStore, TokenGrant, UnattendedRequest,
        UnattendedTarget, Unbind, WhoAmI,
    };
    use smartlink_sandbox::{BackgroundSandbox, Seed};
    use smartlink_testkit::pg_server::PgServer;
    use smartlink_testkit::platforms::{http_platform, sandbox_in_background};

    const LEASE_MS: u64 = 400;

    pub fn main() {
        if std::env::var_os("SMARTLINK_MACHINE").is_some() {
            return machine();
        }
        for kind in [Kind::Postgres, Kind::Folder] {
            let started = Instant::now();
            let mut world = World::start(kind);
            race(&world);
            if kind == Kind::Postgres {
                stop(&world);
                restart(&mut world);
            }
            kill(&world);
            println!(
                "machines ({kind:?}): all scenarios passed in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Kind {
        Postgres,
        Folder,
    }

    /// The database, the sandbox and the key every machine shares.
    struct World {
        kind: Kind,
        server: PgServer,
        sandbox: BackgroundSandbox,
        dir: tempfile::TempDir,
        key: PathBuf,
    }

    impl World {
        fn start(kind: Kind) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let key = dir.path().join("seal.key");
            SealKey::create_file(&key).unwrap();
            let seed: Seed =
                serde_json::from_value(serde_json::json!({"environments": []})).unwrap();
            Self {
                kind,
                server: PgServer::start(),
                sandbox: sandbox_in_background(&seed),
                dir,
                key,
            }
        }

        /// Where the store is: the database's URL, or the shared folder.
        fn location(&self) -> String {
            match self.kind {
                Kind::Postgres => self.server.url(),
                Kind::Folder => format!("folder:{}", self.dir.path().join("share").display()),
            }
        }

        fn store(&self, installation: &str) -> Box<dyn StateStore> {
            store(&self.location(), &self.key, installation)
        }

        fn platform(&self) -> &Arc<smartlink_sandbox::InMemoryPlatform> {
            self.sandbox.sandbox().platform()
        }

        /// A machine process: `mode` is `configure:<environment name>` or
        /// `hold`.
        fn spawn(&self, installation: &str, mode: &str, clock: Option<&str>) -> Child {
            let mut cmd = Command::new(std::env::current_exe().unwrap());
            cmd.env("SMARTLINK_MACHINE", mode)
                .env("SL_STORE", self.location())
                .env("SL_KEY", &self.key)
                .env("SL_SANDBOX", self.sandbox.url())
                .env("SL_INSTALLATION", installation)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit());
            if let Some(offset) = clock {
                cmd.env("LD_PRELOAD", faketime_lib())
                    .env("FAKETIME", offset)
                    .env("FAKETIME_DONT_RESET", "1");
            }
            cmd.spawn().expect("spawn a machine")
        }

        /// The environments named `name` and the one `installation` is
        /// bound to.
        fn bound(&self, installation: &str, name: &str) -> (usize, Option<String>) {
            let envs = self.platform().environments();
            let named = envs.iter().filter(|e| e.name.as_str() == name).count();
            let id = InstallationId::new(installation).unwrap();
            let bound = envs
                .iter()
                .filter(|e| {
                    e.binding_for(ErpLine::Protheus)
                        .is_some_and(|b| b.installation_id == id)
                })
                .map(|e| e.name.as_str().to_owned())
                .collect::<Vec<_>>();
            assert!(
                bound.len() <= 1,
                "{installation} bound {} times",
                bound.len()
            );
            (named, bound.into_iter().next())
        }

        /// The stored client id equals the platform's live set.
        fn stored_credentials_are_live(&self, installation: &str) {
            let state = self
                .store(installation)
                .load()
                .unwrap()
                .expect("stored state");
            let stored = state.credentials.expect("stored credentials");
            let live = self
                .platform()
                .live_credentials(&InstallationId::new(installation).unwrap())
                .expect("live credentials");
            assert_eq!(stored.client_id, live.client_id, "{installation}");
            assert!(state.binding.is_some());
        }
    }

    /// The store of `installation` at `location` (a PostgreSQL URL, or
    /// `folder:<path>`: one file per installation in that folder).
    fn store(location: &str, key: &Path, installation: &str) -> Box<dyn StateStore> {
        if let Some(folder) = location.strip_prefix("folder:") {
            let options = FileStoreOptions::new().seal_key_file(key).shared_folder();
            let path = Path::new(folder).join(format!("{installation}.json"));
            return Box::new(FileStateStore::open_with(path, &options).unwrap());
        }
        Box::new(
            PgStateStore::open(
                PgTarget::parse(location).unwrap(),
                SealKey::read_file(key).unwrap(),
                InstallationId::new(installation).unwrap(),
                ErpLine::Protheus,
                PgStoreOptions::new()
                    .lease_ttl(Duration::from_millis(LEASE_MS))
                    .refresh_every(Duration::from_millis(100)),
            )
            .unwrap(),
        )
    }

    fn faketime_lib() -> PathBuf {
        let found = std::fs::read_dir("/usr/lib")
            .unwrap()
            .flatten()
            .map(|d| d.path().join("faketime/libfaketime.so.1"))
            .find(|p| p.exists());
        found.expect("libfaketime (installed by scripts/install-test-deps.sh)")
    }

    /// Waits for a machine and returns its last output line.
    fn finish(mut child: Child, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let mut out = String::new();
                std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
                assert!(status.success(), "{what} failed ({status}): {out}");
                return out.lines().last().unwrap_or_default().to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "{what}: still running after 60 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn signal(child: &Child, signal: rustix::process::Signal) {
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        rustix::process::kill_process(pid, signal).unwrap();
    }

    fn race(world: &World) {
        let installation = "race-1";
        let issued = world.platform().credentials_issued();
        let clocks = [None, Some("+10m"), Some("-10m"), None, None, None];
        let children: Vec<Child> = clocks
            .iter()
            .map(|clock| world.spawn(installation, "configure:Race", *clock))
            .collect();
        let outcomes: Vec<String> = children
            .into_iter()
            .enumerate()
            .map(|(i, c)| finish(c, &format!("race machine {i}")))
            .collect();
        let created = outcomes.iter().filter(|o| o.contains("created")).count();
        let (named, bound) = world.bound(installation, "Race");
        assert_eq!(named, 1, "one environment: {outcomes:?}");
        assert_eq!(bound.as_deref(), Some("Race"));
        assert_eq!(created, 1, "one machine did the work: {outcomes:?}");
        assert_eq!(
            world.platform().credentials_issued() - issued,
            1,
            "one credential set"
        );
        world.stored_credentials_are_live(installation);
        println!(
            "machines race ({:?}): 6 machines (two skewed by ±10 min): {outcomes:?}",
            world.kind
        );
    }

    fn stop(world: &World) {
        let installation = "stop-1";
        let mut holder = world.spawn(installation, "hold", None);
        let mut line = String::new();
        BufReader::new(holder.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "holding", "{line}");
        signal(&holder, rustix::process::Signal::STOP);
        // Past its lease: another machine configures.
        std::thread::sleep(Duration::from_millis(LEASE_MS * 2));
        let other = finish(
            world.spawn(installation, "configure:Stopped", None),
            "the machine taking over",
        );
        assert!(other.contains("created"), "{other}");
        let before = world.store(installation).load().unwrap();
        signal(&holder, rustix::process::Signal::CONT);
        let late = finish(holder, "the stopped holder");
        assert_eq!(late, "late write refused: lease_lost", "{late}");
        assert_eq!(
            world.store(installation).load().unwrap(),
            before,
            "nothing lost"
        );
        world.stored_credentials_are_live(installation);
        println!("machines stop: the late write after SIGCONT was refused");
    }

    fn kill(world: &World) {
        let rounds = 100;
        let mut mid_task = 0;
        let started = Instant::now();
        let mut takeovers = Vec::new();
        for round in 0..rounds {
            let installation = format!("kill-{round}");
            let name = format!("Kill {round}");
            let issued = world.platform().credentials_issued();
            let victim = world.spawn(&installation, &format!("configure:{name}"), None);
            // Spread over the task: start-up, lease, create, bind, issue,
            // verify, store (each platform call is slowed a little).
            let delay = Duration::from_millis(fastrand_u64(round, 260));
            std::thread::sleep(delay);
            signal(&victim, rustix::process::Signal::KILL);
            let mut victim = victim;
            let _ = victim.wait();
            let row = world.store(&installation).load().unwrap_or_default();
            if row.as_ref().is_some_and(|s| s.pending_task_id().is_some()) {
                mid_task += 1;
            }
            let took = Instant::now();
            let outcome = finish(
                world.spawn(&installation, &format!("configure:{name}"), None),
                &format!("round {round}: the machine after the kill"),
            );
            takeovers.push(took.elapsed());
            let (named, bound) = world.bound(&installation, &name);
            assert_eq!(named, 1, "round {round}: one environment ({outcome})");
            assert_eq!(bound.as_deref(), Some(name.as_str()), "round {round}");
            let sets = world.platform().credentials_issued() - issued;
            assert_eq!(sets, 1, "round {round}: one credential set ({outcome})");
            world.stored_credentials_are_live(&installation);
        }
        takeovers.sort();
        println!(
            "machines kill ({:?}): {rounds} rounds in {:.1} s, {mid_task} killed mid-task; \
             next machine done in median {} ms, max {} ms (lease {LEASE_MS} ms)",
            world.kind,
            started.elapsed().as_secs_f64(),
            takeovers[takeovers.len() / 2].as_millis(),
            takeovers.last().unwrap().as_millis()
        );
    }

    fn restart(world: &mut World) {
        let installation = "restart-1";
        let machine = world.spawn(installation, "configure:Restart", None);
        std::thread::sleep(Duration::from_millis(120));
        world.server.stop();
        std::thread::sleep(Duration::from_millis(300));
        world.server.start_again();
        let first = finish_any(machine);
        let again = finish(
            world.spawn(installation, "configure:Restart", None),
            "the machine run after the restart",
        );
        let (named, bound) = world.bound(installation, "Restart");
        assert_eq!(named, 1, "one environment ({first} / {again})");
        assert_eq!(bound.as_deref(), Some("Restart"));
        world.stored_credentials_are_live(installation);
        assert!(
            !first.contains("hunter") && !first.contains("secret"),
            "{first}"
        );
        println!("machines restart: during the task: {first:?}; then: {again:?}");
    }

    /// Waits for a machine that may fail with a typed error (exit 3).
    fn finish_any(mut child: Child) -> String {
        let status = child.wait().unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
        let line = out.lines().last().unwrap_or_default().to_owned();
        assert!(
            status.success() || status.code() == Some(3),
            "a typed failure or a success, not {status}: {out}"
        );
        line
    }

    /// A deterministic spread of kill delays (no extra dependency).
    fn fastrand_u64(round: u64, below: u64) -> u64 {
        let mut x = round.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
        x ^= x >> 31;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 29;
        x % below
    }

    /// One machine: configures (`configure:<name>`, creating the
    /// environment when it is not listed) or takes the lease and, after
    /// being resumed, tries to write (`hold`). Prints one line.
    fn machine() {
        let mode = std::env::var("SMARTLINK_MACHINE").unwrap();
        let var = |name: &str| std::env::var(name).unwrap();
        let store: Arc<dyn StateStore> = store(
            &var("SL_STORE"),
            Path::new(&var("SL_KEY")),
            &var("SL_INSTALLATION"),
        )
        .into();
        if mode == "hold" {
            let lock = store.try_lock().unwrap().expect("a free lease");
            println!("holding");
            // Stopped here by the parent, past the lease; then:
            std::thread::sleep(Duration::from_millis(LEASE_MS / 2));
            let mut state = store.load().unwrap().unwrap_or_else(|| {
                smartlink_core::LocalState::new(
                    InstallationId::new(var("SL_INSTALLATION")).unwrap(),
                    ErpLine::Protheus,
                )
            });
            state.installation_name = Some(smartlink_core::InstallationName::new("late").unwrap());
            match store.save_fenced(&lock, &state) {
                Err(StateError::LeaseLost { .. }) => println!("late write refused: lease_lost"),
                other => println!("late write NOT refused: {other:?}"),
            }
            return;
        }
        let name = mode.strip_prefix("configure:").unwrap().to_owned();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let platform = Arc::new(Slow(http_platform(&var("SL_SANDBOX"))));
            let cfg = Configurator::builder(
                InstallationSpec::parse(&var("SL_INSTALLATION"), "protheus", "production", None)
                    .unwrap(),
                platform,
                store,
            )
            .lock_wait(Duration::from_secs(30))
            .build()
            .unwrap();
            let request = |target| UnattendedRequest {
                installation_name: Some("Matriz".into()),
                target,
                confirm: None,
            };
            // Create when missing: the same name on every machine, so that
            // the one that creates it first is found by the others.
            let outcome = cfg
                .configure_unattended(&request(UnattendedTarget::Create(name.clone())))
                .await;
            match outcome {
                Ok(o) => {
                    assert!(!cfg.needs_configuration());
                    let how = if o.nothing_to_do {
                        "nothing to do"
                    } else if o.resumed {
                        "resumed"
                    } else {
                        "created"
                    };
                    println!("{how}");
                }
                Err(e) => {
                    println!("failed: {e}");
                    std::process::exit(3);
                }
            }
        });
    }

    /// The platform over HTTP, each call slowed by 20 ms, so that a kill
    /// lands at any point of a task.
    struct Slow(Arc<smartlink_core::HttpPlatform>);

    async fn pause() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    #[async_trait]
    impl Platform for Slow {
        async fn list_environments(
            &self,
            line: ErpLine,
            id: &InstallationId,
        ) -> Result<Vec<Environment>, PlatformError> {
            pause().await;
            self.0.list_environments(line, id).await
        }
        async fn create_environment(
            &self,
            request: &CreateEnvironment,
        ) -> Result<Environment, PlatformError> {
            pause().await;
            self.0.create_environment(request).await
        }
        async fn bind(
            &self,
            installation: &Installation,
            target: &BindTarget,
        ) -> Result<Environment, PlatformError> {
            pause().await;
            self.0.bind(installation, target).await
        }
        async fn issue_credentials(
            &self,
            request: &IssueCredentials,
        ) -> Result<IssuedCredentials, PlatformError> {
            pause().await;
            self.0.issue_credentials(request).await
        }
        async fn verify_credentials(&self, credentials: &Credentials) -> Result<(), PlatformError> {
            pause().await;
            self.0.verify_credentials(credentials).await
        }
        async fn unbind(&self, request: &Unbind) -> Result<(), PlatformError> {
            self.0.unbind(request).await
        }
        async fn request_token(
            &self,
            credentials: &Credentials,
        ) -> Result<TokenGrant, PlatformError> {
            self.0.request_token(credentials).await
        }
        async fn whoami(&self, token: &SecretString) -> Result<WhoAmI, PlatformError> {
            self.0.whoami(token).await
        }
    }
}
