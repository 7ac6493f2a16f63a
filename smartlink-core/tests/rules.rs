//! The classifier, rule by rule and scenario by scenario.

mod common;

use common::*;
use smartlink_core::*;

const P: ErpLine = ErpLine::Protheus;

#[test]
fn first_binding_when_bound_nowhere_and_no_line_holder() {
    let me = installation("me", P, Kind::Production);
    let envs = vec![
        env(
            "e1",
            "Produção",
            Kind::Production,
            vec![binding("rm1", ErpLine::Rm)],
        ),
        env("e2", "Homolog", Kind::Homologation, vec![]),
    ];
    let c = classify(&me, None, &envs);
    assert_eq!(c.scenario, Scenario::FirstBinding);
    assert!(c.create_offered);
    // R2: lines share environments freely.
    assert_eq!(
        c.choice(&eid("e1")).unwrap().availability,
        Availability::Selectable
    );
    // R3: another kind is not selectable.
    assert_eq!(
        c.choice(&eid("e2")).unwrap().availability,
        Availability::Unavailable {
            reason: UnavailableReason::KindMismatch {
                environment_kind: Kind::Homologation
            }
        }
    );
    assert!(!c.local_binding_lost);
}

#[test]
fn already_bound_offers_only_regeneration_and_no_create_tab() {
    let me = installation("me", P, Kind::Production);
    let envs = vec![
        env("e1", "Prod A", Kind::Production, vec![binding("me", P)]),
        env("e2", "Prod B", Kind::Production, vec![]),
        env("e3", "Dev", Kind::Development, vec![]),
    ];
    let c = classify(&me, Some(&eid("e1")), &envs);
    assert_eq!(
        c.scenario,
        Scenario::AlreadyBound {
            environment_id: eid("e1")
        }
    );
    assert!(!c.create_offered);
    assert_eq!(
        c.choice(&eid("e1")).unwrap().availability,
        Availability::Regenerate
    );
    // R1: bound elsewhere, so another environment of the same kind is not offered.
    assert_eq!(
        c.choice(&eid("e2")).unwrap().availability,
        Availability::Unavailable {
            reason: UnavailableReason::InstallationBoundElsewhere
        }
    );
    assert!(matches!(
        c.choice(&eid("e3")).unwrap().availability,
        Availability::Unavailable {
            reason: UnavailableReason::KindMismatch { .. }
        }
    ));
}

#[test]
fn replacement_when_an_environment_holds_an_older_installation_of_this_line() {
    let me = installation("new", P, Kind::Production);
    let envs = vec![
        env(
            "e1",
            "Prod",
            Kind::Production,
            vec![binding("old", P), binding("rm", ErpLine::Rm)],
        ),
        env("e2", "Prod 2", Kind::Production, vec![]),
    ];
    let c = classify(&me, None, &envs);
    assert_eq!(c.scenario, Scenario::Replacement);
    assert!(c.create_offered);
    assert_eq!(
        c.choice(&eid("e1")).unwrap().availability,
        Availability::NeedsTypedConfirmation {
            replaces: binding("old", P)
        }
    );
    assert_eq!(
        c.choice(&eid("e2")).unwrap().availability,
        Availability::Selectable
    );
}

#[test]
fn another_kinds_line_holder_does_not_make_a_replacement() {
    let me = installation("new", P, Kind::Production);
    let envs = vec![env("e1", "Dev", Kind::Development, vec![binding("old", P)])];
    assert_eq!(classify(&me, None, &envs).scenario, Scenario::FirstBinding);
}

#[test]
fn local_binding_lost_when_the_platform_no_longer_binds_us() {
    let me = installation("me", P, Kind::Production);
    let envs = vec![env(
        "e1",
        "Prod",
        Kind::Production,
        vec![binding("other", P)],
    )];
    let c = classify(&me, Some(&eid("e1")), &envs);
    assert_eq!(c.scenario, Scenario::Replacement);
    assert!(c.local_binding_lost);
}

