//! `unbind`: releases the environment on the platform and forgets the local
//! state, once the bound environment's name is typed (or given).

use smartlink_core::ConfiguratorError;
use smartlink_core::Platform as _;
use smartlink_core::messages::code_text;

use super::fail;
use crate::exit;
use crate::setup::Ctx;
use crate::texts::{render, text};
use crate::ui::Progress;

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
    if !smartlink_core::confirmation_matches(&bound, &typed) {
        errln!("{}", code_text(loc, "confirmation_mismatch"));
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
