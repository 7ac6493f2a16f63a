//! Presentation: which texts go with which wizard screen. The C ABI sends
//! them as the `texts` of each screen response; the terminal configurator
//! draws them. Both ask [`screen_texts`], so the two never disagree.

use serde::Serialize;

use super::{
    Locale, availability_text, binding_text, error_reason_text, inconsistency_text, kind_label,
    line_label, refusal_text, render, scenario_text, step_text, text, validation_text,
};
use crate::environment::EnvironmentId;
use crate::rules::{Availability, DecisionError};
use crate::wizard::{ErrorReason, Screen};

/// The texts a host draws for one screen, by role, in one locale; the
/// catalogue's keys are used, so a host can look the same texts up later.
///
/// Serialized, it is the `texts` object of the C ABI's screen responses: a
/// role the screen does not have is left out (not `null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreenTexts {
    /// *Back* (`button.back`), on the screens that offer it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub back: Option<String>,
    /// *Confirm* (`button.confirm`), on the alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm: Option<String>,
    /// *Cancel* (`button.cancel`), everywhere but while finishing and done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel: Option<String>,
    /// The screen's own texts.
    #[serde(flatten)]
    pub screen: ScreenKindTexts,
}

/// The texts of one kind of screen (one variant per [`Screen`] variant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ScreenKindTexts {
    /// [`Screen::Welcome`].
    Welcome {
        /// `welcome.title`.
        title: String,
        /// `welcome.body`.
        body: String,
        /// `welcome.docs`, with the documentation's address.
        docs: String,
        /// `welcome.start`.
        start: String,
    },
    /// [`Screen::NameInstallation`].
    NameInstallation {
        /// `name.title`.
        title: String,
        /// `name.prompt`.
        prompt: String,
        /// `name.help`.
        help: String,
        /// Why the last name was refused.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// [`Screen::ChooseEnvironment`].
    ChooseEnvironment {
        /// `choose.title`.
        title: String,
        /// `choose.tab_select`.
        tab_select: String,
        /// `choose.generate`.
        generate: String,
        /// `choose.tab_create`, when creating is offered.
        #[serde(skip_serializing_if = "Option::is_none")]
        tab_create: Option<String>,
        /// `choose.create_prompt`, when creating is offered.
        #[serde(skip_serializing_if = "Option::is_none")]
        create_prompt: Option<String>,
        /// `choose.create_button`, when creating is offered.
        #[serde(skip_serializing_if = "Option::is_none")]
        create_button: Option<String>,
        /// The sentence that introduces the list ([`scenario_text`]).
        scenario: String,
        /// `choose.local_binding_lost`, when the local binding was lost.
        #[serde(skip_serializing_if = "Option::is_none")]
        local_binding_lost: Option<String>,
        /// `choose.no_environments`, when the list is empty.
        #[serde(skip_serializing_if = "Option::is_none")]
        no_environments: Option<String>,
        /// One entry per environment, in the order of the screen's choices.
        choices: Vec<ChoiceTexts>,
    },
    /// [`Screen::ConfirmRegeneration`].
    ConfirmRegeneration {
        /// `regenerate.title`.
        title: String,
        /// `regenerate.body`.
        body: String,
    },
    /// [`Screen::ConfirmOverwrite`].
    ConfirmOverwrite {
        /// `overwrite.title`.
        title: String,
        /// `overwrite.body`, naming the environment and the binding replaced.
        body: String,
        /// `overwrite.type_name`, naming what to type.
        type_name: String,
        /// `overwrite.mismatch`, when what was typed does not match.
        #[serde(skip_serializing_if = "Option::is_none")]
        mismatch: Option<String>,
    },
    /// [`Screen::Finishing`].
    Finishing {
        /// `finishing.title`.
        title: String,
        /// `finishing.body`.
        body: String,
        /// The step under way ([`step_text`]).
        step: String,
    },
    /// [`Screen::Done`].
    Done {
        /// `done.title`.
        title: String,
        /// `done.body`, naming the environment.
        body: String,
        /// `done.reused` or `done.issued`.
        credentials: String,
    },
    /// [`Screen::Error`].
    Error {
        /// `error.title`.
        title: String,
        /// `error.support`, with the support id.
        support: String,
        /// `error.report`: how the host makes the support report to attach
        /// (the C ABI's `support_report` operation).
        report: String,
        /// What went wrong, one paragraph ([`error_reason_text`]).
        detail: String,
        /// `error.retry`, when *Back* (try again) is offered.
        #[serde(skip_serializing_if = "Option::is_none")]
        retry: Option<String>,
        /// The same detail as separate lines (for a host that draws the
        /// inconsistency's heading and its reason apart); `detail` is these
        /// lines joined by a space. Not serialized.
        #[serde(skip)]
        detail_lines: Vec<String>,
    },
}

/// The texts of one listed environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChoiceTexts {
    /// The environment's id (not localized: to match the screen's choice).
    pub environment_id: EnvironmentId,
    /// Its name.
    pub name: String,
    /// Its kind ([`kind_label`]).
    pub kind: String,
    /// What may be done with it ([`availability_text`]).
    pub availability: String,
    /// Why it cannot be chosen, as the sentence the wizard refuses a pick
    /// with ([`refusal_text`]); only for an environment that cannot be
    /// chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Its bindings ([`binding_text`]), or `choose.bindings_none` alone.
    pub bindings: Vec<String>,
}

