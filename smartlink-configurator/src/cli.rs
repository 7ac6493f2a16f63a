//! The command line: flags, subcommands and their values (clap). Its texts
//! in the administrator's language are set by `help`.

use clap::{Parser, Subcommand, ValueEnum};
use secrecy::SecretString;
use smartlink_core::messages::Locale;

/// The SmartLink Configurator: binds this ERP installation to an environment
/// of the TOTVS Applications Platform and stores its credentials.
#[derive(Debug, Parser)]
#[command(name = "smartlink-configurator", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// ERP line of this installation.
    #[arg(long, value_enum, default_value_t = LineArg::Protheus, global = true)]
    pub line: LineArg,

    /// Kind of this installation (and of the environments it may bind to).
    #[arg(long, value_enum, default_value_t = KindArg::Production, global = true)]
    pub kind: KindArg,

    /// Installation id (default: derived from fixed demo identity components,
    /// so re-runs find the same installation).
    #[arg(long, value_name = "ID", global = true, value_parser = non_empty)]
    pub installation_id: Option<String>,

    /// Friendly name of the installation (pre-fills the name screen; needed
    /// by --unattended with --environment or --create unless the
    /// installation is already bound).
    #[arg(long, value_name = "NAME", global = true, value_parser = non_empty)]
    pub installation_name: Option<String>,

    /// Language of every text: pt-BR (default), es or en. Falls back to
    /// SMARTLINK_LOCALE, then to pt-BR; unknown tags fall back to pt-BR.
    #[arg(long, value_name = "pt-BR|es|en", global = true, value_parser = non_empty)]
    pub locale: Option<String>,

    /// Base URL of a real platform instead of the embedded sandbox.
    #[arg(long, value_name = "URL", global = true, value_parser = non_empty)]
    pub platform_url: Option<String>,

    /// Bearer token for --platform-url (or the SMARTLINK_TOKEN variable).
    // A `SecretString`: `{cli:?}` shows it as redacted.
    #[arg(long, value_name = "TOKEN", global = true, value_parser = non_empty_secret)]
    pub token: Option<SecretString>,

    /// The OAuth2 token endpoint where the installation's credentials get
    /// access tokens (default: <platform URL>/oauth2/token).
    #[arg(long, value_name = "URL", global = true, value_parser = non_empty)]
    pub token_url: Option<String>,

    /// How the installation's client authenticates at the token endpoint:
    /// basic (HTTP Basic, RFC 6749 §2.3.1; the default) or post (in the
    /// form body, for a server registered for it).
    #[arg(long, value_enum, default_value_t = ClientAuthArg::Basic, global = true)]
    pub client_auth: ClientAuthArg,

    /// Longest wait for the next bytes of an answer, in milliseconds
    /// (default 30,000): for slow links, and the tests of a slow token
    /// endpoint.
    #[arg(long, value_name = "MS", hide = true, global = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub read_timeout_ms: Option<u64>,

    /// Extra trusted CA certificates (PEM) for --platform-url, on top of the
    /// operating system's roots (a corporate TLS-inspecting proxy's CA).
    #[arg(long, value_name = "PEM", global = true, value_parser = non_empty)]
    pub ca_file: Option<String>,

    /// Proxy for every request to the platform (default: the HTTPS_PROXY,
    /// HTTP_PROXY, ALL_PROXY and NO_PROXY variables).
    #[arg(long, value_name = "URL", global = true, value_parser = non_empty)]
    pub proxy: Option<String>,

    /// Where the state lives: a file, `memory`, or a postgres:// URL (a
    /// PostgreSQL database shared by the installation's machines; needs
    /// --seal-key-file). Or the SMARTLINK_STATE variable, which keeps a
    /// URL's password out of `ps`. Default with the sandbox: a temporary
    /// directory.
    // A `StateArg`: `{cli:?}` never shows a URL's password.
    #[arg(long, value_name = "PATH|URL", global = true, value_parser = StateArg::parse)]
    pub state: Option<StateArg>,

    /// The --state file is on a folder shared by several machines (a
    /// network share): the login gate re-reads it periodically.
    #[arg(long, global = true)]
    pub shared_folder: bool,

    /// Seal key file (32 bytes, owner-only; see `seal-key`): the stored
    /// credentials are sealed with it, and a sealed state is read only with
    /// it. Needs --state with a file or a PostgreSQL URL (where it is
    /// required).
    #[arg(long, value_name = "PATH", global = true, value_parser = non_empty)]
    pub seal_key_file: Option<String>,

    /// Configure without prompts (needs --environment or --create, or
    /// neither to only repair an existing binding).
    #[arg(long)]
    pub unattended: bool,

    /// Never bind without an administrator's decision, not even the only
    /// environment a first binding could take (by default `--unattended`
    /// with neither --environment nor --create binds it, as the start-up
    /// configuration of the library does; see docs/rules.md).
    #[arg(long)]
    pub no_single_candidate: bool,

    /// Unattended: bind to the environment with this name.
    #[arg(
        long,
        value_name = "NAME",
        requires = "unattended",
        conflicts_with = "create",
        value_parser = non_empty
    )]
    pub environment: Option<String>,

    /// Unattended: create an environment of the installation's kind with
    /// this name, then bind to it.
    #[arg(long, value_name = "NAME", requires = "unattended", value_parser = non_empty)]
    pub create: Option<String>,

    /// Unattended: the environment's name repeated, to overwrite the binding
    /// of another installation of this line.
    #[arg(
        long,
        value_name = "NAME",
        requires = "environment",
        conflicts_with = "create",
        value_parser = non_empty
    )]
    pub confirm: Option<String>,

    /// Embedded sandbox: persist the demo platform's state in this file, so
    /// consecutive runs see the bindings of earlier ones.
    #[arg(long, value_name = "PATH", hide = true, global = true)]
    pub sandbox_state: Option<String>,

    /// Embedded sandbox: seed it from this JSON file instead of the demo data.
    #[arg(long, value_name = "FILE", hide = true, global = true)]
    pub seed: Option<String>,

    /// Force the prompts' plain line-oriented mode even on a terminal.
    #[arg(long, hide = true)]
    pub plain: bool,

    /// Add the technical detail (in English) to error messages.
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,

    /// The administrator's name, recorded in the binding history with the
    /// changes this run makes (the wizard, --unattended, rotate, unbind,
    /// forget).
    #[arg(long, value_name = "NAME", global = true, value_parser = non_empty)]
    pub admin: Option<String>,
}

