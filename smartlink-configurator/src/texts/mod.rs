//! The terminal configurator's own texts, in pt-BR, es and en: its help and
//! usage errors (`help.`), prompts, rows and results (`cli.`), diagnostics
//! (`status.`, `check.`), causes of failed connections (`cause.`), of
//! failed file operations (`io.`) and of a state database out of use
//! (`store.`). They are not in the core's catalogue: the
//! library ships only the texts its hosts show. Every other text (the
//! wizard's screens, the codes, the refusals) is the core's
//! (`smartlink_core::messages`), which [`text`] falls back to.
//!
//! Placeholders are `{name}`; every key has all three languages with the
//! same placeholders, and every key the sources use exists (checked below).

mod diagnostics;
mod help;
mod history;
mod seal;
mod situation;
mod store;
mod terminal;
mod web;

use smartlink_core::messages::{self, Locale};

/// (key, pt-BR, es, en).
type Entry = (&'static str, &'static str, &'static str, &'static str);

/// The areas of the catalogue, in lookup order.
static AREAS: &[&[Entry]] = &[
    terminal::TERMINAL,
    situation::SITUATION,
    diagnostics::DIAGNOSTICS,
    help::HELP,
    web::WEB,
    seal::SEAL,
    store::STORE,
    history::HISTORY,
];

/// Every entry of the terminal's catalogue.
fn entries() -> impl Iterator<Item = &'static Entry> {
    AREAS.iter().flat_map(|area| area.iter())
}

/// The text for `key` in `locale`: the terminal's own, else the core's
/// (which falls back to pt-BR, then to the key itself: a missing key is
/// visible, never a crash).
pub fn text(locale: Locale, key: &str) -> &str {
    match entries().find(|(k, ..)| *k == key) {
        Some((_, pt, es, en)) => match locale {
            Locale::PtBr => pt,
            Locale::Es => es,
            Locale::En => en,
        },
        None => messages::text(locale, key),
    }
}

/// The text for `key` with `{name}` placeholders filled from `args`.
pub fn render(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    let mut out = text(locale, key).to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use clap::CommandFactory;

    use super::*;

    #[test]
    fn every_key_exists_in_all_three_languages_with_the_same_placeholders() {
        let core: HashSet<&str> = messages::keys().collect();
        let seen = smartlink_testkit::texts::check_catalogue(entries());
        for key in &seen {
            assert!(!core.contains(key), "{key} is in the core's catalogue too");
        }
        assert!(seen.len() > 100, "{} texts", seen.len());
    }

    /// Whether `key` has a text, here or in the core's catalogue.
    fn exists(key: &str) -> bool {
        entries().any(|(k, ..)| *k == key) || messages::keys().any(|k| k == key)
    }

    /// Every quoted `area.name` in the sources.
    fn quoted_keys(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                quoted_keys(&path, out);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.starts_with(dir.join("texts")) {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for quoted in source.split('"').skip(1).step_by(2) {
                let is_key = quoted.split_once('.').is_some_and(|(head, tail)| {
                    !head.is_empty()
                        && !tail.is_empty()
                        && head.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        && tail.chars().all(|c| {
                            c.is_ascii_lowercase() || c.is_ascii_digit() || "_.".contains(c)
                        })
                });
                if is_key {
                    out.push((path.display().to_string(), quoted.to_owned()));
                }
            }
        }
    }

    #[test]
    fn every_key_the_sources_use_exists() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut used = Vec::new();
        quoted_keys(&src, &mut used);
        // A quoted `area.name` of an area of either catalogue is a key
        // (host names, file names and the like are not).
        let areas: HashSet<&str> = entries()
            .map(|(k, ..)| *k)
            .chain(messages::keys())
            .filter_map(|k| k.split('.').next())
            .collect();
        let mut checked = 0;
        for (file, key) in &used {
            let area = key.split('.').next().unwrap_or_default();
            if !areas.contains(area) || key.ends_with('.') {
                continue;
            }
            assert!(exists(key), "{file}: {key:?} has no text");
            checked += 1;
        }
        assert!(checked > 100, "{checked} keys checked");
        // The keys made from names: every argument, subcommand and exit code.
        let mut made: Vec<String> = crate::help::ARGS
            .iter()
            .map(|id| format!("help.arg.{id}"))
            .collect();
        made.extend(
            crate::cli::Cli::command()
                .get_subcommands()
                .map(|s| format!("help.cmd.{}", s.get_name())),
        );
        made.extend(
            crate::help::EXIT_CODES
                .iter()
                .map(|code| format!("help.exit.{code}")),
        );
        for key in &made {
            assert!(exists(key), "{key} has no text");
        }
    }

    #[test]
    fn every_history_event_has_its_text() {
        for event in smartlink_core::HistoryEvent::ALL {
            let key = format!("history.event.{}", event.as_str());
            assert!(entries().any(|(k, ..)| *k == key), "{key} has no text");
        }
    }

    #[test]
    fn the_terminals_texts_come_first_and_the_cores_are_found() {
        assert_eq!(text(Locale::En, "cli.choose_prompt"), "Choose an option");
        assert_eq!(text(Locale::Es, "welcome.start"), "Iniciar");
        assert_eq!(text(Locale::En, "no.such.key"), "no.such.key");
        assert_eq!(
            render(Locale::PtBr, "cli.support_id", &[("id", "42")]),
            "Código de suporte: 42"
        );
    }

    #[test]
    fn the_error_screen_names_what_to_send_in_every_language() {
        for (loc, word) in [
            (Locale::PtBr, "relatório de suporte"),
            (Locale::Es, "informe de soporte"),
            (Locale::En, "support report"),
        ] {
            // The terminal: the code, the command and where the file goes.
            let line = crate::commands::support_send(loc, "7d2f0e4c");
            assert!(line.contains("7d2f0e4c"), "{line}");
            assert!(line.contains(word), "{line}");
            assert!(
                line.contains("`smartlink-configurator support-report`"),
                "{line}"
            );
            let here = std::env::current_dir().unwrap().display().to_string();
            assert!(line.contains(&here), "{line}");
            // The C ABI's error screen: how the ERP makes it.
            let abi = smartlink_core::messages::text(loc, "error.report");
            assert!(abi.contains("support_report"), "{abi}");
            assert!(abi.contains(word), "{abi}");
        }
    }
}
