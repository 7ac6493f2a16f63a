//! Texts of the core's values: kinds, lines, refused values, task steps,
//! inconsistencies, availabilities, bindings, scenarios and error reasons.

use super::{Locale, code_text, render, text};
use crate::environment::Binding;
use crate::error::ValidationError;
use crate::installation::{ErpLine, Kind};
use crate::rules::{Availability, EnvironmentChoice, Inconsistency, Scenario, UnavailableReason};
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
        Availability::Unavailable {
            reason: UnavailableReason::KindMismatch { environment_kind },
        } => render(
            locale,
            "availability.kind_mismatch",
            &[("kind", kind_label(locale, *environment_kind))],
        ),
        Availability::Unavailable {
            reason: UnavailableReason::InstallationBoundElsewhere,
        } => text(locale, "availability.bound_elsewhere").to_owned(),
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
