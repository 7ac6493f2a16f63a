//! `support-report`: one owner-only `.tar.gz` named after the installation
//! and the UTC time, whose `report.json` is the core's report with what
//! `check` finds. It is made in every situation — the platform reachable
//! or not (through a proxy that fails), the state file corrupt, the state
//! locked by another holder, the PostgreSQL store down — and says what it
//! could not read and why. In each, canary secrets planted everywhere they
//! can be (the platform token, a proxy password in the flag and in the
//! variables, the database URL's password, the stored client secret, an
//! access token the platform issued, quoted in a stored task's detail) are
//! in no byte of stdout, stderr, the archive or its decompressed entries,
//! as they are or Base64-encoded.
#![cfg(unix)]

mod support;

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::Value;
use smartlink_core::{FailureCode, FileStateStore, StateStore as _, TaskOutcome, TaskRecord};
use smartlink_sandbox::{BackgroundSandbox, Sandbox, demo_seed};
use smartlink_testkit::pg_server::PgServer;
use support::{Out, command, run_with};

const ID: &str = "erp-support-01";
const PLATFORM_TOKEN: &str = "canaryPlatformToken7f3a2";
const PROXY_PASSWORD: &str = "canaryProxyPw91b2";
const ENV_PROXY_PASSWORD: &str = "canaryEnvProxyPw3c4d";
const DB_PASSWORD: &str = "canaryDbPassword6e7f";

/// The platform: a sandbox whose bearer token is a canary.
fn platform() -> BackgroundSandbox {
    smartlink_testkit::platforms::serve_in_background(
        Sandbox::from_seed(&demo_seed(), PLATFORM_TOKEN).unwrap(),
    )
}

/// The canaries of one run: the planted ones and those the platform issued.
struct Canaries(Vec<String>);

