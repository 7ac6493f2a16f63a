//! The terminal configurator on a state shared by several machines: a
//! PostgreSQL database (a real throwaway server, `PgServer`) and a file on a
//! shared folder. Every machine is a process of its own with no local state
//! file; they share the database, the seal key and one sandbox platform.
//!
//! - `--unattended` configures on PostgreSQL; another process ("machine")
//!   with the same URL and key sees it configured in `status`, gets a
//!   token with it and passes `check`; the row holds no secret in clear;
//! - `status` shows the store (kind, location, version, lease, staleness
//!   bound); `check` verifies it on its own line and fails, with a typed
//!   cause and exit 6, with another key, a wrong password, or the server
//!   stopped (`state_unreachable`), never showing the password;
//! - the wizard, `rotate`, `forget`, `--unattended` (repair) and `unbind`
//!   run on one machine after another, each seeing what the last did;
//! - four processes started at once on an unbound installation make one
//!   environment and one binding on the platform (three rounds);
//! - `--shared-folder` marks a file shared; usage errors (exit 2).
#![cfg(unix)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use smartlink_core::{
    ErpLine, ExposeSecret, InstallationId, PgConnection, PgStateStore, PgStoreOptions, PgTarget,
    SealKey, StateStore as _,
};
use smartlink_sandbox::BackgroundSandbox;
use smartlink_testkit::TOKEN;
use smartlink_testkit::pg_server::PgServer;
use smartlink_testkit::platforms::demo_sandbox;
use support::{Out, command, run, run_with};

/// The password of the database role the machines connect as: it must
/// never be printed.
const PASSWORD: &str = "pg-Canary-0xC0FFEE";

/// Runs `query` on the database at `url` and returns the first column of
/// each row (as text).
fn sql(url: &str, query: &str) -> Vec<Option<String>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Named apart from the configurator's connections (`smartlink`).
    let separator = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{separator}application_name=smartlink-test");
    runtime.block_on(async {
        let connection = PgConnection::new(PgTarget::parse(&url).unwrap()).unwrap();
        let client = connection.client().await.unwrap();
        if !query
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("SELECT")
            && !query.trim_start().to_ascii_uppercase().starts_with("SHOW")
        {
            client.batch_execute(query).await.unwrap();
            return Vec::new();
        }
        client
            .query(query, &[])
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<_, Option<String>>(0))
            .collect()
    })
}

/// A throwaway server where the role `erp` (password [`PASSWORD`], checked
/// with SCRAM over TCP) owns the database `erp`; the superuser keeps trust
/// for the test's own look at the table.
fn database() -> (PgServer, String) {
    let pg = PgServer::start();
    let admin = pg.url();
    sql(
        &admin,
        &format!("CREATE ROLE erp LOGIN PASSWORD '{PASSWORD}'"),
    );
    sql(&admin, "CREATE DATABASE erp OWNER erp");
    let hba = sql(&admin, "SHOW hba_file")[0].clone().unwrap();
    std::fs::write(
        &hba,
        "local all all trust\n\
         host all postgres 127.0.0.1/32 trust\n\
         host all all 127.0.0.1/32 scram-sha-256\n",
    )
    .unwrap();
    sql(&admin, "SELECT pg_reload_conf()::text");
    let url = format!("postgres://erp:{PASSWORD}@127.0.0.1:{}/erp", pg.port());
    (pg, url)
}

/// The superuser on the database `erp` (trusted: no password).
fn admin_erp(pg: &PgServer) -> String {
    format!("postgres://postgres@127.0.0.1:{}/erp", pg.port())
}

/// The store's location as the configurator names it (no password).
fn location(pg: &PgServer) -> String {
    format!("127.0.0.1:{} database erp user erp", pg.port())
}

/// One machine of the installation: a working directory of its own and
/// nothing else local; the database, the key and the platform are shared.
struct Machine<'a> {
    dir: tempfile::TempDir,
    state: &'a str,
    key: &'a Path,
    platform: &'a str,
}

