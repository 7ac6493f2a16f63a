//! The unattended mode, `status` and `check`, and the texts they share with
//! the wizard.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use smartlink_core::FailureCode;
use smartlink_core::configurator::error_code;
use smartlink_core::messages::{Locale, code_text, kind_label, line_label, render, text};
use smartlink_core::state::TaskOutcome;
use smartlink_core::wizard::TaskStep;
use smartlink_core::{
    Availability, ConfiguratorError, DecisionError, EnsureOutcome, ErrorCode, Platform,
    PlatformError, Scenario, StateError, TaskStatus, UnattendedRequest, UnattendedTarget,
};

use crate::exit;
use crate::setup::{Ctx, StateLocation};
use crate::ui::{Progress, validation_text};

pub use smartlink_core::messages::{availability_text, inconsistency_text};

/// The catalogue's text for a task step.
pub fn step_text(loc: Locale, step: Option<TaskStep>) -> String {
    smartlink_core::messages::step_text(loc, step).to_owned()
}

/// The exit code for a task or platform failure code.
pub fn platform_code_exit(code: &FailureCode) -> u8 {
    match code {
        FailureCode::State | FailureCode::Busy => exit::STATE,
        FailureCode::Decision => exit::DECISION,
        _ => exit::PLATFORM,
    }
}

/// Shows the background task's steps until it ends.
pub async fn follow_task(ctx: &Ctx) -> TaskStatus {
    let progress = Progress::start(ctx.tty, &step_text(ctx.locale, None));
    let status = watch_task(ctx, &progress, ctx.cfg.wait_for_task()).await;
    progress.finish();
    status
}

/// Runs `work` while the spinner follows the task's steps.
async fn watch_task<T>(ctx: &Ctx, progress: &Progress, work: impl Future<Output = T>) -> T {
    let mut work = std::pin::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => return out,
            _ = tokio::time::sleep(Duration::from_millis(50)) => {
                if let TaskStatus::Running { step, .. } = ctx.cfg.task_status() {
                    progress.set(&step_text(ctx.locale, Some(step)));
                }
            }
        }
    }
}

/// A localized message and the exit code for a failure.
/// `environment` is the name the administrator gave, for messages.
pub fn report_error(
    ctx: &Ctx,
    error: &ConfiguratorError,
    environment: Option<&str>,
) -> (String, u8) {
    let loc = ctx.locale;
    let verbose = ctx.cli.verbose;
    match error {
        ConfiguratorError::Decision(d) => match d {
            DecisionError::EnvironmentNotFound(name) => (
                render(loc, "cli.environment_not_found", &[("name", name)]),
                exit::DECISION,
            ),
            DecisionError::NotSelectable { reason, .. } => (
                render(
                    loc,
                    "cli.unavailable_pick",
                    &[(
                        "reason",
                        &availability_text(
                            loc,
                            &Availability::Unavailable {
                                reason: reason.clone(),
                            },
                        ),
                    )],
                ),
                exit::DECISION,
            ),
            DecisionError::ConfirmationRequired(id) => (
                render(
                    loc,
                    "cli.confirmation_required",
                    &[("name", environment.unwrap_or(id.as_str()))],
                ),
                exit::DECISION,
            ),
            DecisionError::ConfirmationMismatch(_) => {
                (text(loc, "overwrite.mismatch").to_owned(), exit::DECISION)
            }
            DecisionError::CreateNotOffered => (
                text(loc, "cli.create_not_offered").to_owned(),
                exit::DECISION,
            ),
            DecisionError::NameTaken => (code_text(loc, "name_taken"), exit::DECISION),
            DecisionError::Inconsistent(inconsistency) => {
                let support_id = uuid::Uuid::new_v4().to_string();
                // For support: the id and what was found (no secrets in it).
                if verbose {
                    errln!(
                        "smartlink-configurator: support id {support_id}: inconsistent data: {}",
                        serde_json::to_string(inconsistency).unwrap_or_default()
                    );
                }
                (
                    format!(
                        "{}\n{}\n{}",
                        text(loc, "error.inconsistent"),
                        inconsistency_text(loc, inconsistency),
                        render(loc, "error.support", &[("id", &support_id)])
                    ),
                    exit::INCONSISTENT,
                )
            }
            DecisionError::Invalid(v) => (validation_text(loc, v), exit::USAGE),
            DecisionError::NameRequired => (text(loc, "cli.name_required").to_owned(), exit::USAGE),
            other => (
                with_detail(verbose, code_text(loc, "refused"), &other.to_string()),
                exit::INTERNAL,
            ),
        },
        ConfiguratorError::Platform(p) => (platform_message(ctx, p), exit::PLATFORM),
        ConfiguratorError::State(s) => (state_error_text(loc, verbose, s), exit::STATE),
        ConfiguratorError::Busy => (code_text(loc, "busy"), exit::STATE),
        ConfiguratorError::TaskFailed {
            task_id,
            code,
            detail,
        } => (
            format!(
                "{}\n{}",
                with_detail(verbose, code_text(loc, code.as_str()), detail),
                render(loc, "cli.support_id", &[("id", &task_id.to_string())])
            ),
            platform_code_exit(code),
        ),
        ConfiguratorError::NotConfigured => (
            text(loc, "status.not_configured").to_owned(),
            exit::DECISION,
        ),
        other => (
            with_detail(verbose, code_text(loc, "internal"), &other.to_string()),
            exit::INTERNAL,
        ),
    }
}