/// Refuses an empty value, like every missing value (exit 2).
fn non_empty(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        Err(String::new())
    } else {
        Ok(value.to_owned())
    }
}

/// [`non_empty`], held as a secret.
fn non_empty_secret(value: &str) -> Result<SecretString, String> {
    non_empty(value).map(SecretString::from)
}

/// Whether `lower` (lower-cased) is libpq's keyword/value form: its first
/// word is a connection keyword followed by `=`, or it holds a password
/// (`password =`, spaces allowed) — never taken as a file's path, whose
/// name `status` and the support report show.
fn looks_like_keywords(lower: &str) -> bool {
    const KEYWORDS: &[&str] = &["host", "hostaddr", "port", "dbname", "user", "password"];
    let (first, rest) = lower.split_at(lower.find(['=', ' ', '\t']).unwrap_or(lower.len()));
    (KEYWORDS.contains(&first) && rest.trim_start().starts_with('='))
        || lower
            .match_indices("password")
            .any(|(at, word)| lower[at + word.len()..].trim_start().starts_with('='))
}

/// The value of `--state`: a file, memory, or a PostgreSQL database.
#[derive(Clone)]
pub enum StateArg {
    /// `memory`: nothing is written anywhere.
    Memory,
    /// A state file.
    File(std::path::PathBuf),
    /// A `postgres://` or `postgresql://` URL, held as a secret: it may
    /// carry a password.
    Postgres(SecretString),
}

