//! The PostgreSQL store's foundation (feature `postgres`): the connection
//! (TLS through rustls, keepalives, reconnection after the server went
//! away) and the documented table, created when absent, its schema
//! versioned, and the store on top of them ([`PgStateStore`]: load,
//! compare-and-swap, lease); see docs/state.md.
//!
//! # Connection
//!
//! A `postgres://` URL (or key=value string) as libpq takes it. A URL with
//! a password never appears in an error, a log or `Debug` output:
//! [`PgTarget`] shows the host, port, database and user only, and errors
//! name what failed, never the URL.
//!
//! TLS: `sslmode=require` (or `verify-full` or `verify-ca`, the same here:
//! the server's certificate is always verified, with its host name, against
//! the operating system's roots or, with `sslrootcert=PATH`, the
//! certificate authorities of that PEM file) is needed for every host but
//! loopback and Unix sockets;
//! `sslmode=prefer` (libpq's default) or `disable` is refused for a remote
//! host ([`PgError::TlsRequired`]), so a secret never crosses a network in
//! clear by default. TCP keepalives are on (idle 30 s), so a dead server or
//! network is noticed while the connection waits.
//!
//! # Table
//!
//! ```sql
//! CREATE TABLE smartlink_state (
//!     installation_id  text        NOT NULL,
//!     line             text        NOT NULL,
//!     version          bigint      NOT NULL,   -- compare-and-swap version, +1 per save
//!     document         text,                   -- the state envelope, credentials sealed; NULL: none
//!     seal_key_id      text,                   -- fingerprint of the key that sealed it
//!     lease_holder     text,                   -- machine + process holding the lease
//!     lease_epoch      bigint      NOT NULL DEFAULT 0,
//!     lease_expires_at timestamptz,            -- computed with the server's now()
//!     updated_at       timestamptz NOT NULL DEFAULT now(),
//!     PRIMARY KEY (installation_id, line)
//! );
//! CREATE TABLE smartlink_schema (
//!     name    text PRIMARY KEY,                -- 'smartlink_state'
//!     version integer NOT NULL                 -- SCHEMA_VERSION
//! );
//! ```
//!
//! [`ensure_schema`] creates both when absent, under a transaction-scoped
//! advisory lock so that machines starting together do not race, and refuses
//! a schema newer than this library's ([`PgError::SchemaTooNew`]).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

mod store;
mod tls;
pub use store::{PgStateStore, PgStoreOptions};
use tokio::sync::Mutex;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Client, Config};

/// The version of the table's schema this library writes and reads.
pub const SCHEMA_VERSION: i32 = 1;

/// The state table's name.
pub const STATE_TABLE: &str = "smartlink_state";

/// The advisory lock key that serializes schema creation (an arbitrary
/// constant: "SLSCHEMA" in ASCII).
const SCHEMA_LOCK: i64 = 0x534c_5343_4845_4d41;

/// Errors of the PostgreSQL connection. Messages never hold the URL, the
/// password or stored contents.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PgError {
    /// The connection string could not be parsed.
    #[error("the PostgreSQL connection string is not valid: {detail}")]
    InvalidUrl {
        /// What is wrong, in words of this library or option names: never
        /// a part of the string (it may hold a password).
        detail: String,
    },
    /// A remote host without `sslmode=require`.
    #[error(
        "the PostgreSQL connection to {target} must use TLS: add sslmode=require (only loopback and Unix sockets may go without)"
    )]
    TlsRequired {
        /// Where (host, port, database, user; no password).
        target: String,
    },
    /// The operating system's trusted roots could not be loaded.
    #[error("the system's trusted certificates could not be loaded for PostgreSQL's TLS")]
    Roots,
    /// The file named by `sslrootcert` could not be read, or holds no
    /// certificate.
    #[error(
        "the certificate file {path} (sslrootcert) could not be read as PEM certificates: {cause}"
    )]
    RootCert {
        /// The file.
        path: String,
        /// Why.
        cause: String,
    },
    /// Connecting failed.
    #[error("connecting to PostgreSQL at {target} failed: {cause}")]
    Connect {
        /// Where (no password).
        target: String,
        /// What the driver said (no URL).
        cause: String,
        /// Why, typed.
        fault: crate::state::StoreFault,
    },
    /// A query failed (the connection may have been lost: see
    /// [`PgError::is_connection_lost`]).
    #[error("PostgreSQL {op} failed: {cause}")]
    Query {
        /// What was being done.
        op: &'static str,
        /// What the driver or the server said.
        cause: String,
        /// Whether the connection is gone (the next call reconnects).
        closed: bool,
        /// Why, typed.
        fault: crate::state::StoreFault,
    },
    /// The table's schema is newer than this library's.
    #[error(
        "the PostgreSQL table {STATE_TABLE} has schema version {found}, newer than this library's ({SCHEMA_VERSION})"
    )]
    SchemaTooNew {
        /// The version found.
        found: i32,
    },
}

