//! What scripts and operators meet: closed pipes, a `status` that only
//! reads, one language, `check` against a platform it cannot reach, the
//! flags' exit codes, and the lifecycle subcommands (`rotate`, `unbind`,
//! `forget`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::mpsc;

mod support;
use support::{Out, World, command, listing, run, run_v, run_with, unreachable, with};

// ---------------------------------------------------------------- pipes

/// A platform that holds its first answer until told to send it (a 401),
/// and answers later requests at once.
fn held_platform() -> (String, mpsc::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let mut first = true;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line == "\r\n" {
                    break;
                }
                line.clear();
            }
            if first {
                let _ = rx.recv();
                first = false;
            }
            let body = r#"{"error":"unauthorized","detail":"token refused"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, tx)
}

#[test]
fn check_into_a_closed_pipe_exits_quietly() {
    let (url, release) = held_platform();
    let mut child = command(&[
        "check",
        "--platform-url",
        &url,
        "--token",
        "t",
        "--state",
        "memory",
    ])
    .spawn()
    .unwrap();
    // `| head -1`: read one line, close the pipe, then let the platform answer.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("TLS"), "{first}");
    drop(stdout);
    release.send(()).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(4), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("failed printing"), "{stderr}");
}

#[test]
fn the_wizard_into_a_closed_pipe_still_finishes_its_work() {
    let w = World::new();
    let args = w.args(&[]);
    let mut child = command(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    drop(stdout);
    // Start, a name, Produção Nova (the default), Generate.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"1\nMatriz SP\n\n1\n").unwrap();
    drop(stdin);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The work was done: status says configured.
    let status = w.run(&["status"], "");
    assert_eq!(status.code, 0, "{status:?}");
}

// ---------------------------------------------------------------- status

#[test]
fn status_never_writes_not_even_a_corrupt_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(&state, b"{ not json").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let before = listing(dir.path());
    let out = run(&["status", "--state", state.to_str().unwrap()], "");
    assert_eq!(out.code, 6, "{out:?}");
    assert!(
        out.stderr
            .contains("não pôde ser lido (corrompido). Ele não foi alterado"),
        "{out:?}"
    );
    assert!(!out.all().contains("gravar"), "{out:?}");
    assert_eq!(listing(dir.path()), before, "status changed the directory");
    assert_eq!(std::fs::read(&state).unwrap(), b"{ not json");

    // A good file: read, reported, and left exactly as it was.
    let w = World::new();
    w.bind();
    let bytes = std::fs::read(w.state()).unwrap();
    let files = listing(w.dir.path());
    let out = w.run(&["status"], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Produção Nova"), "{out:?}");
    assert_eq!(std::fs::read(w.state()).unwrap(), bytes);
    assert_eq!(listing(w.dir.path()), files);
}

#[test]
fn status_names_a_failure_in_the_chosen_language() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let doc = serde_json::json!({
        "format": "smartlink-state",
        "version": 1,
        "state": {
            "installation_id": "inst-1",
            "line": "protheus",
            "last_task": {
                "task_id": "6d1f8a56-3a4b-4b43-9a3c-0f7f4b0d6f11",
                "outcome": {"outcome": "failed", "code": "transport",
                            "detail": "could not reach the platform: refused"},
                "finished_at": "2026-01-01T00:00:00Z"
            }
        }
    });
    std::fs::write(&state, serde_json::to_vec(&doc).unwrap()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    for (locale, expected) in [
        ("pt-BR", "A última tentativa falhou: "),
        ("es", "El último intento falló: "),
        ("en", "The last attempt failed: "),
    ] {
        let out = run(
            &[
                "status",
                "--installation-id",
                "inst-1",
                "--state",
                state.to_str().unwrap(),
                "--locale",
                locale,
            ],
            "",
        );
        assert_eq!(out.code, 3, "{out:?}");
        assert!(out.stdout.contains(expected), "{out:?}");
        assert!(!out.stdout.contains("(transport)"), "{out:?}");
        assert!(!out.stdout.contains("could not reach"), "{out:?}");
    }
}

// ---------------------------------------------------------------- language

#[test]
fn help_and_usage_errors_speak_the_chosen_language() {
    let pt = run(&["--help"], "");
    assert_eq!(pt.code, 0);
    for expected in [
        "Uso: smartlink-configurator",
        "Opções:",
        "Códigos de saída:",
    ] {
        assert!(pt.stdout.contains(expected), "{expected}: {pt:?}");
    }
    for english in [
        "Usage:",
        "Options:",
        "Print help",
        "[default:",
        "possible values",
    ] {
        assert!(!pt.stdout.contains(english), "{english}: {pt:?}");
    }
    let es = run(&["--help", "--locale", "es"], "");
    assert!(es.stdout.contains("Códigos de salida:"), "{es:?}");
    let sub = run(&["unbind", "--help", "--locale", "en"], "");
    assert!(sub.stdout.contains("Releases the environment"), "{sub:?}");

    for (args, expected) in [
        (vec!["--bogus"], "Argumento desconhecido: --bogus."),
        (
            vec!["--bogus", "--locale", "es"],
            "Argumento desconocido: --bogus.",
        ),
        (
            vec!["--locale", "en", "--bogus"],
            "Unknown argument: --bogus.",
        ),
        (vec!["--line", "sap"], "Valor inválido para --line"),
        (
            vec!["--environment", ""],
            "--environment <NAME> precisa de um valor não vazio.",
        ),
        (vec!["frobnicate"], "Comando desconhecido: frobnicate."),
    ] {
        let out = run(&args, "");
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.contains(expected), "{args:?}: {out:?}");
        assert!(!out.stderr.contains("error:"), "clap's English: {out:?}");
    }
    // The English detail only on request.
    let verbose = run(&["--bogus", "--verbose"], "");
    assert!(
        verbose.stderr.contains("unexpected argument"),
        "{verbose:?}"
    );
}

