//! `smartlink-sandbox --listen 127.0.0.1:8080 --seed demo.json --token T [--state file.json]
//! [--token-lifetime SECONDS]`

use std::path::PathBuf;
use std::process::ExitCode;

use smartlink_core::Seed;
use smartlink_sandbox::{Sandbox, demo_seed};

const USAGE: &str =
    "usage: smartlink-sandbox [--listen ADDR] [--seed FILE] --token TOKEN [--state FILE]
                         [--token-lifetime SECONDS]

  --listen ADDR   address to listen on (default 127.0.0.1:8080; port 0 picks a free one)
  --seed FILE     JSON seed: {\"environments\": [...]} (default: the built-in demo data)
  --token TOKEN   bearer token the sandbox accepts (or SMARTLINK_SANDBOX_TOKEN)
  --state FILE    persist the platform's state here so a demo survives a restart
  --token-lifetime SECONDS
                  lifetime of the access tokens /oauth2/token hands out
                  (default 3600; short ones let tests cross an expiry)";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("smartlink-sandbox: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut listen = "127.0.0.1:8080".to_owned();
    let mut seed_file: Option<PathBuf> = None;
    let mut token = std::env::var("SMARTLINK_SANDBOX_TOKEN").ok();
    let mut state: Option<PathBuf> = None;
    let mut token_lifetime: Option<u64> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--listen" => listen = value("--listen")?,
            "--seed" => seed_file = Some(value("--seed")?.into()),
            "--token" => token = Some(value("--token")?),
            "--state" => state = Some(value("--state")?.into()),
            "--token-lifetime" => {
                let raw = value("--token-lifetime")?;
                token_lifetime = Some(
                    raw.parse::<u64>()
                        .ok()
                        .filter(|&s| s > 0)
                        .ok_or_else(|| {
                            format!("--token-lifetime must be a positive number of seconds, not {raw:?}\n{USAGE}")
                        })?,
                );
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let token = token.ok_or_else(|| format!("--token is required\n{USAGE}"))?;
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
