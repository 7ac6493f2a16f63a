//! A throwaway PostgreSQL server for tests: `initdb` into a temporary
//! directory (as the `postgres` user when the tests run as root, which
//! PostgreSQL refuses), the server on a free port of 127.0.0.1 with its Unix
//! socket in that directory, waited for until it accepts connections; it
//! can be stopped and started again on the same port and data, and is
//! killed (with its backends) and removed when dropped.
//!
//! The binaries are Debian's (`postgresql` package, installed by
//! scripts/install-test-deps.sh): `$SMARTLINK_PG_BIN`, else the newest
//! /usr/lib/postgresql/*/bin, else the directory of `initdb` on the PATH.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or stopped) throwaway server.
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    user: Option<(u32, u32)>,
    child: Option<Child>,
    durable: bool,
    tls: bool,
}

/// A server certificate and its private key, PEM, for [`PgServer::start_tls`].
pub struct ServerTls<'a> {
    /// The certificate chain (the server's first).
    pub cert_pem: &'a str,
    /// Its private key.
    pub key_pem: &'a str,
}

impl PgServer {
    /// Makes a cluster and starts the server with commits that are not
    /// flushed to disk (`fsync=off`, `synchronous_commit=off`): test
    /// settings, fast and fine for what tests check. Panics, saying why,
    /// when PostgreSQL is missing or does not start.
    pub fn start() -> Self {
        Self::start_with(false, None)
    }

    /// The same, with TLS on and only TLS accepted over TCP (`hostssl` in
    /// `pg_hba.conf`; a connection without TLS is rejected), the server
    /// presenting `tls`'s certificate.
    pub fn start_tls(tls: ServerTls<'_>) -> Self {
        Self::start_with(false, Some(tls))
    }

    /// The same with PostgreSQL's own defaults (every commit flushed, as a
    /// production server runs): for measurements against the file store,
    /// which flushes its saves too.
    pub fn start_durable() -> Self {
        Self::start_with(true, None)
    }

