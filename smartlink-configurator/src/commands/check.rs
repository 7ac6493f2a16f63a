//! `check`: reachability, TLS, proxy, clock skew, the platform bearer token,
//! and the installation's own credentials (a token request with them).
//!
//! The two tokens are different things and get a line each: the platform
//! bearer token (`--token`, what the configurator itself is authenticated
//! with) and the installation's credentials (what the ERP gets its access
//! tokens with). Between them, the state store on its line of its own
//! (reachable, schema, the seal key opening the secret). "All good" only
//! when all hold. Exit codes: 0 all good
//! (or nothing configured to check beyond the platform), 3 the
//! installation's credentials were refused (`invalid_client`), 4 the
//! platform or the token endpoint failed (unreachable, slow, refused
//! bearer token, server error), 6 the state could not be read (a file
//! unreadable, a database out of reach, a seal key that does not open it).

use std::sync::Arc;
use std::time::Instant;

use smartlink_core::messages::duration_text;
use smartlink_core::{
    ClientAuthMethod, ErrorCode, HttpPlatform, Inspection, LocalState, Platform as _,
    PlatformError, StateError, StateStore as _, TokenError,
};

use crate::diagnose::{diagnose, proxy_settings, strip_credentials};
use crate::exit;
use crate::report::{platform_message, state_error_text, state_fault_code, with_detail};
use crate::setup::Ctx;
use crate::store::Backing;
use crate::texts::{render, text};
use crate::ui::Progress;

/// How the platform part went.
enum PlatformPart {
    Fine,
    Failed,
}

/// How the state store fared.
enum StorePart {
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
    let store = store_part(ctx).await;
    // A store that failed is not read again to find credentials: a read
    // would set a corrupt file aside, and `check` changes nothing.
    let credentials = if matches!(store, StorePart::Failed) {
        outln!("{}", text(loc, "check.credentials_store_failed"));
        CredentialsPart::StateUnreadable
    } else {
        credentials_part(ctx, http).await
    };

    match (platform, credentials) {
        _ if matches!(store, StorePart::Failed) => {
            outln!("{}", text(loc, "check.failed"));
            exit::STATE
        }
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

/// The state store, on a line of its own: a database reachable, its
/// table's schema this library's, and the seal key opening the stored
/// secret (`PgStateStore::verify`); a file readable, owner-only, and
/// opened by the key (`FileStateStore::inspect`, which changes nothing).
/// A failure names its cause, with a stable code.
async fn store_part(ctx: &Ctx) -> StorePart {
    let loc = ctx.locale;
    let Some(description) = ctx.backing.describe() else {
        outln!("{}", text(loc, "check.store_memory"));
        return StorePart::Fine;
    };
    let kind = crate::commands::status::kind_text(ctx, &description);
    let location = description.location.clone().unwrap_or_default();
    let keyed = ctx.cli.seal_key_file.is_some();
    let backing = ctx.backing.clone();
    // The store's calls wait on the disk or the network: off the workers.
    let verified = tokio::task::spawn_blocking(move || verify(&backing, keyed))
        .await
        .unwrap_or_else(|e| Err(StateError::Encode(e.to_string())));
    match verified {
        Ok(details) => {
            let detail = details
                .iter()
                .map(|(key, args)| render(loc, key, args_of(args).as_slice()))
                .collect::<Vec<_>>()
                .join("; ");
            outln!(
                "{}",
                render(
                    loc,
                    "check.store_ok",
                    &[("kind", kind), ("location", &location), ("detail", &detail)]
                )
            );
            StorePart::Fine
        }
        Err(e) => {
            outln!(
                "{}",
                render(
                    loc,
                    "check.store_failed",
                    &[
                        ("kind", kind),
                        ("location", &location),
                        ("code", state_fault_code(&e)),
                        ("cause", &state_error_text(loc, ctx.cli.verbose, &e)),
                    ]
                )
            );
            StorePart::Failed
        }
    }
}

/// A detail of `check`'s store line: a catalogue key and its arguments.
type Detail = (&'static str, Vec<(&'static str, String)>);

fn args_of<'a>(args: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    args.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// What holds of the store, or the first thing that does not.
fn verify(backing: &Backing, keyed: bool) -> Result<Vec<Detail>, StateError> {
    let secret = |state: Option<&LocalState>| -> Detail {
        match state {
            None => ("check.store_nothing", vec![]),
            Some(s) if s.credentials.is_none() => ("check.store_no_credentials", vec![]),
            Some(_) if keyed => ("check.store_key_opens", vec![]),
            Some(_) => ("check.store_secret_clear", vec![]),
        }
    };
    match backing {
        Backing::Memory => Ok(vec![]),
        Backing::Postgres(pg) => {
            let version = pg.verify()?;
            let state = pg.load()?;
            Ok(vec![
                (
                    "check.store_pg_detail",
                    vec![
                        ("schema", smartlink_core::SCHEMA_VERSION.to_string()),
                        ("version", version.to_string()),
                    ],
                ),
                secret(state.as_ref()),
            ])
        }
        Backing::File(file) => match file.inspect()? {
            Inspection::Missing => Ok(vec![("check.store_file_missing", vec![])]),
            Inspection::Found(state) => {
                let mut details = vec![("check.store_file_detail", vec![]), secret(Some(&state))];
                // A secret in clear on a share travels with every backup of it.
                let shared = file.describe().refresh_every.is_some();
                if shared && !keyed && state.credentials.is_some() {
                    details.push(("check.store_seal_recommended", vec![]));
                }
                Ok(details)
            }
            Inspection::Corrupt { detail } => Err(StateError::Corrupt {
                path: file.path().to_path_buf(),
                kept_at: file.path().to_path_buf(),
                detail,
            }),
            Inspection::Newer { found, supported } => Err(StateError::UnsupportedVersion {
                path: file.path().to_path_buf(),
                kept_at: file.path().to_path_buf(),
                found,
                supported,
            }),
            _ => Ok(vec![("check.store_file_detail", vec![])]),
        },
    }
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
