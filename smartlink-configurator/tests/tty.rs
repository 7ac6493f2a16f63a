//! The configurator on a terminal, as an administrator meets it: the binary
//! runs in a pseudo-terminal of 80×24, keys are typed into it, and what the
//! screen shows is read back through a terminal emulator (`vt100`).

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};

mod support;
use support::{BIN, World, host_variables};

const ROWS: u16 = 24;
const COLS: u16 = 80;
const DOWN: &str = "\x1b[B";
const UP: &str = "\x1b[A";
const ENTER: &str = "\r";
const ESC: &str = "\x1b";
const PROMPT: &str = "? Escolha uma opção:";

struct Tty {
    parser: Arc<Mutex<vt100::Parser>>,
    /// Everything the program wrote, for what scrolled off the screen.
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
}

impl Tty {
    fn spawn(args: &[&str]) -> Tty {
        Self::spawn_sized(args, ROWS, COLS)
    }

    fn spawn_sized(args: &[&str], rows: u16, cols: u16) -> Tty {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        for name in host_variables() {
            cmd.env_remove(name);
        }
        let child = pair.slave.spawn_command(cmd).expect("the binary starts");
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            rows.try_into().unwrap(),
            cols.try_into().unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pair.master.try_clone_reader().expect("a reader");
        {
            let parser = parser.clone();
            let raw = raw.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = reader.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    parser.lock().unwrap().process(&buf[..n]);
                    raw.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
        let writer = pair.master.take_writer().expect("a writer");
        // The master must outlive the child: keep it in the reader thread's
        // clone and leak this handle for the test's duration.
        std::mem::forget(pair.master);
        Tty {
            parser,
            raw,
            writer,
            child,
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn rows(&self) -> Vec<String> {
        self.parser.lock().unwrap().screen().rows(0, COLS).collect()
    }

    fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned()
    }

    /// Waits until the screen shows `text` (polling, with a deadline).
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {text:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `pred` holds for the screen.
    fn wait_until(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The highlighted menu row.
    fn highlighted(&self) -> Option<String> {
        self.rows()
            .into_iter()
            .find(|r| r.starts_with("❯ "))
            .map(|r| r.trim_end().to_owned())
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Sends one key and waits until the highlighted row changes to `to`.
    fn key_to(&mut self, key: &str, to: &str) {
        self.send(key);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.highlighted().is_some_and(|h| h.contains(to)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "highlight never reached {to:?}:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.exit_code();
            }
            assert!(
                Instant::now() < deadline,
                "the program did not exit:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// No row of the screen was wrapped: everything fits the width.
    fn assert_nothing_wraps(&self) {
        let parser = self.parser.lock().unwrap();
        let screen = parser.screen();
        for row in 0..ROWS {
            assert!(
                !screen.row_wrapped(row),
                "row {row} is wider than {COLS} columns:\n{}",
                screen.contents()
            );
        }
    }
}

impl Drop for Tty {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Iniciar, a name, then the environment list.
fn to_the_list(args: &[&str]) -> Tty {
    to_the_list_sized(args, ROWS, COLS)
}

fn to_the_list_sized(args: &[&str], rows: u16, cols: u16) -> Tty {
    let mut tty = Tty::spawn_sized(args, rows, cols);
    tty.wait_for("Iniciar");
    tty.send(ENTER);
    tty.wait_for("Nome da instalação");
    tty.send("Matriz SP\r");
    tty.wait_for("Criar novo ambiente");
    tty.wait_until("the list", |s| s.contains(PROMPT) && s.contains("❯ "));
    tty
}

/// From Produção Filial (the default) down to the last entry, then up five
/// times, around to Produção Matriz: every entry of the demo list drawn
/// selected once.
fn round_the_list(tty: &mut Tty) {
    for to in ["Produção Nova", "+ Criar", "Voltar", "Cancelar"] {
        tty.key_to(DOWN, to);
    }
    for to in [
        "Voltar",
        "+ Criar",
        "Produção Nova",
        "Produção Filial",
        "Produção Matriz",
    ] {
        tty.key_to(UP, to);
    }
}

#[test]
fn the_list_fits_80_columns_and_survives_down_4_up_5() {
    let mut tty = to_the_list(&["--state", "memory"]);
    let before = tty.screen();
    for expected in [
        "[ Selecionar ambiente ]   Criar novo ambiente",
        "Não podem ser escolhidos por esta instalação:",
    ] {
        assert!(before.contains(expected), "{expected:?}:\n{before}");
    }
    tty.assert_nothing_wraps();
    // Produção Filial (default) → Nova → + Criar → Voltar → Cancelar, then
    // up five times, around to Produção Matriz.
    round_the_list(&mut tty);
    let after = tty.screen();
    // The scenario text, the tab line and the prompt are still there, once.
    for expected in [
        "Há ambientes vinculados a outra instalação Protheus",
        "[ Selecionar ambiente ]   Criar novo ambiente",
        "  - Homologação      tipo diferente (Homologação)",
    ] {
        assert!(after.contains(expected), "{expected:?} erased:\n{after}");
    }
    assert_eq!(after.matches(PROMPT).count(), 1, "stray prompt:\n{after}");
    for name in ["Produção Matriz ", "Produção Filial ", "Produção Nova "] {
        assert_eq!(
            after.matches(&format!("  {name}")).count()
                + after.matches(&format!("❯ {name}")).count(),
            1,
            "{name} drawn once:\n{after}"
        );
    }
    // The highlighted environment's details are shown below the list.
    assert!(
        after.contains("ocupado por outra instalação Protheus: exige confirmação"),
        "{after}"
    );
    assert!(
        after.contains("vínculos: Protheus: Protheus antigo (servidor 2019); RM: RM Folha"),
        "{after}"
    );
    // No blank hole between the tab line and the prompt.
    let rows = tty.rows();
    let tab = rows
        .iter()
        .position(|r| r.starts_with("[ Selecionar"))
        .unwrap();
    let prompt = rows.iter().position(|r| r.starts_with(PROMPT)).unwrap();
    assert!(
        rows[tab..prompt].iter().all(|r| !r.trim().is_empty()),
        "blank lines left:\n{after}"
    );
    tty.assert_nothing_wraps();
}

#[test]
fn the_default_is_never_an_overwrite_and_unavailable_environments_are_not_choices() {
    let mut tty = to_the_list(&["--state", "memory"]);
    let first = tty.highlighted().unwrap();
    assert!(first.contains("Produção Filial"), "default: {first}");
    // Every highlightable row, once around: none is an environment that
    // cannot be chosen.
    let mut seen = vec![first];
    for _ in 0..6 {
        let before = tty.highlighted();
        tty.send(DOWN);
        tty.wait_until("a new highlight", |_| tty.highlighted() != before);
        seen.push(tty.highlighted().unwrap());
    }
    for row in &seen {
        for unavailable in ["Homologação", "Desenvolvimento", "Treinamento"] {
            assert!(!row.contains(unavailable), "{row} is highlightable");
        }
    }
    // The unavailable ones are on the screen, apart.
    let screen = tty.screen();
    assert!(screen.contains("  - Treinamento      tipo diferente (Customizado)"));
}

#[test]
fn esc_on_a_menu_is_back() {
    let mut tty = to_the_list(&["--state", "memory"]);
    tty.send(ESC);
    // Back from the list is the name screen again, pre-filled.
    tty.wait_until("the name screen again", |_| {
        tty.transcript().matches("Identifique a instalação").count() == 2
    });
    tty.wait_for("Matriz SP");
}

#[test]
fn an_empty_name_is_refused_at_the_prompt_without_a_check_mark() {
    let mut tty = Tty::spawn(&["--state", "memory"]);
    tty.wait_for("Iniciar");
    tty.send(ENTER);
    tty.wait_for("Nome da instalação");
    tty.send(ENTER);
    let screen = tty.wait_for("O campo não pode ficar vazio.");
    assert!(
        !screen.contains("✔ Nome da instalação"),
        "a check mark before the error:\n{screen}"
    );
    // A 200-character name is refused and not offered again.
    let long = "x".repeat(200);
    tty.send(&format!("{long}\r"));
    let screen = tty.wait_for("Use no máximo 80 caracteres.");
    assert!(!screen.contains("xxxxxxxxxx"), "refilled:\n{screen}");
    tty.send("Matriz SP\r");
    tty.wait_for("Criar novo ambiente");
}

#[test]
fn the_create_tab_checks_the_name_at_the_prompt() {
    let mut tty = to_the_list(&["--state", "memory"]);
    tty.key_to(DOWN, "Produção Nova");
    tty.key_to(DOWN, "+ Criar");
    tty.send(ENTER);
    tty.wait_for("Nome do novo ambiente");
    tty.send("Produção Nova\r");
    let screen = tty.wait_for("Já existe um ambiente com esse nome.");
    assert!(!screen.contains("Criar e gerar credenciais"), "{screen}");
    tty.send("Um nome longo demais para um ambiente\r");
    tty.wait_for("Use no máximo 20 caracteres.");
    tty.send("Filial Sul\r");
    tty.wait_until("the button", |_| {
        tty.highlighted()
            .is_some_and(|h| h.contains("Criar e gerar credenciais"))
    });
    tty.send(ENTER);
    let done = tty.wait_for("Configuração concluída");
    assert_eq!(tty.wait_exit(), 0, "{done}");
    tty.wait_for("ao ambiente Filial Sul.");
}

#[test]
fn an_overwrite_says_who_lost_access_and_where_the_credentials_are() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut tty = to_the_list(&["--state", state.to_str().unwrap()]);
    tty.key_to(UP, "Produção Matriz");
    tty.send(ENTER);
    tty.wait_until("the button", |_| {
        tty.highlighted()
            .is_some_and(|h| h.contains("Gerar novas credenciais"))
    });
    tty.send(ENTER);
    tty.wait_for("Para confirmar, digite o nome do ambiente");
    tty.send("Produção Matriz\r");
    tty.wait_for("[Confirmar] habilitado");
    // The default after the typed name is still "Voltar".
    tty.wait_until("Voltar highlighted", |_| {
        tty.highlighted().is_some_and(|h| h.contains("Voltar"))
    });
    tty.key_to(UP, "Confirmar");
    tty.send(ENTER);
    tty.wait_for("Configuração concluída");
    assert_eq!(tty.wait_exit(), 0);
    let all = tty.transcript();
    assert!(
        all.contains(&format!("Credenciais gravadas em {}", state.display())),
        "{}",
        tty.screen()
    );
    assert!(
        all.contains(
            "“Protheus antigo (servidor 2019)” perdeu o acesso ao ambiente Produção Matriz."
        ),
        "{}",
        tty.screen()
    );
}

/// The configurator on a terminal, for an installation bound (unattended,
/// beforehand) to "Produção Nova" as "Matriz SP".
/// The world is returned with it: it must outlive the program.
fn configured_on_a_tty() -> (World, Tty) {
    let w = World::new();
    w.bind();
    let args = w.args(&[]);
    let tty = Tty::spawn(&args.iter().map(String::as_str).collect::<Vec<_>>());
    (w, tty)
}

#[test]
fn a_configured_installation_opens_with_what_is_configured() {
    let (_world, mut tty) = configured_on_a_tty();
    // The heading is drawn before the menu under it: wait for the whole
    // menu (its default highlighted) before reading the screen.
    tty.wait_for("Já configurado: Produção Nova desde ");
    let screen = tty.wait_until("the whole menu", |s| {
        s.contains("Escolher outro ambiente")
            && tty.highlighted().is_some_and(|h| h.contains("Sair"))
    });
    assert!(
        !screen.contains("Para usar as aplicações"),
        "the first-time welcome:\n{screen}"
    );
    for expected in [
        "Gerar novas credenciais",
        "Verificar a conexão",
        "Escolher outro ambiente",
    ] {
        assert!(screen.contains(expected), "{expected}:\n{screen}");
    }
    // "Sair" is the default.
    assert!(tty.highlighted().unwrap().contains("Sair"));
    // Choose another environment: the remembered name is pre-filled, and a
    // different one is an explicit rename.
    tty.key_to(UP, "Escolher outro ambiente");
    tty.send(ENTER);
    tty.wait_for("Nome da instalação");
    tty.wait_for("Matriz SP");
    // Erase the pre-filled name and type another.
    tty.send(&"\x7f".repeat(9));
    tty.send("Matriz Campinas\r");
    let screen = tty.wait_until("the rename question with its default", |s| {
        s.contains("Renomear para “Matriz Campinas”")
            && s.contains("Esta instalação se chama “Matriz SP”")
            && tty
                .highlighted()
                .is_some_and(|h| h.contains("Manter “Matriz SP”"))
    });
    assert!(
        screen.contains("Esta instalação se chama “Matriz SP”"),
        "{screen}"
    );
    assert!(tty.highlighted().unwrap().contains("Manter “Matriz SP”"));
    tty.key_to(UP, "Renomear para");
    tty.send(ENTER);
    tty.wait_until("the list", |_| {
        tty.highlighted().is_some_and(|h| {
            h.contains("Produção Nova") && h.contains("vinculado a esta instalação")
        })
    });
    tty.send(ENTER);
    tty.wait_until("the button", |_| {
        tty.highlighted()
            .is_some_and(|h| h.contains("Gerar novas credenciais"))
    });
    tty.send(ENTER);
    tty.wait_until("the alert", |_| {
        tty.highlighted().is_some_and(|h| h.contains("Confirmar"))
    });
    tty.send(ENTER);
    tty.wait_for("Configuração concluída");
    assert_eq!(tty.wait_exit(), 0);
    assert!(
        tty.transcript()
            .contains("A instalação foi renomeada de “Matriz SP” para “Matriz Campinas”."),
        "{}",
        tty.screen()
    );
}

#[test]
fn a_configured_installation_exits_0_on_esc() {
    let (_world, mut tty) = configured_on_a_tty();
    tty.wait_for("Já configurado: Produção Nova desde ");
    tty.wait_until("the menu", |_| tty.highlighted().is_some());
    tty.send(ESC);
    assert_eq!(tty.wait_exit(), 0);
}

/// Replaces what changes from run to run (the sandbox's port, support ids).
fn normalise(screen: &str) -> String {
    let mut out = String::new();
    for line in screen.lines() {
        let mut line = line.trim_end().to_owned();
        if let Some(at) = line.find("http://127.0.0.1:") {
            let start = at + "http://127.0.0.1:".len();
            let end = line[start..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(line.len(), |e| start + e);
            line.replace_range(start..end, "PORT");
        }
        if let Some(at) = line.find("suporte: ") {
            let start = at + "suporte: ".len();
            if line.len() >= start + 36 {
                line.replace_range(start..start + 36, "<support id>");
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `docs/transcript-replacement.md` is what the program shows: produced
/// here, at 80×24, and compared with the document. `SMARTLINK_BLESS=1`
/// rewrites the document.
#[test]
fn the_replacement_transcript_is_the_programs() {
    let mut steps: Vec<(&str, String)> = Vec::new();
    let mut tty = Tty::spawn(&["--state", "memory"]);
    tty.wait_until("the welcome menu", |_| {
        tty.highlighted().is_some_and(|h| h.contains("Iniciar"))
    });
    steps.push((
        "Started with no arguments: the embedded sandbox and the welcome screen",
        tty.screen(),
    ));
    tty.send(ENTER);
    tty.wait_for("? Nome da instalação");
    steps.push(("Enter on *Iniciar*: the name screen", tty.screen()));
    tty.send("Protheus novo (servidor 2025)\r");
    tty.wait_until("the list", |s| {
        s.contains(PROMPT) && tty.highlighted().is_some()
    });
    steps.push((
        "Name typed: the list. The default is a free environment (never an overwrite); the ones that cannot be chosen are listed apart",
        tty.screen(),
    ));
    tty.key_to(UP, "Produção Matriz");
    steps.push((
        "Up: *Produção Matriz*, held by another Protheus installation; its details below the list",
        tty.screen(),
    ));
    tty.send(ENTER);
    tty.wait_until("the button", |_| {
        tty.highlighted()
            .is_some_and(|h| h.contains("Gerar novas credenciais"))
    });
    steps.push(("Enter: the environment chosen", tty.screen()));
    tty.send(ENTER);
    tty.wait_for("Para confirmar, digite o nome do ambiente");
    steps.push((
        "Enter on *Gerar novas credenciais*: the overwrite alert asks for the name",
        tty.screen(),
    ));
    tty.send("Producao Matriz\r");
    tty.wait_for("desabilitado");
    steps.push((
        "`Producao Matriz` (without the accents): [Confirmar] stays disabled",
        tty.screen(),
    ));
    tty.send("Produção Matriz\r");
    tty.wait_until("Voltar highlighted", |_| {
        tty.highlighted().is_some_and(|h| h.contains("Voltar"))
    });
    steps.push((
        "`Produção Matriz`: [Confirmar] enabled; *Voltar* stays the default",
        tty.screen(),
    ));
    tty.key_to(UP, "Confirmar");
    tty.send(ENTER);
    tty.wait_for("Configuração concluída");
    assert_eq!(tty.wait_exit(), 0);
    tty.wait_for("perdeu o acesso");
    steps.push((
        "Up, Enter on *Confirmar*: done, where the credentials are, who lost access",
        tty.screen(),
    ));

    let mut doc = String::from(
        "# Transcript: replacing an installation's binding (typed-name confirmation)\n\n\
         Produced by the test `the_replacement_transcript_is_the_programs` in\n\
         `smartlink-configurator/tests/tty.rs`: the configurator runs in a\n\
         pseudo-terminal of 80×24 and each screen is read through a terminal\n\
         emulator (`vt100`) after each key. The test fails when this document\n\
         differs from what the program shows; `SMARTLINK_BLESS=1 cargo test -p\n\
         smartlink-configurator --test tty transcript` rewrites it. The sandbox's\n\
         port and the support id, which change on every run, are replaced by\n\
         `PORT` and `<support id>`.\n\n\
         The configurator runs as `smartlink-configurator --state memory`: the\n\
         embedded sandbox with the demo data, where *Produção Matriz* holds an\n\
         older Protheus installation.\n",
    );
    for (n, (title, screen)) in steps.iter().enumerate() {
        doc.push_str(&format!(
            "\n## {}. {title}\n\n```text\n{}```\n",
            n + 1,
            normalise(screen)
        ));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/transcript-replacement.md");
    if std::env::var("SMARTLINK_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &doc).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == doc,
        "docs/transcript-replacement.md differs from the program; \
         run with SMARTLINK_BLESS=1 to rewrite it. The program shows:\n{doc}"
    );
}

#[test]
fn ctrl_c_at_a_menu_exits_130_with_the_catalogue_message() {
    let mut tty = to_the_list(&["--state", "memory"]);
    tty.send("\x03");
    assert_eq!(tty.wait_exit(), 130);
    tty.wait_for("Configuração interrompida; nada foi gravado pela metade.");
}

#[test]
fn at_120_columns_no_prompt_line_stays_behind() {
    let mut tty = to_the_list_sized(&["--state", "memory"], 30, 120);
    round_the_list(&mut tty);
    let screen = tty.screen();
    assert_eq!(screen.matches(PROMPT).count(), 1, "stray prompt:\n{screen}");
    assert!(
        screen.contains("[ Selecionar ambiente ]   Criar novo ambiente"),
        "{screen}"
    );
    // Esc goes back; the list drawn again still has a single prompt line.
    tty.send(ESC);
    tty.wait_for("? Nome da instalação");
}
