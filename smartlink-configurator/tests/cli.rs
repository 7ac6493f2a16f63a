//! Drives the `smartlink-configurator` binary against its embedded sandbox:
//! unattended mode, scripted interactive input (the plain line mode used when
//! stdin is not a terminal), errors, locales, exit codes, and that the
//! client secret never reaches the output.
//!
//! Most tests keep the local state in memory (`--state memory`) for speed;
//! the state-file test uses the real file store.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod support;
use smartlink_testkit::TOKEN;
use smartlink_testkit::platforms::demo_sandbox;
use support::{BIND_MATRIZ_SP, command, run, run_v, unattended_x, unreachable, with};

const MEMORY: &[&str] = &["--state", "memory"];

// ---------------------------------------------------------------- unattended

#[test]
fn unattended_first_binding_names_the_environment() {
    let out = run_v(&with(MEMORY, BIND_MATRIZ_SP), "");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Configuração concluída"), "{out:?}");
    assert!(
        out.stdout
            .contains("Esta instalação está vinculada ao ambiente Produção Nova."),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("Novas credenciais foram emitidas"),
        "{out:?}"
    );
    // The banner names the sandbox and the state, never the sandbox's token.
    assert!(out.stderr.contains("sandbox"), "{out:?}");
    assert!(!out.all().contains("sandbox-"), "token leaked: {out:?}");
}

#[test]
fn unattended_create_then_create_not_offered_and_name_taken() {
    let dir = tempfile::tempdir().unwrap();
    let sb = dir.path().join("sandbox.json");
    let base = with(&["--sandbox-state", sb.to_str().unwrap()], MEMORY);
    let taken = run_v(&with(&base, &unattended_x("--create", "produção nova")), "");
    assert_eq!(taken.code, 3, "{taken:?}");
    assert!(
        taken.stderr.contains("Já existe um ambiente com esse nome"),
        "{taken:?}"
    );

    let created = run_v(&with(&base, &unattended_x("--create", "Filial Norte")), "");
    assert_eq!(created.code, 0, "{created:?}");
    assert!(created.stdout.contains("Filial Norte"), "{created:?}");

    let again = run_v(&with(&base, &["--unattended", "--create", "Outra"]), "");
    assert_eq!(again.code, 3, "{again:?}");
    assert!(
        again.stderr.contains("Criar um ambiente não é oferecido"),
        "{again:?}"
    );
}

#[test]
fn unattended_already_bound_reuses_credentials() {
    // The platform (sandbox) persists between runs; the local state is in
    // memory, so each run finds the binding on the platform.
    let dir = tempfile::tempdir().unwrap();
    let sb = dir.path().join("sandbox.json");
    let base = with(&["--sandbox-state", sb.to_str().unwrap()], MEMORY);

    let first = run_v(
        &with(&base, &unattended_x("--environment", "Produção Nova")),
        "",
    );
    assert_eq!(first.code, 0, "{first:?}");
    assert!(first.stdout.contains("Novas credenciais"), "{first:?}");

    let second = run_v(
        &with(&base, &["--unattended", "--environment", "produção nova"]),
        "",
    );
    assert_eq!(second.code, 0, "{second:?}");
    assert!(
        second
            .stdout
            .contains("As credenciais atuais continuavam válidas e foram mantidas."),
        "{second:?}"
    );

    // No target at all: the transparent repair of an existing binding.
    let repair = run_v(&with(&base, &["--unattended"]), "");
    assert_eq!(repair.code, 0, "{repair:?}");
    assert!(repair.stdout.contains("Produção Nova"), "{repair:?}");
    assert!(repair.stdout.contains("continuavam válidas"), "{repair:?}");

    // Bound elsewhere: the other environments are not selectable.
    let other = run_v(
        &with(&base, &["--unattended", "--environment", "Produção Filial"]),
        "",
    );
    assert_eq!(other.code, 3, "{other:?}");
    assert!(
        other.stderr.contains("já está vinculada a outro ambiente"),
        "{other:?}"
    );
}

