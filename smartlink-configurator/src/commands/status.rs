//! `status`: what is configured, for which environment, since when (local
//! only; the secret is never shown).

use std::time::Duration;

use smartlink_core::messages::{code_text, duration_text};
use smartlink_core::{StateError, StateProblemCode, StoreDescription, TaskOutcome};

use super::date_text;
use crate::exit;
use crate::report::{state_error_text, with_detail};
use crate::setup::Ctx;
use crate::store::StateLocation;
use crate::texts::{render, text};

/// `status`: local only; never the secret.
pub fn status(ctx: &Ctx) -> u8 {
    let loc = ctx.locale;
    outln!("{}", ctx.installation_line());
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
        // Said by the store's line below.
        StateLocation::Postgres(_) => {}
    }
    if let Some(problem) = &ctx.state_problem {
        errln!("{problem}");
        return exit::STATE;
    }
    if let Err(e) = store_lines(ctx) {
        return unusable(ctx, &e);
    }
    let status = match ctx.cfg.status() {
        Ok(s) => s,
        Err(e) => return unusable(ctx, &e),
    };
    if let Some(problem) = &status.state_problem
        && problem.code == StateProblemCode::Unreachable
    {
        // Out of reach since the store's lines were read.
        errln!(
            "{}",
            with_detail(ctx.cli.verbose, unreachable_text(ctx), &problem.detail)
        );
        errln!("{}", text(loc, "status.unreachable_gate"));
        return exit::STATE;
    }
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

/// The store: its kind and location, the state's version, who holds the
/// configuration lease (and until when), and how stale a shared store's
/// login gate can be. Reads only. Nothing for memory.
fn store_lines(ctx: &Ctx) -> Result<(), StateError> {
    let loc = ctx.locale;
    let Some(description) = ctx.backing.describe() else {
        return Ok(());
    };
    outln!(
        "{}",
        render(
            loc,
            "status.store",
            &[
                ("kind", kind_text(ctx, &description)),
                ("location", description.location.as_deref().unwrap_or("-")),
            ],
        )
    );
    let seen = ctx.backing.observe()?;
    if let Some(version) = seen.version {
        outln!(
            "{}",
            render(
                loc,
                "status.store_version",
                &[("version", &version.to_string())]
            )
        );
    }
    let epoch = seen.lease_epoch.unwrap_or(0).to_string();
    match (&seen.lease_holder, seen.lease_expires_in_ms) {
        (Some(holder), Some(ms)) => outln!(
            "{}",
            render(
                loc,
                "status.lease_held_until",
                &[
                    ("holder", holder),
                    ("epoch", &epoch),
                    (
                        "in",
                        &duration_text(Duration::from_millis(ms.max(0) as u64))
                    ),
                ],
            )
        ),
        (Some(holder), None) => outln!(
            "{}",
            render(
                loc,
                "status.lease_held",
                &[("holder", holder), ("epoch", &epoch)]
            )
        ),
        (None, _) => outln!("{}", render(loc, "status.lease_free", &[("epoch", &epoch)])),
    }
    if let Some(every) = description.refresh_every {
        outln!(
            "{}",
            render(loc, "status.refresh", &[("every", &duration_text(every))])
        );
    }
    Ok(())
}

/// The store's kind in the administrator's words.
pub fn kind_text(ctx: &Ctx, description: &StoreDescription) -> &'static str {
    let key = match description.kind {
        "postgres" => "status.kind_postgres",
        "file" if description.refresh_every.is_some() => "status.kind_shared_file",
        _ => "status.kind_file",
    };
    text(ctx.locale, key)
}

/// The store could not be read: why, and (out of reach) what that means
/// for the machines.
fn unusable(ctx: &Ctx, e: &StateError) -> u8 {
    errln!("{}", state_error_text(ctx.locale, ctx.cli.verbose, e));
    if matches!(e, StateError::Unreachable { .. }) {
        errln!("{}", text(ctx.locale, "status.unreachable_gate"));
    }
    exit::STATE
}

/// "The state store at … is unreachable", when the cause is only known as
/// the status's detail.
fn unreachable_text(ctx: &Ctx) -> String {
    let location = ctx
        .backing
        .describe()
        .and_then(|d| d.location)
        .unwrap_or_default();
    render(
        ctx.locale,
        "cli.state_unreachable",
        &[
            ("location", &location),
            ("cause", text(ctx.locale, "store.cause_lost")),
        ],
    )
}
