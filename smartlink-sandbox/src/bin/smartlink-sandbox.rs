//! `smartlink-sandbox --listen 127.0.0.1:8080 --seed demo.json [--state file.json]
//! [--token-lifetime SECONDS]`, with the token in `SMARTLINK_SANDBOX_TOKEN`
//! (or `--token T`). Every flag takes its value as the next argument or after
//! `=` (`--listen=ADDR`). An error never repeats a value it was given: the
//! value may be the token.

use std::path::PathBuf;
use std::process::ExitCode;

use smartlink_sandbox::Seed;
use smartlink_sandbox::{Sandbox, demo_seed};

const USAGE: &str =
    "usage: SMARTLINK_SANDBOX_TOKEN=TOKEN smartlink-sandbox [--listen ADDR] [--seed FILE]
                         [--state FILE] [--token-lifetime SECONDS]

  --listen ADDR   address to listen on (default 127.0.0.1:8080; port 0 picks a free one)
  --seed FILE     JSON seed: {\"environments\": [...]} (default: the built-in demo data)
  --token TOKEN   bearer token the sandbox accepts; prefer the environment
                  variable SMARTLINK_SANDBOX_TOKEN: an argument is visible to
                  other users of the machine (ps) and stays in shell history
  --state FILE    persist the platform's state here so a demo survives a restart
  --token-lifetime SECONDS
                  lifetime of the access tokens /oauth2/token hands out
                  (default 3600; short ones let tests cross an expiry)

Each flag takes its value as the next argument or after '=' (--listen=ADDR).";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("smartlink-sandbox: {message}");
            ExitCode::from(2)
        }
    }
}

/// How an argument that is not understood is named in an error: a flag's
/// name only, never what follows its `=`, and nothing of an argument that
/// is not a flag. Either may be a secret typed in the wrong place.
fn shown(arg: &str) -> String {
    let name = arg.split_once('=').map_or(arg, |(name, _)| name);
    let looks_like_a_flag = name.len() <= 40
        && name.starts_with('-')
        && name
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_lowercase() || b.is_ascii_digit());
    match (looks_like_a_flag, arg.contains('=')) {
        (true, false) => format!("{name:?}"),
        (true, true) => format!("{:?}", format!("{name}=[redacted]")),
        (false, _) => "(not shown: it may be a secret)".to_owned(),
    }
}

fn run() -> Result<(), String> {
    let mut listen = "127.0.0.1:8080".to_owned();
    let mut seed_file: Option<PathBuf> = None;
    let mut token = std::env::var("SMARTLINK_SANDBOX_TOKEN").ok();
    let mut state: Option<PathBuf> = None;
    let mut token_lifetime: Option<u64> = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        // A value that is not Unicode is refused without being shown.
        let arg = arg
            .into_string()
            .map_err(|_| format!("an argument is not valid Unicode (not shown)\n{USAGE}"))?;
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            let value = match inline.clone() {
                Some(value) => value,
                None => args
                    .next()
                    .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?
                    .into_string()
                    .map_err(|_| format!("the value of {name} is not valid Unicode\n{USAGE}"))?,
            };
            if value.is_empty() {
                return Err(format!("{name} needs a value\n{USAGE}"));
            }
            Ok(value)
        };
        match name {
            "--listen" => listen = value("--listen")?,
            "--seed" => seed_file = Some(value("--seed")?.into()),
            "--token" => token = Some(value("--token")?),
            "--state" => state = Some(value("--state")?.into()),
            "--token-lifetime" => {
                let raw = value("--token-lifetime")?;
                token_lifetime =
                    Some(raw.parse::<u64>().ok().filter(|&s| s > 0).ok_or_else(|| {
                        format!("--token-lifetime must be a positive number of seconds\n{USAGE}")
                    })?);
            }
            "-h" | "--help" if inline.is_none() => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(format!("unknown argument {}\n{USAGE}", shown(&arg))),
        }
    }
    let token = token.ok_or_else(|| {
        format!("--token is required (or, better, SMARTLINK_SANDBOX_TOKEN)\n{USAGE}")
    })?;
    let seed: Seed = match &seed_file {
        Some(path) => {
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            serde_json::from_slice(&bytes)
                .map_err(|e| format!("invalid seed {}: {e}", path.display()))?
        }
        None => demo_seed(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let sandbox = match state {
            Some(path) => Sandbox::persistent(&seed, token, path),
            None => Sandbox::from_seed(&seed, token),
        }
        .map_err(|e| e.to_string())?;
        if let Some(seconds) = token_lifetime {
            sandbox
                .platform()
                .set_token_lifetime(std::time::Duration::from_secs(seconds));
        }
        let running = sandbox
            .serve(&listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        println!("smartlink-sandbox listening on {}", running.url());
        tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
        eprintln!("smartlink-sandbox: stopping");
        running.shutdown().await;
        Ok(())
    })
}
