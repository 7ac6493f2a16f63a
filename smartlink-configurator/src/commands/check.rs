//! `check`: reachability, TLS, proxy, clock skew, the platform bearer token,
//! and the installation's own credentials (a token request with them).
//!
//! The two tokens are different things and get a line each: the platform
//! bearer token (`--token`, what the configurator itself is authenticated
//! with) and the installation's credentials (what the ERP gets its access
//! tokens with). "All good" only when both hold. Exit codes: 0 all good
//! (or nothing configured to check beyond the platform), 3 the
//! installation's credentials were refused (`invalid_client`), 4 the
//! platform or the token endpoint failed (unreachable, slow, refused
//! bearer token, server error), 6 the local state could not be read.

use std::sync::Arc;
use std::time::Instant;

use smartlink_core::messages::duration_text;
use smartlink_core::{
    ClientAuthMethod, ErrorCode, HttpPlatform, Platform as _, PlatformError, TokenError,
};

use crate::diagnose::{diagnose, proxy_settings, strip_credentials};
use crate::exit;
use crate::report::{platform_message, with_detail};
use crate::setup::Ctx;
use crate::texts::{render, text};
use crate::ui::Progress;

/// How the platform part went.
enum PlatformPart {
    Fine,
    Failed,
}

/// How the installation's credentials fared.
enum CredentialsPart {
    Accepted,
    NoneStored,
    Refused,
    EndpointFailed,
    StateUnreadable,
}

/// `check`: reachability, TLS, proxy, clock skew, bearer token, credentials.
pub async fn check(ctx: &Ctx) -> u8 {
    let loc = ctx.locale;
    let (Some(http), Some(url)) = (&ctx.http, &ctx.platform_url) else {
        return exit::INTERNAL;
    };

    let tls = if url.starts_with("https:") {
        text(loc, "check.tls_rustls")
    } else {
        text(loc, "check.tls_none")
    };
    outln!("{}", render(loc, "check.tls", &[("detail", tls)]));
    let proxies = match &ctx.cli.proxy {
        Some(explicit) => vec![format!("--proxy {}", strip_credentials(explicit))],
        None => proxy_settings(),
    };
    let proxy = if proxies.is_empty() {
        text(loc, "check.proxy_none").to_owned()
    } else {
        proxies.join(", ")
    };
    outln!("{}", render(loc, "check.proxy", &[("detail", &proxy)]));

    let platform = platform_part(ctx, http, url).await;
    let credentials = credentials_part(ctx, http).await;

    match (platform, credentials) {
        (_, CredentialsPart::StateUnreadable) => {
            outln!("{}", text(loc, "check.failed"));
            exit::STATE
        }
        (PlatformPart::Failed, _) | (_, CredentialsPart::EndpointFailed) => {
            outln!("{}", text(loc, "check.failed"));
            exit::PLATFORM
        }
        (PlatformPart::Fine, CredentialsPart::Refused) => {
            outln!("{}", text(loc, "check.failed"));
            exit::DECISION
        }
        (PlatformPart::Fine, CredentialsPart::NoneStored) => {
            outln!("{}", text(loc, "check.ok_unconfigured"));
            exit::OK
        }
        (PlatformPart::Fine, CredentialsPart::Accepted) => {
            outln!("{}", text(loc, "check.ok"));
            exit::OK
        }
    }
}

/// Reachability and the platform bearer token (one listing), then the
/// clock skew against the server's `Date` header.
async fn platform_part(ctx: &Ctx, http: &HttpPlatform, url: &str) -> PlatformPart {
    let loc = ctx.locale;
    let progress = Progress::start(ctx.tty, text(loc, "progress.working"));
    let started = Instant::now();
    let listed = http.list_environments(ctx.spec.line, &ctx.spec.id).await;
    let elapsed = duration_text(started.elapsed());
    progress.finish();
    let reachable = || {
        render(
            loc,
            "check.reachable",
            &[("url", url), ("elapsed", &elapsed)],
        )
    };
    let mut part = PlatformPart::Fine;
    match listed {
        Ok(_) => {
            outln!("{}", reachable());
            outln!("{}", text(loc, "check.token_ok"));
        }
        Err(PlatformError::Api {
            code: ErrorCode::Unauthorized,
            ..
        }) => {
            outln!("{}", reachable());
            outln!("{}", text(loc, "check.token_refused"));
            part = PlatformPart::Failed;
        }
        Err(e @ (PlatformError::Transport { .. } | PlatformError::Timeout { .. })) => {
            // Not reached: say why, and measure nothing it did not answer.
            let cause = diagnose(url, ctx.cli.proxy.is_some()).await;
            outln!(
                "{}",
                render(
                    loc,
                    "cli.check_unreachable",
                    &[("url", url), ("cause", text(loc, cause))]
                )
            );
            if ctx.cli.verbose {
                outln!("({e})");
            }
            outln!("{}", text(loc, "cli.check_token_unknown"));
            outln!("{}", text(loc, "cli.check_clock_unknown"));
            return PlatformPart::Failed;
        }
        Err(e) => {
            outln!(
                "{}",
                render(
                    loc,
                    "check.unreachable",
                    &[("detail", &platform_message(ctx, &e))]
                )
            );
            part = PlatformPart::Failed;
        }
    }

    // Through the library's client: the same proxy and trusted roots.
    match http.server_clock().await.ok().flatten() {
        Some((server, local)) => {
            let skew = seconds_between(local, server);
            outln!(
                "{}",
                render(loc, "check.clock", &[("seconds", &skew.to_string())])
            );
            if skew.abs() > 60 {
                outln!("{}", text(loc, "check.clock_warning"));
            }
        }
        None => outln!("{}", text(loc, "check.no_date")),
    }
    part
}

