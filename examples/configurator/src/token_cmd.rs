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

use smartlink_core::TokenError;
use smartlink_core::messages::code_text;

use crate::exit;
use crate::setup::Ctx;

pub async fn run(ctx: &Ctx) -> u8 {
    let loc = ctx.locale;
    match ctx.cfg.access_token().await {
        Ok(token) => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head -c0`) ends the program quietly.
            let _ = writeln!(out, "{}", token.expose_secret()).and_then(|()| out.flush());
            exit::OK
        }
        Err(e) => {
            let (message, code) = match &e {
                TokenError::NotConfigured => (code_text(loc, "not_configured"), exit::DECISION),
                TokenError::Revoked { .. } => {
                    (code_text(loc, "credentials_revoked"), exit::DECISION)
                }
                TokenError::Platform(p) => {
                    (crate::commands::platform_message(ctx, p), exit::PLATFORM)
                }
                TokenError::State(detail) => (
                    crate::commands::with_detail(ctx.cli.verbose, code_text(loc, "state"), detail),
                    exit::STATE,
                ),
                other => (other.to_string(), exit::INTERNAL),
            };
            eprintln!("smartlink-configurator: {message}");
            code
        }
    }
}