impl PgError {
    /// Whether the error means the connection was lost (the server
    /// restarted, the backend was terminated, the network failed).
    pub fn is_connection_lost(&self) -> bool {
        matches!(
            self,
            PgError::Connect { .. } | PgError::Query { closed: true, .. }
        )
    }

    /// Why, typed, for messages in the administrator's language.
    pub fn fault(&self) -> crate::state::StoreFault {
        use crate::state::StoreFault as F;
        match self {
            PgError::InvalidUrl { .. } => F::InvalidUrl,
            PgError::TlsRequired { .. } => F::TlsRequired,
            PgError::Roots | PgError::RootCert { .. } => F::Tls,
            PgError::Connect { fault, .. } | PgError::Query { fault, .. } => *fault,
            PgError::SchemaTooNew { .. } => F::SchemaNewer,
        }
    }

    fn query(op: &'static str, e: &tokio_postgres::Error) -> Self {
        PgError::Query {
            op,
            fault: fault_of(e),
            cause: cause_of(e),
            closed: e.is_closed()
                || e.code().is_some_and(|c| {
                    // admin_shutdown, crash_shutdown, cannot_connect_now
                    c.code().starts_with("57P")
                })
                || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()),
        }
    }
}

/// What kind of failure a driver error is: by the server's SQLSTATE when
/// it answered, else by the I/O or TLS error underneath.
fn fault_of(e: &tokio_postgres::Error) -> crate::state::StoreFault {
    use crate::state::StoreFault as F;
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        return match code {
            "28P01" | "28000" => F::Authentication,
            "3D000" => F::NoDatabase,
            c if c.starts_with("57P") || c.starts_with("08") => F::Unreachable,
            // undefined column, datatype mismatch: the table is not ours
            "42703" | "42804" => F::SchemaForeign,
            _ => F::Other,
        };
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            return match io.kind() {
                K::TimedOut => F::Timeout,
                K::ConnectionRefused
                | K::ConnectionReset
                | K::ConnectionAborted
                | K::NotConnected
                | K::BrokenPipe
                | K::UnexpectedEof
                | K::HostUnreachable
                | K::NetworkUnreachable => F::Unreachable,
                _ if io.to_string().contains("lookup") => F::Dns,
                _ if io
                    .get_ref()
                    .is_some_and(|inner| inner.is::<rustls::Error>()) =>
                {
                    F::Tls
                }
                _ => F::Unreachable,
            };
        }
        if s.is::<rustls::Error>() {
            return F::Tls;
        }
        source = s.source();
    }
    if e.is_closed() {
        return F::Unreachable;
    }
    // The driver's own connect timeout carries no source.
    if e.to_string().contains("timeout") {
        return F::Timeout;
    }
    F::Other
}