/// A message, followed by the English technical detail with `--verbose`.
pub fn with_detail(verbose: bool, message: String, detail: &str) -> String {
    if verbose && !detail.is_empty() {
        format!("{message} ({detail})")
    } else {
        message
    }
}

/// The catalogue's text for a state error (the detail with `--verbose`).
pub fn state_error_text(loc: Locale, verbose: bool, e: &StateError) -> String {
    let key = match e {
        StateError::InsecurePermissions { .. } => "cli.state_insecure",
        StateError::ForeignOwner { .. } => "cli.state_foreign_owner",
        StateError::Corrupt { .. } | StateError::UnsupportedVersion { .. } => "cli.state_set_aside",
        StateError::Io { path, source, .. } => {
            // Which file, and why, in the administrator's language.
            let message = render(
                loc,
                "cli.state_io",
                &[
                    ("path", &path.display().to_string()),
                    ("cause", text(loc, io_cause(source.kind()))),
                ],
            );
            return with_detail(verbose, message, &e.to_string());
        }
        _ => "code.state",
    };
    with_detail(verbose, text(loc, key).to_owned(), &e.to_string())
}

/// The catalogue key that says why a file operation failed.
fn io_cause(kind: std::io::ErrorKind) -> &'static str {
    use std::io::ErrorKind as K;
    match kind {
        K::NotFound => "io.not_found",
        K::PermissionDenied => "io.permission_denied",
        K::IsADirectory => "io.is_a_directory",
        K::NotADirectory => "io.not_a_directory",
        K::ReadOnlyFilesystem => "io.read_only",
        K::StorageFull | K::QuotaExceeded => "io.storage_full",
        K::WouldBlock | K::ResourceBusy => "io.busy",
        _ => "io.other",
    }
}

/// Why the platform could not be reached, from what the error says.
fn transport_cause(e: &PlatformError) -> Option<&'static str> {
    match e {
        PlatformError::Timeout { .. } => Some("cause.timeout"),
        PlatformError::Transport { detail, .. } => Some(if detail.contains("refused") {
            "cause.refused"
        } else if detail.contains("unreachable") && !detail.contains("TLS") {
            "cause.network"
        } else {
            "cause.connect"
        }),
        _ => None,
    }
}