#[test]
fn platform_errors_keep_english_detail_for_verbose() {
    let base = unreachable(
        &["--unattended"],
        &["--installation-name", "X", "--environment", "A"],
    );
    let out = run_v(&base, "");
    assert_eq!(out.code, 4, "{out:?}");
    // One sentence: the failure, then its cause.
    assert!(
        out.stderr.contains(
            "(rede, proxy ou TLS): a conexão foi recusada (nada escuta nesse endereço e porta)."
        ),
        "{out:?}"
    );
    assert!(!out.stderr.contains("could not"), "{out:?}");
    let out = run_v(&with(&base, &["--verbose"]), "");
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stderr.contains("could not"), "{out:?}");
}

// ---------------------------------------------------------------- check

#[test]
fn check_says_the_platform_is_unreachable_and_why() {
    // Refused: nothing listens on port 1.
    let out = run_v(&unreachable(&["check"], &[]), "");
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stdout
            .contains("Plataforma inacessível em http://127.0.0.1:1: a conexão foi recusada"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("Token de acesso à plataforma (--token): não verificado"),
        "{out:?}"
    );
    assert!(
        !out.stdout.contains("Date"),
        "blames the Date header: {out:?}"
    );

    // TLS: something answers on the port, but not TLS.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let url = format!("https://127.0.0.1:{port}");
    let out = run(
        &[
            "check",
            "--platform-url",
            &url,
            "--token",
            "t",
            "--state",
            "memory",
            "--locale",
            "en",
        ],
        "",
    );
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stdout
            .contains("the secure connection (TLS) failed: certificate or protocol"),
        "{out:?}"
    );

    // A proxy in the way.
    let mut cmd = command(&[
        "check",
        "--platform-url",
        &url,
        "--token",
        "t",
        "--state",
        "memory",
        "--locale",
        "en",
    ]);
    cmd.env("HTTPS_PROXY", "http://127.0.0.1:1");
    let out = run_with(cmd, "");
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stdout
            .contains("the configured proxy did not connect to the server"),
        "{out:?}"
    );
}

// ---------------------------------------------------------------- flags