impl Canaries {
    fn planted() -> Self {
        Self(
            [
                PLATFORM_TOKEN,
                PROXY_PASSWORD,
                ENV_PROXY_PASSWORD,
                DB_PASSWORD,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        )
    }

    fn with(mut self, secret: &str) -> Self {
        assert!(secret.len() >= 8, "a canary long enough to search");
        self.0.push(secret.to_owned());
        self
    }

    /// Fails when `bytes` hold a canary, as it is or in Base64 (at each of
    /// the three alignments).
    fn assert_absent(&self, what: &str, bytes: &[u8]) {
        for canary in &self.0 {
            let mut forms = vec![canary.clone()];
            for skip in 0..3 {
                let b64 = base64(&canary.as_bytes()[skip..]);
                // The part not touched by what comes before or after.
                forms.push(b64[2..b64.len() - 4].to_owned());
            }
            for form in forms {
                assert!(
                    !contains(bytes, form.as_bytes()),
                    "{what} holds {canary} (as {form})"
                );
            }
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                T[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// The common flags: English, this installation, the platform and its
/// canary token.
fn base(url: &str, state: &str) -> Vec<String> {
    [
        "--locale",
        "en",
        "--installation-id",
        ID,
        "--platform-url",
        url,
        "--token",
        PLATFORM_TOKEN,
        "--state",
        state,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn run_in(dir: &Path, args: &[String], proxy_env: bool) -> Out {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = command(&args);
    cmd.current_dir(dir);
    if proxy_env {
        // A proxy with a password in the variables, bypassed for loopback.
        cmd.env(
            "HTTPS_PROXY",
            format!("http://erp:{ENV_PROXY_PASSWORD}@proxy.invalid:3128"),
        )
        .env("NO_PROXY", "127.0.0.1,localhost");
    }
    run_with(cmd, "")
}

/// What one `support-report` left: its output, the archive's path, bytes,
/// and decompressed entries.
struct Made {
    out: Out,
    path: PathBuf,
    archive: Vec<u8>,
    entries: Vec<(String, Vec<u8>)>,
}

impl Made {
    fn report(&self) -> Value {
        let (_, bytes) = self
            .entries
            .iter()
            .find(|(name, _)| name == "report.json")
            .expect("report.json in the archive");
        serde_json::from_slice(bytes).expect("report.json is JSON")
    }

    fn check_output(&self) -> String {
        let (_, bytes) = self
            .entries
            .iter()
            .find(|(name, _)| name == "check-output.txt")
            .expect("check-output.txt in the archive");
        String::from_utf8(bytes.clone()).unwrap()
    }

    fn assert_no_canary(&self, canaries: &Canaries) {
        canaries.assert_absent("stdout", self.out.stdout.as_bytes());
        canaries.assert_absent("stderr", self.out.stderr.as_bytes());
        canaries.assert_absent("the archive", &self.archive);
        let mut tar_bytes = Vec::new();
        flate2::read::GzDecoder::new(&self.archive[..])
            .read_to_end(&mut tar_bytes)
            .unwrap();
        canaries.assert_absent("the tar", &tar_bytes);
        for (name, bytes) in &self.entries {
            canaries.assert_absent(name, bytes);
        }
    }
}

/// Runs `support-report --out <dir>/reports` and opens what it wrote.
fn support_report(dir: &Path, args: &[String], proxy_env: bool) -> Made {
    let reports = dir.join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let mut all = args.to_vec();
    all.extend(["support-report", "--out", reports.to_str().unwrap()].map(String::from));
    let out = run_in(dir, &all, proxy_env);
    assert_eq!(out.code, 0, "{out:?}");
    let names = support::listing(&reports);
    assert_eq!(names.len(), 1, "{names:?}");
    let name = &names[0];
    assert!(
        name.starts_with(&format!("smartlink-support-{ID}-")) && name.ends_with("Z.tar.gz"),
        "{name}"
    );
    let path = reports.join(name);
    // The path is printed; the file is the owner's only.
    assert!(out.stdout.contains(path.to_str().unwrap()), "{out:?}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }
    let archive = std::fs::read(&path).unwrap();
    let mut entries = Vec::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&archive[..]));
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        entries.push((name, bytes));
    }
    std::fs::remove_file(&path).unwrap();
    Made {
        out,
        path,
        archive,
        entries,
    }
}

/// Binds the installation on the file `state`, then gets an access token
/// and plants it, as a platform answer quoted, in the stored last task.
/// Returns the canaries with the client secret and that token.
fn bind_and_plant(dir: &Path, url: &str, state: &Path) -> Canaries {
    let args = base(url, state.to_str().unwrap());
    let mut bind = args.clone();
    bind.extend(support::BIND_MATRIZ_SP.iter().map(|s| s.to_string()));
    let out = run_in(dir, &bind, false);
    assert_eq!(out.code, 0, "{out:?}");
    let mut token = args.clone();
    token.push("token".into());
    let out = run_in(dir, &token, false);
    assert_eq!(out.code, 0, "{out:?}");
    let access_token = out.stdout.trim().to_owned();
    let store = FileStateStore::open(state).unwrap();
    let mut stored = store.load().unwrap().unwrap();
    let secret = stored.credentials.as_ref().unwrap().client_secret.clone();
    stored.last_task = Some(TaskRecord {
        task_id: uuid::Uuid::new_v4(),
        outcome: TaskOutcome::Failed {
            code: FailureCode::Protocol,
            detail: format!(
                "the token endpoint answered {{\"access_token\":\"{access_token}\"}} (request id req-planted-1)"
            ),
        },
        finished_at: chrono::Utc::now(),
    });
    store.save(&stored).unwrap();
    use smartlink_core::ExposeSecret as _;
    Canaries::planted()
        .with(secret.expose_secret())
        .with(&access_token)
}

#[test]
fn reachable_unreachable_corrupt_and_locked_reports_hold_no_secret() {
    let platform = platform();
    let url = platform.url();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let canaries = bind_and_plant(dir.path(), &url, &state);
    let args = base(&url, state.to_str().unwrap());

    // Reachable, a proxy with a password in the variables.
    let made = support_report(dir.path(), &args, true);
    made.assert_no_canary(&canaries);
    let r = made.report();
    assert_eq!(r["installation"]["id"], ID);
    assert_eq!(r["installation"]["name"], "Matriz SP");
    assert_eq!(r["host"]["name"], "smartlink-configurator");
    assert!(r["library"]["version"].is_string());
    assert!(r["os"]["os"].is_string());
    assert_eq!(
        r["state"]["binding"]["environment_name"], "Produção Nova",
        "{r}"
    );
    assert!(r["state"]["client_id"].is_string(), "{r}");
    assert!(r["state"]["credentials_expire_at"].is_string(), "{r}");
    assert_eq!(r["store"]["kind"], "file");
    // The history, newest first: the binding made above.
    let history = r["history"].as_array().expect("the history");
    assert_eq!(
        history.last().map(|e| e["event"].clone()),
        Some(Value::from("first_binding")),
        "{r}"
    );
    let failures = r["failures"].as_array().unwrap();
    assert_eq!(failures[0]["code"], "protocol", "{r}");
    assert_eq!(failures[0]["request_id"], "req-planted-1", "{r}");
    assert!(failures[0]["support_code"].is_string(), "{r}");
    let lines = r["checks"]["lines"].as_array().unwrap();
    let lines: Vec<&str> = lines.iter().filter_map(Value::as_str).collect();
    assert!(
        lines.iter().any(|l| l.starts_with("Platform reachable at")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.starts_with("Proxy:")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("Clock skew")), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("State store")),
        "{lines:?}"
    );
    assert!(made.check_output().contains("Platform reachable at"));
    drop(made.path);

    // Unreachable: through a proxy (with a password) where nothing listens.
    let mut through = args.clone();
    through.extend([
        "--proxy".into(),
        format!("http://erp:{PROXY_PASSWORD}@127.0.0.1:9"),
    ]);
    let made = support_report(dir.path(), &through, true);
    made.assert_no_canary(&canaries);
    let r = made.report();
    assert_ne!(r["checks"]["exit_code"], 0, "{r}");
    let lines = r["checks"]["lines"].to_string();
    assert!(lines.contains("Platform unreachable at"), "{lines}");
    // The local part is all there.
    assert!(r["state"]["client_id"].is_string(), "{r}");

    // Locked: another holder of the state's lock.
    let other = FileStateStore::open(&state).unwrap();
    let held = other.try_lock().unwrap().expect("the lock is free");
    let made = support_report(dir.path(), &args, true);
    made.assert_no_canary(&canaries);
    let r = made.report();
    assert!(r["state"]["client_id"].is_string(), "{r}");
    // The holder (host, process id, random part) is named.
    let holder = r["store"]["health"]["lease_holder"]
        .as_str()
        .unwrap_or_default();
    let pid = std::process::id().to_string();
    assert!(holder.split(':').any(|part| part == pid), "{r}");
    drop(held);

    // Corrupt: the file holds the secret, broken; the report names the
    // problem, not the file's contents, and leaves the file where it is.
    let secret = canaries.0[4].clone();
    let corrupt = format!("{{\"credentials\":{{\"client_secret\":\"{secret}\"");
    std::fs::write(&state, &corrupt).unwrap();
    let made = support_report(dir.path(), &args, true);
    made.assert_no_canary(&canaries);
    let r = made.report();
    let why = r["state"]["unavailable"].as_str().unwrap_or_default();
    assert!(why.contains("could not be read"), "{r}");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), corrupt);
}

/// A PostgreSQL store whose server is stopped: the report is made, and
/// says the store could not be reached.
#[test]
fn the_report_with_the_store_down_says_so_and_holds_no_secret() {
    let platform = platform();
    let url = platform.url();
    let mut pg = PgServer::start();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("seal.key");
    let out = support::run(&["seal-key", "--out", key.to_str().unwrap()], "");
    assert_eq!(out.code, 0, "{out:?}");
    // The server trusts loopback: the password is the canary, never checked.
    let db = format!(
        "postgres://postgres:{DB_PASSWORD}@127.0.0.1:{}/postgres",
        pg.port()
    );
    let mut args = base(&url, &db);
    args.extend(["--seal-key-file".into(), key.to_str().unwrap().into()]);
    let mut bind = args.clone();
    bind.extend(support::BIND_MATRIZ_SP.iter().map(|s| s.to_string()));
    let out = run_in(dir.path(), &bind, false);
    assert_eq!(out.code, 0, "{out:?}");
    let canaries = Canaries::planted();

    // Up: the store is read.
    let made = support_report(dir.path(), &args, true);
    made.assert_no_canary(&canaries);
    let r = made.report();
    assert_eq!(r["store"]["kind"], "postgres", "{r}");
    assert!(r["state"]["client_id"].is_string(), "{r}");

    // Down.
    pg.stop();
    let made = support_report(dir.path(), &args, true);
    made.assert_no_canary(&canaries);
    let r = made.report();
    assert_eq!(r["store"]["kind"], "postgres", "{r}");
    let health = r["store"]["health"]["unavailable"]
        .as_str()
        .unwrap_or_default();
    assert!(!health.is_empty(), "{r}");
    let problem = r["state_problem"]["code"].as_str().unwrap_or_default();
    let state = r["state"].to_string();
    assert!(
        problem == "state_unreachable" || state.contains("unavailable"),
        "{r}"
    );
    assert!(
        made.check_output().contains("failed [unreachable]"),
        "{}",
        made.check_output()
    );
}

/// The help lists the command, in each language.
#[test]
fn the_help_names_the_support_report_in_every_language() {
    for (locale, word) in [
        ("pt-BR", "relatório de suporte"),
        ("es", "informe de soporte"),
        ("en", "support report"),
    ] {
        let out = support::run(&["--locale", locale, "--help"], "");
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out.stdout.contains("support-report"), "{out:?}");
        assert!(out.stdout.contains(word), "{out:?}");
    }
}

/// The error screen (here: the platform shows this installation under
/// another line) gives the support code and how to make the report, with
/// the folder its file will be written in, in each language.
#[test]
fn the_error_screen_names_the_code_and_the_report_in_every_language() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        format!(
            r#"{{"environments":[{{"id":"env_a","name":"Produção A","kind":"production",
               "bindings":[{{"installation_id":"{ID}","installation_name":"X","line":"datasul",
               "bound_at":"2025-01-01T00:00:00Z"}}]}}]}}"#
        ),
    )
    .unwrap();
    let here = dir.path().canonicalize().unwrap().display().to_string();
    for (locale, send) in [
        ("pt-BR", "Envie ao suporte TOTVS o código "),
        ("es", "Envíe al soporte TOTVS el código "),
        ("en", "Send TOTVS support the code "),
    ] {
        let args = [
            "--locale",
            locale,
            "--installation-id",
            ID,
            "--seed",
            seed.to_str().unwrap(),
            "--state",
            "memory",
        ];
        let mut cmd = command(&args);
        cmd.current_dir(dir.path());
        let out = run_with(cmd, "");
        assert_eq!(out.code, 5, "{out:?}");
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with(send))
            .unwrap_or_else(|| panic!("no support line: {out:?}"));
        let code = line[send.len()..].split(' ').next().unwrap();
        assert_eq!(code.len(), 36, "a UUID support code: {line}");
        assert!(
            line.contains("`smartlink-configurator support-report`"),
            "{line}"
        );
        assert!(line.contains(&here), "{line}");
    }
}

#[test]
fn a_report_that_cannot_be_written_says_why_in_the_chosen_language() {
    let dir = tempfile::tempdir().unwrap();
    // `--out` names a file, not a folder.
    let not_a_folder = dir.path().join("plain-file");
    std::fs::write(&not_a_folder, b"x").unwrap();
    let out_dir = not_a_folder.to_str().unwrap();
    for (locale, said) in [
        ("pt-BR", "uma parte do caminho não é um diretório."),
        ("es", "una parte de la ruta no es un directorio."),
        ("en", "part of the path is not a directory."),
    ] {
        let out = run_with(
            command(&[
                "--locale",
                locale,
                "--state",
                "memory",
                "support-report",
                "--out",
                out_dir,
            ]),
            "",
        );
        assert_eq!(out.code, 1, "{out:?}");
        assert!(out.stderr.contains(said), "{locale}: {out:?}");
        // The system's English words only with --verbose.
        assert!(!out.stderr.contains("os error"), "{locale}: {out:?}");
    }
    assert_eq!(std::fs::read(&not_a_folder).unwrap(), b"x");
}