/// The catalogue's text for a platform error (the English detail, which
/// holds no secret, only with `--verbose`).
pub fn platform_message(ctx: &Ctx, e: &PlatformError) -> String {
    let loc = ctx.locale;
    let mut message = code_text(loc, error_code(e).as_str());
    if let Some(cause) = transport_cause(e) {
        message = format!("{message} {}", text(loc, cause));
    }
    with_detail(ctx.cli.verbose, message, &e.to_string())
}

/// A date for messages: `2026-12-02 06:24 UTC`.
pub fn date_text(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn print_done(ctx: &Ctx, environment: &str, reused: bool) {
    let loc = ctx.locale;
    outln!("{}", text(loc, "done.title"));
    outln!("{}", render(loc, "done.body", &[("name", environment)]));
    let key = if reused { "done.reused" } else { "done.issued" };
    outln!("{}", text(loc, key));
    outln!("{}", stored_where(ctx));
}

/// Where the credentials were stored, for the Done screen.
pub fn stored_where(ctx: &Ctx) -> String {
    let loc = ctx.locale;
    match &ctx.state {
        StateLocation::File(path) => render(
            loc,
            "cli.done_stored_file",
            &[("path", &path.display().to_string())],
        ),
        StateLocation::Temporary(path) => render(
            loc,
            "cli.done_stored_temporary",
            &[("path", &path.display().to_string())],
        ),
        StateLocation::Memory => text(loc, "cli.done_stored_memory").to_owned(),
    }
}

/// `--unattended`: no prompts; the same rules and confirmation as the wizard.
pub async fn unattended(ctx: &Ctx) -> u8 {
    let loc = ctx.locale;
    let cli = &ctx.cli;
    let target = match (&cli.environment, &cli.create) {
        (Some(name), _) => Some(UnattendedTarget::Environment(name.clone())),
        (None, Some(name)) => Some(UnattendedTarget::Create(name.clone())),
        (None, None) => None,
    };
    let progress = Progress::start(ctx.tty, text(loc, "progress.working"));
    let Some(target) = target else {
        // Nothing chosen: repair an existing binding if the platform has one.
        let outcome = watch_task(ctx, &progress, ctx.cfg.ensure_configured()).await;
        progress.finish();
        return match outcome {
            Ok(EnsureOutcome::AlreadyConfigured) => {
                outln!("{}", text(loc, "cli.already_configured"));
                exit::OK
            }
            Ok(EnsureOutcome::Configured {
                environment_id,
                reused_credentials,
            }) => {
                let name = match ctx.cfg.status() {
                    Ok(s) => s.binding.map(|b| b.environment_name.as_str().to_owned()),
                    Err(_) => None,
                };
                print_done(
                    ctx,
                    &name.unwrap_or_else(|| environment_id.to_string()),
                    reused_credentials,
                );
                exit::OK
            }
            Ok(EnsureOutcome::AdminNeeded {
                scenario: Scenario::Inconsistent { reason },
            }) => {
                fail(
                    ctx,
                    &ConfiguratorError::Decision(DecisionError::Inconsistent(reason)),
                    None,
                )
                .await
            }
            // Not bound: the command line must say what to bind to (usage).
            Ok(EnsureOutcome::AdminNeeded { .. }) => {
                errln!("smartlink-configurator: {}", text(loc, "cli.admin_needed"));
                exit::USAGE
            }
            Err(e) => fail(ctx, &e, None).await,
        };
    };
    // An overwrite: who holds the environment now, to say who lost access.
    let holder = match (&cli.confirm, &cli.environment) {
        (Some(_), Some(wanted)) => current_holder(ctx, wanted).await,
        _ => None,
    };
    let request = UnattendedRequest {
        installation_name: cli.installation_name.clone(),
        target,
        confirm: cli.confirm.clone(),
    };
    let result = watch_task(ctx, &progress, ctx.cfg.configure_unattended(&request)).await;
    progress.finish();
    match result.map(|o| (o.nothing_to_do, o.status)) {
        Ok((
            true,
            TaskStatus::Succeeded {
                environment_name, ..
            },
        )) => {
            outln!(
                "{}",
                render(
                    loc,
                    "cli.nothing_to_do",
                    &[("name", environment_name.as_str())]
                )
            );
            exit::OK
        }
        Ok((
            false,
            TaskStatus::Succeeded {
                environment_name,
                reused_credentials,
                ..
            },
        )) => {
            if let Some(name) = &cli.installation_name {
                ctx.remember_name(name);
            }
            print_done(ctx, environment_name.as_str(), reused_credentials);
            if let Some((installation, line)) = holder {
                outln!(
                    "{}",
                    render(
                        loc,
                        "cli.done_lost_access",
                        &[
                            ("installation", &installation),
                            ("line", line),
                            ("environment", environment_name.as_str()),
                        ],
                    )
                );
            }
            exit::OK
        }
        Ok((_, other)) => {
            errln!("smartlink-configurator: unexpected task status {other:?}");
            exit::INTERNAL
        }
        Err(e) => fail(ctx, &e, cli.environment.as_deref()).await,
    }
}

async fn fail(ctx: &Ctx, e: &ConfiguratorError, environment: Option<&str>) -> u8 {
    let (message, code) = report_error(ctx, e, environment);
    errln!("{message}");
    if let ConfiguratorError::Decision(DecisionError::EnvironmentNotFound(_)) = e {
        list_valid_names(ctx).await;
    }
    code
}

/// After "environment not found": the names that can be given.
async fn list_valid_names(ctx: &Ctx) {
    let loc = ctx.locale;
    let Some(http) = &ctx.http else { return };
    let Ok(envs) = http.list_environments(ctx.spec.line, &ctx.spec.id).await else {
        return;
    };
    errln!("{}", text(loc, "cli.valid_names"));
    for env in &envs {
        let availability = if env.kind == ctx.spec.kind {
            String::new()
        } else {
            format!(
                " ({})",
                render(
                    loc,
                    "availability.kind_mismatch",
                    &[("kind", kind_label(loc, env.kind))]
                )
            )
        };
        errln!("  - {}{availability}", env.name.as_str());
    }
}

/// The installation of this line (other than this one) that holds the
/// listed environment named `wanted`: its name and line.
async fn current_holder(ctx: &Ctx, wanted: &str) -> Option<(String, &'static str)> {
    let http = ctx.http.as_ref()?;
    let envs = http
        .list_environments(ctx.spec.line, &ctx.spec.id)
        .await
        .ok()?;
    let key = smartlink_core::EnvironmentName::new(wanted)
        .ok()?
        .uniqueness_key();
    let env = envs.iter().find(|e| e.name.uniqueness_key() == key)?;
    let binding = env.binding_for(ctx.spec.line)?;
    (binding.installation_id != ctx.spec.id).then(|| {
        (
            binding.installation_name.as_str().to_owned(),
            line_label(binding.line),
        )
    })
}

/// `status`: local only; never the secret.
pub fn status(ctx: &Ctx) -> u8 {
    let loc = ctx.locale;
    outln!(
        "{}",
        render(
            loc,
            "cli.installation",
            &[
                ("id", ctx.spec.id.as_str()),
                ("line", line_label(ctx.spec.line)),
                ("kind", kind_label(loc, ctx.spec.kind)),
            ],
        )
    );
    match &ctx.state {
        StateLocation::File(path) | StateLocation::Temporary(path) => outln!(
            "{}",
            render(
                loc,
                "cli.state_file",
                &[("path", &path.display().to_string())]
            )
        ),
        StateLocation::Memory if ctx.cli.state.is_none() => {
            outln!("{}", text(loc, "cli.status_temporary"));
            return exit::DECISION;
        }
        StateLocation::Memory => outln!("{}", text(loc, "cli.state_memory")),
    }
    if let Some(problem) = &ctx.state_problem {
        errln!("{problem}");
        return exit::STATE;
    }
    let status = match ctx.cfg.status() {
        Ok(s) => s,
        Err(e) => {
            errln!("{}", state_error_text(loc, ctx.cli.verbose, &e));
            return exit::STATE;
        }
    };
    if status.state_from_other_installation {
        outln!("{}", text(loc, "status.clone"));
    }
    match &status.binding {
        Some(b) if !status.needs_configuration => outln!(
            "{}",
            render(
                loc,
                "status.configured",
                &[
                    ("name", b.environment_name.as_str()),
                    ("id", b.environment_id.as_str()),
                    ("since", &date_text(b.bound_at)),
                ],
            )
        ),
        _ => outln!("{}", text(loc, "status.not_configured")),
    }
    if let Some(client_id) = &status.client_id {
        outln!("{}", render(loc, "status.client", &[("id", client_id)]));
        match status.credentials_expire_at {
            Some(at) => outln!(
                "{}",
                render(loc, "status.expires", &[("at", &date_text(at))])
            ),
            None => outln!("{}", text(loc, "status.never_expires")),
        }
    }
    if let Some(task) = &status.last_task
        && let TaskOutcome::Failed { code, .. } = &task.outcome
    {
        outln!(
            "{}",
            render(
                loc,
                "cli.last_failure",
                &[
                    ("reason", &code_text(loc, code.as_str())),
                    ("id", &task.task_id.to_string())
                ],
            )
        );
    }
    if let Some(id) = status.interrupted_task {
        outln!(
            "{}",
            render(loc, "status.interrupted", &[("id", &id.to_string())])
        );
    }
    if let Some(revoked) = &status.credentials_revoked {
        outln!(
            "{}",
            render(
                loc,
                "cli.status_revoked",
                &[
                    ("client", revoked.client_id.as_str()),
                    ("at", &date_text(revoked.detected_at)),
                ],
            )
        );
    }
    if status.needs_configuration {
        exit::DECISION
    } else {
        exit::OK
    }
}

/// Proxy variables in use, with any credentials in their URLs hidden.
fn proxy_settings() -> Vec<String> {
    let mut out = Vec::new();
    for name in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        let Ok(value) = std::env::var(name) else {
            continue;
        };
        if value.trim().is_empty() {
            continue;
        }
        let shown = if name.eq_ignore_ascii_case("no_proxy") {
            value
        } else {
            strip_credentials(&value)
        };
        out.push(format!("{name}={shown}"));
    }
    out
}