#[test]
fn unattended_already_bound_with_a_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let sb = dir.path().join("sandbox.json");
    let state = dir.path().join("state.json");
    let base = vec![
        "--sandbox-state".to_string(),
        sb.to_str().unwrap().to_string(),
        "--state".to_string(),
        state.to_str().unwrap().to_string(),
    ];
    let first = run_v(
        &with(&base, &unattended_x("--environment", "Produção Nova")),
        "",
    );
    assert_eq!(first.code, 0, "{first:?}");
    let second = run_v(&with(&base, &["--unattended"]), "");
    assert_eq!(second.code, 0, "{second:?}");
    assert!(second.stdout.contains("Já configurado"), "{second:?}");

    let status = run_v(&with(&base, &["status"]), "");
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stdout.contains("Produção Nova"), "{status:?}");
    assert!(status.stdout.contains("segredo oculto"), "{status:?}");
    assert!(status.stdout.contains("expiram em"), "{status:?}");
    let secrets = client_secrets(&state);
    assert!(!secrets.is_empty());
    for secret in secrets {
        for out in [&first, &second, &status] {
            assert!(!out.all().contains(&secret), "secret leaked: {out:?}");
        }
    }
}

#[test]
fn unattended_replacement_needs_the_typed_name() {
    let dir = tempfile::tempdir().unwrap();
    let sb = dir.path().join("sandbox.json");
    let base = with(
        &[
            "--sandbox-state",
            sb.to_str().unwrap(),
            "--unattended",
            "--installation-name",
            "Protheus novo",
            "--environment",
            "Produção Matriz",
        ],
        MEMORY,
    );

    let missing = run_v(&base, "");
    assert_eq!(missing.code, 3, "{missing:?}");
    assert!(missing.stderr.contains("--confirm"), "{missing:?}");

    let wrong = run_v(&with(&base, &["--confirm", "produção matriz"]), "");
    assert_eq!(wrong.code, 3, "{wrong:?}");
    assert!(
        wrong
            .stderr
            .contains("O texto digitado não corresponde ao nome do ambiente."),
        "{wrong:?}"
    );

    let right = run_v(&with(&base, &["--confirm", "  Produção Matriz "]), "");
    assert_eq!(right.code, 0, "{right:?}");
    assert!(right.stdout.contains("Produção Matriz"), "{right:?}");
}

#[test]
fn unreachable_platform_is_exit_4_in_the_chosen_locale() {
    let out = run_v(
        &unreachable(
            &["--unattended"],
            &[
                "--installation-name",
                "X",
                "--environment",
                "Produção Nova",
                "--locale",
                "en",
            ],
        ),
        "",
    );
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stderr.contains(
            "Could not connect to the platform (network, proxy or TLS): the connection was refused"
        ),
        "{out:?}"
    );
}

