//! Lookup: a key's text in a locale, with placeholders filled, and the
//! message of a stable error code.

use super::Locale;
use super::catalogue;

/// The text for `key` in `locale`; falls back to pt-BR, then to the key
/// itself (so a missing key is visible, never a crash).
pub fn text(locale: Locale, key: &str) -> &str {
    match catalogue::entry(key) {
        Some((_, pt, es, en)) => {
            let t = match locale {
                Locale::PtBr => pt,
                Locale::Es => es,
                Locale::En => en,
            };
            if t.is_empty() { pt } else { t }
        }
        None => key,
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

/// Every key of the catalogue.
pub fn keys() -> impl Iterator<Item = &'static str> {
    catalogue::entries().map(|(k, ..)| *k)
}

/// The message for a stable error code (a contract code or one of the
/// library's: `transport`, `timeout`, `protocol`, `state`, `busy`, ...).
pub fn code_text(locale: Locale, code: &str) -> String {
    let key = format!("code.{code}");
    if catalogue::entry(&key).is_some() {
        text(locale, &key).to_owned()
    } else {
        text(locale, "code.unknown").to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::installation::Kind;
    use crate::messages::kind_label;

    #[test]
    fn every_error_code_and_inconsistency_has_a_message() {
        for code in crate::failure::tests::every_error_code() {
            assert!(
                keys().any(|k| k == format!("code.{}", code.as_str())),
                "{code}"
            );
        }
        for code in [
            "transport",
            "timeout",
            "protocol",
            "response_too_large",
            "config",
            "state",
            "state_changed",
            "busy",
            "cancelled",
            // The C ABI's error kinds and refusal codes.
            "not_allowed",
            "not_selectable",
            "confirmation_mismatch",
            "confirmation_required",
            "environment_not_found",
            "create_not_offered",
            "name_required",
            "inconsistent",
            "refused",
            "not_configured",
            "credentials_revoked",
            "invalid_handle",
            "unknown_operation",
            "invalid_config",
            "invalid_installation",
            "invalid_json",
            "invalid_utf8",
            "buffer_too_small",
            "panic",
            "runtime",
            "task_failed",
            "null_argument",
        ] {
            assert!(keys().any(|k| k == format!("code.{code}")), "{code}");
        }
        for reason in [
            "invalid_installation_data",
            "bound_to_several_environments",
            "bound_under_other_line",
            "bound_environment_kind_differs",
            "duplicate_line_in_environment",
            "duplicate_environment",
            "local_state_contradicts",
        ] {
            assert!(
                keys().any(|k| k == format!("inconsistency.{reason}")),
                "{reason}"
            );
        }
        for step in [
            "waiting_for_lock",
            "creating",
            "binding",
            "issuing_credentials",
            "verifying",
            "storing",
        ] {
            assert!(keys().any(|k| k == format!("step.{step}")), "{step}");
        }
    }

    #[test]
    fn locale_falls_back_to_portuguese() {
        assert_eq!(Locale::parse("fr-FR"), Locale::PtBr);
        assert_eq!(Locale::parse(""), Locale::PtBr);
        assert_eq!(Locale::parse("EN_us"), Locale::En);
        assert_eq!(text(Locale::En, "no.such.key"), "no.such.key");
        assert_eq!(kind_label(Locale::Es, Kind::Custom), "Personalizado");
        assert_eq!(
            code_text(Locale::En, "weird"),
            "The platform answered with an error this version does not know (see the detail and the support id)."
        );
    }
}