fn strip_credentials(raw: &str) -> String {
    // reqwest accepts proxies without a scheme ("user:pw@host:3128"), which
    // `Url` reads as scheme "user": parse such values as http URLs.
    let parsed = if raw.contains("://") {
        reqwest::Url::parse(raw)
    } else {
        reqwest::Url::parse(&format!("http://{raw}"))
    };
    match parsed {
        Ok(mut url) => {
            if !url.username().is_empty() || url.password().is_some() {
                let _ = url.set_username("***");
                let _ = url.set_password(None);
            }
            let shown = url.to_string();
            if raw.contains("://") {
                shown
            } else {
                shown.trim_start_matches("http://").to_owned()
            }
        }
        // Not a URL: show only whether it holds an '@' part.
        Err(_) => match raw.rsplit_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => raw.to_owned(),
        },
    }
}

/// `check`: reachability, TLS, proxy, clock skew, token.
pub async fn check(ctx: &Ctx) -> u8 {
    let loc = ctx.locale;
    let (Some(http), Some(url)) = (&ctx.http, &ctx.platform_url) else {
        return exit::INTERNAL;
    };
    let mut ok = true;

    let tls = if url.starts_with("https:") {
        text(loc, "check.tls_rustls")
    } else {
        text(loc, "check.tls_none")
    };
    outln!("{}", render(loc, "check.tls", &[("detail", tls)]));
    let proxies = match &ctx.cli.proxy {
        Some(explicit) => vec![format!("--proxy {}", strip_credentials(explicit))],
        None => proxy_settings(),
    };
    let proxy = if proxies.is_empty() {
        text(loc, "check.proxy_none").to_owned()
    } else {
        proxies.join(", ")
    };
    outln!("{}", render(loc, "check.proxy", &[("detail", &proxy)]));

    // Reachability and the token: one listing.
    let progress = Progress::start(ctx.tty, text(loc, "progress.working"));
    let started = Instant::now();
    let listed = http.list_environments(ctx.spec.line, &ctx.spec.id).await;
    let elapsed = started.elapsed().as_millis().to_string();
    progress.finish();
    match listed {
        Ok(_) => {
            outln!(
                "{}",
                render(loc, "check.reachable", &[("url", url), ("ms", &elapsed)])
            );
            outln!("{}", text(loc, "check.token_ok"));
        }
        Err(PlatformError::Api {
            code: ErrorCode::Unauthorized,
            ..
        }) => {
            outln!(
                "{}",
                render(loc, "check.reachable", &[("url", url), ("ms", &elapsed)])
            );
            outln!("{}", text(loc, "check.token_refused"));
            ok = false;
        }
        Err(e @ (PlatformError::Transport { .. } | PlatformError::Timeout { .. })) => {
            // Not reached: say why, and measure nothing it did not answer.
            let cause = diagnose(url, ctx.cli.proxy.is_some()).await;
            outln!(
                "{}",
                render(
                    loc,
                    "cli.check_unreachable",
                    &[("url", url), ("cause", text(loc, cause))]
                )
            );
            if ctx.cli.verbose {
                outln!("({e})");
            }
            outln!("{}", text(loc, "cli.check_token_unknown"));
            outln!("{}", text(loc, "cli.check_clock_unknown"));
            outln!("{}", text(loc, "check.failed"));
            return exit::PLATFORM;
        }
        Err(e) => {
            outln!(
                "{}",
                render(
                    loc,
                    "check.unreachable",
                    &[("detail", &platform_message(ctx, &e))]
                )
            );
            ok = false;
        }
    }

    // Clock skew against the server's Date header.
    // Through the library's client: the same proxy and trusted roots.
    match http.server_clock().await.ok().flatten() {
        Some((server, local)) => {
            let skew = seconds_between(local, server);
            outln!(
                "{}",
                render(loc, "check.clock", &[("seconds", &skew.to_string())])
            );
            if skew.abs() > 60 {
                outln!("{}", text(loc, "check.clock_warning"));
            }
        }
        None => outln!("{}", text(loc, "check.no_date")),
    }

    if ok {
        outln!("{}", text(loc, "check.ok"));
        exit::OK
    } else {
        outln!("{}", text(loc, "check.failed"));
        exit::PLATFORM
    }
}

