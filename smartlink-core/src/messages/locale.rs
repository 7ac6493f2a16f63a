//! The languages of the catalogue.

use serde::{Deserialize, Serialize};

/// A language of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Locale {
    /// Português (Brasil): the default.
    #[default]
    #[serde(rename = "pt-BR")]
    PtBr,
    /// Español.
    #[serde(rename = "es")]
    Es,
    /// English.
    #[serde(rename = "en")]
    En,
}

impl Locale {
    /// Every locale.
    pub const ALL: [Locale; 3] = [Locale::PtBr, Locale::Es, Locale::En];

    /// Parses a locale tag leniently (`pt`, `pt_BR`, `es-AR`, `en-US`, ...);
    /// anything unknown falls back to pt-BR.
    pub fn parse(tag: &str) -> Locale {
        Self::try_parse(tag).unwrap_or_default()
    }

    /// Parses a locale tag leniently (`pt`, `pt_BR`, `es-AR`, `en-US`,
    /// `en_US.UTF-8`, ...): `None` for a language the catalogue does not
    /// have, for callers that refuse it rather than fall back.
    pub fn try_parse(tag: &str) -> Option<Locale> {
        let lang = tag
            .trim()
            .split(['-', '_', '.'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match lang.as_str() {
            "pt" => Some(Locale::PtBr),
            "es" => Some(Locale::Es),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// The tag (`pt-BR`, `es`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Locale::PtBr => "pt-BR",
            Locale::Es => "es",
            Locale::En => "en",
        }
    }
}
