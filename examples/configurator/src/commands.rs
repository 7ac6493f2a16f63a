//! The unattended mode, `status` and `check`, and the texts they share with
//! the wizard.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use smartlink_core::configurator::error_code;
use smartlink_core::messages::{Locale, code_text, kind_label, line_label, render, text};
use smartlink_core::state::TaskOutcome;
use smartlink_core::wizard::TaskStep;
use smartlink_core::{
    Availability, ConfiguratorError, DecisionError, EnsureOutcome, ErrorCode, Platform,
    PlatformError, TaskStatus, UnattendedRequest, UnattendedTarget,
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
pub fn platform_code_exit(code: &str) -> u8 {
    match code {
        "state" | "busy" => exit::STATE,
        "decision" => exit::DECISION,
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
    loc: Locale,
    error: &ConfiguratorError,
    environment: Option<&str>,
) -> (String, u8) {
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
                eprintln!(
                    "smartlink-configurator: support id {support_id}: inconsistent data: {}",
                    serde_json::to_string(inconsistency).unwrap_or_default()
                );
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
            other => (other.to_string(), exit::INTERNAL),
        },
        ConfiguratorError::Platform(p) => (platform_message(loc, p), exit::PLATFORM),
        ConfiguratorError::State(s) => (format!("{} ({s})", code_text(loc, "state")), exit::STATE),
        ConfiguratorError::Busy => (code_text(loc, "busy"), exit::STATE),
        ConfiguratorError::TaskFailed {
            task_id,
            code,
            detail,
        } => (
            format!(
                "{} ({detail})\n{}",
                code_text(loc, code),
                render(loc, "cli.support_id", &[("id", &task_id.to_string())])
            ),
            platform_code_exit(code),
        ),
        ConfiguratorError::NotConfigured => (
            text(loc, "status.not_configured").to_owned(),
            exit::DECISION,
        ),
        other => (other.to_string(), exit::INTERNAL),
    }
}

/// The catalogue's text for a platform error, with its (secret-free) detail.
fn platform_message(loc: Locale, e: &PlatformError) -> String {
    format!("{} ({e})", code_text(loc, &error_code(e)))
}

fn print_done(loc: Locale, environment: &str, reused: bool) {
    println!("{}", text(loc, "done.title"));
    println!("{}", render(loc, "done.body", &[("name", environment)]));
    let key = if reused { "done.reused" } else { "done.issued" };
    println!("{}", text(loc, key));
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
                println!("{}", text(loc, "cli.already_configured"));
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
                    loc,
                    &name.unwrap_or_else(|| environment_id.to_string()),
                    reused_credentials,
                );
                exit::OK
            }
            Ok(EnsureOutcome::AdminNeeded { .. }) => {
                eprintln!("{}", text(loc, "cli.admin_needed"));
                exit::DECISION
            }
            Err(e) => fail(loc, &e, None),
        };
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
            println!(
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
            print_done(loc, environment_name.as_str(), reused_credentials);
            exit::OK
        }
        Ok((_, other)) => {
            eprintln!("smartlink-configurator: unexpected task status {other:?}");
            exit::INTERNAL
        }
        Err(e) => fail(loc, &e, cli.environment.as_deref()),
    }
}

fn fail(loc: Locale, e: &ConfiguratorError, environment: Option<&str>) -> u8 {
    let (message, code) = report_error(loc, e, environment);
    eprintln!("{message}");
    code
}