/// `a - b` in whole seconds, negative when `a` is earlier.
fn seconds_between(a: std::time::SystemTime, b: std::time::SystemTime) -> i64 {
    match a.duration_since(b) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// Why `url` cannot be reached, as a catalogue key: the proxy in the way,
/// the name not resolved, the connection refused or not answered, or (the
/// connection made) TLS or the HTTP exchange.
async fn diagnose(url: &str, explicit_proxy: bool) -> &'static str {
    const STEP: Duration = Duration::from_secs(5);
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return "cause.connect";
    };
    let https = parsed.scheme() == "https";
    let Some(host) = parsed.host_str().map(str::to_owned) else {
        return "cause.connect";
    };
    let port = parsed.port_or_known_default().unwrap_or(443);
    if explicit_proxy || proxy_for(&parsed).is_some() {
        return "cause.proxy";
    }
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addrs: Vec<std::net::SocketAddr> =
        match tokio::time::timeout(STEP, tokio::net::lookup_host((host.as_str(), port))).await {
            Err(_) => return "cause.timeout",
            Ok(Err(_)) => return "cause.dns",
            Ok(Ok(addrs)) => addrs.collect(),
        };
    let Some(addr) = addrs.first() else {
        return "cause.dns";
    };
    match tokio::time::timeout(STEP, tokio::net::TcpStream::connect(addr)).await {
        Err(_) => "cause.timeout",
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => "cause.refused",
        Ok(Err(_)) => "cause.network",
        Ok(Ok(_)) if https => "cause.tls",
        Ok(Ok(_)) => "cause.http",
    }
}

