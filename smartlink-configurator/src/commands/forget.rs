//! `forget`: forgets the local state only (the platform keeps the binding).

use crate::texts::text;

use crate::exit;
use crate::report::report_error;
use crate::setup::Ctx;

/// `forget`: the local state only; the platform keeps the binding, and the
/// unattended repair (`--unattended` alone) obtains credentials again.
pub fn forget(ctx: &Ctx) -> u8 {
    let loc = ctx.locale;
    // A state that holds only the history (after an unbind or a forget)
    // has nothing left to forget.
    let had = ctx.own_state().is_some_and(|s| !s.is_forgotten());
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