#[test]
fn flags_refused_as_usage_errors() {
    for args in [
        vec![
            "--unattended",
            "--state",
            "memory",
            "--create",
            "X",
            "--confirm",
            "X",
        ],
        vec!["--confirm", "X", "--state", "memory"],
        vec!["--unattended", "--state", "memory", "--environment", ""],
        vec!["--unattended", "--state", "memory", "--create", ""],
        vec![
            "--unattended",
            "--state",
            "memory",
            "--installation-name",
            "",
        ],
        vec!["unbind", "--confirm", "", "--state", "memory"],
    ] {
        let out = run(&args, "");
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
    }
    let out = run(
        &[
            "--unattended",
            "--create",
            "X",
            "--confirm",
            "X",
            "--state",
            "memory",
        ],
        "",
    );
    assert!(out.stderr.contains("--confirm"), "{out:?}");
}

#[test]
fn a_refused_platform_url_is_named_with_its_reason() {
    for (flag, url, said) in [
        (
            "--platform-url",
            "http://platform.example.com",
            "plain http is accepted for this machine only",
        ),
        ("--platform-url", "platform.example.com", "not a valid URL"),
        (
            "--platform-url",
            "https://platform.example.com:99999",
            "not a valid URL",
        ),
        (
            "--platform-url",
            "https://erp:url-canary-pw@platform.example.com",
            "must not hold a user name or password",
        ),
        (
            "--platform-url",
            "https://platform.example.com/?tenant=1",
            "must not have a query",
        ),
        (
            "--platform-url",
            "ftp://platform.example.com",
            "use https (or http for this machine)",
        ),
        (
            "--token-url",
            "http://idp.example.com/token",
            "plain http is accepted for this machine only",
        ),
    ] {
        let mut args = vec![
            "--locale", "en", "--token", "t", "--state", "memory", "check",
        ];
        if flag == "--token-url" {
            args.extend(["--platform-url", "https://platform.example.com"]);
        }
        args.extend([flag, url]);
        let out = run(&args, "");
        assert_eq!(out.code, 2, "{url}: {out:?}");
        assert!(
            out.stderr.contains(&format!("{flag}: ")) && out.stderr.contains(said),
            "{url}: {out:?}"
        );
        assert!(!out.all().contains("url-canary-pw"), "{out:?}");
    }
}

#[test]
fn a_proxy_the_client_cannot_use_is_refused_not_ignored() {
    // An unsupported scheme was ignored: every request went direct while
    // `check` printed the proxy as in use.
    for proxy in ["ftp://127.0.0.1:1", "socks9://proxy.example:1080"] {
        let out = run(
            &[
                "--locale", "en", "--state", "memory", "--proxy", proxy, "check",
            ],
            "",
        );
        assert_eq!(out.code, 2, "{proxy}: {out:?}");
        assert!(
            out.stderr.contains("--proxy: the proxy URL is not valid"),
            "{proxy}: {out:?}"
        );
        assert!(
            !out.stdout.contains("Platform reachable"),
            "{proxy}: {out:?}"
        );
    }
    // A CA file without a certificate is named as the culprit.
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("corporate-ca.pem");
    std::fs::write(&pem, b"not a certificate").unwrap();
    let out = run(
        &[
            "--locale",
            "en",
            "--state",
            "memory",
            "--platform-url",
            "https://platform.example.com",
            "--token",
            "t",
            "--ca-file",
            pem.to_str().unwrap(),
            "check",
        ],
        "",
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("--ca-file: ") && out.stderr.contains("holds no certificate (PEM)"),
        "{out:?}"
    );
}

#[test]
fn an_unattended_rename_is_said() {
    let w = World::new();
    w.bind();
    let out = w.run(
        &[
            "--locale",
            "en",
            "--unattended",
            "--installation-name",
            "Matriz RJ",
            "--environment",
            "Produção Nova",
        ],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("The installation was renamed from “Matriz SP” to “Matriz RJ”."),
        "{out:?}"
    );
    // The same name again: nothing renamed, nothing said.
    let out = w.run(
        &with(&["--locale", "en"], BIND_MATRIZ_SP_RJ)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stdout.contains("renamed"), "{out:?}");
}

const BIND_MATRIZ_SP_RJ: &[&str] = &[
    "--unattended",
    "--installation-name",
    "Matriz RJ",
    "--environment",
    "Produção Nova",
];

