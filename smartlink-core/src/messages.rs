//! Every text a host of the configurator shows, in Brazilian Portuguese (the
//! default), Spanish and English, from one catalogue so that every host
//! (terminal, C ABI, ERP UI) uses the same wording. The terminal
//! configurator's own texts (its help, flags and diagnostics) are in its
//! own catalogue, not here.
//!
//! ```
//! use smartlink_core::messages::{Locale, text, render};
//! let es = Locale::parse("es-MX");
//! assert_eq!(es, Locale::Es);
//! assert_eq!(text(Locale::PtBr, "welcome.start"), "Iniciar");
//! assert_eq!(render(Locale::En, "overwrite.type_name", &[("name", "Prod")]),
//!            "To confirm, type the environment's name: Prod");
//! ```

//!
//! The module is split by responsibility: [`Locale`] (the languages), the
//! catalogue as data (one file per area: the wizard's screens, error codes
//! and refusals), lookup ([`text`], [`render`], [`code_text`]), the texts of
//! the core's values ([`availability_text`], [`refusal_text`],
//! [`scenario_text`], ...) and presentation: one
//! [`screen_texts`] giving the texts of each wizard screen, used by the C
//! ABI's screen responses and by the terminal configurator alike.

mod catalogue;
mod describe;
mod duration;
mod locale;
mod lookup;
mod screen;

pub use describe::{
    availability_text, binding_text, error_reason_text, inconsistency_text, kind_label, line_label,
    refusal_text, scenario_text, step_text, unavailable_text, validation_text,
};
pub use duration::duration_text;
pub use locale::Locale;
pub use lookup::{code_text, keys, render, text};
pub use screen::{ChoiceTexts, ScreenKindTexts, ScreenTexts, screen_texts};
