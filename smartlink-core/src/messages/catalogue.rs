//! The catalogue as data: every text a host shows, in pt-BR, es and en, one
//! file per area (the wizard's screens; codes, refused values and refusals).
//! Placeholders are `{name}`; every key has all three languages with the
//! same placeholders (checked below).

mod codes;
mod wizard;

/// (key, pt-BR, es, en).
pub(crate) type Entry = (&'static str, &'static str, &'static str, &'static str);

/// The areas of the catalogue, in lookup order.
static AREAS: &[&[Entry]] = &[wizard::WIZARD, codes::CODES];

/// Every entry of the catalogue.
pub(crate) fn entries() -> impl Iterator<Item = &'static Entry> {
    AREAS.iter().flat_map(|area| area.iter())
}

/// The entry of `key`, if the catalogue has it.
pub(crate) fn entry(key: &str) -> Option<&'static Entry> {
    entries().find(|(k, ..)| *k == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_exists_in_all_three_languages_with_the_same_placeholders() {
        smartlink_testkit::texts::check_catalogue(entries());
    }

    #[test]
    fn every_area_holds_only_its_own_keys() {
        // The files are split by key prefix; a key in the wrong file would
        // still be found, but not by the next reader.
        let prefixes = |area: &[Entry], allowed: &[&str]| {
            for (key, ..) in area {
                let head = key.split('.').next().unwrap_or("");
                assert!(allowed.contains(&head), "{key} is out of place");
            }
        };
        prefixes(codes::CODES, &["code", "validation", "refusal"]);
        // The terminal configurator's own texts are in its own catalogue.
        for (key, ..) in entries() {
            let head = key.split('.').next().unwrap_or("");
            assert!(!["cli", "help"].contains(&head), "{key} is the terminal's");
        }
    }
}