/// The proxy variable that applies to `url`, if any (NO_PROXY honoured for
/// plain host names and suffixes).
fn proxy_for(url: &reqwest::Url) -> Option<String> {
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if let Some(no_proxy) = get(&["NO_PROXY", "no_proxy"]) {
        let bypass = no_proxy.split(',').map(str::trim).any(|entry| {
            let entry = entry.trim_start_matches('.').to_ascii_lowercase();
            entry == "*"
                || (!entry.is_empty() && (host == entry || host.ends_with(&format!(".{entry}"))))
        });
        if bypass {
            return None;
        }
    }
    if url.scheme() == "https" {
        get(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])
    } else {
        get(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
    }
}

/// `rotate`: new credentials for the bound environment, verified before they
/// replace the stored ones.
pub async fn rotate(ctx: &Ctx) -> u8 {
    let loc = ctx.locale;
    let progress = Progress::start(ctx.tty, text(loc, "step.issuing_credentials"));
    let result = watch_task(ctx, &progress, ctx.cfg.rotate_credentials()).await;
    progress.finish();
    match result {
        Ok(credentials) => {
            let environment = ctx
                .cfg
                .status()
                .ok()
                .and_then(|s| s.binding)
                .map(|b| b.environment_name.as_str().to_owned())
                .unwrap_or_default();
            outln!(
                "{}",
                render(
                    loc,
                    "cli.rotated",
                    &[
                        ("environment", &environment),
                        ("client", credentials.client_id.as_ref()),
                    ],
                )
            );
            exit::OK
        }
        Err(e) => fail(ctx, &e, None).await,
    }
}