/// `status`: local only; never the secret.
pub fn status(ctx: &Ctx) -> u8 {
    let loc = ctx.locale;
    println!(
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
        StateLocation::File(path) | StateLocation::Temporary(path) => println!(
            "{}",
            render(
                loc,
                "cli.state_file",
                &[("path", &path.display().to_string())]
            )
        ),
        StateLocation::Memory if ctx.cli.state.is_none() => {
            println!("{}", text(loc, "cli.status_temporary"));
            return exit::DECISION;
        }
        StateLocation::Memory => println!("{}", text(loc, "cli.state_memory")),
    }
    let status = match ctx.cfg.status() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{} ({e})", code_text(loc, "state"));
            return exit::STATE;
        }
    };
    if status.state_from_other_installation {
        println!("{}", text(loc, "status.clone"));
    }
    match &status.binding {
        Some(b) if !status.needs_configuration => println!(
            "{}",
            render(
                loc,
                "status.configured",
                &[
                    ("name", b.environment_name.as_str()),
                    ("id", b.environment_id.as_str()),
                    ("since", &b.bound_at.to_rfc3339()),
                ],
            )
        ),
        _ => println!("{}", text(loc, "status.not_configured")),
    }
    if let Some(client_id) = &status.client_id {
        println!("{}", render(loc, "status.client", &[("id", client_id)]));
        match status.credentials_expire_at {
            Some(at) => println!(
                "{}",
                render(loc, "status.expires", &[("at", &at.to_rfc3339())])
            ),
            None => println!("{}", text(loc, "status.never_expires")),
        }
    }
    if let Some(task) = &status.last_task
        && let TaskOutcome::Failed { code, .. } = &task.outcome
    {
        println!(
            "{}",
            render(
                loc,
                "status.last_failure",
                &[("code", code), ("id", &task.task_id.to_string())],
            )
        );
    }
    if let Some(id) = status.interrupted_task {
        println!(
            "{}",
            render(loc, "status.interrupted", &[("id", &id.to_string())])
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
    println!("{}", render(loc, "check.tls", &[("detail", tls)]));
    let proxies = proxy_settings();
    let proxy = if proxies.is_empty() {
        text(loc, "check.proxy_none").to_owned()
    } else {
        proxies.join(", ")
    };
    println!("{}", render(loc, "check.proxy", &[("detail", &proxy)]));

    // Reachability and the token: one listing.
    let progress = Progress::start(ctx.tty, text(loc, "progress.working"));
    let started = Instant::now();
    let listed = http.list_environments(ctx.spec.line, &ctx.spec.id).await;
    let elapsed = started.elapsed().as_millis().to_string();
    progress.finish();
    match listed {
        Ok(_) => {
            println!(
                "{}",
                render(loc, "check.reachable", &[("url", url), ("ms", &elapsed)])
            );
            println!("{}", text(loc, "check.token_ok"));
        }
        Err(PlatformError::Api {
            code: ErrorCode::Unauthorized,
            ..
        }) => {
            println!(
                "{}",
                render(loc, "check.reachable", &[("url", url), ("ms", &elapsed)])
            );
            println!("{}", text(loc, "check.token_refused"));
            ok = false;
        }
        Err(e) => {
            println!(
                "{}",
                render(
                    loc,
                    "check.unreachable",
                    &[("detail", &platform_message(loc, &e))]
                )
            );
            ok = false;
        }
    }

    // Clock skew against the server's Date header.
    match server_date(url).await {
        Some((server, local)) => {
            let skew = (local - server).num_seconds();
            println!(
                "{}",
                render(loc, "check.clock", &[("seconds", &skew.to_string())])
            );
            if skew.abs() > 60 {
                println!("{}", text(loc, "check.clock_warning"));
            }
        }
        None => println!("{}", text(loc, "check.no_date")),
    }

    if ok {
        println!("{}", text(loc, "check.ok"));
        exit::OK
    } else {
        println!("{}", text(loc, "check.failed"));
        exit::PLATFORM
    }
}

/// The server's `Date` and the local time at the middle of the request.
async fn server_date(url: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .ok()?;
    let before = Utc::now();
    let response = client.get(url).send().await.ok()?;
    let after = Utc::now();
    let date = response
        .headers()
        .get(reqwest::header::DATE)?
        .to_str()
        .ok()?;
    let server = DateTime::parse_from_rfc2822(date).ok()?.with_timezone(&Utc);
    Some((server, before + (after - before) / 2))
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