#[test]
fn unattended_alone_on_an_unbound_installation_is_usage() {
    let out = run(&["--unattended", "--state", "memory"], "");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--environment ou --create"), "{out:?}");
}

#[test]
fn environment_not_found_lists_the_valid_names() {
    let out = run(
        &[
            "--unattended",
            "--state",
            "memory",
            "--installation-name",
            "X",
            "--environment",
            "Producao Nva",
        ],
        "",
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("Ambientes listados:"), "{out:?}");
    assert!(out.stderr.contains("  - Produção Nova\n"), "{out:?}");
    assert!(
        out.stderr
            .contains("  - Homologação (tipo diferente (Homologação))"),
        "{out:?}"
    );
}

#[test]
fn the_documented_exit_codes_are_the_programs() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configurator.md"),
    )
    .unwrap();
    let section = doc.split("## Exit codes").nth(1).unwrap();
    let documented: Vec<String> = section
        .lines()
        .skip_while(|l| !l.starts_with("| Code"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split('|').nth(1).unwrap().trim().to_owned())
        .collect();
    let help = run(&["--help", "--locale", "en"], "");
    let listed: Vec<String> = help
        .stdout
        .split("Exit codes:")
        .nth(1)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_owned)
        .collect();
    assert_eq!(documented, listed);
    // Every subcommand has its row in the doc's table of subcommand codes.
    for sub in ["status", "check", "rotate", "unbind", "forget"] {
        assert!(
            doc.contains(&format!("| `{sub}` |")),
            "{sub} missing from docs/configurator.md"
        );
    }
}

// ---------------------------------------------------------------- lifecycle

fn client_id(status: &Out) -> String {
    status
        .stdout
        .lines()
        .find(|l| l.contains("client id") || l.contains("Client id") || l.contains("Cliente"))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn rotate_issues_new_verified_credentials() {
    let w = World::new();
    let out = w.run(&["rotate"], "");
    assert_eq!(out.code, 3, "not configured: {out:?}");

    w.bind();
    let before = w.run(&["status"], "");
    let out = w.run(&["rotate"], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains(
            "Novas credenciais emitidas, verificadas e gravadas para o ambiente Produção Nova"
        ),
        "{out:?}"
    );
    let after = w.run(&["status"], "");
    assert_eq!(after.code, 0, "{after:?}");
    assert_ne!(
        client_id(&before),
        client_id(&after),
        "{before:?}\n{after:?}"
    );
}

#[test]
fn a_rotation_the_platform_never_received_leaves_the_installation_configured() {
    let w = World::new();
    w.bind();
    let before = w.run(&["status"], "");
    assert_eq!(before.code, 0, "{before:?}");
    // The platform out of reach: nothing was issued, the stored credentials
    // are still the valid ones (docs/state.md: a pending rotation does not
    // make the state unconfigured).
    let state = w.state();
    let out = run(
        &[
            "--platform-url",
            "http://127.0.0.1:1",
            "--token",
            "t",
            "--state",
            state.to_str().unwrap(),
            "rotate",
        ],
        "",
    );
    assert_eq!(out.code, 4, "{out:?}");
    let after = w.run(&["status"], "");
    assert_eq!(after.code, 0, "the login gate opened: {after:?}");
    assert_eq!(client_id(&before), client_id(&after));
    // The failure is kept in the history, with its code.
    let history = w.run(&["--locale", "en", "history"], "");
    assert!(history.stdout.contains("task failed"), "{history:?}");
    assert!(history.stdout.contains("code transport"), "{history:?}");
    // And the next rotation, with the platform back, finishes.
    let out = w.run(&["rotate"], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert_ne!(client_id(&before), client_id(&w.run(&["status"], "")));
}

#[test]
fn unbind_needs_the_name_typed_or_confirmed() {
    let w = World::new();
    w.bind();
    // No terminal, no --confirm: exit 3 and how to confirm.
    let out = w.run(&["unbind"], "");
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("--confirm \"Produção Nova\""),
        "{out:?}"
    );
    // The wrong name.
    let out = w.run(&["unbind", "--confirm", "produção nova"], "");
    assert_eq!(out.code, 3, "{out:?}");
    // Typed, as at a prompt.
    let out = w.run(&["unbind"], "Produção Nova\n");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("Vínculo com o ambiente Produção Nova removido"),
        "{out:?}"
    );
    let status = w.run(&["status"], "");
    assert_eq!(status.code, 3, "{status:?}");
    // Released on the platform: another installation binds without confirmation.
    let sandbox = w.sandbox();
    let other = run(
        &[
            "--sandbox-state",
            sandbox.to_str().unwrap(),
            "--unattended",
            "--installation-id",
            "other-1",
            "--state",
            "memory",
            "--installation-name",
            "Outra",
            "--environment",
            "Produção Nova",
        ],
        "",
    );
    assert_eq!(other.code, 0, "{other:?}");
    // Nothing bound any more: unbind has nothing to do.
    let out = w.run(&["unbind", "--confirm", "Produção Nova"], "");
    assert_eq!(out.code, 3, "{out:?}");
}