#[test]
fn inconsistent_data_is_exit_5_with_a_support_id() {
    // The demo's "Homologação" holds installation old-protheus-hml; presented
    // as a production installation, it is bound to an environment of another
    // kind (R3 broken): the error screen.
    let args = [
        "--installation-id",
        "old-protheus-hml",
        "--kind",
        "production",
        "--state",
        "memory",
    ];
    let unattended = run_v(
        &with(&args, &unattended_x("--environment", "Homologação")),
        "",
    );
    assert_eq!(unattended.code, 5, "{unattended:?}");
    assert!(
        unattended
            .stderr
            .contains("Esta instalação está vinculada a um ambiente de outro tipo."),
        "{unattended:?}"
    );
    assert!(
        unattended
            .stderr
            .contains("Envie ao suporte TOTVS o código "),
        "{unattended:?}"
    );

    let interactive = run(&args, "1\nX\n");
    assert_eq!(interactive.code, 5, "{interactive:?}");
    assert!(
        interactive
            .stdout
            .contains("== Não foi possível concluir =="),
        "{interactive:?}"
    );
    assert!(
        interactive
            .stdout
            .contains("Os dados desta instalação estão inconsistentes."),
        "{interactive:?}"
    );
    // The support code, and how to make the report to send with it.
    let line = interactive
        .stdout
        .lines()
        .find(|l| l.contains("Envie ao suporte TOTVS o código "))
        .expect("a support id");
    let id = line
        .split("o código ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap();
    assert_eq!(id.len(), 36, "a UUID support id: {line}");
    assert!(
        line.contains("gere-o com `smartlink-configurator support-report`"),
        "{line}"
    );
}

// ------------------------------------------------------ scripted interactive

/// Plain mode lists, in the demo's order: 1 Produção Matriz, 2 Produção
/// Filial, 3 Produção Nova, 4 Homologação, 5 Homologação 2,
/// 6 Desenvolvimento, 7 Treinamento, 8 the create tab, 9 Back, 10 Cancel.
#[test]
fn interactive_replacement_with_wrong_then_right_typed_name() {
    let script = "1\nProtheus novo\n1\n1\nProducao Matriz\nProdução Matriz\n1\n";
    let out = run(MEMORY, script);
    assert_eq!(out.code, 0, "{out:?}");
    let s = &out.stdout;
    for expected in [
        "== Configurador SmartLink ==",
        "== Identifique a instalação ==",
        "== Escolha o ambiente ==",
        "Há ambientes vinculados a outra instalação Protheus",
        "[ Selecionar ambiente ]   Criar novo ambiente",
        // Environments that cannot be chosen are listed apart, not numbered.
        "Não podem ser escolhidos por esta instalação:\n  - Homologação      tipo diferente (Homologação)\n",
        "   1) Produção Matriz  Produção  ocupado: exige confirmação",
        "       vínculos: Protheus: Protheus antigo (servidor 2019); RM: RM Folha",
        "       ocupado por outra instalação Protheus: exige confirmação",
        " * 2) Produção Filial  Produção  disponível",
        "   3) Produção Nova    Produção  disponível",
        "== Sobrescrever vínculo ==",
        "Para confirmar, digite o nome do ambiente: Produção Matriz",
        "✗ [Confirmar] desabilitado: o texto digitado não corresponde ao nome do ambiente.",
        "✓ O nome confere: [Confirmar] habilitado.",
        "== Concluindo a configuração ==",
        "Código de suporte: ",
        "== Configuração concluída ==",
        "Esta instalação está vinculada ao ambiente Produção Matriz.",
        "Credenciais mantidas só em memória",
        "A instalação Protheus “Protheus antigo (servidor 2019)” perdeu o acesso ao ambiente Produção Matriz.",
    ] {
        assert!(s.contains(expected), "missing {expected:?} in {out:?}");
    }
    for line in s.lines() {
        assert!(
            line.chars().count() < 80 || !line.starts_with(' '),
            "row wider than 80 columns: {line:?}"
        );
    }
    // The wrong name came before "disabled", the right one before "enabled".
    let wrong = s.find("Producao Matriz").unwrap();
    let disabled = s.find("desabilitado").unwrap();
    let enabled = s.find("habilitado.").unwrap();
    assert!(wrong < disabled && disabled < enabled, "{out:?}");
}

#[test]
fn interactive_first_binding_then_regeneration_alert_when_already_bound() {
    let dir = tempfile::tempdir().unwrap();
    let sb = dir.path().join("sandbox.json");
    let base = with(&["--sandbox-state", sb.to_str().unwrap()], MEMORY);

    // Start, name, Produção Nova, Generate new credentials.
    let first = run_v(&base, "1\nMatriz SP\n3\n1\n");
    assert_eq!(first.code, 0, "{first:?}");
    assert!(
        first.stdout.contains("ao ambiente Produção Nova."),
        "{first:?}"
    );

    // Already bound: the create tab is gone; picking another environment is
    // refused; the bound one shows the regeneration alert.
    let second = run_v(
        &with(&base, &["--installation-name", "Matriz SP"]),
        "1\n\n1\n1\n1\n",
    );
    assert_eq!(second.code, 0, "{second:?}");
    let s = &second.stdout;
    assert!(
        s.contains("Esta instalação já está vinculada ao ambiente Produção Nova."),
        "{second:?}"
    );
    assert!(
        !s.contains("Criar novo ambiente"),
        "create tab offered: {second:?}"
    );
    assert!(
        s.contains(" * 1) Produção Nova  Produção  vinculado a esta instalação"),
        "{second:?}"
    );
    assert!(
        s.contains("       vínculos: Protheus: esta instalação"),
        "{second:?}"
    );
    // The others are shown apart, with the reason, and are not choices.
    assert!(
        s.contains("  - Produção Filial  a instalação já está vinculada a outro ambiente"),
        "{second:?}"
    );
    assert!(s.contains("== Gerar novas credenciais =="), "{second:?}");
    assert!(
        s.contains("As credenciais atuais serão reutilizadas se ainda forem válidas"),
        "{second:?}"
    );
    assert!(
        s.contains("As credenciais atuais continuavam válidas e foram mantidas."),
        "{second:?}"
    );
    // The host's name pre-fills the name screen; an empty answer keeps it.
    assert!(
        s.contains("Nome da instalação (até 80 caracteres) [Matriz SP]"),
        "{second:?}"
    );
}

#[test]
fn interactive_create_tab_and_validation() {
    // Start, empty name (refused), a name, the create tab, a too-long name
    // (refused), a taken name (refused), a good name.
    // Refused names are asked again at the prompt, not after the button.
    let script =
        "1\n\nMatriz\n4\nUm nome longo demais para um ambiente\nProdução Nova\nFilial Sul\n1\n";
    let out = run(MEMORY, script);
    assert_eq!(out.code, 0, "{out:?}");
    let s = &out.stdout;
    assert!(s.contains("✗ O campo não pode ficar vazio."), "{out:?}");
    assert!(
        s.contains("O novo ambiente será do tipo Produção"),
        "{out:?}"
    );
    assert!(s.contains("✗ Use no máximo 20 caracteres."), "{out:?}");
    assert!(
        s.contains("✗ Já existe um ambiente com esse nome."),
        "{out:?}"
    );
    assert!(s.contains("Criar e gerar credenciais"), "{out:?}");
    assert!(
        s.contains("Esta instalação está vinculada ao ambiente Filial Sul."),
        "{out:?}"
    );
}

#[test]
fn interactive_cancel_and_end_of_input_are_exit_3() {
    let cancel = run(MEMORY, "2\n");
    assert_eq!(cancel.code, 3, "{cancel:?}");
    assert!(
        cancel.stdout.contains("Configuração cancelada"),
        "{cancel:?}"
    );

    let eof = run(MEMORY, "1\nMatriz\n");
    assert_eq!(eof.code, 3, "{eof:?}");
    assert!(
        eof.stderr
            .contains("A entrada terminou antes de uma decisão"),
        "{eof:?}"
    );

    let invalid = run(MEMORY, "7\n2\n");
    assert_eq!(invalid.code, 3, "{invalid:?}");
    assert!(invalid.stdout.contains("Opção inválida"), "{invalid:?}");
}

#[test]
fn interactive_platform_error_screen_offers_back_then_exit_4() {
    let out = run_v(&unreachable(&[], &["--locale", "es"]), "1\nMatriz\n2\n");
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stdout.contains("== No fue posible concluir =="),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("No fue posible conectar con la plataforma"),
        "{out:?}"
    );
    // The support code, and how to make the report to send with it.
    assert!(
        out.stdout.contains("Envíe al soporte TOTVS el código "),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("genérelo con `smartlink-configurator support-report`"),
        "{out:?}"
    );
}