/// `unbind`: the bound environment's name typed (or `--confirm NAME`), then
/// the binding is released on the platform and the local state forgotten.
pub async fn unbind(ctx: &Ctx, confirm: Option<&str>) -> u8 {
    let loc = ctx.locale;
    let bound = ctx
        .own_state()
        .and_then(|s| s.binding)
        .map(|b| b.environment_name.as_str().to_owned());
    let bound = match bound {
        Some(name) => name,
        None => match bound_on_platform(ctx).await {
            Ok(Some(name)) => name,
            Ok(None) => {
                errln!("{}", text(loc, "status.not_configured"));
                return exit::DECISION;
            }
            Err(code) => return code,
        },
    };
    let typed = match confirm {
        Some(typed) => typed.to_owned(),
        None => {
            outln!(
                "{}",
                render(loc, "cli.unbind_warning", &[("environment", &bound)])
            );
            let prompt = render(loc, "overwrite.type_name", &[("name", &bound)]);
            match ctx.ui.input(&prompt, None).await {
                Ok(t) => t,
                Err(crate::ui::UiError::Interrupted) => crate::setup::interrupt(),
                Err(_) => {
                    errln!(
                        "{}",
                        render(
                            loc,
                            "cli.unbind_confirm_required",
                            &[("environment", &bound)]
                        )
                    );
                    return exit::DECISION;
                }
            }
        }
    };
    if !smartlink_core::confirmation::confirmation_matches(&bound, &typed) {
        errln!("{}", text(loc, "overwrite.mismatch"));
        return exit::DECISION;
    }
    let progress = Progress::start(ctx.tty, text(loc, "progress.working"));
    let result = ctx.cfg.unbind().await;
    progress.finish();
    match result {
        Ok(()) => {
            outln!("{}", render(loc, "cli.unbound", &[("environment", &bound)]));
            exit::OK
        }
        Err(e) => fail(ctx, &e, None).await,
    }
}