#[test]
fn unbind_with_confirm_for_scripts() {
    let w = World::new();
    w.bind();
    let out = w.run(&["unbind", "--confirm", " Produção Nova "], "");
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn forget_is_local_only_and_the_repair_brings_it_back() {
    let w = World::new();
    let out = w.run(&["forget"], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("nada a esquecer"), "{out:?}");

    w.bind();
    let out = w.run(&["forget"], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("O estado local foi esquecido."),
        "{out:?}"
    );
    // What remains is the binding history: no binding, no secret.
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.state()).unwrap()).unwrap();
    let kept = kept.get("state").unwrap_or(&kept);
    assert!(
        kept["credentials"].is_null() && kept["binding"].is_null(),
        "{kept}"
    );
    assert!(
        kept["history"].as_array().is_some_and(|h| !h.is_empty()),
        "{kept}"
    );
    assert_eq!(w.run(&["status"], "").code, 3);
    // Nothing more to forget.
    let out = w.run(&["forget"], "");
    assert!(out.stdout.contains("nada a esquecer"), "{out:?}");
    // The platform kept the binding: the unattended repair needs no target.
    let repair = w.run(&["--unattended"], "");
    assert_eq!(repair.code, 0, "{repair:?}");
    assert_eq!(w.run(&["status"], "").code, 0);
}

#[test]
fn forget_leaves_the_state_of_another_installation_untouched() {
    // The state file holds installation A's binding, credentials and
    // history; `forget` run as installation B finds nothing of its own.
    let w = World::new();
    w.bind();
    let bytes = std::fs::read(w.state()).unwrap();
    for other in [
        &["--installation-id", "another-installation-01", "forget"][..],
        &["--line", "rm", "forget"][..],
    ] {
        let out = w.run(other, "");
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out.stdout.contains("nada a esquecer"), "{out:?}");
        assert_eq!(
            std::fs::read(w.state()).ok().as_deref(),
            Some(&bytes[..]),
            "forget as {other:?} changed another installation's state"
        );
    }
    let out = w.run(&["status"], "");
    assert_eq!(out.code, 0, "{out:?}");
}