impl<'a> Machine<'a> {
    fn new(state: &'a str, key: &'a Path, platform: &'a str) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            state,
            key,
            platform,
        }
    }

    fn args(&self, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = [
            "--locale",
            "en",
            "--state",
            self.state,
            "--seal-key-file",
            self.key.to_str().unwrap(),
            "--platform-url",
            self.platform,
            "--token",
            TOKEN,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    fn command(&self, extra: &[&str]) -> std::process::Command {
        let args = self.args(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = command(&args);
        cmd.current_dir(self.dir.path());
        cmd
    }

    fn run(&self, extra: &[&str]) -> Out {
        run_with(self.command(extra), "")
    }

    /// The interactive wizard (plain mode: stdin is not a terminal) with
    /// `input` typed.
    fn answer(&self, extra: &[&str], input: &str) -> Out {
        run_with(self.command(extra), input)
    }

    fn spawn(&self, extra: &[&str]) -> Child {
        self.command(extra).spawn().expect("the binary starts")
    }

    /// Nothing was written where this machine runs.
    fn has_no_local_state(&self) -> bool {
        std::fs::read_dir(self.dir.path()).unwrap().next().is_none()
    }
}

fn seal_key(dir: &Path, name: &str) -> PathBuf {
    let key = dir.join(name);
    let out = run(&["seal-key", "--out", key.to_str().unwrap()], "");
    assert_eq!(out.code, 0, "{out:?}");
    key
}

/// Everything a run printed holds neither the database password, nor the
/// platform token, nor `secret`.
fn assert_clean(out: &Out, secret: Option<&str>) {
    let all = out.all();
    assert!(!all.contains(PASSWORD), "the password was printed: {out:?}");
    assert!(
        !all.contains(TOKEN),
        "the platform token was printed: {out:?}"
    );
    if let Some(secret) = secret {
        assert!(
            !all.contains(secret),
            "the client secret was printed: {out:?}"
        );
    }
}

fn demo_id() -> InstallationId {
    InstallationId::derive(
        smartlink_core::ErpLine::Protheus,
        &smartlink_core::IdentityComponents::new("demo-dbsrv01", "ERP_DEMO", "LIC-DEMO-0001"),
    )
    .unwrap()
}

#[test]
fn unattended_on_postgres_is_seen_by_another_machine_and_checked() {
    let (mut pg, url) = database();
    let sandbox = demo_sandbox();
    let keys = tempfile::tempdir().unwrap();
    let key = seal_key(keys.path(), "seal.key");
    let other_key = seal_key(keys.path(), "other.key");
    let platform = sandbox.url();
    let at = location(&pg);
    let mut outputs = Vec::new();

    // Machine A configures, unattended.
    let a = Machine::new(&url, &key, &platform);
    let bound = a.run(&[
        "--unattended",
        "--installation-name",
        "Matriz SP",
        "--environment",
        "Produção Nova",
    ]);
    assert_eq!(bound.code, 0, "{bound:?}");
    assert!(
        bound
            .stdout
            .contains(&format!("Credentials stored in PostgreSQL {at}")),
        "{bound:?}"
    );
    assert!(
        bound
            .stderr
            .contains(&format!("State in PostgreSQL: {at} (secret sealed)")),
        "{bound:?}"
    );
    assert!(a.has_no_local_state(), "machine A wrote a local file");
    outputs.push(bound);

    let secret = sandbox
        .sandbox()
        .platform()
        .live_credentials(&demo_id())
        .expect("the platform issued credentials")
        .client_secret
        .expose_secret()
        .to_owned();

    // The row: sealed, no secret in clear, no client id in clear either.
    let documents = sql(&admin_erp(&pg), "SELECT document FROM smartlink_state");
    assert_eq!(documents.len(), 1, "{documents:?}");
    let document = documents[0].clone().expect("a document");
    assert!(
        !document.contains(&secret),
        "the secret is in clear in the row"
    );
    let parsed: serde_json::Value = serde_json::from_str(&document).unwrap();
    assert_eq!(parsed["sealed"]["alg"], "chacha20-poly1305", "{parsed}");
    assert!(parsed["state"]["credentials"].is_null(), "{parsed}");

    // Machine B, with the same URL and key and no local file: configured.
    let b = Machine::new(&url, &key, &platform);
    let status = b.run(&["status"]);
    assert_eq!(status.code, 0, "{status:?}");
    for line in [
        "Configured: environment Produção Nova".to_owned(),
        format!("State store: PostgreSQL, {at}"),
        "State version: ".to_owned(),
        "Configuration lease: free (epoch ".to_owned(),
        "Shared by several machines: each one's login gate sees a change made on another within 2.0 s."
            .to_owned(),
        "(secret hidden)".to_owned(),
    ] {
        assert!(status.stdout.contains(&line), "{line:?} missing: {status:?}");
    }
    let version: u64 = status
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("State version: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(version >= 2, "{status:?}");
    outputs.push(status);

    // B gets an access token with the sealed credentials.
    let token = b.run(&["token"]);
    assert_eq!(token.code, 0, "{token:?}");
    assert!(token.stdout.trim().starts_with("at_"), "{token:?}");
    outputs.push(token);

    // `check` on B: the store's line, then all good.
    let check = b.run(&["check"]);
    assert_eq!(check.code, 0, "{check:?}");
    assert!(
        check.stdout.contains(&format!(
            "State store (PostgreSQL, {at}): reachable, table at schema 1, state at version "
        )) && check.stdout.contains("; the seal key opens the secret."),
        "{check:?}"
    );
    assert!(
        check.stdout.contains("Diagnostics complete: all good."),
        "{check:?}"
    );
    outputs.push(check);

    // Another key: a typed cause, exit 6, nothing changed.
    let before = sql(&admin_erp(&pg), "SELECT version::text FROM smartlink_state");
    let c = Machine::new(&url, &other_key, &platform);
    let wrong = c.run(&["check"]);
    assert_eq!(wrong.code, 6, "{wrong:?}");
    assert!(
        wrong.stdout.contains(&format!(
            "State store (PostgreSQL, {at}): failed [seal_wrong_key]: The seal key given is not the one"
        )),
        "{wrong:?}"
    );
    assert!(!wrong.stdout.contains("all good"), "{wrong:?}");
    outputs.push(wrong);
    let wrong_status = c.run(&["status"]);
    assert_eq!(wrong_status.code, 6, "{wrong_status:?}");
    assert!(
        wrong_status.stderr.contains("not the one"),
        "{wrong_status:?}"
    );
    outputs.push(wrong_status);
    let wrong_bind = c.run(&["--unattended"]);
    assert_ne!(wrong_bind.code, 0, "{wrong_bind:?}");
    outputs.push(wrong_bind);
    assert_eq!(
        sql(&admin_erp(&pg), "SELECT version::text FROM smartlink_state"),
        before,
        "a machine with another key wrote"
    );

    // A wrong password: refused by the server, named as such, not shown.
    let wrong_password = url.replace(PASSWORD, "not-the-password");
    let d = Machine::new(&wrong_password, &key, &platform);
    let refused = d.run(&["check", "--verbose"]);
    assert_eq!(refused.code, 6, "{refused:?}");
    assert!(
        refused.stdout.contains("failed [authentication_refused]")
            && refused.stdout.contains(&format!(
                "The state store at {at} cannot be used: the server refused the user or the password."
            )),
        "{refused:?}"
    );
    assert!(!refused.all().contains("not-the-password"), "{refused:?}");
    outputs.push(refused);

    // The server stopped: status and check say the store is unreachable.
    pg.stop();
    let down = b.run(&["status"]);
    assert_eq!(down.code, 6, "{down:?}");
    assert!(
        down.stderr.contains(&format!(
            "The state store at {at} is unreachable: the connection was refused"
        )),
        "{down:?}"
    );
    assert!(
        down.stderr.contains("keeps its login gate's last verdict"),
        "{down:?}"
    );
    outputs.push(down);
    for verbose in [&[][..], &["--verbose"][..]] {
        let args = [&["check"][..], verbose].concat();
        let down = b.run(&args);
        assert_eq!(down.code, 6, "{down:?}");
        assert!(
            down.stdout.contains(&format!(
                "State store (PostgreSQL, {at}): failed [unreachable]: The state store at {at} is unreachable"
            )),
            "{down:?}"
        );
        assert!(!down.stdout.contains("all good"), "{down:?}");
        outputs.push(down);
    }
    // In Spanish and Portuguese too.
    for (locale, says) in [("es", "es inaccesible"), ("pt-BR", "está inacessível")] {
        let down = b.run(&["status", "--locale", locale]);
        assert_eq!(down.code, 6, "{down:?}");
        assert!(down.stderr.contains(says), "{locale}: {down:?}");
        outputs.push(down);
    }

    for out in &outputs {
        assert_clean(out, Some(&secret));
    }
    assert!(b.has_no_local_state() && c.has_no_local_state() && d.has_no_local_state());
}

/// The OAuth2 client id `status` shows.
fn client_id(status: &Out) -> String {
    status
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("OAuth2 client: "))
        .unwrap_or_else(|| panic!("no client id: {status:?}"))
        .to_owned()
}

/// The wizard and the lifecycle subcommands on PostgreSQL, each run on
/// another machine than the one before: every one sees what the last did.
#[test]
fn the_wizard_and_the_lifecycle_run_on_postgres() {
    let (_pg, url) = database();
    let sandbox = demo_sandbox();
    let keys = tempfile::tempdir().unwrap();
    let key = seal_key(keys.path(), "seal.key");
    let platform = sandbox.url();
    let machines: Vec<Machine> = (0..2)
        .map(|_| Machine::new(&url, &key, &platform))
        .collect();
    let (a, b) = (&machines[0], &machines[1]);
    let mut outputs = Vec::new();

    // The wizard on A: Start, the name, Produção Nova, Generate.
    let wizard = a.answer(&[], "1\nMatriz SP\n3\n1\n");
    assert_eq!(wizard.code, 0, "{wizard:?}");
    assert!(
        wizard
            .stdout
            .contains("This installation is bound to environment Produção Nova.")
            && wizard.stdout.contains("Credentials stored in PostgreSQL"),
        "{wizard:?}"
    );
    outputs.push(wizard);
    let first = b.run(&["status"]);
    assert_eq!(first.code, 0, "{first:?}");
    outputs.push(first);

    // rotate on B; A sees the new client.
    let rotated = b.run(&["rotate"]);
    assert_eq!(rotated.code, 0, "{rotated:?}");
    outputs.push(rotated);
    let after = a.run(&["status"]);
    assert_eq!(after.code, 0, "{after:?}");
    assert_ne!(client_id(&outputs[1]), client_id(&after), "{after:?}");
    outputs.push(after);

    // forget on A: B finds nothing configured; --unattended on B repairs.
    let forgot = a.run(&["forget"]);
    assert_eq!(forgot.code, 0, "{forgot:?}");
    outputs.push(forgot);
    let gone = b.run(&["status"]);
    assert_eq!(gone.code, 3, "{gone:?}");
    outputs.push(gone);
    let repaired = b.run(&["--unattended"]);
    assert_eq!(repaired.code, 0, "{repaired:?}");
    outputs.push(repaired);
    let back = a.run(&["status"]);
    assert_eq!(back.code, 0, "{back:?}");
    outputs.push(back);

    // unbind on A: released on the platform, forgotten for both.
    let unbound = a.run(&["unbind", "--confirm", "Produção Nova"]);
    assert_eq!(unbound.code, 0, "{unbound:?}");
    outputs.push(unbound);
    assert!(
        !sandbox
            .sandbox()
            .platform()
            .environments()
            .iter()
            .any(|e| e.binds(&demo_id())),
        "the platform still binds the installation"
    );
    let none = b.run(&["status"]);
    assert_eq!(none.code, 3, "{none:?}");
    outputs.push(none);

    for out in &outputs {
        assert_clean(out, None);
    }
    assert!(machines.iter().all(Machine::has_no_local_state));
}

/// How many configurator processes are connected to the database now.
fn configurators_connected(url: &str) -> usize {
    sql(
        url,
        "SELECT count(*)::text FROM pg_stat_activity WHERE application_name = 'smartlink'",
    )[0]
    .as_deref()
    .unwrap()
    .parse()
    .unwrap()
}

/// The key proof: four configurator processes started at once, each its own
/// machine, on an unbound installation and one database make one
/// environment, one binding and one credential set; one of them does the
/// work, the three others find it done. Three rounds, each on a new
/// installation.
///
/// "At once" is made sure of, not left to the scheduler: the test holds the
/// installation's lease while the four start, waits until all four are
/// connected to the database (so none can have begun: the work needs the
/// lease), then releases it; they all compete for it from there.
#[test]
fn four_machines_at_once_make_one_environment_and_one_binding() {
    let pg = PgServer::start();
    let url = pg.url();
    let sandbox: BackgroundSandbox = demo_sandbox();
    let platform = sandbox.sandbox().platform().clone();
    let keys = tempfile::tempdir().unwrap();
    let key = seal_key(keys.path(), "seal.key");
    let platform_url = sandbox.url();
    for round in 0..3 {
        let id = format!("erp-race-{round}");
        let name = format!("Corrida {round}");
        let issued_before = platform.credentials_issued();
        let machines: Vec<Machine> = (0..4)
            .map(|_| Machine::new(&url, &key, &platform_url))
            .collect();
        let args = [
            "--unattended",
            "--installation-id",
            &id,
            "--installation-name",
            "Corrida",
            "--create",
            &name,
        ];
        // The gate: this test holds the installation's lease (with a
        // lifetime longer than any wait here) while the four start.
        let installation = InstallationId::new(&id).unwrap();
        let gate_store = PgStateStore::open(
            PgTarget::parse(&format!("{url}?application_name=smartlink-gate")).unwrap(),
            SealKey::read_file(&key).unwrap(),
            installation.clone(),
            ErpLine::Protheus,
            PgStoreOptions::new().lease_ttl(Duration::from_secs(600)),
        )
        .unwrap();
        let gate = gate_store.try_lock().unwrap().expect("the lease is free");
        let mut children: Vec<Child> = machines.iter().map(|m| m.spawn(&args)).collect();
        let deadline = Instant::now() + Duration::from_secs(120);
        while configurators_connected(&url) < 4 {
            if Instant::now() > deadline
                || children.iter_mut().any(|c| c.try_wait().unwrap().is_some())
            {
                for child in &mut children {
                    let _ = child.kill();
                }
                panic!("round {round}: the four configurators did not all start and wait");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // All four run; none can have sent anything to the platform yet.
        assert!(
            !platform
                .environments()
                .iter()
                .any(|e| e.name.as_str() == name),
            "round {round}: work began without the lease"
        );
        assert_eq!(platform.credentials_issued(), issued_before);
        drop(gate);
        let outs: Vec<Out> = children
            .into_iter()
            .map(|child| {
                let output = child.wait_with_output().unwrap();
                Out {
                    code: output.status.code().unwrap_or(-1),
                    stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
                }
            })
            .collect();
        for out in &outs {
            assert_eq!(out.code, 0, "round {round}: {outs:?}");
            assert_clean(out, None);
        }
        let did_work = outs
            .iter()
            .filter(|o| o.stdout.contains("Configuration complete"))
            .count();
        let found_done = outs
            .iter()
            .filter(|o| o.stdout.contains("nothing to do"))
            .count();
        assert_eq!((did_work, found_done), (1, 3), "round {round}: {outs:?}");

        let environments = platform.environments();
        let named: Vec<_> = environments
            .iter()
            .filter(|e| e.name.as_str() == name)
            .collect();
        assert_eq!(named.len(), 1, "round {round}: {environments:?}");
        let bound: Vec<_> = environments
            .iter()
            .filter(|e| e.binds(&installation))
            .collect();
        assert_eq!(bound.len(), 1, "round {round}: {environments:?}");
        assert_eq!(bound[0].id, named[0].id, "round {round}");
        assert_eq!(
            platform.credentials_issued() - issued_before,
            1,
            "round {round}: one credential set"
        );

        // Every machine sees the same configuration.
        let status = machines[3].run(&["status", "--installation-id", &id]);
        assert_eq!(status.code, 0, "{status:?}");
        assert!(
            status
                .stdout
                .contains(&format!("Configured: environment {name}")),
            "{status:?}"
        );
        assert!(machines.iter().all(Machine::has_no_local_state));
    }
}

#[test]
fn a_shared_folder_file_is_described_and_checked() {
    let world = support::World::new();
    let state = world.state();
    let state = state.to_str().unwrap();
    let bound = world.run(
        &[
            &["--locale", "en", "--shared-folder"][..],
            support::BIND_MATRIZ_SP,
        ]
        .concat(),
        "",
    );
    assert_eq!(bound.code, 0, "{bound:?}");
    assert!(
        bound.stderr.contains(
            "State shared by several machines: each sees a change made on another within 2.0 s."
        ),
        "{bound:?}"
    );
    let status = world.run(&["--locale", "en", "--shared-folder", "status"], "");
    assert_eq!(status.code, 0, "{status:?}");
    for line in [
        format!("State store: file on a shared folder, {state}"),
        "State version: ".to_owned(),
        "Configuration lease: free (epoch ".to_owned(),
        "within 2.0 s".to_owned(),
    ] {
        assert!(status.stdout.contains(&line), "{line:?}: {status:?}");
    }
    // While a process holds the file's lock, status names the holder.
    let file = smartlink_core::FileStateStore::open(world.state()).unwrap();
    let held = file.try_lock().unwrap().expect("the lock is free");
    let busy = world.run(&["--locale", "en", "--shared-folder", "status"], "");
    assert_eq!(busy.code, 0, "{busy:?}");
    assert!(
        busy.stdout.contains(&format!(
            "Configuration lease: held by {} (epoch ",
            smartlink_core::holder_id()
        )) && busy.stdout.contains("), while its process runs."),
        "{busy:?}"
    );
    drop(held);
    let free = world.run(&["--locale", "en", "--shared-folder", "status"], "");
    assert!(
        free.stdout.contains("Configuration lease: free"),
        "{free:?}"
    );
    // Without the flag: a local file, no staleness bound.
    let local = world.run(&["--locale", "en", "status"], "");
    assert_eq!(local.code, 0, "{local:?}");
    assert!(
        local
            .stdout
            .contains(&format!("State store: local file, {state}")),
        "{local:?}"
    );
    assert!(!local.stdout.contains("within"), "{local:?}");

    let check = world.run(&["--locale", "en", "--shared-folder", "check"], "");
    assert_eq!(check.code, 0, "{check:?}");
    assert!(
        check.stdout.contains(&format!(
            "State store (file on a shared folder, {state}): readable, owner-only; secret in clear (no --seal-key-file); sealing the secret is recommended on a shared folder (seal-key, --seal-key-file)."
        )),
        "{check:?}"
    );
    assert!(check.stdout.contains("all good"), "{check:?}");
    // A local file in clear is what a single machine keeps: no advice.
    let local_check = world.run(&["--locale", "en", "check"], "");
    assert!(
        !local_check.stdout.contains("recommended"),
        "{local_check:?}"
    );

    // Open to others: check names the cause with its code, exit 6.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(world.state(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let loose = world.run(&["--locale", "en", "check"], "");
    assert_eq!(loose.code, 6, "{loose:?}");
    assert!(
        loose.stdout.contains("failed [insecure_permissions]"),
        "{loose:?}"
    );
}

/// The database goes away while the administrator is deciding (after the
/// listing, before *Generate*): the task cannot take the lease, and the
/// failure screen says the state store failed, not that another server is
/// configuring; nothing is written, no password shown.
#[test]
fn the_database_gone_before_the_task_is_not_called_busy() {
    use std::io::{Read, Write};
    let (mut pg, url) = database();
    let sandbox = demo_sandbox();
    let keys = tempfile::tempdir().unwrap();
    let key = seal_key(keys.path(), "seal.key");
    let platform = sandbox.url();
    let machine = Machine::new(&url, &key, &platform);
    let mut child = machine.spawn(&[]);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let seen = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let wait_for = |what: &str| {
        for _ in 0..600 {
            if seen.lock().unwrap().contains(what) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("{what:?} never shown: {}", seen.lock().unwrap());
    };
    // Start, the name, Produção Nova; the database stops before Generate.
    stdin.write_all(b"1\nMatriz SP\n3\n").unwrap();
    wait_for("Generate new credentials");
    pg.stop();
    stdin.write_all(b"1\n").unwrap();
    wait_for("Could not finish");
    drop(stdin);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let shown = seen.lock().unwrap().clone();
    assert_eq!(status.code(), Some(3), "{shown}");
    assert!(
        !shown.contains("Another server of this installation is configuring it"),
        "{shown}"
    );
    assert!(shown.contains("Could not read or write"), "{shown}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    pg.start_again();
    assert_eq!(
        sql(
            &admin_erp(&pg),
            "SELECT count(*)::text FROM smartlink_state WHERE document IS NOT NULL"
        ),
        vec![Some("0".to_owned())]
    );
}

/// A table named `smartlink_state` that is not the library's (another
/// program's, in the database the administrator named): `status`, `check`
/// and `--unattended` say so (exit 6, `[schema_foreign]`), not "out of
/// reach"; the table is left as it was and no schema row claims it.
#[test]
fn a_foreign_table_of_the_same_name_is_named_and_left_alone() {
    let (pg, url) = database();
    sql(
        &url,
        "CREATE TABLE smartlink_state (id serial PRIMARY KEY, payload jsonb);
         INSERT INTO smartlink_state (payload) VALUES ('{\"theirs\": true}')",
    );
    let keys = tempfile::tempdir().unwrap();
    let key = seal_key(keys.path(), "seal.key");
    let sandbox = demo_sandbox();
    let platform = sandbox.url();
    let machine = Machine::new(&url, &key, &platform);
    let expected = format!(
        "The table smartlink_state at {} is not SmartLink's",
        location(&pg)
    );
    for args in [
        &["status"][..],
        &["check"][..],
        &["--unattended", "--environment", "Produção Nova"][..],
    ] {
        let out = machine.run(args);
        assert_eq!(out.code, 6, "{args:?}: {out:?}");
        assert!(out.all().contains(&expected), "{args:?}: {out:?}");
        assert!(!out.all().contains("unreachable"), "{args:?}: {out:?}");
        assert_clean(&out, None);
    }
    let check = machine.run(&["check"]);
    assert!(check.stdout.contains("[schema_foreign]"), "{check:?}");
    assert_eq!(
        sql(&url, "SELECT payload::text FROM smartlink_state"),
        vec![Some("{\"theirs\": true}".to_owned())]
    );
    assert_eq!(
        sql(
            &url,
            "SELECT count(*)::text FROM information_schema.tables WHERE table_name = 'smartlink_schema' AND table_schema = current_schema()"
        ),
        vec![Some("0".to_owned())]
    );
}

#[test]
fn shared_store_usage_errors_are_exit_2_and_show_no_password() {
    let keys = tempfile::tempdir().unwrap();
    let key = seal_key(keys.path(), "seal.key");
    let key = key.to_str().unwrap();
    let url = format!("postgres://erp:{PASSWORD}@127.0.0.1:1/erp");
    let bad_mode = format!("{url}?sslmode=verify");
    let bad_escape = format!("postgres://erp:{PASSWORD}%G0@127.0.0.1:1/erp");
    // libpq's keyword form is a database, never a file's name.
    let keywords = format!("host=127.0.0.1 port=1 user=erp password = {PASSWORD} sslmode=verify");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--state", &url, "status"],
            "A PostgreSQL state needs --seal-key-file",
        ),
        (
            vec!["--state", &url, "--unattended"],
            "A PostgreSQL state needs --seal-key-file",
        ),
        (
            vec![
                "--state",
                "postgres://erp:pg-Canary-0xC0FFEE@127.0.0.1:notaport/erp",
                "--seal-key-file",
                key,
                "status",
            ],
            "the PostgreSQL URL is not valid (it is not shown: it may hold a password): the value of `port` is not valid",
        ),
        // What is wrong is named, never a part of the string.
        (
            vec!["--state", &bad_mode, "--seal-key-file", key, "status"],
            "it may hold a password): `sslmode` must be disable, prefer, require, verify-ca or verify-full",
        ),
        (
            vec!["--state", &keywords, "--seal-key-file", key, "status"],
            "it may hold a password): `sslmode` must be",
        ),
        (
            vec!["--state", &bad_escape, "--seal-key-file", key, "status"],
            "it may hold a password): a `%` not followed by two hexadecimal digits",
        ),
        (
            vec![
                "--state",
                &url,
                "--seal-key-file",
                key,
                "--shared-folder",
                "status",
            ],
            "--shared-folder needs --state",
        ),
        (
            vec!["--state", "memory", "--shared-folder", "status"],
            "--shared-folder needs --state",
        ),
        (
            vec![
                "--state",
                &url,
                "--seal-key-file",
                key,
                "reseal",
                "--to",
                key,
            ],
            "reseal needs --state with the state file's path",
        ),
    ];
    for (args, says) in cases {
        for verbose in [false, true] {
            let mut args = [&["--locale", "en"][..], &args].concat();
            if verbose {
                args.push("--verbose");
            }
            let out = run(&args, "");
            assert_eq!(out.code, 2, "{args:?}: {out:?}");
            assert!(out.stderr.contains(says), "{args:?}: {out:?}");
            assert_clean(&out, None);
        }
    }
    // A remote host without TLS is refused before anything is sent.
    let remote = format!("postgres://erp:{PASSWORD}@db.example.invalid/erp");
    let out = run(
        &[
            "--locale",
            "en",
            "--state",
            &remote,
            "--seal-key-file",
            key,
            "status",
        ],
        "",
    );
    assert_eq!(out.code, 6, "{out:?}");
    assert!(out.stderr.contains("add sslmode=require"), "{out:?}");
    assert_clean(&out, None);
}

#[test]
fn smartlink_state_stands_for_the_flag() {
    let world = support::World::new();
    world.bind();
    let mut cmd = command(&[
        "--locale",
        "en",
        "--sandbox-state",
        world.sandbox().to_str().unwrap(),
        "status",
    ]);
    cmd.env("SMARTLINK_STATE", world.state());
    let out = run_with(cmd, "");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Produção Nova"), "{out:?}");
}

/// `text` with what changes from run to run replaced: the ports (the
/// database's shown as 5432, the sandbox's as `PORT`), dates, client ids
/// and measured durations.
fn normalise(text: &str, pg_port: u16, sandbox_port: u16) -> String {
    let text = text
        .replace(&format!("127.0.0.1:{pg_port}"), "127.0.0.1:5432")
        .replace(&format!("127.0.0.1:{sandbox_port}"), "127.0.0.1:PORT");
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let digits = |from: usize, n: usize| {
        (from..from + n).all(|k| chars.get(k).is_some_and(|c| c.is_ascii_digit()))
    };
    let rest = |from: usize| chars[from.min(chars.len())..].iter().collect::<String>();
    while i < chars.len() {
        // 2026-12-04 23:51 UTC
        if digits(i, 4) && chars.get(i + 4) == Some(&'-') && rest(i + 16).starts_with(" UTC") {
            out.push_str("YYYY-MM-DD hh:mm");
            i += 16;
            continue;
        }
        // cli_ followed by 32 hex digits
        if rest(i).starts_with("cli_")
            && (i + 4..i + 36).all(|k| chars.get(k).is_some_and(|c| c.is_ascii_hexdigit()))
        {
            out.push_str("cli_…");
            i += 36;
            continue;
        }
        // (41 ms), (1.5 s), skew: 0 s.
        if chars[i] == '(' || rest(i).starts_with("server: ") {
            let start = if chars[i] == '(' { i + 1 } else { i + 8 };
            let mut j = start;
            while chars
                .get(j)
                .is_some_and(|c| c.is_ascii_digit() || *c == '.')
            {
                j += 1;
            }
            let unit = rest(j);
            if j > start && (unit.starts_with(" ms") || unit.starts_with(" s")) {
                out.push_str(&chars[i..start].iter().collect::<String>());
                out.push('N');
                i = j;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The shared-state transcript in `docs/configurator.md` is what the
/// program shows: produced here against a real PostgreSQL and the
/// sandbox, and compared with the document's section between its markers.
/// `SMARTLINK_BLESS=1` rewrites the section.
#[test]
fn the_shared_state_transcript_is_the_programs() {
    let (mut pg, url) = database();
    let sandbox = demo_sandbox();
    let keys = tempfile::tempdir().unwrap();
    let key = seal_key(keys.path(), "seal.key");
    let platform = sandbox.url();
    let shown_url = url.replace(PASSWORD, "***");
    let common = format!(
        "--seal-key-file /etc/smartlink/seal.key --platform-url {platform} --token \"$TOKEN\""
    );
    let mut doc = String::new();
    let mut step = |title: &str, args: &[&str], out: &Out| {
        assert_clean(out, None);
        let shown_args: Vec<String> = args
            .iter()
            .map(|a| {
                if a.contains(' ') {
                    format!("\"{a}\"")
                } else {
                    a.to_string()
                }
            })
            .collect();
        let mut block = format!(
            "{title}:\n\n```text\n$ smartlink-configurator --locale en {common} {}\n",
            shown_args.join(" ")
        );
        block.push_str(&out.stdout);
        let stderr: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| !l.starts_with("… "))
            .collect();
        if !stderr.is_empty() {
            block.push_str("# on stderr:\n");
            for line in stderr {
                block.push_str(line);
                block.push('\n');
            }
        }
        block.push_str(&format!("# exit {}\n```\n\n", out.code));
        doc.push_str(&block);
    };
    let env_state = |machine: &Machine, args: &[&str]| -> Out {
        let mut all: Vec<String> = ["--locale", "en", "--seal-key-file"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        all.push(key.to_str().unwrap().to_owned());
        for extra in ["--platform-url", &platform, "--token", TOKEN] {
            all.push(extra.to_owned());
        }
        all.extend(args.iter().map(|s| s.to_string()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let mut cmd = command(&all);
        cmd.current_dir(machine.dir.path());
        cmd.env("SMARTLINK_STATE", &url);
        run_with(cmd, "")
    };
    let a = Machine::new(&url, &key, &platform);
    let b = Machine::new(&url, &key, &platform);

    let args = [
        "--unattended",
        "--installation-name",
        "Matriz SP",
        "--environment",
        "Produção Nova",
    ];
    let out = env_state(&a, &args);
    assert_eq!(out.code, 0, "{out:?}");
    step("On the first machine, unattended", &args, &out);
    let out = env_state(&b, &["status"]);
    assert_eq!(out.code, 0, "{out:?}");
    step(
        "On a second machine (the same URL and key, no local file)",
        &["status"],
        &out,
    );
    let out = env_state(&b, &["check"]);
    assert_eq!(out.code, 0, "{out:?}");
    step("`check` there", &["check"], &out);
    pg.stop();
    let out = env_state(&b, &["status"]);
    assert_eq!(out.code, 6, "{out:?}");
    step("The database stopped", &["status"], &out);

    let transcript = format!(
        "With `SMARTLINK_STATE='{shown_url}'` in the environment (so the \
         password stays out of `ps`) and the platform's bearer token in `$TOKEN`:\n\n{doc}"
    );
    let transcript = normalise(&transcript, pg.port(), sandbox.addr().port());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configurator.md");
    let current = std::fs::read_to_string(&path).unwrap();
    let begin = "<!-- shared-state transcript: begin (tests/shared_state.rs) -->\n";
    let end = "<!-- shared-state transcript: end -->";
    let (head, tail) = current.split_once(begin).expect("the begin marker");
    let (_, tail) = tail.split_once(end).expect("the end marker");
    let expected = format!("{head}{begin}{transcript}{end}{tail}");
    if std::env::var("SMARTLINK_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &expected).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap();
    assert!(
        current == expected,
        "docs/configurator.md's shared-state transcript differs from the program; \
         run with SMARTLINK_BLESS=1 to rewrite it. The program shows:\n{transcript}"
    );
}