// ------------------------------------------------------------------ locales

#[test]
fn spanish_and_english_locales() {
    let es = run(
        &["--state", "memory", "--locale", "es"],
        "1\nMatriz\n3\n1\n",
    );
    assert_eq!(es.code, 0, "{es:?}");
    for expected in [
        "== Configurador SmartLink ==",
        "== Identifique la instalación ==",
        "== Elija el ambiente ==",
        "Producción",
        "sin instalaciones vinculadas",
        "Generar nuevas credenciales",
        "== Configuración concluida ==",
    ] {
        assert!(es.stdout.contains(expected), "missing {expected:?}: {es:?}");
    }

    let en = run(
        &["--state", "memory", "--locale", "en-US"],
        "1\nMatriz\n3\n1\n",
    );
    assert_eq!(en.code, 0, "{en:?}");
    for expected in [
        "== SmartLink Configurator ==",
        "== Name this installation ==",
        "== Choose the environment ==",
        "no installations bound",
        "Generate new credentials",
        "== Configuration complete ==",
        "This installation is bound to environment Produção Nova.",
    ] {
        assert!(en.stdout.contains(expected), "missing {expected:?}: {en:?}");
    }

    // Unknown tags fall back to pt-BR; SMARTLINK_LOCALE is the fallback of the flag.
    let fr = run(&["--state", "memory", "--locale", "fr"], "2\n");
    assert!(fr.stdout.contains("Iniciar"), "{fr:?}");
    let mut cmd = command(&["--state", "memory"]);
    cmd.env("SMARTLINK_LOCALE", "en");
    let out = cmd.output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Start"));
}