/// One token request with the installation's stored credentials (refused
/// ones included: a success clears the refusal), and what a refusal means.
async fn credentials_part(ctx: &Ctx, http: &HttpPlatform) -> CredentialsPart {
    let loc = ctx.locale;
    let token_url = http.token_url().as_str();
    let method = http.client_auth();
    let progress = Progress::start(ctx.tty, text(loc, "progress.working"));
    let checked = ctx.cfg.reverify_credentials().await;
    progress.finish();
    match checked {
        Ok(check) => {
            outln!(
                "{}",
                render(
                    loc,
                    "check.credentials_ok",
                    &[
                        ("client", check.client_id.as_str()),
                        ("method", method.as_str()),
                        ("elapsed", &duration_text(check.elapsed)),
                    ]
                )
            );
            if check.refusal_cleared {
                outln!("{}", text(loc, "check.credentials_cleared"));
            }
            CredentialsPart::Accepted
        }
        Err(TokenError::NotConfigured) => {
            outln!("{}", text(loc, "check.credentials_none"));
            CredentialsPart::NoneStored
        }
        Err(TokenError::Revoked { client_id, .. }) => {
            let other = match method {
                ClientAuthMethod::ClientSecretBasic => ClientAuthMethod::ClientSecretPost,
                _ => ClientAuthMethod::ClientSecretBasic,
            };
            if other_method_works(ctx, other).await {
                let flag = match other {
                    ClientAuthMethod::ClientSecretBasic => "basic",
                    _ => "post",
                };
                outln!(
                    "{}",
                    render(
                        loc,
                        "check.credentials_wrong_method",
                        &[
                            ("client", client_id.as_str()),
                            ("method", method.as_str()),
                            ("other", other.as_str()),
                            ("flag", flag),
                        ]
                    )
                );
            } else {
                let status = ctx
                    .own_state()
                    .and_then(|s| s.revocation)
                    .and_then(|r| r.status)
                    .map_or_else(|| "401".to_owned(), |s| s.to_string());
                outln!(
                    "{}",
                    render(
                        loc,
                        "check.credentials_refused",
                        &[
                            ("client", client_id.as_str()),
                            ("status", &status),
                            ("method", method.as_str()),
                            ("token_url", token_url),
                        ]
                    )
                );
            }
            CredentialsPart::Refused
        }
        Err(TokenError::Platform(e)) => {
            let line = match &e {
                PlatformError::Timeout { elapsed, .. } => render(
                    loc,
                    "check.credentials_slow",
                    &[
                        ("token_url", token_url),
                        ("elapsed", &duration_text(*elapsed)),
                    ],
                ),
                PlatformError::Transport { .. } => render(
                    loc,
                    "check.credentials_down",
                    &[
                        ("token_url", token_url),
                        ("detail", &platform_message(ctx, &e)),
                    ],
                ),
                _ => render(
                    loc,
                    "check.credentials_failed",
                    &[
                        ("token_url", token_url),
                        ("detail", &platform_message(ctx, &e)),
                    ],
                ),
            };
            outln!("{line}");
            CredentialsPart::EndpointFailed
        }
        Err(e @ TokenError::State(_)) => {
            outln!(
                "{}",
                render(
                    loc,
                    "check.credentials_state",
                    &[(
                        "detail",
                        &with_detail(
                            ctx.cli.verbose,
                            smartlink_core::messages::code_text(loc, "state"),
                            &e.to_string()
                        )
                    )]
                )
            );
            CredentialsPart::StateUnreadable
        }
        Err(e) => {
            outln!(
                "{}",
                render(
                    loc,
                    "check.credentials_failed",
                    &[("token_url", token_url), ("detail", &e.to_string())]
                )
            );
            CredentialsPart::EndpointFailed
        }
    }
}

/// Whether the stored credentials get a token with the `other` client
/// authentication method (same token URL, nothing stored): tells a wrong
/// method from a revocation.
async fn other_method_works(ctx: &Ctx, other: ClientAuthMethod) -> bool {
    let Some(config) = &ctx.http_config else {
        return false;
    };
    let Ok(probe) = HttpPlatform::new(config.clone().with_client_auth(other)) else {
        return false;
    };
    let probe = Arc::new(probe);
    ctx.cfg.probe_credentials_with(probe.as_ref()).await.is_ok()
}

/// `a - b` in whole seconds, negative when `a` is earlier.
fn seconds_between(a: std::time::SystemTime, b: std::time::SystemTime) -> i64 {
    match a.duration_since(b) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}
