//! Texts of the core's values: kinds, lines, refused values, task steps,
//! inconsistencies, availabilities, refusals, bindings, scenarios and error
//! reasons.

use super::{Locale, code_text, render, text};
use crate::environment::Binding;
use crate::error::ValidationError;
use crate::installation::{ErpLine, Kind};
use crate::rules::{
    Availability, DecisionError, EnvironmentChoice, Inconsistency, Scenario, UnavailableReason,
};
use crate::wizard::{ErrorReason, TaskStep};

/// The label of a kind.
pub fn kind_label(locale: Locale, kind: Kind) -> &'static str {
    let key = match kind {
        Kind::Production => "kind.production",
        Kind::Homologation => "kind.homologation",
        Kind::Development => "kind.development",
        Kind::Custom => "kind.custom",
    };
    text(locale, key)
}

/// The display name of an ERP line (the same in every language).
pub fn line_label(line: ErpLine) -> &'static str {
    line.display_name()
}

/// The message for a refused value (the field is named by the screen).
pub fn validation_text(locale: Locale, e: &ValidationError) -> String {
    match e {
        ValidationError::Empty { .. } => text(locale, "validation.empty").to_owned(),
        ValidationError::TooLong { max, .. } => {
            render(locale, "validation.too_long", &[("max", &max.to_string())])
        }
        ValidationError::ControlCharacter { .. } => text(locale, "validation.control").to_owned(),
        _ => text(locale, "validation.invalid").to_owned(),
    }
}

/// The progress line of a task step (`None`: not started yet).
pub fn step_text(locale: Locale, step: Option<TaskStep>) -> &'static str {
    let key = match step {
        None => "progress.working",
        Some(TaskStep::WaitingForLock) => "step.waiting_for_lock",
        Some(TaskStep::Creating) => "step.creating",
        Some(TaskStep::Binding) => "step.binding",
        Some(TaskStep::IssuingCredentials) => "step.issuing_credentials",
        Some(TaskStep::Verifying) => "step.verifying",
        Some(TaskStep::Storing) => "step.storing",
    };
    text(locale, key)
}

/// Why the data is inconsistent, for the error screen.
pub fn inconsistency_text(locale: Locale, inconsistency: &Inconsistency) -> &'static str {
    let key = match inconsistency {
        Inconsistency::InvalidInstallationData { .. } => "inconsistency.invalid_installation_data",
        Inconsistency::BoundToSeveralEnvironments { .. } => {
            "inconsistency.bound_to_several_environments"
        }
        Inconsistency::BoundUnderOtherLine { .. } => "inconsistency.bound_under_other_line",
        Inconsistency::BoundEnvironmentKindDiffers { .. } => {
            "inconsistency.bound_environment_kind_differs"
        }
        Inconsistency::DuplicateLineInEnvironment { .. } => {
            "inconsistency.duplicate_line_in_environment"
        }
        Inconsistency::DuplicateEnvironment { .. } => "inconsistency.duplicate_environment",
        Inconsistency::LocalStateContradicts { .. } => "inconsistency.local_state_contradicts",
    };
    text(locale, key)
}

/// What may be done with a listed environment.
pub fn availability_text(locale: Locale, availability: &Availability) -> String {
    match availability {
        Availability::Selectable => text(locale, "availability.selectable").to_owned(),
        Availability::Regenerate => text(locale, "availability.regenerate").to_owned(),
        Availability::NeedsTypedConfirmation { replaces } => render(
            locale,
            "availability.needs_confirmation",
            &[("line", line_label(replaces.line))],
        ),
        Availability::Unavailable { reason } => unavailable_text(locale, reason),
    }
}

/// Why an environment cannot be chosen, as a phrase ("different kind
/// (Homologation)"): a listed environment's availability, and the reason
/// inside [`refusal_text`].
pub fn unavailable_text(locale: Locale, reason: &UnavailableReason) -> String {
    match reason {
        UnavailableReason::KindMismatch { environment_kind } => render(
            locale,
            "availability.kind_mismatch",
            &[("kind", kind_label(locale, *environment_kind))],
        ),
        UnavailableReason::InstallationBoundElsewhere => {
            text(locale, "availability.bound_elsewhere").to_owned()
        }
    }
}

