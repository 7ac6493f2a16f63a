//! The support report: what an administrator attaches to a support ticket,
//! built once here for every host (the terminal configurator writes it to
//! an archive, the C ABI answers it as JSON).
//!
//! It holds the library's and the host's versions, the operating system,
//! the installation, the state's shape (binding, the credentials' client
//! id and expiry, the last task, the store and its health), the history,
//! the last failures with their support codes and request ids, and the
//! diagnostics the host ran. It never holds a secret: no field carries
//! the client secret, a token or a password, and the serialized report is
//! passed through the platform client's redaction with every secret the
//! library and the host know ([`SupportReport::to_json`]).
//!
//! It is made without the network and without waiting on a lock: whatever
//! cannot be read (a corrupt or newer state, a store out of reach) is a
//! part of the form `{"unavailable": "why"}`, and the rest is still there.

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret as _;
use serde::Serialize;
use serde_json::Value;

use crate::configurator::{ConfigStatus, Configurator, StateProblem, TaskStatus};
use crate::state::{StoreDescription, StoreObservation, TaskOutcome};

/// The report's format version (`format`), raised when a field changes
/// meaning.
pub const FORMAT: u32 = 1;

/// What the checks part says when the host ran none (the C ABI).
pub const CHECKS_NOT_RUN: &str = "not run here: the network diagnostics (platform reachable, TLS, proxy, clock skew, store) are run by `smartlink-configurator check` and included in its `support-report`";

/// A part of the report that could be read, or why it could not.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Part<T> {
    /// Read.
    Read(T),
    /// Not read: `{"unavailable": "why"}`.
    Unavailable {
        /// Why it could not be read (English, for support).
        unavailable: String,
    },
}

impl<T> Part<T> {
    /// A part that could not be read, and why.
    pub fn unavailable(why: impl Into<String>) -> Self {
        Part::Unavailable {
            unavailable: why.into(),
        }
    }

    /// The part, when it was read.
    pub fn read(&self) -> Option<&T> {
        match self {
            Part::Read(t) => Some(t),
            Part::Unavailable { .. } => None,
        }
    }
}

/// The host embedding the library (an ERP, the terminal configurator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostInfo {
    /// Its name (`smartlink-configurator`, `Protheus`, ...).
    pub name: String,
    /// Its version, when it says one.
    pub version: Option<String>,
}

/// The library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LibraryInfo {
    /// `smartlink`.
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
}

/// The operating system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsInfo {
    /// `linux`, `windows`, `macos`, ...
    pub os: &'static str,
    /// `unix` or `windows`.
    pub family: &'static str,
    /// `x86_64`, `x86`, `aarch64`, ...
    pub arch: &'static str,
    /// The release, when it can be read (`/etc/os-release`, the kernel).
    pub release: Option<String>,
}

/// The installation as the host described it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallationInfo {
    /// Its id.
    pub id: String,
    /// Its line (`protheus`, `rm`, `datasul`).
    pub line: String,
    /// Its kind (`production`, ...).
    pub kind: String,
    /// Its friendly name: the host's, else the stored one.
    pub name: Option<String>,
}

/// The store: what it is and how it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreInfo {
    /// Its kind, location (never a password) and staleness bound.
    #[serde(flatten)]
    pub description: StoreDescription,
    /// Its version and lease holder right now, or why they could not be read.
    pub health: Part<StoreObservation>,
}

/// A failure worth a support ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureInfo {
    /// When.
    pub at: DateTime<Utc>,
    /// What failed: `task` (a configuration task) or `credentials_refused`
    /// (the token endpoint refused the stored credentials).
    pub what: &'static str,
    /// The support code the administrator was shown (a task's id).
    pub support_code: Option<String>,
    /// The stable failure code (`platform_unreachable`, ...).
    pub code: Option<String>,
    /// The platform's request id, when the failure came from a request.
    pub request_id: Option<String>,
    /// An English detail (no secrets).
    pub detail: Option<String>,
}

/// The support report. Build it with [`report`], add the host's
/// diagnostics to [`SupportReport::checks`], serialize it with
/// [`SupportReport::to_json`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupportReport {
    /// [`FORMAT`].
    pub format: u32,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// The library.
    pub library: LibraryInfo,
    /// The host, when it said who it is.
    pub host: Option<HostInfo>,
    /// The operating system.
    pub os: OsInfo,
    /// The installation.
    pub installation: InstallationInfo,
    /// The state's shape ([`Configurator::status`]: binding, the
    /// credentials' client id and expiry, the last task, revocation), or
    /// why it could not be read.
    pub state: Part<ConfigStatus>,
    /// A problem found with the stored state (corrupt, newer, insecure,
    /// unreadable, unreachable).
    pub state_problem: Option<StateProblem>,
    /// The store and its health.
    pub store: StoreInfo,
    /// The background task of this process.
    pub task: TaskStatus,
    /// The binding history, newest first, or why there is none.
    pub history: Part<Value>,
    /// The last failures, newest first.
    pub failures: Vec<FailureInfo>,
    /// The host's diagnostics (`check`), or why none ran.
    pub checks: Part<Value>,
}

