//! Wiring: the installation, the platform (embedded sandbox or a real one),
//! the state store (`store`) and Ctrl-C; then the dispatch to the modes.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use secrecy::{ExposeSecret, SecretString};
use smartlink_core::messages::{Locale, kind_label, line_label};
use smartlink_core::{
    AdministratorName, Configurator, EndpointProblem, ErpLine, HttpPlatform, HttpPlatformConfig,
    IdentityComponents, InstallationId, InstallationSpec, Platform, ValidationError,
};
use smartlink_core::{LocalState, StateStore};
use smartlink_sandbox::{InMemoryPlatform, Seed};
use smartlink_sandbox::{RunningSandbox, Sandbox, demo_seed};

use crate::cli::{Cli, Command};
use crate::exit;
use crate::report::with_detail;
use crate::store::StateLocation;
use crate::texts::{render, text};
use crate::ui::{Ui, validation_text};

/// The identity components of the demo installation: fixed, so that
/// re-running with the same state finds the same installation.
pub const DEMO_IDENTITY: (&str, &str, &str) = ("demo-dbsrv01", "ERP_DEMO", "LIC-DEMO-0001");

/// Held while the local state is being written, and taken for good by the
/// Ctrl-C handler before the process exits: a write under way finishes, no
/// new one starts.
static WRITE_GATE: Mutex<()> = Mutex::new(());
/// The temporary state directory, removed on Ctrl-C too.
pub(crate) static TEMP_DIR: OnceLock<PathBuf> = OnceLock::new();
static LOCALE: OnceLock<Locale> = OnceLock::new();

pub(crate) fn write_gate() -> MutexGuard<'static, ()> {
    WRITE_GATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Ctrl-C: waits for a state write under way, restores the terminal, says
/// so and exits with 130.
pub fn interrupt() -> ! {
    let _gate = write_gate();
    // The cursor was hidden only on a terminal; a log file or a pipe gets
    // no escape sequence.
    if std::io::stderr().is_terminal() {
        let _ = dialoguer::console::Term::stderr().show_cursor();
    }
    let locale = LOCALE.get().copied().unwrap_or_default();
    errln!("\n{}", text(locale, "cancelled"));
    if let Some(dir) = TEMP_DIR.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
    std::process::exit(i32::from(exit::INTERRUPTED));
}

/// Everything a mode needs.
pub struct Ctx {
    pub cli: Cli,
    pub locale: Locale,
    pub spec: InstallationSpec,
    pub cfg: Configurator,
    /// The platform over HTTP (absent for `status`, which is local only).
    pub http: Option<Arc<HttpPlatform>>,
    /// What `http` was built from (for `check`'s probe of the other client
    /// authentication method).
    pub http_config: Option<HttpPlatformConfig>,
    pub platform_url: Option<String>,
    pub state: StateLocation,
    pub ui: Ui,
    /// Whether stderr is a terminal (spinners) .
    pub tty: bool,
    /// The state store (for `status`: a copy in memory of what was read).
    pub store: Arc<dyn StateStore>,
    /// The store itself (for `status`: the file behind the copy), for
    /// what `status` and `check` say about it.
    pub backing: crate::store::Backing,
    /// `status`: why the state file could not be read (it was left as is).
    pub state_problem: Option<String>,
    _sandbox: Option<RunningSandbox>,
    _temp: Option<tempfile::TempDir>,
}

impl Ctx {
    /// The installation's line: its id, ERP line and kind.
    pub fn installation_line(&self) -> String {
        render(
            self.locale,
            "cli.installation",
            &[
                ("id", self.spec.id.as_str()),
                ("line", line_label(self.spec.line)),
                ("kind", kind_label(self.locale, self.spec.kind)),
            ],
        )
    }

    /// The stored state when it is this installation's (else `None`).
    pub fn own_state(&self) -> Option<LocalState> {
        self.store
            .load()
            .ok()
            .flatten()
            .filter(|s| s.belongs_to(&self.spec.id, self.spec.line))
    }

    /// Keeps the installation's name in the state, for the next run. Best
    /// effort: the binding and the credentials are stored already.
    pub fn remember_name(&self, name: &str) {
        let Ok(name) = smartlink_core::InstallationName::new(name) else {
            return;
        };
        // The task that just ended may still be releasing the lock.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let guard = loop {
            match self.store.try_lock() {
                Ok(Some(guard)) => break guard,
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                _ => return,
            }
        };
        if let Some(mut state) = self.own_state()
            && state.installation_name.as_ref() != Some(&name)
        {
            state.installation_name = Some(name);
            // Under the lease, as every write: never over a newer state.
            let _ = self.store.save_fenced(&guard, &state);
        }
        drop(guard);
    }
}

