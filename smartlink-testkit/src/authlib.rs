//! A real, third-party OAuth2 authorization server for the token tests:
//! Authlib's `AuthorizationServer` (client-credentials grant) run by
//! `tests/oauth/authlib_server.py` on 127.0.0.1 at a free port.
//!
//! Its prerequisites (python3 and the `authlib` package) are installed by
//! `scripts/install-test-deps.sh`; when they are missing, [`AuthlibServer::start`]
//! fails the test with a message saying so (it never skips).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use secrecy::SecretString;
use serde_json::Value;
use smartlink_core::{
    ClientId, Credentials, EnvironmentId, EnvironmentName, ErpLine, InstallationId, Kind,
    LocalState,
};
use smartlink_core::{LocalBinding, TaskOutcome, TaskRecord};

/// The script, in the workspace's `tests/oauth/`.
pub const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/oauth/authlib_server.py"
);

/// The client registered at the server by default.
pub const CLIENT_ID: &str = "cli_authlib";
/// Its secret: characters that HTTP Basic must form-urlencode (RFC 6749
/// §2.3.1) before Base64, as real platforms' Base64 secrets have.
pub const CLIENT_SECRET: &str = "s3c+/=r:et%Zz ok";

/// A running Authlib server; killed when dropped.
pub struct AuthlibServer {
    child: Child,
    _stdin: ChildStdin,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

/// Fails the test unless python3 and Authlib are there.
pub fn require_authlib() {
    let found = Command::new("python3")
        .args(["-c", "import authlib; print(authlib.__version__)"])
        .output();
    match found {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "the OAuth2 interoperability tests need Authlib (PyPI `authlib`) for python3, and \
             `import authlib` failed: {}. Run scripts/install-test-deps.sh.",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => panic!(
            "the OAuth2 interoperability tests need python3 with Authlib, and python3 could not \
             be run ({e}). Run scripts/install-test-deps.sh."
        ),
    }
}

impl AuthlibServer {
    /// Starts the server with [`CLIENT_ID`]/[`CLIENT_SECRET`] registered and
    /// the given switches (`--auth-method client_secret_post`, …).
    pub fn start(args: &[&str]) -> Self {
        require_authlib();
        let client = format!("{CLIENT_ID}:{CLIENT_SECRET}");
        let mut child = Command::new("python3")
            .arg(SCRIPT)
            .args(["--client", &client])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs");
        let stdin = child.stdin.take().expect("piped stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the server's first line");
        let url = line
            .trim()
            .strip_prefix("authlib-server listening on ")
            .unwrap_or_else(|| panic!("the Authlib server did not start: {line:?}"))
            .to_owned();
        Self {
            child,
            _stdin: stdin,
            url,
        }
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/token", self.url)
    }

    /// Changes switches (`{"mode": "error500"}`, …); returns the settings.
    pub fn control(&self, changes: Value) -> Value {
        let (status, body) = self.exchange("POST", "/control", &changes.to_string());
        assert_eq!(status, 200, "control {changes}: {body}");
        serde_json::from_str(&body).expect("settings")
    }

    /// Every token request received so far: `{"at", "method", "status"}`.
    pub fn log(&self) -> Vec<Value> {
        let (status, body) = self.exchange("GET", "/control/log", "");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("log")
    }

    /// How many token requests arrived.
    pub fn requests(&self) -> usize {
        self.log().len()
    }

    /// One blocking HTTP/1.1 exchange (usable with or without a runtime).
    fn exchange(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let address = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("connect to the Authlib server");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for AuthlibServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment of the bound state.
pub const ENVIRONMENT: &str = "env_authlib";

/// A state as the configurator leaves it after binding installation `id`
/// (Protheus, production): bound to [`ENVIRONMENT`], holding the credentials
/// registered at the Authlib server.
pub fn bound_state(id: &str) -> LocalState {
    let mut state = LocalState::new(InstallationId::new(id).unwrap(), ErpLine::Protheus);
    let environment_id = EnvironmentId::new(ENVIRONMENT).unwrap();
    state.binding = Some(LocalBinding {
        environment_id: environment_id.clone(),
        environment_name: EnvironmentName::new("Authlib").unwrap(),
        environment_kind: Kind::Production,
        bound_at: Utc::now(),
    });
    state.credentials = Some(Credentials {
        client_id: ClientId::new(CLIENT_ID).unwrap(),
        client_secret: SecretString::from(CLIENT_SECRET),
        tenant_id: uuid::Uuid::nil(),
        environment_id: environment_id.clone(),
        expires_at: None,
    });
    state.last_task = Some(TaskRecord {
        task_id: uuid::Uuid::new_v4(),
        outcome: TaskOutcome::Succeeded {
            environment_id,
            reused_credentials: false,
        },
        finished_at: Utc::now(),
    });
    state
}