/// The support report of `configurator`'s installation, as `host` runs it.
/// Reads the local state and the store (never the network, never waits on
/// the lease); what it cannot read it says it could not read, and why.
pub fn report(configurator: &Configurator, host: Option<HostInfo>) -> SupportReport {
    let spec = configurator.installation();
    let status = configurator.status();
    let store = configurator.store();
    let description = store.describe();
    let health = match store.observe() {
        Ok(observation) => Part::Read(observation),
        Err(e) => Part::unavailable(format!("the store could not be observed: {e}")),
    };
    let stored_name = match &status {
        Ok(_) => configurator
            .stored_installation_name()
            .map(|n| n.as_str().to_owned()),
        Err(_) => None,
    };
    let entries = configurator.history();
    let mut failures = match &status {
        Ok(s) => failures_of(s),
        Err(_) => Vec::new(),
    };
    if let Ok(entries) = &entries {
        failures = with_history_failures(failures, entries);
    }
    let history = match entries {
        Ok(entries) => Part::Read(serde_json::to_value(&entries).expect("the history serializes")),
        Err(e) => Part::unavailable(format!("the history could not be read: {e}")),
    };
    SupportReport {
        format: FORMAT,
        generated_at: Utc::now(),
        library: LibraryInfo {
            name: "smartlink",
            version: env!("CARGO_PKG_VERSION"),
        },
        host,
        os: os_info(),
        installation: InstallationInfo {
            id: spec.id.as_str().to_owned(),
            line: spec.line.as_str().to_owned(),
            kind: spec.kind.as_str().to_owned(),
            name: spec
                .name
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .or(stored_name),
        },
        state: match status {
            Ok(s) => Part::Read(s),
            Err(e) => Part::unavailable(format!("the state could not be read: {e}")),
        },
        state_problem: configurator.state_problem(),
        store: StoreInfo {
            description,
            health,
        },
        task: configurator.task_status(),
        history,
        failures,
        checks: Part::unavailable(CHECKS_NOT_RUN),
    }
}

/// The failures the state remembers: the last task's, the refusal of the
/// credentials; newest first.
fn failures_of(status: &ConfigStatus) -> Vec<FailureInfo> {
    let mut out = Vec::new();
    if let Some(task) = &status.last_task
        && let TaskOutcome::Failed { code, detail } = &task.outcome
    {
        out.push(FailureInfo {
            at: task.finished_at,
            what: "task",
            support_code: Some(task.task_id.to_string()),
            code: Some(code.as_str().to_owned()),
            request_id: request_id_in(detail),
            detail: Some(detail.clone()),
        });
    }
    if let Some(r) = &status.credentials_revoked {
        out.push(FailureInfo {
            at: r.detected_at,
            what: "credentials_refused",
            support_code: None,
            code: Some("credentials_revoked".to_owned()),
            request_id: r.request_id.clone(),
            detail: Some(format!(
                "the token endpoint refused client {}{}",
                r.client_id.as_str(),
                r.status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
            )),
        });
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.at));
    out
}

/// At most this many failures are listed.
pub const FAILURES_LIMIT: usize = 20;

/// `failures` with those of the history (failed tasks, refusals) that are
/// not in it already, newest first, at most [`FAILURES_LIMIT`].
fn with_history_failures(
    mut failures: Vec<FailureInfo>,
    history: &[crate::HistoryEntry],
) -> Vec<FailureInfo> {
    use crate::HistoryEvent;
    for entry in history {
        let (what, request_id, support_code) = match entry.event {
            HistoryEvent::TaskFailed => ("task", None, entry.support_code.clone()),
            HistoryEvent::RevocationSeen => {
                ("credentials_refused", entry.support_code.clone(), None)
            }
            _ => continue,
        };
        let known = failures.iter().any(|f| {
            f.what == what
                && (f.at == entry.at
                    || (support_code.is_some() && f.support_code == support_code)
                    || (request_id.is_some() && f.request_id == request_id))
        });
        if known {
            continue;
        }
        failures.push(FailureInfo {
            at: entry.at,
            what,
            support_code,
            code: entry
                .code
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .or_else(|| {
                    (what == "credentials_refused").then(|| "credentials_revoked".to_owned())
                }),
            request_id,
            detail: entry
                .environment_name
                .as_ref()
                .map(|n| format!("environment {}", n.as_str())),
        });
    }
    failures.sort_by_key(|f| std::cmp::Reverse(f.at));
    failures.truncate(FAILURES_LIMIT);
    failures
}