/// A failure before any mode ran: message and exit code.
pub struct SetupError(pub String, pub u8);

pub async fn run(cli: Cli) -> u8 {
    let locale = cli.locale();
    let _ = LOCALE.set(locale);
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            interrupt();
        }
    });
    if let Some(code) = crate::commands::seal::early(&cli, locale) {
        return code;
    }
    let ctx = match build(cli, locale).await {
        Ok(ctx) => ctx,
        Err(SetupError(message, code)) => {
            errln!("smartlink-configurator: {message}");
            return code;
        }
    };
    crate::commands::run(&ctx).await
}

pub(crate) fn usage(message: String) -> SetupError {
    SetupError(message, exit::USAGE)
}

fn invalid(locale: Locale, flag: &str, e: &ValidationError) -> SetupError {
    usage(format!("{flag}: {}", validation_text(locale, e)))
}

/// Why `flag`'s URL is refused, in the administrator's language (the URL
/// itself is not repeated: it may hold a password).
fn endpoint_text(locale: Locale, flag: &str, problem: EndpointProblem) -> String {
    let key = match problem {
        EndpointProblem::NoHost => "cli.url_no_host",
        EndpointProblem::UserInfo => "cli.url_user_info",
        EndpointProblem::QueryOrFragment => "cli.url_query",
        EndpointProblem::PlainHttpRemote => "cli.url_plain_http",
        EndpointProblem::Scheme => "cli.url_scheme",
        _ => "cli.url_not_a_url",
    };
    render(locale, key, &[("flag", flag)])
}

/// Which connection setting the platform client refused, found by giving
/// the client each one alone (its own checks, not a copy of them), in the
/// administrator's language.
fn connection_setting_text(cli: &Cli, locale: Locale) -> String {
    let alone = |config: HttpPlatformConfig| HttpPlatform::new(config).is_err();
    let base = || HttpPlatformConfig::new("https://platform.invalid", SecretString::from("-"));
    if let Some(proxy) = &cli.proxy
        && alone(base().with_proxy(proxy.as_str()))
    {
        return text(locale, "cli.proxy_invalid").to_owned();
    }
    if let Some(path) = &cli.ca_file
        && alone(base().with_extra_ca_file(path))
    {
        return render(locale, "cli.ca_file_invalid", &[("path", path)]);
    }
    smartlink_core::messages::code_text(locale, "config")
}

fn random_token() -> String {
    format!("sandbox-{}", uuid::Uuid::new_v4().simple())
}

