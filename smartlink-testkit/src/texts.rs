//! The checks every text catalogue passes: the core's messages and the
//! terminal configurator's own texts.

use std::collections::HashSet;

/// A catalogue entry: its key and its text in pt-BR, es and en.
pub type Entry = (&'static str, &'static str, &'static str, &'static str);

/// The `{name}` placeholders of `text`, sorted.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
        .collect();
    out.sort();
    out
}

/// Fails unless each key of `entries` is there once, with a text in all
/// three languages, each with the placeholders of the pt-BR one. Returns
/// the keys.
pub fn check_catalogue<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> HashSet<&'static str> {
    let mut seen = HashSet::new();
    for (key, pt, es, en) in entries {
        assert!(seen.insert(*key), "duplicate key {key}");
        for (lang, t) in [("pt-BR", pt), ("es", es), ("en", en)] {
            assert!(!t.trim().is_empty(), "{key} is empty in {lang}");
        }
        assert_eq!(
            placeholders(pt),
            placeholders(es),
            "{key}: es placeholders differ"
        );
        assert_eq!(
            placeholders(pt),
            placeholders(en),
            "{key}: en placeholders differ"
        );
    }
    seen
}
