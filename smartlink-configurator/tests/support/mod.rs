//! Shared by the configurator's integration tests (included with `mod
//! support;`): the binary run as a process with the developer's locale,
//! token and proxy settings removed, its output and exit code, a state file
//! with a persistent sandbox beside it, and a sandbox served on 127.0.0.1.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_smartlink-configurator");

/// Variables of the environment the tests run in that would change what the
/// binary does: the locale and token fallbacks of its flags, and proxies
/// (each also in lower case).
const HOST_VARIABLES: &[&str] = &[
    "SMARTLINK_LOCALE",
    "SMARTLINK_TOKEN",
    "SMARTLINK_STATE",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
];

/// The names of [`HOST_VARIABLES`], as written and in lower case.
pub fn host_variables() -> impl Iterator<Item = String> {
    HOST_VARIABLES
        .iter()
        .flat_map(|name| [name.to_string(), name.to_lowercase()])
}

/// The unattended first binding most tests start from: installation
/// "Matriz SP" on "Produção Nova".
pub const BIND_MATRIZ_SP: &[&str] = &[
    "--unattended",
    "--installation-name",
    "Matriz SP",
    "--environment",
    "Produção Nova",
];

/// An unattended run as installation "X" with `flag` (`--environment` or
/// `--create`) and its `value`.
pub fn unattended_x<'a>(flag: &'a str, value: &'a str) -> [&'a str; 5] {
    ["--unattended", "--installation-name", "X", flag, value]
}

/// A platform nothing listens on (port 1: the connection is refused at
/// once), its token, and the state in memory.
pub const UNREACHABLE: &[&str] = &[
    "--platform-url",
    "http://127.0.0.1:1",
    "--token",
    "t",
    "--state",
    "memory",
];

/// `first`, then [`UNREACHABLE`], then `then`.
pub fn unreachable(first: &[&str], then: &[&str]) -> Vec<String> {
    with(&with(first, UNREACHABLE), then)
}

/// What one run of the binary left: its exit code and its output.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Both streams, for assertions on everything printed.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The binary with `args`, none of [`host_variables`], and its three
/// standard streams piped.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for name in host_variables() {
        cmd.env_remove(name);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `cmd` with `input` on stdin (one answer per line), then closes it.
pub fn run_with(mut cmd: Command, input: &str) -> Out {
    let mut child = cmd.spawn().expect("the binary starts");
    {
        let mut stdin = child.stdin.take().expect("piped stdin");
        // The binary may exit before reading everything: ignore EPIPE.
        let _ = stdin.write_all(input.as_bytes());
    }
    let output = child.wait_with_output().expect("the binary runs");
    Out {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs the binary with `args` and `input` on stdin.
pub fn run(args: &[&str], input: &str) -> Out {
    run_with(command(args), input)
}

/// [`run`] with owned arguments.
pub fn run_v(args: &[String], input: &str) -> Out {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args, input)
}

/// `base` followed by `extra`.
pub fn with<S: AsRef<str>>(base: &[S], extra: &[&str]) -> Vec<String> {
    base.iter()
        .map(|s| s.as_ref().to_owned())
        .chain(extra.iter().map(|s| s.to_string()))
        .collect()
}

/// A state file and a persistent sandbox, shared by consecutive runs.
pub struct World {
    pub dir: tempfile::TempDir,
}

impl World {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The configurator's state file.
    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state.json")
    }

    /// The embedded sandbox's snapshot (the platform's side).
    pub fn sandbox(&self) -> PathBuf {
        self.dir.path().join("sandbox.json")
    }

    /// `--state` and `--sandbox-state` of this world, then `extra`.
    pub fn args(&self, extra: &[&str]) -> Vec<String> {
        with(
            &[
                "--state",
                self.state().to_str().unwrap(),
                "--sandbox-state",
                self.sandbox().to_str().unwrap(),
            ],
            extra,
        )
    }

    /// Runs the binary in this world.
    pub fn run(&self, extra: &[&str], input: &str) -> Out {
        run_v(&self.args(extra), input)
    }

    /// Binds this installation, unattended, as "Matriz SP" to "Produção Nova".
    pub fn bind(&self) {
        let out = self.run(BIND_MATRIZ_SP, "");
        assert_eq!(out.code, 0, "{out:?}");
    }
}

/// The names in `dir`, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