#[test]
fn r5_bound_twice_is_inconsistent() {
    let me = installation("me", P, Kind::Production);
    let envs = vec![
        env("e1", "A", Kind::Production, vec![binding("me", P)]),
        env("e2", "B", Kind::Production, vec![binding("me", P)]),
    ];
    let c = classify(&me, None, &envs);
    assert!(matches!(
        c.scenario,
        Scenario::Inconsistent {
            reason: Inconsistency::BoundToSeveralEnvironments { .. }
        }
    ));
    assert!(c.choices.is_empty());
    assert!(!c.create_offered);
}

#[test]
fn r5_bound_under_another_line_is_inconsistent() {
    let me = installation("me", P, Kind::Production);
    let envs = vec![env(
        "e1",
        "A",
        Kind::Production,
        vec![binding("me", ErpLine::Datasul)],
    )];
    assert!(matches!(
        classify(&me, None, &envs).scenario,
        Scenario::Inconsistent {
            reason: Inconsistency::BoundUnderOtherLine { .. }
        }
    ));
}

#[test]
fn r5_bound_to_an_environment_of_another_kind_is_inconsistent() {
    let me = installation("me", P, Kind::Production);
    let envs = vec![env("e1", "A", Kind::Custom, vec![binding("me", P)])];
    assert!(matches!(
        classify(&me, None, &envs).scenario,
        Scenario::Inconsistent {
            reason: Inconsistency::BoundEnvironmentKindDiffers { .. }
        }
    ));
}

#[test]
fn r5_local_state_contradicting_the_platform_is_inconsistent() {
    let me = installation("me", P, Kind::Production);
    let envs = vec![
        env("e1", "A", Kind::Production, vec![binding("me", P)]),
        env("e2", "B", Kind::Production, vec![]),
    ];
    assert!(matches!(
        classify(&me, Some(&eid("e2")), &envs).scenario,
        Scenario::Inconsistent {
            reason: Inconsistency::LocalStateContradicts { .. }
        }
    ));
}

#[test]
fn r5_two_installations_of_one_line_in_an_environment_is_inconsistent() {
    let me = installation("me", P, Kind::Production);
    let envs = vec![env(
        "e1",
        "A",
        Kind::Production,
        vec![binding("x", P), binding("y", P)],
    )];
    assert!(matches!(
        classify(&me, None, &envs).scenario,
        Scenario::Inconsistent {
            reason: Inconsistency::DuplicateLineInEnvironment { .. }
        }
    ));
}

#[test]
fn r5_duplicate_environment_ids_are_inconsistent() {
    let me = installation("me", P, Kind::Production);
    let envs = vec![
        env("e1", "A", Kind::Production, vec![]),
        env("e1", "B", Kind::Production, vec![]),
    ];
    assert!(matches!(
        classify(&me, None, &envs).scenario,
        Scenario::Inconsistent {
            reason: Inconsistency::DuplicateEnvironment { .. }
        }
    ));
}

#[test]
fn invalid_installation_data_from_the_host_is_a_typed_error() {
    assert!(matches!(
        InstallationSpec::parse("bad id", "protheus", "production", None),
        Err(ValidationError::InvalidCharacter { .. })
    ));
    assert!(matches!(
        InstallationSpec::parse("ok", "sap", "production", None),
        Err(ValidationError::UnknownVariant { field: "line", .. })
    ));
    assert!(matches!(
        InstallationSpec::parse("ok", "rm", "prod", None),
        Err(ValidationError::UnknownVariant { field: "kind", .. })
    ));
    assert!(InstallationSpec::parse("ok", "rm", "custom", Some("  ")).is_err());
}

#[test]
fn classifying_ten_thousand_environments_keeps_every_choice() {
    let me = installation("me", P, Kind::Production);
    let envs: Vec<_> = (0..10_000)
        .map(|i| {
            let kind = Kind::ALL[i % 4];
            env(&format!("e{i}"), &format!("Env {i}"), kind, vec![])
        })
        .collect();
    let c = classify(&me, None, &envs);
    assert_eq!(c.choices.len(), 10_000);
    assert_eq!(
        c.choices
            .iter()
            .filter(|c| c.availability.is_choosable())
            .count(),
        2_500
    );
}
