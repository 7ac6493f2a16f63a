//! `smartlink-configurator token`: prints the installation's access token,
//! and nothing else, on stdout — for scripts, as `gh auth token` does:
//!
//! ```sh
//! curl -H "Authorization: Bearer $(smartlink-configurator token --state …)" …/v1/whoami
//! ```
//!
//! Messages go to stderr. Exit codes: 0 printed; 3 not configured, or the
//! credentials were revoked or expired (the configurator is needed); 4 the
//! token request failed; 6 the local state could not be read.

use std::io::Write;

use crate::exit;
use crate::report::report_token_error;
use crate::setup::Ctx;

pub async fn token(ctx: &Ctx) -> u8 {
    match ctx.cfg.access_token().await {
        Ok(token) => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head -c0`) ends the program quietly.
            let _ = writeln!(out, "{}", token.expose_secret()).and_then(|()| out.flush());
            exit::OK
        }
        Err(e) => {
            let (message, code) = report_token_error(ctx, &e);
            errln!("smartlink-configurator: {message}");
            code
        }
    }
}