// -------------------------------------------------------- secrets and usage

/// Every `client_secret` string in a JSON file.
fn client_secrets(path: &Path) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("client_secret", serde_json::Value::String(s)) => out.push(s.clone()),
                        _ => walk(v, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut out = Vec::new();
    walk(&value, &mut out);
    out
}

#[test]
fn the_client_secret_never_reaches_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let sb = dir.path().join("sandbox.json");
    let base = with(&["--sandbox-state", sb.to_str().unwrap()], MEMORY);
    let mut outs = vec![
        run_v(
            &with(&base, &unattended_x("--environment", "Produção Nova")),
            "",
        ),
        run_v(
            &with(&base, &["--unattended", "--environment", "Produção Nova"]),
            "",
        ),
        run_v(&base, "1\nX\n1\n1\n1\n"),
        run_v(&with(&base, &["check"]), ""),
        run_v(&with(&base, &["status"]), ""),
    ];
    outs.push(run_v(
        &with(
            &base,
            &[
                "--unattended",
                "--installation-id",
                "other-1",
                "--installation-name",
                "Y",
                "--create",
                "Outro",
            ],
        ),
        "",
    ));
    for out in &outs[..4] {
        assert_eq!(out.code, 0, "{out:?}");
    }
    // The sandbox's snapshot holds the secrets issued (it is the platform's
    // side); none of them may appear in anything the configurator printed.
    let secrets = client_secrets(&sb);
    assert!(!secrets.is_empty(), "the sandbox issued credentials");
    for secret in &secrets {
        for out in &outs {
            assert!(
                !out.all().contains(secret.as_str()),
                "secret leaked: {out:?}"
            );
        }
    }
}

