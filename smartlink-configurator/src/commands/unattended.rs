//! `--unattended`: configures without prompts, with the same rules and
//! confirmation as the wizard.

use smartlink_core::Platform as _;
use smartlink_core::messages::{kind_label, line_label};
use smartlink_core::{
    ConfiguratorError, DecisionError, EnsureOutcome, Scenario, TaskStatus, UnattendedRequest,
    UnattendedTarget,
};

use super::{fail, print_done};
use crate::exit;
use crate::setup::Ctx;
use crate::task::watch_task;
use crate::texts::{render, text};
use crate::ui::Progress;

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
        let outcome = watch_task(ctx, &progress, ctx.cfg.ensure_configured_on_request()).await;
        progress.finish();
        return match outcome {
            Ok(EnsureOutcome::AlreadyConfigured) => {
                outln!("{}", text(loc, "cli.already_configured"));
                exit::OK
            }
            Ok(EnsureOutcome::Configured {
                environment_id,
                reused_credentials,
                only_candidate,
            }) => {
                if let Some(only) = &only_candidate {
                    outln!(
                        "{}",
                        render(loc, "cli.only_candidate", &[("environment", only.as_str())])
                    );
                }
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
    // The name the state remembers, to say when this run renamed it.
    let remembered = ctx
        .own_state()
        .and_then(|s| s.installation_name)
        .map(|n| n.as_str().to_owned());
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
            let renamed = cli
                .installation_name
                .as_deref()
                .and_then(|n| smartlink_core::InstallationName::new(n).ok())
                .map(|n| n.as_str().to_owned());
            if let (Some(old), Some(new)) = (&remembered, &renamed)
                && old != new
            {
                outln!(
                    "{}",
                    render(loc, "cli.done_renamed", &[("old", old), ("new", new)])
                );
            }
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

/// After "environment not found": the names that can be given.
pub async fn list_valid_names(ctx: &Ctx) {
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