/// The request id a failure's detail names (`request id 1f0c…`,
/// `request_id=…`), when it names one.
fn request_id_in(detail: &str) -> Option<String> {
    let lower = detail.to_ascii_lowercase();
    for marker in ["request id ", "request_id=", "request_id: ", "request id: "] {
        if let Some(at) = lower.find(marker) {
            let rest = &detail[at + marker.len()..];
            let id: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            if !id.is_empty() {
                return Some(id);
            }
        }
    }
    None
}

fn os_info() -> OsInfo {
    OsInfo {
        os: std::env::consts::OS,
        family: std::env::consts::FAMILY,
        arch: std::env::consts::ARCH,
        release: os_release(),
    }
}

#[cfg(unix)]
fn os_release() -> Option<String> {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim().trim_matches('"').to_owned())
        });
    let kernel = rustix::system::uname();
    let kernel = format!(
        "{} {}",
        kernel.sysname().to_string_lossy(),
        kernel.release().to_string_lossy()
    );
    Some(match pretty {
        Some(p) => format!("{p} ({kernel})"),
        None => kernel,
    })
}

#[cfg(not(unix))]
fn os_release() -> Option<String> {
    None
}

impl SupportReport {
    /// The secrets this library can name for the report's redaction: the
    /// stored client secret (when it could be read) and the cached access
    /// token.
    fn own_secrets(configurator: &Configurator) -> Vec<String> {
        let mut out: Vec<String> = configurator
            .stored_client_secret()
            .map(|s| vec![s.expose_secret().to_owned()])
            .unwrap_or_default();
        if let Some(token) = configurator.cached_access_token() {
            out.push(token.expose_secret().to_owned());
        }
        out
    }

    /// The report as pretty JSON, passed through the platform client's
    /// redaction: the values of secret keys, and every one of `secrets`
    /// (with the stored client secret) in every spelling a server may echo,
    /// are replaced by `[redacted]`. No field is meant to hold a secret:
    /// this is the second guard, for a detail that quoted one.
    pub fn to_json(&self, configurator: &Configurator, secrets: &[&str]) -> String {
        let text = serde_json::to_string_pretty(self).expect("the report serializes");
        redact(&text, configurator, secrets)
    }
}

/// How a password inside a URL can be spelled in output: as the server
/// receives it (`%`-escapes decoded, quotes and backslashes of libpq's
/// keyword form removed) and as written. Empty when the URL
/// (`scheme://user:password@host`, a `?password=` parameter, or libpq's
/// `password=…` keyword, quoted or not, spaces around `=` allowed; and
/// `sslpassword`, the client key's) holds none. The C ABI and the
/// terminal pass these to [`redact`].
pub fn url_password_spellings(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    if !url.contains("://")
        && let Ok(pairs) = crate::state::conninfo::key_values(url)
    {
        for (key, value) in pairs {
            if matches!(key.as_str(), "password" | "sslpassword") && !value.is_empty() {
                let quoted = crate::state::conninfo::quote(&value);
                let escaped = quoted[1..quoted.len() - 1].to_owned();
                out.extend([value, escaped]);
            }
        }
        return out;
    }
    if !url.contains("://")
        && let Some(at) = url.find("password=")
    {
        // A keyword string that does not parse: up to the next space.
        let rest = &url[at + "password=".len()..];
        let end = rest.find([' ', '&']).unwrap_or(rest.len());
        out.extend(
            percent_spellings(&rest[..end])
                .into_iter()
                .filter(|p| !p.is_empty()),
        );
        return out;
    }
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let lower = url.to_ascii_lowercase();
    // As the PostgreSQL driver reads it: up to the first `@`, a `/`
    // included.
    let driver_password = (lower.starts_with("postgres://") || lower.starts_with("postgresql://"))
        .then(|| rest.split_once('@'))
        .flatten()
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, password)| password)
        .filter(|p| !p.is_empty());
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let password = authority
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, password)| password)
        .filter(|p| !p.is_empty());
    if let Some(password) = password {
        out.extend(percent_spellings(password));
    }
    if let Some(other) = driver_password.filter(|d| Some(*d) != password) {
        out.extend(percent_spellings(other));
    }
    if let Some((_, query)) = rest.split_once('?') {
        let query = query.split('#').next().unwrap_or_default();
        for pair in query.split('&') {
            if let Some((key, password)) = pair.split_once('=')
                && matches!(
                    crate::state::conninfo::decode(key).as_deref(),
                    Ok("password" | "sslpassword")
                )
                && !password.is_empty()
            {
                out.extend(percent_spellings(password));
            }
        }
    }
    out
}