/// The sentence for a refused decision, with what the refusal knows (the
/// name not found, why the environment cannot be chosen, what is wrong with
/// a name): the one text of each refusal, for the wizard's and the
/// unattended mode's refusals alike. The screen responses of the C ABI
/// carry it for each environment that cannot be chosen
/// ([`ChoiceTexts::refusal`](super::ChoiceTexts::refusal)); without the
/// refusal at hand, [`code_text`] of its [`Refusal`](crate::failure::Refusal) says the same
/// more briefly.
///
/// ```
/// use smartlink_core::messages::{Locale, refusal_text};
/// use smartlink_core::{DecisionError, EnvironmentId, Kind, UnavailableReason};
/// let refused = DecisionError::NotSelectable {
///     environment_id: EnvironmentId::new("env_hml").unwrap(),
///     reason: UnavailableReason::KindMismatch { environment_kind: Kind::Homologation },
/// };
/// assert_eq!(
///     refusal_text(Locale::En, &refused),
///     "This environment cannot be chosen: different kind (Homologation)."
/// );
/// ```
pub fn refusal_text(locale: Locale, refusal: &DecisionError) -> String {
    match refusal {
        DecisionError::EnvironmentNotFound(name) => {
            render(locale, "refusal.environment_not_found", &[("name", name)])
        }
        DecisionError::NotSelectable { reason, .. } => render(
            locale,
            "refusal.not_selectable",
            &[("reason", &unavailable_text(locale, reason))],
        ),
        DecisionError::Inconsistent(inconsistency) => format!(
            "{} {}",
            text(locale, "error.inconsistent"),
            inconsistency_text(locale, inconsistency)
        ),
        DecisionError::Invalid(e) => validation_text(locale, e),
        other => code_text(locale, crate::failure::Refusal::from(other).as_str()),
    }
}

/// One binding of a listed environment ("Protheus: Filial SP").
pub fn binding_text(locale: Locale, binding: &Binding) -> String {
    render(
        locale,
        "choose.binding",
        &[
            ("line", line_label(binding.line)),
            ("name", binding.installation_name.as_str()),
        ],
    )
}

/// The sentence that introduces the environment list for a scenario.
pub fn scenario_text(locale: Locale, scenario: &Scenario, choices: &[EnvironmentChoice]) -> String {
    match scenario {
        Scenario::FirstBinding => text(locale, "choose.scenario.first_binding").to_owned(),
        Scenario::AlreadyBound { environment_id } => {
            let name = choices
                .iter()
                .find(|c| &c.environment.id == environment_id)
                .map(|c| c.environment.name.to_string())
                .unwrap_or_else(|| environment_id.to_string());
            render(locale, "choose.scenario.already_bound", &[("name", &name)])
        }
        Scenario::Replacement => {
            let line = choices
                .iter()
                .find_map(|c| match &c.availability {
                    Availability::NeedsTypedConfirmation { replaces } => Some(replaces.line),
                    _ => None,
                })
                .map(line_label)
                .unwrap_or("ERP");
            render(locale, "choose.scenario.replacement", &[("line", line)])
        }
        Scenario::Inconsistent { reason } => inconsistency_text(locale, reason).to_owned(),
    }
}

/// What went wrong, for the error screen.
pub fn error_reason_text(locale: Locale, reason: &ErrorReason) -> String {
    match reason {
        ErrorReason::Inconsistent { inconsistency } => format!(
            "{} {}",
            text(locale, "error.inconsistent"),
            inconsistency_text(locale, inconsistency)
        ),
        ErrorReason::Platform { code, .. } | ErrorReason::TaskFailed { code, .. } => {
            code_text(locale, code.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment::EnvironmentId;
    use crate::messages::keys;

    /// One refusal of each code, with what it knows.
    fn refusals() -> Vec<DecisionError> {
        let id = EnvironmentId::new("env_hml").unwrap();
        vec![
            DecisionError::EnvironmentNotFound("Produção Nova".into()),
            DecisionError::NotSelectable {
                environment_id: id.clone(),
                reason: UnavailableReason::KindMismatch {
                    environment_kind: Kind::Homologation,
                },
            },
            DecisionError::NotSelectable {
                environment_id: id.clone(),
                reason: UnavailableReason::InstallationBoundElsewhere,
            },
            DecisionError::ConfirmationRequired(id),
            DecisionError::CreateNotOffered,
            DecisionError::NameTaken,
            DecisionError::Invalid(crate::InstallationName::new("").unwrap_err()),
            DecisionError::NameRequired,
        ]
    }

    #[test]
    fn every_refusal_has_its_own_text_in_every_language() {
        for loc in Locale::ALL {
            let unknown = code_text(loc, "unknown");
            for refusal in refusals() {
                let shown = refusal_text(loc, &refusal);
                assert!(
                    !shown.is_empty() && shown != unknown,
                    "{refusal:?}: {shown}"
                );
                assert!(!shown.contains('{'), "{refusal:?}: unfilled {shown}");
                assert!(!keys().any(|k| k == shown), "{refusal:?}: the key {shown}");
            }
            let not_found = refusal_text(loc, &refusals()[0]);
            assert!(not_found.contains("\"Produção Nova\""), "{not_found}");
            let kind = refusal_text(loc, &refusals()[1]);
            assert!(kind.contains(kind_label(loc, Kind::Homologation)), "{kind}");
            assert_ne!(kind, refusal_text(loc, &refusals()[2]));
        }
        assert_eq!(
            refusal_text(
                Locale::PtBr,
                &DecisionError::Inconsistent(Inconsistency::DuplicateEnvironment {
                    environment_id: EnvironmentId::new("env_x").unwrap(),
                })
            ),
            format!(
                "{} {}",
                text(Locale::PtBr, "error.inconsistent"),
                text(Locale::PtBr, "inconsistency.duplicate_environment")
            )
        );
    }
}