async fn build(cli: Cli, locale: Locale) -> Result<Ctx, SetupError> {
    let line: ErpLine = cli
        .line
        .as_str()
        .parse()
        .map_err(|e| invalid(locale, "--line", &e))?;
    let id = match &cli.installation_id {
        Some(id) => {
            InstallationId::new(id).map_err(|e| invalid(locale, "--installation-id", &e))?
        }
        None => {
            let (server, database, instance) = DEMO_IDENTITY;
            InstallationId::derive(line, &IdentityComponents::new(server, database, instance))
                .map_err(|e| invalid(locale, "--installation-id", &e))?
        }
    };
    let spec = InstallationSpec::parse(
        id.as_str(),
        cli.line.as_str(),
        cli.kind.as_str(),
        cli.installation_name.as_deref(),
    )
    .map_err(|e| invalid(locale, "--installation-name", &e))?;

    let status_only = matches!(cli.command, Some(Command::Status | Command::History { .. }));
    // Local only: no platform is reached.
    let offline = matches!(
        cli.command,
        Some(Command::Status | Command::Forget | Command::History { .. })
    );

    // The state store.
    let store = crate::store::open(&cli, locale, &spec)?;
    let (state, state_problem, temp, backing) =
        (store.location, store.problem, store.temp, store.backing);
    let store = store.store;

    // The platform.
    let mut sandbox = None;
    let mut http_config = None;
    let (platform, http, platform_url): (Arc<dyn Platform>, _, _) = if offline {
        let empty: Seed = serde_json::from_str(r#"{"environments":[]}"#).expect("a valid seed");
        let platform = InMemoryPlatform::from_seed(&empty)
            .map_err(|e| SetupError(e.to_string(), exit::INTERNAL))?;
        (Arc::new(platform), None, cli.platform_url.clone())
    } else {
        for (flag, url) in [
            ("--platform-url", &cli.platform_url),
            ("--token-url", &cli.token_url),
        ] {
            if let Some(problem) = url.as_deref().and_then(EndpointProblem::of) {
                return Err(usage(endpoint_text(locale, flag, problem)));
            }
        }
        let (url, token) = match &cli.platform_url {
            Some(url) => {
                let token = cli
                    .token
                    .as_ref()
                    .map(|t| t.expose_secret().to_owned())
                    .or_else(|| std::env::var("SMARTLINK_TOKEN").ok())
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| usage(text(locale, "cli.token_required").to_owned()))?;
                (url.clone(), token)
            }
            None => {
                let token = random_token();
                let running = start_sandbox(&cli, &token).await?;
                let url = running.url();
                sandbox = Some(running);
                (url, token)
            }
        };
        let mut config = HttpPlatformConfig::new(url.clone(), SecretString::from(token));
        if let Some(token_url) = &cli.token_url {
            config = config.with_token_url(token_url.as_str());
        }
        if let Some(ms) = cli.read_timeout_ms {
            config = config.with_read_timeout(std::time::Duration::from_millis(ms));
        }
        config = config.with_client_auth(cli.client_auth.method());
        if let Some(path) = &cli.ca_file {
            config = config.with_extra_ca_file(path);
        }
        if let Some(proxy) = &cli.proxy {
            config = config.with_proxy(proxy.as_str());
        }
        http_config = Some(config.clone());
        let http = Arc::new(HttpPlatform::new(config).map_err(|e| {
            SetupError(
                with_detail(
                    cli.verbose,
                    connection_setting_text(&cli, locale),
                    &e.to_string(),
                ),
                exit::USAGE,
            )
        })?);
        (http.clone() as Arc<dyn Platform>, Some(http), Some(url))
    };

    let admin = cli
        .admin
        .as_deref()
        .map(AdministratorName::new)
        .transpose()
        .map_err(|e| invalid(locale, "--admin", &e))?;
    let cfg = Configurator::builder(spec.clone(), platform, store.clone())
        .bind_only_candidate(!cli.no_single_candidate)
        .build()
        .map_err(|e| {
            SetupError(
                with_detail(
                    cli.verbose,
                    smartlink_core::messages::code_text(locale, "runtime"),
                    &e.to_string(),
                ),
                exit::INTERNAL,
            )
        })?
        .with_administrator(admin);
    let plain = cli.plain || !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal();
    let ctx = Ctx {
        locale,
        spec,
        cfg,
        http,
        http_config,
        platform_url,
        state,
        ui: Ui::new(locale, plain),
        tty: std::io::stderr().is_terminal(),
        store,
        backing,
        state_problem,
        cli,
        _sandbox: sandbox,
        _temp: temp,
    };
    if !status_only {
        print_banner(&ctx);
    }
    Ok(ctx)
}

async fn start_sandbox(cli: &Cli, token: &str) -> Result<RunningSandbox, SetupError> {
    let seed: Seed = match &cli.seed {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| usage(format!("--seed {path}: {e}")))?;
            serde_json::from_slice(&bytes).map_err(|e| usage(format!("--seed {path}: {e}")))?
        }
        None => demo_seed(),
    };
    let sandbox = match &cli.sandbox_state {
        Some(path) => Sandbox::persistent(&seed, token, PathBuf::from(path)),
        None => Sandbox::from_seed(&seed, token),
    }
    .map_err(|e| usage(format!("sandbox: {e}")))?;
    sandbox
        .serve("127.0.0.1:0")
        .await
        .map_err(|e| SetupError(format!("sandbox: {e}"), exit::INTERNAL))
}

/// The installation, the sandbox's URL (never its token) and the state file.
fn print_banner(ctx: &Ctx) {
    let loc = ctx.locale;
    errln!("{}", ctx.installation_line());
    if ctx.cli.platform_url.is_none()
        && let Some(url) = &ctx.platform_url
    {
        errln!("{}", render(loc, "cli.sandbox_started", &[("url", url)]));
    }
    match &ctx.state {
        StateLocation::File(path) => errln!(
            "{}",
            render(
                loc,
                "cli.state_file",
                &[("path", &path.display().to_string())]
            )
        ),
        StateLocation::Temporary(path) => {
            errln!(
                "{}",
                render(
                    loc,
                    "cli.state_file",
                    &[("path", &path.display().to_string())]
                )
            );
            errln!("{}", text(loc, "cli.state_temporary"));
        }
        StateLocation::Memory => errln!("{}", text(loc, "cli.state_memory")),
        StateLocation::Postgres(location) => {
            errln!(
                "{}",
                render(loc, "cli.state_postgres", &[("location", location)])
            )
        }
    }
    if let Some(every) = ctx.backing.describe().and_then(|d| d.refresh_every) {
        errln!(
            "{}",
            render(
                loc,
                "cli.state_shared",
                &[("every", &smartlink_core::messages::duration_text(every))]
            )
        );
    }
}