/// The driver's message for an error, with its causes, never a URL (the
/// driver's errors do not hold the configuration).
fn cause_of(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    }
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// What the driver found wrong in a connection string, told by option
/// name only: its messages may quote a character or a key of the string,
/// and only a name made of letters, digits and `_` is repeated.
fn driver_complaint(e: &tokio_postgres::Error) -> String {
    let said = std::error::Error::source(e)
        .map(ToString::to_string)
        .unwrap_or_default();
    let named = |prefix: &str| {
        said.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix('`'))
            .filter(|name| {
                !name.is_empty()
                    && name.len() <= 40
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
    };
    if let Some(name) = named("invalid value for option `") {
        return match name {
            "sslmode" => {
                "`sslmode` must be disable, prefer, require, verify-ca or verify-full".into()
            }
            _ => format!("the value of `{name}` is not valid"),
        };
    }
    if let Some(name) = named("unknown option `") {
        return format!("unknown option `{name}`");
    }
    if said.starts_with("unknown option") {
        return "an unknown option".into();
    }
    "it could not be read (a URL postgres://user:password@host:port/database?sslmode=require, or key=value pairs)".into()
}

/// A parsed connection target. `Debug` and `Display` show host, port,
/// database and user, never the password.
#[derive(Clone)]
pub struct PgTarget {
    config: Config,
    /// `sslrootcert`: the certificate authorities to trust instead of the
    /// system's.
    root_cert: Option<std::path::PathBuf>,
}

impl PgTarget {
    /// Parses a `postgres://` URL or a `key=value` string.
    pub fn parse(url: &str) -> Result<Self, PgError> {
        let invalid = |detail: &str| PgError::InvalidUrl {
            detail: detail.to_owned(),
        };
        let (rest, tls) = crate::state::conninfo::split_tls_settings(url).map_err(invalid)?;
        let mut config = Config::from_str(&rest).map_err(|e| {
            let detail = driver_complaint(&e);
            // A name repeated from the string is never a spelling of its
            // password (typed where a key goes).
            let passwords = crate::support::url_password_spellings(url);
            if passwords.iter().any(|p| detail.contains(p.as_str())) {
                invalid("an unknown option")
            } else {
                PgError::InvalidUrl { detail }
            }
        })?;
        if config.get_hosts().is_empty() {
            return Err(invalid("it names no host"));
        }
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10));
        if config.get_application_name().is_none() {
            config.application_name("smartlink");
        }
        Ok(Self {
            config,
            root_cert: tls.root_cert.map(Into::into),
        })
    }

    /// The trusted roots: the `sslrootcert` file's certificates, else the
    /// operating system's.
    fn roots(&self) -> Result<rustls::RootCertStore, PgError> {
        let mut store = rustls::RootCertStore::empty();
        let Some(path) = &self.root_cert else {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = store.add(cert);
            }
            return Ok(store);
        };
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let failed = |cause: String| PgError::RootCert {
            path: path.display().to_string(),
            cause,
        };
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| failed(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| failed(e.to_string()))?;
        if certs.is_empty() {
            return Err(failed("no certificate in it".into()));
        }
        for cert in certs {
            store.add(cert).map_err(|e| failed(e.to_string()))?;
        }
        Ok(store)
    }

    /// Whether every host is loopback or a Unix socket.
    fn is_local(&self) -> bool {
        self.config.get_hosts().iter().all(|h| match h {
            Host::Tcp(name) => {
                name == "localhost"
                    || name
                        .trim_matches(|c| c == '[' || c == ']')
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
            #[cfg(unix)]
            Host::Unix(_) => true,
        })
    }
}

impl fmt::Display for PgTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|h| match h {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        let ports: Vec<String> = self.config.get_ports().iter().map(u16::to_string).collect();
        write!(
            f,
            "{}:{} database {} user {}",
            hosts.join(","),
            if ports.is_empty() {
                "5432".to_owned()
            } else {
                ports.join(",")
            },
            self.config.get_dbname().unwrap_or("(default)"),
            self.config.get_user().unwrap_or("(default)")
        )
    }
}

impl fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgTarget({self}")?;
        if self.config.get_password().is_some() {
            f.write_str(", password [redacted]")?;
        }
        f.write_str(")")
    }
}

/// One connection to PostgreSQL, made again when it was lost: callers get
/// the client with [`PgConnection::client`], and a call that fails with a
/// lost connection ([`PgError::is_connection_lost`]) is followed, on the
/// next `client`, by a new connection.
pub struct PgConnection {
    target: PgTarget,
    tls: tls::MakeRustls,
    client: Mutex<Option<Arc<Client>>>,
}

impl fmt::Debug for PgConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConnection")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl PgConnection {
    /// A connection to `target`, made on the first [`PgConnection::client`].
    /// Refuses a remote host without `sslmode=require`.
    pub fn new(target: PgTarget) -> Result<Self, PgError> {
        if !target.is_local() && target.config.get_ssl_mode() != SslMode::Require {
            return Err(PgError::TlsRequired {
                target: target.to_string(),
            });
        }
        let store = target.roots()?;
        if store.is_empty() && !target.is_local() {
            return Err(PgError::Roots);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|_| PgError::Roots)?
            .with_root_certificates(store)
            .with_no_client_auth();
        Ok(Self {
            target,
            tls: tls::MakeRustls::new(tls),
            client: Mutex::new(None),
        })
    }

    /// Where it connects (no password).
    pub fn target(&self) -> &PgTarget {
        &self.target
    }

    /// Drops the current connection: the next [`PgConnection::client`]
    /// makes a new one (after an error that says the connection is lost,
    /// which the client may not have noticed yet).
    pub async fn reset(&self) {
        *self.client.lock().await = None;
    }

    /// The connected client: the current one while it is open, else a new
    /// connection (the server restarted, the backend was terminated).
    pub async fn client(&self) -> Result<Arc<Client>, PgError> {
        let mut current = self.client.lock().await;
        if let Some(client) = current.as_ref()
            && !client.is_closed()
        {
            return Ok(client.clone());
        }
        *current = None;
        let (client, connection) =
            self.target
                .config
                .connect(self.tls.clone())
                .await
                .map_err(|e| PgError::Connect {
                    target: self.target.to_string(),
                    fault: fault_of(&e),
                    cause: cause_of(&e),
                })?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(cause = %cause_of(&e), "PostgreSQL connection ended");
            }
        });
        let client = Arc::new(client);
        *current = Some(client.clone());
        Ok(client)
    }
}