impl StateArg {
    /// `memory`, a URL starting with `postgres://` or `postgresql://`
    /// (any case: the scheme is given to the library in lower case, the
    /// spaces around the URL dropped), libpq's `key=value` string (it
    /// starts with one of libpq's connection keywords, or holds a
    /// `password =`), else a path. Empty is refused (exit 2).
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = non_empty(value)?;
        let trimmed = value.trim();
        let lower = trimmed.to_ascii_lowercase();
        Ok(if value == "memory" {
            StateArg::Memory
        } else if let Some(scheme) = ["postgres://", "postgresql://"]
            .into_iter()
            .find(|s| lower.starts_with(s))
        {
            let url = format!("{scheme}{}", &trimmed[scheme.len()..]);
            StateArg::Postgres(SecretString::from(url))
        } else if looks_like_keywords(&lower) {
            StateArg::Postgres(SecretString::from(trimmed.to_owned()))
        } else {
            StateArg::File(value.into())
        })
    }

    /// The file's path, for a state file.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            StateArg::File(path) => Some(path),
            _ => None,
        }
    }
}

impl std::fmt::Debug for StateArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateArg::Memory => f.write_str("Memory"),
            StateArg::File(path) => f.debug_tuple("File").field(path).finish(),
            StateArg::Postgres(_) => f.write_str("Postgres([redacted])"),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// What is configured, for which environment, since when (local only;
    /// the secret is never shown). Exit 0 configured, 3 not configured.
    Status,
    /// Diagnostics: reaches the platform, TLS and proxy in use, clock skew,
    /// the platform bearer token, and the installation's credentials (a
    /// token request with them). Exit 0 all good, 3 the credentials were
    /// refused, 4 the platform or the token endpoint failed.
    Check,
    /// New credentials for the bound environment, verified before they
    /// replace the stored ones.
    Rotate,
    /// Releases the environment on the platform and forgets the local state.
    Unbind {
        /// The bound environment's name, repeated (needed without a terminal).
        #[arg(long, value_name = "NAME", value_parser = non_empty)]
        confirm: Option<String>,
    },
    /// Forgets the local state only (the platform keeps the binding).
    Forget,
    /// The binding history, newest first (local only; never writes, never
    /// a secret): a table, or JSON with --json.
    History {
        /// JSON instead of the table (the entries as the library gives them).
        #[arg(long)]
        json: bool,
    },
    /// Prints this installation's access token (a bearer token for the
    /// platform) and nothing else on stdout, for scripts. Exit 0 printed,
    /// 3 not configured or credentials refused, 4 platform error.
    Token,
    /// The wizard in the browser: serves the page on 127.0.0.1 and prints
    /// the address to open (see docs/web.md).
    Web(crate::web::WebArgs),
    /// Writes the support report: one .tar.gz to attach to a support
    /// ticket (versions, system, installation, the state's shape, the
    /// history, the last failures and what `check` finds; never a secret).
    /// Prints its path. Works with the platform unreachable, the state
    /// corrupt or locked, or the store down: what it cannot read it says.
    SupportReport {
        /// The folder to write it in (default: the current folder).
        #[arg(long, value_name = "DIR", value_parser = non_empty)]
        out: Option<String>,
    },
    /// Makes a new seal key file (32 random bytes, owner-only); never
    /// replaces an existing file.
    SealKey {
        /// Where to write the key.
        #[arg(long, value_name = "PATH", value_parser = non_empty)]
        out: String,
    },
    /// Rewrites the state file (--state) sealed with a new key: read with
    /// --seal-key-file (or in clear without it), written with --to.
    Reseal {
        /// The new key file.
        #[arg(long, value_name = "PATH", value_parser = non_empty)]
        to: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ClientAuthArg {
    /// `client_secret_basic`.
    #[value(alias = "client_secret_basic")]
    Basic,
    /// `client_secret_post`.
    #[value(alias = "client_secret_post")]
    Post,
}

impl ClientAuthArg {
    pub fn method(self) -> smartlink_core::ClientAuthMethod {
        match self {
            ClientAuthArg::Basic => smartlink_core::ClientAuthMethod::ClientSecretBasic,
            ClientAuthArg::Post => smartlink_core::ClientAuthMethod::ClientSecretPost,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LineArg {
    Protheus,
    Rm,
    Datasul,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Production,
    Homologation,
    Development,
    Custom,
}

impl LineArg {
    pub fn as_str(self) -> &'static str {
        match self {
            LineArg::Protheus => "protheus",
            LineArg::Rm => "rm",
            LineArg::Datasul => "datasul",
        }
    }
}

impl KindArg {
    pub fn as_str(self) -> &'static str {
        match self {
            KindArg::Production => "production",
            KindArg::Homologation => "homologation",
            KindArg::Development => "development",
            KindArg::Custom => "custom",
        }
    }
}

impl Cli {
    /// The locale: the flag, else `SMARTLINK_LOCALE`, else pt-BR.
    pub fn locale(&self) -> Locale {
        self.locale
            .clone()
            .or_else(|| std::env::var("SMARTLINK_LOCALE").ok())
            .map(|t| Locale::parse(&t))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use secrecy::ExposeSecret;

    use super::Cli;

    #[test]
    fn debug_of_the_cli_hides_a_database_password() {
        for url in [
            "postgres://erp:cli-canary-password@db.example:5432/erp",
            "POSTGRESQL://erp:cli-canary-password@db.example/erp",
        ] {
            let cli =
                Cli::try_parse_from(["smartlink-configurator", "--state", url, "status"]).unwrap();
            assert!(
                matches!(cli.state, Some(super::StateArg::Postgres(_))),
                "{url}"
            );
            for shown in [format!("{cli:?}"), format!("{cli:#?}")] {
                assert!(!shown.contains("cli-canary-password"), "{shown}");
                assert!(shown.contains("Postgres([redacted])"), "{shown}");
            }
        }
        // The scheme in any case reaches the library in lower case; libpq's
        // keyword form is a database too, never a file's name.
        for (given, url) in [
            (
                " POSTGRESQL://erp:pw@db.example/erp ",
                "postgresql://erp:pw@db.example/erp",
            ),
            ("Postgres://db/erp", "postgres://db/erp"),
            (
                "host=db user=erp password = pw sslmode=require",
                "host=db user=erp password = pw sslmode=require",
            ),
            ("dbname = erp", "dbname = erp"),
            (
                "sslmode=require PassWord='p w'",
                "sslmode=require PassWord='p w'",
            ),
        ] {
            match super::StateArg::parse(given) {
                Ok(super::StateArg::Postgres(u)) => assert_eq!(u.expose_secret(), url),
                other => panic!("{given}: {other:?}"),
            }
        }
        for path in [
            "state.json",
            "host.json",
            "/srv/password.json",
            "C:\\dados\\u@x",
        ] {
            assert!(
                matches!(super::StateArg::parse(path), Ok(super::StateArg::File(_))),
                "{path}"
            );
        }
        let cli = Cli::try_parse_from(["smartlink-configurator", "--state", "memory"]).unwrap();
        assert!(matches!(cli.state, Some(super::StateArg::Memory)));
        let cli =
            Cli::try_parse_from(["smartlink-configurator", "--state", "postgres.json"]).unwrap();
        assert!(matches!(cli.state, Some(super::StateArg::File(_))));
    }

    #[test]
    fn debug_of_the_cli_hides_the_token() {
        let cli = Cli::try_parse_from([
            "smartlink-configurator",
            "--platform-url",
            "https://platform.example",
            "--token",
            "cli-canary-token",
            "status",
        ])
        .unwrap();
        assert_eq!(
            cli.token.as_ref().map(|t| t.expose_secret()),
            Some("cli-canary-token")
        );
        for shown in [format!("{cli:?}"), format!("{cli:#?}")] {
            assert!(!shown.contains("cli-canary-token"), "{shown}");
            assert!(shown.contains("platform.example"), "{shown}");
        }
    }
}