#[test]
fn bad_usage_is_exit_2() {
    for args in [
        vec!["--line", "sap"],
        vec!["--confirm", "X"],
        vec!["--unattended", "--environment", "A", "--create", "B"],
        vec!["--platform-url", "http://127.0.0.1:1", "--token", "t"],
        vec!["--platform-url", "http://127.0.0.1:1", "--state", "memory"],
        vec!["--installation-id", "", "--state", "memory"],
        vec![
            "--unattended",
            "--state",
            "memory",
            "--environment",
            "Produção Nova",
        ],
    ] {
        let out = run(&args, "");
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
    }
    let help = run(&["--help", "--locale", "en"], "");
    assert_eq!(help.code, 0);
    for expected in [
        "Exit codes:",
        "130",
        "--installation-id",
        "--unattended",
        "status",
        "check",
    ] {
        assert!(help.stdout.contains(expected), "{expected}: {help:?}");
    }
}

// ------------------------------------------------------- status and check

#[test]
fn check_reports_reachability_tls_proxy_clock_and_token() {
    let out = run(&["check", "--state", "memory", "--locale", "en"], "");
    assert_eq!(out.code, 0, "{out:?}");
    for expected in [
        "TLS: not used (plain HTTP, allowed on loopback only)",
        "Proxy: ",
        "Platform reachable at http://127.0.0.1:",
        "Platform bearer token (--token): accepted.",
        "Clock skew against the server: ",
        "Installation credentials: none stored (this installation is not configured); not checked.",
        "Diagnostics complete: the platform is fine; this installation has no credentials yet.",
    ] {
        assert!(out.stdout.contains(expected), "{expected}: {out:?}");
    }

    let args = unreachable(&["check"], &["--locale", "en"]);
    let mut cmd = command(&args.iter().map(String::as_str).collect::<Vec<_>>());
    cmd.env("HTTPS_PROXY", "http://user:hunter2@proxy.invalid:3128")
        .env("NO_PROXY", "127.0.0.1,localhost");
    let output = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(4), "{stdout}");
    assert!(stdout.contains("Platform unreachable"), "{stdout}");
    assert!(
        stdout.contains("HTTPS_PROXY=http://***@proxy.invalid:3128/"),
        "{stdout}"
    );
    assert!(stdout.contains("NO_PROXY=127.0.0.1,localhost"), "{stdout}");
    assert!(!stdout.contains("hunter2"), "{stdout}");
}

#[test]
fn status_without_a_state_file_has_nothing_to_show() {
    let out = run(&["status"], "");
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stdout.contains("Sem --state"), "{out:?}");
}

// ------------------------------------------------------------------- Ctrl-C

#[test]
fn ctrl_c_exits_130_with_the_catalogue_message() {
    let mut child = command(&["--state", "memory"]).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"1\n").unwrap();
    // Wait for the name prompt, then interrupt.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    seen.extend_from_slice(&buf[..n]);
                    if String::from_utf8_lossy(&seen).contains("Nome da instalação") {
                        break;
                    }
                }
            }
        }
        seen
    });
    let seen = reader.join().unwrap();
    assert!(String::from_utf8_lossy(&seen).contains("Nome da instalação"));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(output.status.code(), Some(130));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Configuração interrompida; nada foi gravado pela metade."),
        "{stderr}"
    );
    // stderr is a pipe here: no terminal escape sequence (show cursor) in it.
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

#[test]
fn check_reports_a_refused_token_against_a_real_platform_url() {
    // A platform the configurator does not embed: the sandbox binary's
    // library, started here, with a token the configurator does not have.
    let running = demo_sandbox();
    let url = running.url();
    let out = run(
        &[
            "check",
            "--platform-url",
            &url,
            "--token",
            "a-wrong-token",
            "--state",
            "memory",
            "--locale",
            "en",
        ],
        "",
    );
    assert_ne!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("Platform bearer token (--token): refused by the platform."),
        "{out:?}"
    );
    assert!(!out.stdout.contains("a-wrong-token") && !out.stderr.contains("a-wrong-token"));
    let out = run(
        &[
            "check",
            "--platform-url",
            &url,
            "--token",
            TOKEN,
            "--state",
            "memory",
            "--locale",
            "en",
        ],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("Platform bearer token (--token): accepted."),
        "{out:?}"
    );
}