/// The state table's columns, all of which a table of its name must have.
const STATE_COLUMNS: [&str; 9] = [
    "installation_id",
    "line",
    "version",
    "document",
    "seal_key_id",
    "lease_holder",
    "lease_epoch",
    "lease_expires_at",
    "updated_at",
];

/// Creates the state table and the schema table when absent (under an
/// advisory lock, in one transaction) and checks the schema version.
pub async fn ensure_schema(connection: &PgConnection) -> Result<(), PgError> {
    let client = connection.client().await?;
    // The common case, one statement: the table is there, of this version.
    let found = client
        .query_opt(
            "SELECT version FROM smartlink_schema WHERE name = $1",
            &[&STATE_TABLE],
        )
        .await;
    match found {
        Ok(Some(row)) => {
            let found: i32 = row.get(0);
            if found > SCHEMA_VERSION {
                return Err(PgError::SchemaTooNew { found });
            }
            return Ok(());
        }
        // No row, or no table (42P01): create under the lock below.
        Ok(None) => {}
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {}
        Err(e) => return Err(PgError::query("read schema version", &e)),
    }
    let q = |op| move |e: tokio_postgres::Error| PgError::query(op, &e);
    client.batch_execute("BEGIN").await.map_err(q("begin"))?;
    let result = async {
        client
            .execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await
            .map_err(q("schema lock"))?;
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS smartlink_schema (
                     name    text PRIMARY KEY,
                     version integer NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS smartlink_state (
                     installation_id  text        NOT NULL,
                     line             text        NOT NULL,
                     version          bigint      NOT NULL,
                     document         text,
                     seal_key_id      text,
                     lease_holder     text,
                     lease_epoch      bigint      NOT NULL DEFAULT 0,
                     lease_expires_at timestamptz,
                     updated_at       timestamptz NOT NULL DEFAULT now(),
                     PRIMARY KEY (installation_id, line)
                 );",
            )
            .await
            .map_err(q("create tables"))?;
        let row = client
            .query_opt(
                "SELECT version FROM smartlink_schema WHERE name = $1",
                &[&STATE_TABLE],
            )
            .await
            .map_err(q("read schema version"))?;
        match row.map(|r| r.get::<_, i32>(0)) {
            Some(found) if found > SCHEMA_VERSION => Err(PgError::SchemaTooNew { found }),
            Some(_) => Ok(()),
            None => {
                // A table of that name already there (another program's)
                // must not be claimed as ours.
                let found: i64 = client
                    .query_one(
                        "SELECT count(*) FROM information_schema.columns
                          WHERE table_schema = current_schema() AND table_name = $1
                            AND column_name = ANY($2)",
                        &[&STATE_TABLE, &STATE_COLUMNS.as_slice()],
                    )
                    .await
                    .map_err(q("read table columns"))?
                    .get(0);
                if found != STATE_COLUMNS.len() as i64 {
                    return Err(PgError::Query {
                        op: "check table",
                        cause: format!(
                            "a table {STATE_TABLE} is there without the library's columns"
                        ),
                        closed: false,
                        fault: crate::state::StoreFault::SchemaForeign,
                    });
                }
                client
                    .execute(
                        "INSERT INTO smartlink_schema (name, version) VALUES ($1, $2)",
                        &[&STATE_TABLE, &SCHEMA_VERSION],
                    )
                    .await
                    .map(|_| ())
                    .map_err(q("write schema version"))
            }
        }
    }
    .await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = client.batch_execute(end).await.map_err(q("commit"));
    result.and(ended)
}
