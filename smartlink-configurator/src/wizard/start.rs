//! What is known before anything is asked: the local state and the
//! platform's listing (a state error, an unreachable platform and
//! inconsistent data are shown first), and the menu of a configured
//! installation.

use smartlink_core::LocalBinding;
use smartlink_core::Platform as _;
use smartlink_core::messages::{ScreenKindTexts as T, screen_texts};
use smartlink_core::wizard::{ErrorReason, Screen};
use smartlink_core::{Classification, classify};
use smartlink_core::{ConfiguratorError, Installation, InstallationName, Scenario};

use super::{Session, ask_or, heading};
use crate::exit;
use crate::report::{platform_message, report_error};
use crate::setup::Ctx;
use crate::texts::{render, text};
use crate::ui::{MenuItem, Progress};

/// What is known before anything is asked.
pub enum Known {
    /// Configured: the binding, since when.
    Configured(LocalBinding),
    /// The wizard is needed.
    Unconfigured,
}

/// Reads the local state and the platform's listing before asking anything:
/// a state error, an unreachable platform and inconsistent data are shown
/// first; the installation's remembered name is found.
pub async fn know_the_situation(ctx: &Ctx, session: &mut Session) -> Result<Known, u8> {
    let loc = ctx.locale;
    let status = ctx.cfg.status().map_err(|e| {
        let (message, code) = report_error(ctx, &ConfiguratorError::State(e), None);
        errln!("{message}");
        code
    })?;
    let own = ctx.own_state();
    session.remembered = own
        .as_ref()
        .and_then(|s| s.installation_name.as_ref())
        .map(|n| n.as_str().to_owned());
    let Some(http) = &ctx.http else {
        return Ok(Known::Unconfigured);
    };
    let envs = loop {
        let progress = Progress::start(ctx.tty, text(loc, "progress.working"));
        let listed = http.list_environments(ctx.spec.line, &ctx.spec.id).await;
        progress.finish();
        match listed {
            Ok(envs) => break envs,
            Err(e) => {
                let support = uuid::Uuid::new_v4().to_string();
                heading(text(loc, "error.title"));
                outln!("{}", platform_message(ctx, &e));
                outln!("{}", text(loc, "error.retry"));
                outln!("{}", crate::commands::support_send(loc, &support));
                let items = vec![
                    text(loc, "cli.retry").to_owned(),
                    text(loc, "button.cancel").to_owned(),
                ];
                if ask_or(ctx, ctx.ui.select(text(loc, "cli.choose_prompt"), items, 0)).await? != 0
                {
                    outln!("{}", text(loc, "cli.cancelled_by_admin"));
                    return Err(exit::PLATFORM);
                }
            }
        }
    };
    // The name the platform knows this installation by, when bound.
    let platform_name = envs.iter().find_map(|e| {
        e.binding_for(ctx.spec.line)
            .filter(|b| b.installation_id == ctx.spec.id)
            .map(|b| b.installation_name.as_str().to_owned())
    });
    if session.remembered.is_none() {
        session.remembered = platform_name;
    }
    let name = session
        .remembered
        .as_deref()
        .and_then(|n| InstallationName::new(n).ok())
        .or_else(|| ctx.spec.name.clone())
        .or_else(|| InstallationName::new(ctx.spec.id.as_str()).ok())
        .unwrap_or_else(|| InstallationName::new("ERP").expect("a valid constant name"));
    let installation = Installation::new(ctx.spec.id.clone(), name, ctx.spec.line, ctx.spec.kind);
    let local_env = own
        .as_ref()
        .and_then(|s| s.binding.as_ref())
        .map(|b| b.environment_id.clone());
    let classification: Classification = classify(&installation, local_env.as_ref(), &envs);
    if let Scenario::Inconsistent { reason } = &classification.scenario {
        let support = uuid::Uuid::new_v4();
        if ctx.cli.verbose {
            errln!(
                "smartlink-configurator: support id {support}: inconsistent data: {}",
                serde_json::to_string(reason).unwrap_or_default()
            );
        }
        // Drawn as the wizard's error screen would be.
        let screen = Screen::Error {
            support_id: support,
            reason: ErrorReason::Inconsistent {
                inconsistency: reason.clone(),
            },
            retry_allowed: false,
        };
        if let T::Error {
            title,
            detail_lines,
            ..
        } = screen_texts(loc, &screen).screen
        {
            heading(&title);
            for line in &detail_lines {
                outln!("{line}");
            }
        }
        outln!(
            "{}",
            crate::commands::support_send(loc, &support.to_string())
        );
        return Err(exit::INCONSISTENT);
    }
    match status.binding {
        Some(binding) if !status.needs_configuration => Ok(Known::Configured(binding)),
        _ => Ok(Known::Unconfigured),
    }
}

/// A configured installation: what is configured, and what can be done.
/// `Ok(None)`: go on to the wizard (choose another environment).
pub async fn configured_menu(ctx: &Ctx, binding: &LocalBinding) -> Result<Option<u8>, u8> {
    let loc = ctx.locale;
    loop {
        heading(text(loc, "welcome.title"));
        outln!(
            "{}",
            render(
                loc,
                "cli.already_configured_since",
                &[
                    ("environment", binding.environment_name.as_str()),
                    ("since", &crate::commands::date_text(binding.bound_at)),
                ],
            )
        );
        let items = vec![
            MenuItem::new(text(loc, "cli.menu_rotate"))
                .with_detail(vec![text(loc, "cli.menu_rotate_detail").to_owned()]),
            MenuItem::new(text(loc, "cli.menu_check"))
                .with_detail(vec![text(loc, "cli.menu_check_detail").to_owned()]),
            MenuItem::new(text(loc, "cli.menu_rebind"))
                .with_detail(vec![text(loc, "cli.menu_rebind_detail").to_owned()]),
            MenuItem::new(text(loc, "cli.menu_exit")),
        ];
        let picked = ask_or(ctx, ctx.ui.menu(text(loc, "cli.choose_prompt"), items, 3)).await?;
        match picked {
            Some(0) => return Ok(Some(crate::commands::rotate(ctx).await)),
            Some(1) => {
                crate::commands::check(ctx).await;
            }
            Some(2) => return Ok(None),
            _ => return Ok(Some(exit::OK)),
        }
    }
}
