//! `rotate`: new credentials for the bound environment.

use super::fail;
use crate::exit;
use crate::setup::Ctx;
use crate::task::watch_task;
use crate::texts::{render, text};
use crate::ui::Progress;

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