/// The texts a host draws for `screen`, in `locale`.
///
/// ```
/// use smartlink_core::messages::{Locale, ScreenKindTexts, screen_texts};
/// use smartlink_core::wizard::Screen;
/// let screen = Screen::Welcome { documentation_url: "https://example.invalid/doc".into() };
/// let texts = screen_texts(Locale::En, &screen);
/// assert_eq!(texts.cancel.as_deref(), Some("Cancel"));
/// assert!(matches!(texts.screen, ScreenKindTexts::Welcome { ref start, .. } if start == "Start"));
/// ```
pub fn screen_texts(locale: Locale, screen: &Screen) -> ScreenTexts {
    let tx = |k: &str| text(locale, k).to_owned();
    let (back, confirm) = match screen {
        Screen::NameInstallation { .. } | Screen::ChooseEnvironment { .. } => (true, false),
        Screen::ConfirmRegeneration { .. } | Screen::ConfirmOverwrite { .. } => (true, true),
        Screen::Error { retry_allowed, .. } => (*retry_allowed, false),
        _ => (false, false),
    };
    let cancel = !matches!(screen, Screen::Done { .. } | Screen::Finishing { .. });
    let kind = match screen {
        Screen::Welcome { documentation_url } => ScreenKindTexts::Welcome {
            title: tx("welcome.title"),
            body: tx("welcome.body"),
            docs: render(locale, "welcome.docs", &[("url", documentation_url)]),
            start: tx("welcome.start"),
        },
        Screen::NameInstallation { error, .. } => ScreenKindTexts::NameInstallation {
            title: tx("name.title"),
            prompt: tx("name.prompt"),
            help: tx("name.help"),
            error: error.as_ref().map(|e| validation_text(locale, e)),
        },
        Screen::ChooseEnvironment {
            scenario,
            choices,
            create_offered,
            local_binding_lost,
            ..
        } => ScreenKindTexts::ChooseEnvironment {
            title: tx("choose.title"),
            tab_select: tx("choose.tab_select"),
            generate: tx("choose.generate"),
            tab_create: create_offered.then(|| tx("choose.tab_create")),
            create_prompt: create_offered.then(|| tx("choose.create_prompt")),
            create_button: create_offered.then(|| tx("choose.create_button")),
            scenario: scenario_text(locale, scenario, choices),
            local_binding_lost: local_binding_lost.then(|| tx("choose.local_binding_lost")),
            no_environments: choices.is_empty().then(|| tx("choose.no_environments")),
            choices: choices
                .iter()
                .map(|c| {
                    let bindings: Vec<String> = c
                        .environment
                        .bindings
                        .iter()
                        .map(|b| binding_text(locale, b))
                        .collect();
                    ChoiceTexts {
                        environment_id: c.environment.id.clone(),
                        name: c.environment.name.as_str().to_owned(),
                        kind: kind_label(locale, c.environment.kind).to_owned(),
                        availability: availability_text(locale, &c.availability),
                        refusal: match &c.availability {
                            Availability::Unavailable { reason } => Some(refusal_text(
                                locale,
                                &DecisionError::NotSelectable {
                                    environment_id: c.environment.id.clone(),
                                    reason: reason.clone(),
                                },
                            )),
                            _ => None,
                        },
                        bindings: if bindings.is_empty() {
                            vec![tx("choose.bindings_none")]
                        } else {
                            bindings
                        },
                    }
                })
                .collect(),
        },
        Screen::ConfirmRegeneration { .. } => ScreenKindTexts::ConfirmRegeneration {
            title: tx("regenerate.title"),
            body: tx("regenerate.body"),
        },
        Screen::ConfirmOverwrite {
            environment,
            replaces,
            typed,
            confirm_enabled,
        } => ScreenKindTexts::ConfirmOverwrite {
            title: tx("overwrite.title"),
            body: render(
                locale,
                "overwrite.body",
                &[
                    ("environment", environment.name.as_str()),
                    ("installation", replaces.installation_name.as_str()),
                    ("line", line_label(replaces.line)),
                ],
            ),
            type_name: render(
                locale,
                "overwrite.type_name",
                &[("name", environment.name.as_str())],
            ),
            mismatch: (!typed.is_empty() && !confirm_enabled).then(|| tx("overwrite.mismatch")),
        },
        Screen::Finishing { step, .. } => ScreenKindTexts::Finishing {
            title: tx("finishing.title"),
            body: tx("finishing.body"),
            step: step_text(locale, *step).to_owned(),
        },
        Screen::Done {
            environment_name,
            reused_credentials,
            ..
        } => ScreenKindTexts::Done {
            title: tx("done.title"),
            body: render(locale, "done.body", &[("name", environment_name.as_str())]),
            credentials: tx(if *reused_credentials {
                "done.reused"
            } else {
                "done.issued"
            }),
        },
        Screen::Error {
            support_id,
            reason,
            retry_allowed,
        } => ScreenKindTexts::Error {
            title: tx("error.title"),
            support: render(locale, "error.support", &[("id", &support_id.to_string())]),
            report: tx("error.report"),
            detail: error_reason_text(locale, reason),
            retry: retry_allowed.then(|| tx("error.retry")),
            detail_lines: match reason {
                ErrorReason::Inconsistent { inconsistency } => vec![
                    tx("error.inconsistent"),
                    inconsistency_text(locale, inconsistency).to_owned(),
                ],
                ErrorReason::Platform { .. } | ErrorReason::TaskFailed { .. } => {
                    vec![error_reason_text(locale, reason)]
                }
            },
        },
    };
    ScreenTexts {
        back: back.then(|| tx("button.back")),
        confirm: confirm.then(|| tx("button.confirm")),
        cancel: cancel.then(|| tx("button.cancel")),
        screen: kind,
    }
}
