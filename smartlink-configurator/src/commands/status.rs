//! `status`: what is configured, for which environment, since when (local
//! only; the secret is never shown).

use smartlink_core::TaskOutcome;
use smartlink_core::messages::{code_text, kind_label, line_label};

use super::date_text;
use crate::exit;
use crate::report::state_error_text;
use crate::setup::Ctx;
use crate::store::StateLocation;
use crate::texts::{render, text};

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
