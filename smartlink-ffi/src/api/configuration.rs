//! The login gate, the transparent configuration and the background task,
//! as typed functions (the JSON operations give the details).

use smartlink_core::{EnsureOutcome, TaskStatus};

use super::handle::smartlink_configurator;
use crate::error::{self, smartlink_result};
use crate::operations;
use crate::panic::{boundary, try_out, try_ref};

/// What `smartlink_ensure_configured` found or did (its `outcome` output).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum smartlink_outcome {
    /// Valid credentials were already stored; nothing was done.
    AlreadyConfigured = 0,
    /// The platform already bound this installation: credentials were
    /// obtained, verified and stored.
    Configured = 1,
    /// An administrator must decide: show the wizard.
    AdminNeeded = 2,
}

/// The background task's state (the `status` output of
/// `smartlink_task_status` and `smartlink_wait_task`).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum smartlink_task_state {
    /// No task has run in this process.
    Idle = 0,
    /// Accepted, not yet started.
    Pending = 1,
    /// Running.
    Running = 2,
    /// Done: bound, credentials verified and stored.
    Succeeded = 3,
    /// Failed: the configurator is needed again.
    Failed = 4,
}

impl From<&TaskStatus> for smartlink_task_state {
    fn from(status: &TaskStatus) -> Self {
        match status {
            TaskStatus::Idle => Self::Idle,
            TaskStatus::Pending { .. } => Self::Pending,
            TaskStatus::Running { .. } => Self::Running,
            TaskStatus::Succeeded { .. } => Self::Succeeded,
            TaskStatus::Failed { .. } => Self::Failed,
        }
    }
}

/// The login gate: whether the configurator must be shown (or
/// `smartlink_ensure_configured` run). Reads local state only, no network.
///
/// - `handle`, `out` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`); `*out` is written only on success.
/// - Returns `SMARTLINK_RESULT_OK` or `SMARTLINK_RESULT_NULL_ARGUMENT`.
/// - When the state file was found corrupt or of a newer version (and set
///   aside), or was refused (permissions), the result is still
///   `SMARTLINK_RESULT_OK` with `*out` true, and the last error holds
///   `SMARTLINK_RESULT_STATE` with the problem (`state_corrupt: ...`) to
///   show and log; the `status` operation reports it too.
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_needs_configuration(
    handle: *const smartlink_configurator,
    out: *mut bool,
) -> smartlink_result {
    boundary(|| {
        let h = try_ref!(handle, "handle");
        let out = try_out!(out, "out");
        let cfg = h.inner.configurator();
        let needed = cfg.needs_configuration();
        // SAFETY: non-NULL, caller's writable pointer.
        unsafe { *out = needed };
        // The answer stands; a problem with the state file (set aside as
        // corrupt or newer, or refused) is also put in the last error so a
        // host that only calls the gate can log it.
        if let Some(problem) = cfg.state_problem() {
            error::set_last_error(
                smartlink_result::State,
                &format!("{}: {}", problem.code, problem.detail),
            );
        }
        Ok(())
    })
}

/// The transparent configuration, run at start-up with no administrator:
/// does nothing when configured, repairs the configuration when the
/// platform already binds this installation, or reports that an
/// administrator is needed.
///
/// - `handle`, `outcome` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`); `*outcome` is
///   written only on success.
/// - Returns `SMARTLINK_RESULT_OK`, or the failure: `TIMEOUT` when the
///   handle's deadline or a platform operation's own budget ran out,
///   `CANCELLED`, `PLATFORM` (the platform failed or refused), `STATE`,
///   `BUSY`, `TASK_FAILED`, `RUNTIME`, `NULL_ARGUMENT`.
/// - Blocks on the network, up to the handle's deadline; cancellable.
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_ensure_configured(
    handle: *const smartlink_configurator,
    outcome: *mut smartlink_outcome,
) -> smartlink_result {
    boundary(|| {
        let h = try_ref!(handle, "handle");
        let out = try_out!(outcome, "outcome");
        let code = match operations::ensure(&h.inner, None)? {
            EnsureOutcome::AlreadyConfigured => smartlink_outcome::AlreadyConfigured,
            EnsureOutcome::Configured { .. } => smartlink_outcome::Configured,
            EnsureOutcome::AdminNeeded { .. } => smartlink_outcome::AdminNeeded,
        };
        // SAFETY: non-NULL, caller's writable pointer.
        unsafe { *out = code };
        Ok(())
    })
}

/// The background task's state, without waiting.
///
/// - `handle`, `status` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`); `*status` is
///   written only on success. The details (step, failure code, support id)
///   are in the JSON `task_status` operation.
/// - Returns `SMARTLINK_RESULT_OK` or `SMARTLINK_RESULT_NULL_ARGUMENT`.
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_task_status(
    handle: *const smartlink_configurator,
    status: *mut smartlink_task_state,
) -> smartlink_result {
    boundary(|| {
        let h = try_ref!(handle, "handle");
        let out = try_out!(status, "status");
        let s = smartlink_task_state::from(&h.inner.configurator().task_status());
        // SAFETY: non-NULL, caller's writable pointer.
        unsafe { *out = s };
        Ok(())
    })
}

/// Waits until the background task has ended (or none runs), at most
/// `timeout_ms` milliseconds (0: the handle's deadline).
///
/// - `handle`, `status` (required: NULL gives `SMARTLINK_RESULT_NULL_ARGUMENT`); `*status` is written only on success.
/// - Returns `SMARTLINK_RESULT_OK` once the task has ended (its state in
///   `*status`), `SMARTLINK_RESULT_TIMEOUT` when it is still running at the
///   timeout, `SMARTLINK_RESULT_CANCELLED` after `smartlink_cancel`, or
///   `NULL_ARGUMENT`, `RUNTIME`.
/// - Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn smartlink_wait_task(
    handle: *const smartlink_configurator,
    timeout_ms: u32,
    status: *mut smartlink_task_state,
) -> smartlink_result {
    boundary(|| {
        let h = try_ref!(handle, "handle");
        let out = try_out!(status, "status");
        let timeout =
            (timeout_ms > 0).then(|| std::time::Duration::from_millis(u64::from(timeout_ms)));
        let s = h
            .inner
            .block_on(timeout, h.inner.configurator().wait_for_task())?;
        // SAFETY: non-NULL, caller's writable pointer.
        unsafe { *out = smartlink_task_state::from(&s) };
        Ok(())
    })
}