/// A state file that does not parse, owner-only.
fn corrupt_state(path: &Path) {
    std::fs::write(path, b"{\"format\":\"smartlink-state\",\"vers").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

#[test]
fn check_leaves_a_corrupt_state_file_where_it_is() {
    let w = World::new();
    corrupt_state(&w.state());
    let out = w.run(&["--locale", "en", "check"], "");
    assert_eq!(out.code, 6, "{out:?}");
    assert!(out.stdout.contains("failed [corrupt]"), "{out:?}");
    assert!(out.stdout.contains("It was left untouched"), "{out:?}");
    assert!(!out.all().contains("set aside as"), "{out:?}");
    assert!(
        out.stdout
            .contains("Installation credentials: not checked (the state store failed"),
        "{out:?}"
    );
    assert_eq!(
        std::fs::read(w.state()).unwrap(),
        b"{\"format\":\"smartlink-state\",\"vers"
    );
    assert!(
        !listing(w.dir.path())
            .iter()
            .any(|n| n.contains(".corrupt-")),
        "{:?}",
        listing(w.dir.path())
    );
}

#[test]
fn a_corrupt_state_file_is_set_aside_and_said_so_by_every_command() {
    for command in [
        &["token"][..],
        &["forget"][..],
        &["unbind", "--confirm", "Produção Nova"][..],
        &["--unattended"][..],
        &["rotate"][..],
    ] {
        let w = World::new();
        corrupt_state(&w.state());
        let args = w.args(
            &with(&["--locale", "en"], command)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        let out = run_v(&args, "");
        assert_eq!(out.code, 6, "{command:?}: {out:?}");
        let kept = listing(w.dir.path())
            .into_iter()
            .find(|n| n.starts_with("state.json.corrupt-"))
            .unwrap_or_else(|| panic!("{command:?}: nothing set aside: {out:?}"));
        assert!(
            out.stderr
                .contains("could not be read (corrupt) and was set aside as")
                && out.stderr.contains(&kept),
            "{command:?}: {out:?}"
        );
        assert!(
            !out.all().contains("not configured"),
            "{command:?}: {out:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_state_file_the_store_refuses_is_named_with_its_cause() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new();
    w.bind();
    // Open to others: `token` says so, as `status` does.
    std::fs::set_permissions(w.state(), std::fs::Permissions::from_mode(0o644)).unwrap();
    for command in ["status", "token"] {
        let out = w.run(&["--locale", "en", command], "");
        assert_eq!(out.code, 6, "{command}: {out:?}");
        assert!(
            out.stderr
                .contains("Other users can read the state file; it must have mode 0600."),
            "{command}: {out:?}"
        );
    }
    std::fs::set_permissions(w.state(), std::fs::Permissions::from_mode(0o600)).unwrap();
    // Reached through a symbolic link, which the store does not follow.
    let link = w.dir.path().join("link.json");
    std::os::unix::fs::symlink(w.state(), &link).unwrap();
    let link = link.to_str().unwrap();
    for command in ["status", "token"] {
        let out = run(&["--locale", "en", "--state", link, command], "");
        assert_eq!(out.code, 6, "{command}: {out:?}");
        assert!(
            out.stderr
                .contains("it is a symbolic link, which is not followed; give the file itself"),
            "{command}: {out:?}"
        );
    }
}

// ---------------------------------------------------------------- situation first

#[test]
fn an_unreachable_platform_is_shown_before_the_name_is_asked() {
    let out = run_v(&unreachable(&[], &[]), "1\n2\n");
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stdout.contains("a conexão foi recusada"), "{out:?}");
    assert!(out.stdout.contains("Tentar novamente"), "{out:?}");
    assert!(!out.stdout.contains("Identifique a instalação"), "{out:?}");
    assert!(!out.stdout.contains("Para usar as aplicações"), "{out:?}");
    // Cancelar says so.
    assert!(out.stdout.contains("Configuração cancelada"), "{out:?}");
}

#[test]
fn inconsistent_data_is_shown_before_the_name_is_asked() {
    let out = run(
        &[
            "--installation-id",
            "old-protheus-hml",
            "--kind",
            "production",
            "--state",
            "memory",
        ],
        "",
    );
    assert_eq!(out.code, 5, "{out:?}");
    assert!(
        out.stdout.contains("Envie ao suporte TOTVS o código "),
        "{out:?}"
    );
    // The English detail for support only with --verbose.
    assert!(!out.stderr.contains("inconsistent data"), "{out:?}");
    assert!(!out.stdout.contains("Identifique a instalação"), "{out:?}");
}

#[test]
fn an_unattended_overwrite_says_who_lost_access() {
    let out = run(
        &[
            "--unattended",
            "--state",
            "memory",
            "--installation-name",
            "Protheus novo",
            "--environment",
            "Produção Matriz",
            "--confirm",
            "Produção Matriz",
        ],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains(
            "A instalação Protheus “Protheus antigo (servidor 2019)” perdeu o acesso ao ambiente Produção Matriz."
        ),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("Credenciais mantidas só em memória"),
        "{out:?}"
    );
    // A first binding names no one.
    let out = run(
        &[
            "--unattended",
            "--state",
            "memory",
            "--installation-name",
            "X",
            "--environment",
            "Produção Nova",
        ],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stdout.contains("perdeu o acesso"), "{out:?}");
}

// ---------------------------------------------------------------- history

/// `--unattended` without a target repairs a binding (here after `forget`
/// on a machine being rebuilt): the change is recorded with `--admin`'s
/// name, as the flag promises for `--unattended`, not as the library's own.
#[test]
fn an_unattended_repair_is_recorded_with_the_admin_name() {
    let w = World::new();
    assert_eq!(w.run(support::BIND_MATRIZ_SP, "").code, 0);
    assert_eq!(w.run(&["forget"], "").code, 0);
    let out = w.run(&["--unattended", "--admin", "Ana Lima"], "");
    assert_eq!(out.code, 0, "{out:?}");
    let json = w.run(&["history", "--json"], "");
    let entries: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let newest = &entries.as_array().unwrap()[0];
    assert_eq!(newest["event"], "regenerated", "{json:?}");
    assert_eq!(newest["actor"]["by"], "administrator", "{json:?}");
    assert_eq!(newest["actor"]["name"], "Ana Lima", "{json:?}");
}

#[test]
fn history_is_a_table_for_people_and_json_for_scripts_without_a_secret() {
    let w = World::new();
    let out = w.run(&["history", "--locale", "en"], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("No change recorded"), "{out:?}");

    let mut bind: Vec<&str> = support::BIND_MATRIZ_SP.to_vec();
    bind.extend(["--admin", " Maria Souza "]);
    assert_eq!(w.run(&bind, "").code, 0);
    assert_eq!(w.run(&["rotate", "--admin", "João"], "").code, 0);
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.state()).unwrap()).unwrap();
    let stored = stored.get("state").unwrap_or(&stored).clone();
    let secret = stored["credentials"]["client_secret"]
        .as_str()
        .expect("a secret in clear (no seal key)")
        .to_owned();
    assert_eq!(w.run(&["forget"], "").code, 0);

    let table = w.run(&["history", "--locale", "en"], "");
    assert_eq!(table.code, 0, "{table:?}");
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(lines[0].contains("3 of at most 200 entries"), "{table:?}");
    let header = lines
        .iter()
        .position(|l| l.starts_with("When (UTC)"))
        .unwrap();
    for column in [
        "Change",
        "By",
        "Machine (process)",
        "Environment",
        "Details",
    ] {
        assert!(lines[header].contains(column), "{column}: {table:?}");
    }
    let rows = &lines[header + 2..];
    assert_eq!(rows.len(), 3, "{table:?}");
    assert!(rows[0].contains("local state forgotten") && rows[0].contains("(no name)"));
    assert!(rows[1].contains("credentials rotated") && rows[1].contains("João"));
    assert!(rows[2].contains("first binding") && rows[2].contains("Maria Souza"));
    assert!(rows[2].contains("Produção Nova") && rows[2].contains("support "));
    assert!(!table.stdout.contains(&secret));

    let pt = w.run(&["history"], "");
    assert!(
        pt.stdout.contains("Quando (UTC)") && pt.stdout.contains("primeiro vínculo"),
        "{pt:?}"
    );
    let es = w.run(&["history", "--locale", "es"], "");
    assert!(
        es.stdout.contains("Cuándo (UTC)") && es.stdout.contains("primer vínculo"),
        "{es:?}"
    );

    let json = w.run(&["history", "--json"], "");
    assert_eq!(json.code, 0, "{json:?}");
    assert!(!json.stdout.contains(&secret));
    let entries: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["event"], "forgotten");
    assert_eq!(entries[0]["actor"]["by"], "unnamed");
    assert_eq!(entries[1]["event"], "rotated");
    assert_eq!(entries[2]["event"], "first_binding");
    assert_eq!(entries[2]["actor"]["name"], "Maria Souza");
    assert_eq!(entries[2]["environment_name"], "Produção Nova");
    assert_eq!(entries[2]["installation_name"], "Matriz SP");

    // An invalid name is a usage error, before anything is done.
    let out = w.run(&["rotate", "--admin", "a\u{7}b"], "");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--admin"), "{out:?}");
}