    fn start_with(durable: bool, tls: Option<ServerTls<'_>>) -> Self {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("smartlink-pg-")
            .tempdir()
            .expect("a temporary directory");
        let user = run_as();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .expect("chown the directory");
        }
        let mut server = Self {
            port: free_port(),
            dir,
            bin,
            user,
            child: None,
            durable,
            tls: tls.is_some(),
        };
        let log = server.log_file("initdb.log");
        let status = server
            .command("initdb")
            .args(["--auth=trust", "--username=postgres", "--encoding=UTF8"])
            .args(["--no-sync", "--no-instructions", "-D"])
            .arg(server.data())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .status()
            .expect("initdb runs");
        assert!(
            status.success(),
            "initdb failed: {}",
            server.read_log("initdb.log")
        );
        if let Some(tls) = tls {
            server.install_tls(&tls);
        }
        // The free port may be taken between our probe and the server's
        // bind (tests run in parallel): another port then.
        for attempt in 1..=5 {
            match server.launch() {
                Ok(()) => return server,
                Err(log) if log.contains("Address already in use") && attempt < 5 => {
                    server.port = free_port();
                }
                Err(log) => panic!("postgres did not start: {log}"),
            }
        }
        unreachable!("the loop returns or panics")
    }

    /// The certificate and key into the data directory (owned by the
    /// server's user, the key private as PostgreSQL requires), and a
    /// `pg_hba.conf` that takes TCP connections over TLS only.
    fn install_tls(&self, tls: &ServerTls<'_>) {
        use std::os::unix::fs::PermissionsExt;
        let data = self.data();
        for (name, pem) in [("server.crt", tls.cert_pem), ("server.key", tls.key_pem)] {
            let path = data.join(name);
            std::fs::write(&path, pem).expect("write the server's TLS files");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            if let Some((uid, gid)) = self.user {
                std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();
            }
        }
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all all 127.0.0.1/32 trust\n\
             hostssl all all ::1/128 trust\n\
             hostnossl all all 0.0.0.0/0 reject\n\
             hostnossl all all ::/0 reject\n",
        )
        .expect("write pg_hba.conf");
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A URL for the `postgres` superuser and database (no password: the
    /// cluster trusts local connections).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The Unix socket directory.
    pub fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_file(&self, name: &str) -> File {
        let path = self.dir.path().join(name);
        let file = File::options()
            .create(true)
            .append(true)
            .open(&path)
            .expect("a log file");
        if let Some((uid, gid)) = self.user {
            let _ = std::os::unix::fs::chown(&path, Some(uid), Some(gid));
        }
        file
    }

    fn read_log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.stdin(Stdio::null()).current_dir(self.dir.path());
        if let Some((uid, gid)) = self.user {
            cmd.uid(uid).gid(gid);
            cmd.env("HOME", self.dir.path());
        }
        cmd
    }

    /// Starts the server (after [`PgServer::stop`]) on the same port and
    /// data, and waits until it accepts connections.
    pub fn start_again(&mut self) {
        // The same port: wait for whoever holds it for a moment.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.launch() {
                Ok(()) => return,
                Err(log) if log.contains("Address already in use") && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(log) => panic!("postgres did not start again: {log}"),
            }
        }
    }

    /// Starts the server and waits until it accepts connections; the log
    /// when it exits first.
    fn launch(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "the server is running");
        // This attempt's log only.
        let _ = std::fs::remove_file(self.dir.path().join("server.log"));
        let sock = self.socket_dir();
        if !sock.exists() {
            std::fs::create_dir(&sock).expect("the socket directory");
            if let Some((uid, gid)) = self.user {
                std::os::unix::fs::chown(&sock, Some(uid), Some(gid)).unwrap();
            }
        }
        let log = self.log_file("server.log");
        let mut command = self.command("postgres");
        command
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(&sock)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=40",
            ]);
        if self.tls {
            command.args(["-c", "ssl=on"]);
        }
        if !self.durable {
            command
                .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
                .args(["-c", "full_page_writes=off"]);
        }
        let child = command
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("postgres starts");
        self.child = Some(child);
        self.wait_ready()
    }

    /// Waits (up to 30 s) until `pg_isready` says the server accepts; the
    /// server's log when it exited instead.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self
                .command("pg_isready")
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .args(["-U", "postgres", "-d", "postgres"])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(());
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                return Err(format!(
                    "postgres exited ({status}): {}",
                    self.read_log("server.log")
                ));
            }
            assert!(
                Instant::now() < deadline,
                "postgres did not accept connections in 30 s: {}",
                self.read_log("server.log")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server (fast shutdown: open connections are terminated)
    /// and waits for it to exit.
    pub fn stop(&mut self) {
        self.signal_and_wait(rustix::process::Signal::INT, Duration::from_secs(30));
    }

    /// Whether the server process is running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    fn signal_and_wait(&mut self, signal: rustix::process::Signal, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
            let _ = rustix::process::kill_process(pid, signal);
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for PgServer {
    /// Immediate shutdown (the server ends its backends), then SIGKILL if
    /// it lingers; the directory is removed after.
    fn drop(&mut self) {
        self.signal_and_wait(rustix::process::Signal::QUIT, Duration::from_secs(10));
    }
}

/// A port of 127.0.0.1 free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The uid and gid of `postgres` when running as root (PostgreSQL refuses
/// root), else `None` (run as this user).
fn run_as() -> Option<(u32, u32)> {
    if !rustix::process::geteuid().is_root() {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    let line = passwd
        .lines()
        .find(|l| l.starts_with("postgres:"))
        .expect("a postgres user (scripts/install-test-deps.sh installs PostgreSQL)");
    let fields: Vec<&str> = line.split(':').collect();
    Some((fields[2].parse().unwrap(), fields[3].parse().unwrap()))
}

/// The directory of PostgreSQL's server binaries.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SMARTLINK_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let initdb = dir.join("initdb");
        if initdb.exists() {
            let real = std::fs::canonicalize(&initdb).unwrap_or(initdb);
            return real.parent().map(Path::to_path_buf).unwrap_or(dir);
        }
    }
    panic!("PostgreSQL's initdb was not found: run scripts/install-test-deps.sh");
}
