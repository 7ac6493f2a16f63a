//! Following the background task: its steps on the spinner (or as lines
//! when stderr is not a terminal) until it ends.

use std::time::Duration;

use smartlink_core::TaskStatus;
use smartlink_core::messages::Locale;
use smartlink_core::wizard::TaskStep;

use crate::setup::Ctx;
use crate::ui::Progress;

/// The catalogue's text for a task step.
pub fn step_text(loc: Locale, step: Option<TaskStep>) -> String {
    smartlink_core::messages::step_text(loc, step).to_owned()
}

/// Shows the background task's steps until it ends.
pub async fn follow_task(ctx: &Ctx) -> TaskStatus {
    let progress = Progress::start(ctx.tty, &step_text(ctx.locale, None));
    let status = watch_task(ctx, &progress, ctx.cfg.wait_for_task()).await;
    progress.finish();
    status
}

/// Runs `work` while the spinner follows the task's steps.
pub async fn watch_task<T>(ctx: &Ctx, progress: &Progress, work: impl Future<Output = T>) -> T {
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