/// A `%`-escaped password as decoded and as written.
fn percent_spellings(raw: &str) -> [String; 2] {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned();
    [decoded, raw.to_owned()]
}

/// `text` through the platform client's redaction: the values of secret
/// keys, and every one of `secrets`, the stored client secret and the
/// cached access token, in every spelling a server may echo, replaced by
/// `[redacted]`. For what a host adds to the report (its diagnostics).
pub fn redact(text: &str, configurator: &Configurator, secrets: &[&str]) -> String {
    let own = SupportReport::own_secrets(configurator);
    let mut known: Vec<&str> = secrets.to_vec();
    known.extend(own.iter().map(String::as_str));
    known.retain(|s| s.len() >= 4);
    crate::platform::http::redact::redact(text, &known)
}

/// Creates a new file (never replacing one) readable and writable by its
/// owner only from the moment it exists: mode 0600 on Unix, an owner-only
/// DACL on Windows. For the support report's archive.
pub fn create_private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
    }
    #[cfg(windows)]
    {
        crate::state::windows_acl::create_new_private(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_id_named_in_a_detail_is_found() {
        assert_eq!(
            request_id_in("HTTP 502 from the platform (request id 7d2f-0e4c)").as_deref(),
            Some("7d2f-0e4c")
        );
        assert_eq!(
            request_id_in("timeout, request_id=abc_12").as_deref(),
            Some("abc_12")
        );
        assert_eq!(request_id_in("connection refused"), None);
    }

    #[test]
    fn a_part_not_read_serializes_as_unavailable_with_why() {
        let part: Part<u8> = Part::unavailable("the store is down");
        assert_eq!(
            serde_json::to_value(&part).unwrap(),
            serde_json::json!({"unavailable": "the store is down"})
        );
        assert_eq!(serde_json::to_value(Part::Read(3u8)).unwrap(), 3);
    }

    #[test]
    fn passwords_are_found_in_urls() {
        assert_eq!(
            url_password_spellings("http://u:p%40ss@proxy:3128"),
            ["p@ss", "p%40ss"]
        );
        assert_eq!(url_password_spellings("u:pw@proxy:3128"), ["pw", "pw"]);
        assert_eq!(
            url_password_spellings("postgres://erp:secret@db/erp"),
            ["secret", "secret"]
        );
        assert_eq!(
            url_password_spellings("postgres://erp@db/erp?password=s3&sslmode=require"),
            ["s3", "s3"]
        );
        assert!(url_password_spellings("http://proxy:3128").is_empty());
    }

    #[test]
    fn passwords_are_found_in_every_spelling_of_a_connection_string() {
        // libpq's keyword form: quoted with spaces and escapes, spaces
        // around `=`, an escaped space without quotes.
        assert_eq!(
            url_password_spellings(r"host=db password='pw with spaces \' q' sslmode=require"),
            [r"pw with spaces ' q", r"pw with spaces \' q"]
        );
        assert_eq!(
            url_password_spellings("host=db password = spaced-pw dbname=erp"),
            ["spaced-pw", "spaced-pw"]
        );
        assert_eq!(
            url_password_spellings(r"host=db password=back\ slash"),
            ["back slash", "back slash"]
        );
        // The client key's password too.
        assert_eq!(
            url_password_spellings("host=db sslpassword=key-pw"),
            ["key-pw", "key-pw"]
        );
        assert!(url_password_spellings("host=db user=erp").is_empty());
        // A URL with a password in its authority and in its query: both.
        assert_eq!(
            url_password_spellings(
                "postgres://erp:first%20pw@db/erp?sslmode=require&password=second"
            ),
            ["first pw", "first%20pw", "second", "second"]
        );
        // A `/` in a PostgreSQL URL's password, as the driver reads it.
        assert!(
            url_password_spellings("postgres://erp:a/b%21@db/erp").contains(&"a/b!".to_owned())
        );
        // A `%`-escaped key in the query.
        assert_eq!(
            url_password_spellings("postgres://erp@db/erp?pass%77ord=third"),
            ["third", "third"]
        );
    }
}
