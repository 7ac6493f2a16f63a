//! The built library and programs, and runners: what the tests that run
//! examples, C programs and the configurator need. A missing tool fails the
//! test (`scripts/install-test-deps.sh` installs them); it never skips it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::TOKEN;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the test kit is in the workspace")
        .to_path_buf()
}

/// `target/<profile>` of this test binary (honours `CARGO_TARGET_DIR`,
/// whatever it was, since the binary lives under it).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf() // .../debug/deps/x -> .../debug
}

/// A scratch directory for compiled examples.
pub fn scratch(name: &str) -> PathBuf {
    let dir = profile_dir().join("ffi-examples").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The shared library built for this test run, as `libsmartlink.so`.
///
/// smartlink-ffi is built as cdylib and staticlib only (see
/// `smartlink-ffi/rlib/Cargo.toml`), so `cargo test` does not build its
/// library for the integration tests; it builds the same sources as the
/// `smartlink-ffi-rlib` dev-dependency, whose cdylib lands in `deps/` as
/// `libsmartlink_rlib.so`. That file, this run's, is copied once per test
/// process to `ffi-lib/libsmartlink.so` in the profile directory, the name
/// the examples link and load. (The copy cargo leaves in the profile
/// directory itself may be stale.)
pub fn cdylib() -> PathBuf {
    lib_dir().join("libsmartlink.so")
}

/// The directory holding this run's `libsmartlink.so`.
pub fn lib_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let built = profile_dir().join("deps").join("libsmartlink_rlib.so");
        assert!(built.exists(), "{} not built", built.display());
        let dir = profile_dir().join("ffi-lib");
        std::fs::create_dir_all(&dir).unwrap();
        // Written under a per-process name, then renamed: test processes of
        // other binaries may be loading the previous copy.
        let tmp = dir.join(format!("libsmartlink.so.{}", std::process::id()));
        std::fs::copy(&built, &tmp).unwrap();
        std::fs::rename(&tmp, dir.join("libsmartlink.so")).unwrap();
        dir
    })
    .clone()
}

/// Fails (does not skip) when a tool is missing.
pub fn require(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "`{tool}` is required by this test and is not installed: run scripts/install-test-deps.sh"
    );
}

/// Compiles C sources with the strict flags, against include/ and the cdylib.
pub fn compile_c(sources: &[&Path], out: &Path, link_smartlink: bool, extra: &[&str]) {
    require("cc");
    let mut cmd = Command::new("cc");
    cmd.args([
        "-std=c11",
        "-g",
        "-O0",
        "-Wall",
        "-Wextra",
        "-Wpedantic",
        "-Werror",
    ])
    .arg("-I")
    .arg(workspace().join("include"))
    .args(sources)
    .arg("-o")
    .arg(out);
    if link_smartlink {
        let dir = lib_dir();
        cmd.arg("-L")
            .arg(&dir)
            .arg("-lsmartlink")
            .arg(format!("-Wl,-rpath,{}", dir.display()));
    }
    cmd.args(extra);
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "cc failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs a command and fails with its output when it does not succeed.
pub fn run_ok(cmd: &mut Command, what: &str) -> Output {
    // cargo's own LD_LIBRARY_PATH names the profile directory, whose copy of
    // the library may be stale (see `cdylib`): this run's comes first.
    let inherited = std::env::var_os("LD_LIBRARY_PATH").unwrap_or_default();
    let mut paths = vec![lib_dir()];
    paths.extend(std::env::split_paths(&inherited));
    cmd.env("LD_LIBRARY_PATH", std::env::join_paths(paths).unwrap());
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{what} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "{what} printed the platform token"
    );
    output
}

/// The `smartlink-sandbox` binary running as a process of its own, killed
/// on drop: the one runner of the tests that need the sandbox outside the
/// test process.
pub struct SandboxProcess {
    child: Option<Child>,
    url: String,
}

impl SandboxProcess {
    /// Runs `exe` (the binary: `env!("CARGO_BIN_EXE_smartlink-sandbox")` in
    /// its own package's tests) with `args`, which should listen on
    /// `127.0.0.1:0`, and waits for the line that gives its URL. Its
    /// standard error is kept for [`SandboxProcess::interrupt`].
    pub fn start(exe: &Path, args: &[&str]) -> Self {
        let child = Command::new(exe)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
        // Owned (killed on drop) before anything can fail.
        let mut running = Self {
            child: Some(child),
            url: String::new(),
        };
        let stdout = running.child.as_mut().unwrap().stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        running.url = line
            .trim()
            .strip_prefix("smartlink-sandbox listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        running
    }

    /// Runs `exe` with `args` to its end (a run that is refused before it
    /// serves): its exit code and standard error. The test's own
    /// `SMARTLINK_SANDBOX_TOKEN` is not passed on.
    pub fn run_to_end(exe: &Path, args: &[&str]) -> (Option<i32>, String) {
        let out = Command::new(exe)
            .args(args)
            .env_remove("SMARTLINK_SANDBOX_TOKEN")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The URL it printed.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends it SIGINT (Ctrl-C) and waits for it to end: its exit status
    /// and standard error.
    #[cfg(unix)]
    pub fn interrupt(mut self) -> (std::process::ExitStatus, String) {
        let child = self.child.take().expect("running");
        let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("a pid");
        rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT sent");
        let out = child.wait_with_output().unwrap();
        (
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
