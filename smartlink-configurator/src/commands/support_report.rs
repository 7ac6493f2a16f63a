//! `support-report`: one `.tar.gz` for a support ticket. The report is the
//! core's (`smartlink_core::support`), the same the C ABI answers, with what
//! only the terminal knows: the store as opened here, and what `check`
//! finds (its lines, as the administrator would see them, and its exit
//! code). The archive holds `report.json` and `check-output.txt`; it is named
//! after the installation and the UTC time, created owner-only, and its
//! path printed. Every secret the command knows (the platform token, the
//! proxy and database passwords, the stored client secret, the cached
//! access token) is redacted from both, in every spelling.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use secrecy::ExposeSecret as _;
use serde_json::json;
use smartlink_core::support::{HostInfo, Part, create_private_file, report};

use crate::cli::StateArg;
use crate::exit;
use crate::setup::Ctx;
use crate::texts::render;

/// Writes the report in `out` (default: the current folder).
pub async fn support_report(ctx: &Ctx, out: Option<&str>) -> u8 {
    let loc = ctx.locale;
    let host = HostInfo {
        name: "smartlink-configurator".into(),
        version: Some(env!("CARGO_PKG_VERSION").into()),
    };
    let cfg = ctx.cfg.clone();
    let mut report = tokio::task::spawn_blocking(move || report(&cfg, Some(host)))
        .await
        .expect("the report is made");
    // The store as this command opened it (a file is read into memory,
    // untouched: the core sees a copy).
    if let Some(description) = ctx.backing.describe() {
        let backing = ctx.backing.clone();
        let observed = tokio::task::spawn_blocking(move || backing.observe())
            .await
            .unwrap_or_else(|e| Err(smartlink_core::StateError::Encode(e.to_string())));
        report.store.description = description;
        report.store.health = match observed {
            Ok(o) => Part::Read(o),
            Err(e) => Part::unavailable(format!("the store could not be observed: {e}")),
        };
    }
    if let Some(problem) = &ctx.state_problem {
        report.state = Part::unavailable(format!("the state file could not be read: {problem}"));
    }
    // What `check` finds, kept instead of printed.
    let (code, lines) = crate::out::captured(super::check(ctx)).await;
    report.checks = Part::Read(json!({
        "exit_code": code,
        "lines": lines.lines().collect::<Vec<_>>(),
    }));

    let secrets = secrets(ctx);
    let known: Vec<&str> = secrets.iter().map(|s| s.expose_secret()).collect();
    let json = report.to_json(&ctx.cfg, &known);
    let check_text = smartlink_core::support::redact(&lines, &ctx.cfg, &known);

    let dir = out.map_or_else(|| PathBuf::from("."), PathBuf::from);
    let path = dir.join(file_name(
        ctx.spec.id.as_str(),
        report.generated_at.format("%Y%m%dT%H%M%SZ").to_string(),
    ));
    match write_archive(&path, json.as_bytes(), check_text.as_bytes()) {
        Ok(()) => {
            let shown = std::path::absolute(&path).unwrap_or(path);
            outln!(
                "{}",
                render(
                    loc,
                    "cli.support_report_written",
                    &[("path", &shown.display().to_string())]
                )
            );
            exit::OK
        }
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            errln!(
                "{}",
                render(
                    loc,
                    "cli.support_report_failed",
                    &[
                        ("path", &path.display().to_string()),
                        (
                            "detail",
                            &crate::report::with_detail(
                                ctx.cli.verbose,
                                crate::texts::text(loc, crate::report::io_cause(e.kind()))
                                    .to_owned(),
                                &e.to_string()
                            )
                        )
                    ]
                )
            );
            exit::INTERNAL
        }
    }
}

/// `smartlink-support-<installation id>-<UTC time>.tar.gz`, the id kept to
/// characters every file system takes.
pub fn file_name(installation_id: &str, utc: String) -> String {
    let id: String = installation_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("smartlink-support-{id}-{utc}.tar.gz")
}

/// The archive: created owner-only and new (never over another file).
fn write_archive(path: &Path, report: &[u8], check: &[u8]) -> std::io::Result<()> {
    let file = create_private_file(path)?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    for (name, bytes) in [("report.json", report), ("check-output.txt", check)] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(now);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes)?;
    }
    let gz = tar.into_inner()?;
    let mut file = gz.finish()?;
    file.flush()?;
    file.sync_all()
}

/// Every secret this command knows, to redact: the platform token (flag,
/// variable or the embedded sandbox's), the passwords of the proxies (flag
/// and variables) and of the database URL (flag or variable).
fn secrets(ctx: &Ctx) -> Vec<secrecy::SecretString> {
    let mut out = Vec::new();
    if let Some(token) = &ctx.cli.token {
        out.push(token.clone());
    }
    let mut urls: Vec<String> = Vec::new();
    if let Ok(token) = std::env::var("SMARTLINK_TOKEN") {
        out.push(token.into());
    }
    if let Some(proxy) = &ctx.cli.proxy {
        urls.push(proxy.clone());
    }
    for name in crate::diagnose::PROXY_URL_VARIABLES
        .into_iter()
        .chain(["SMARTLINK_STATE"])
    {
        if let Ok(v) = std::env::var(name) {
            urls.push(v);
        }
    }
    if let Some(StateArg::Postgres(url)) = &ctx.cli.state {
        urls.push(url.expose_secret().to_owned());
    }
    for url in &urls {
        for spelling in smartlink_core::support::url_password_spellings(url) {
            out.push(spelling.into());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_named_after_the_installation_and_the_time() {
        assert_eq!(
            file_name("erp-prd-01", "20261205T013000Z".into()),
            "smartlink-support-erp-prd-01-20261205T013000Z.tar.gz"
        );
        assert_eq!(
            file_name("a/b\\c:d", "T".into()),
            "smartlink-support-a_b_c_d-T.tar.gz"
        );
    }
}