/// The environment the platform binds this installation to, by name.
async fn bound_on_platform(ctx: &Ctx) -> Result<Option<String>, u8> {
    let Some(http) = &ctx.http else {
        return Ok(None);
    };
    match http.list_environments(ctx.spec.line, &ctx.spec.id).await {
        Ok(envs) => Ok(envs.iter().find_map(|e| {
            e.binding_for(ctx.spec.line)
                .filter(|b| b.installation_id == ctx.spec.id)
                .map(|_| e.name.as_str().to_owned())
        })),
        Err(e) => Err(fail(ctx, &ConfiguratorError::Platform(e), None).await),
    }
}

/// `forget`: the local state only; the platform keeps the binding, and the
/// unattended repair (`--unattended` alone) obtains credentials again.
pub fn forget(ctx: &Ctx) -> u8 {
    let loc = ctx.locale;
    let had = ctx.own_state().is_some();
    match ctx.cfg.forget_local() {
        Ok(()) if had => {
            outln!("{}", text(loc, "cli.forgotten"));
            exit::OK
        }
        Ok(()) => {
            outln!("{}", text(loc, "cli.nothing_to_forget"));
            exit::OK
        }
        Err(e) => {
            let (message, code) = report_error(ctx, &e, None);
            errln!("{message}");
            code
        }
    }
}

#[cfg(test)]
mod strip_tests {
    use super::strip_credentials;

    #[test]
    fn proxy_passwords_are_never_shown() {
        for (raw, shown) in [
            (
                "http://user:s3cret@proxy.corp:3128",
                "http://***@proxy.corp:3128/",
            ),
            ("user:s3cret@proxy.corp:3128", "***@proxy.corp:3128/"),
            ("http://proxy.corp:3128", "http://proxy.corp:3128/"),
            ("proxy.corp:3128", "proxy.corp:3128/"),
        ] {
            let out = strip_credentials(raw);
            assert!(!out.contains("s3cret"), "{raw} -> {out}");
            assert_eq!(out, shown);
        }
    }
}

#[cfg(test)]
mod state_error_tests {
    use super::*;

    /// What a real store says about `path` (a directory, a path under a
    /// file), in every language: the file and the cause in the
    /// administrator's words; the English detail only with `--verbose`.
    #[test]
    fn state_file_errors_name_the_file_and_the_cause() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "x").unwrap();
        let cases = [
            (dir.path().to_path_buf(), "io.is_a_directory"),
            (plain.join("state.json"), "io.not_a_directory"),
        ];
        for (path, cause) in cases {
            let e = smartlink_core::FileStateStore::open(&path)
                .and_then(|s| s.inspect().map(|_| ()))
                .expect_err("the store refuses it");
            for loc in Locale::ALL {
                let shown = state_error_text(loc, false, &e);
                assert!(shown.contains(&path.display().to_string()), "{shown}");
                assert!(shown.contains(text(loc, cause)), "{loc:?} {cause}: {shown}");
                assert!(!shown.contains("failed for"), "English detail: {shown}");
                let verbose = state_error_text(loc, true, &e);
                assert!(verbose.contains(&e.to_string()), "{verbose}");
            }
        }
        for (kind, key) in [
            (std::io::ErrorKind::NotFound, "io.not_found"),
            (std::io::ErrorKind::PermissionDenied, "io.permission_denied"),
            (std::io::ErrorKind::ReadOnlyFilesystem, "io.read_only"),
            (std::io::ErrorKind::StorageFull, "io.storage_full"),
            (std::io::ErrorKind::Other, "io.other"),
        ] {
            assert_eq!(io_cause(kind), key);
            for loc in Locale::ALL {
                assert_ne!(text(loc, key), key, "{key} is in the catalogue");
            }
        }
    }
}
