//! The headless wizard: screens, actions, and actions refused. Unit tests:
//! the wizard, its effects and task requests are internal to the crate.

#[path = "../../tests/common/mod.rs"]
mod common;

use super::{Effect, Wizard};
use common::*;
use smartlink_core::wizard::*;
use smartlink_core::*;

const P: ErpLine = ErpLine::Protheus;

fn at_choose(envs: Vec<Environment>, me: &Installation, local: Option<&EnvironmentId>) -> Wizard {
    let mut w = Wizard::new(None);
    assert_eq!(w.apply(Action::Start).unwrap(), Effect::None);
    assert_eq!(
        w.apply(Action::SetName {
            name: me.name.to_string()
        })
        .unwrap(),
        Effect::LoadEnvironments
    );
    w.environments_loaded(classify(me, local, &envs));
    w
}

#[test]
fn welcome_shows_the_documentation_and_only_start_or_cancel() {
    let mut w = Wizard::new(None);
    assert!(
        matches!(w.screen(), Screen::Welcome { documentation_url } if documentation_url.starts_with("https://"))
    );
    for action in [
        Action::Confirm,
        Action::Back,
        Action::SetName { name: "x".into() },
    ] {
        assert!(matches!(
            w.apply(action),
            Err(WizardError::NotAllowed {
                screen: "welcome",
                ..
            })
        ));
    }
    assert!(matches!(w.screen(), Screen::Welcome { .. }));
}

#[test]
fn invalid_name_stays_on_the_name_screen_with_the_error() {
    let mut w = Wizard::new(None);
    w.apply(Action::Start).unwrap();
    let err = w
        .apply(Action::SetName {
            name: "x".repeat(81),
        })
        .unwrap_err();
    assert!(matches!(
        err,
        WizardError::Decision(DecisionError::Invalid(ValidationError::TooLong { .. }))
    ));
    assert!(matches!(
        w.screen(),
        Screen::NameInstallation { error: Some(_), .. }
    ));
}

#[test]
fn host_name_prefills_the_name_screen() {
    let mut w = Wizard::new(Some(InstallationName::new("Matriz").unwrap()));
    w.apply(Action::Start).unwrap();
    assert!(matches!(w.screen(), Screen::NameInstallation { name: Some(n), .. } if n == "Matriz"));
}

#[test]
fn first_binding_by_selection_runs_a_plain_bind() {
    let me = installation("me", P, Kind::Production);
    let mut w = at_choose(vec![env("e1", "Prod", Kind::Production, vec![])], &me, None);
    assert!(matches!(
        w.screen(),
        Screen::ChooseEnvironment {
            scenario: Scenario::FirstBinding,
            create_offered: true,
            ..
        }
    ));
    let Effect::Run(req) = w
        .apply(Action::Select {
            environment_id: eid("e1"),
        })
        .unwrap()
    else {
        panic!("expected a task")
    };
    assert!(matches!(&req.target, TaskTarget::Existing { target, .. } if !target.is_overwrite()));
    assert!(matches!(w.screen(), Screen::Finishing { task_id, .. } if *task_id == req.task_id));
    // Nothing to do on the finishing screen but wait.
    assert!(w.apply(Action::Cancel).is_err());
    assert!(w.apply(Action::Back).is_err());
}

#[test]
fn first_binding_by_creation_validates_and_checks_the_name() {
    let me = installation("me", P, Kind::Production);
    let mut w = at_choose(vec![env("e1", "Prod", Kind::Production, vec![])], &me, None);
    assert!(matches!(
        w.apply(Action::Create {
            name: "x".repeat(21)
        }),
        Err(WizardError::Decision(DecisionError::Invalid(_)))
    ));
    assert!(matches!(
        w.apply(Action::Create {
            name: "PROD".into()
        }),
        Err(WizardError::Decision(DecisionError::NameTaken))
    ));
    let Effect::Run(req) = w
        .apply(Action::Create {
            name: " Nova ".into(),
        })
        .unwrap()
    else {
        panic!("expected a task")
    };
    assert!(matches!(&req.target, TaskTarget::Create { name } if name.as_str() == "Nova"));
}

#[test]
fn already_bound_has_no_create_tab_and_asks_to_confirm_regeneration() {
    let me = installation("me", P, Kind::Production);
    let mut w = at_choose(
        vec![
            env("e1", "Prod", Kind::Production, vec![binding("me", P)]),
            env("e2", "P2", Kind::Production, vec![]),
        ],
        &me,
        None,
    );
    assert!(matches!(
        w.screen(),
        Screen::ChooseEnvironment {
            create_offered: false,
            ..
        }
    ));
    assert!(matches!(
        w.apply(Action::Create { name: "New".into() }),
        Err(WizardError::NotAllowed { .. })
    ));
    assert!(matches!(
        w.apply(Action::Select {
            environment_id: eid("e2")
        }),
        Err(WizardError::Decision(DecisionError::NotSelectable {
            reason: UnavailableReason::InstallationBoundElsewhere,
            ..
        }))
    ));
    assert_eq!(
        w.apply(Action::Select {
            environment_id: eid("e1")
        })
        .unwrap(),
        Effect::None
    );
    assert!(matches!(w.screen(), Screen::ConfirmRegeneration { .. }));
    assert!(matches!(w.apply(Action::Confirm).unwrap(), Effect::Run(_)));
}

#[test]
fn replacement_overwrite_enables_confirm_only_for_the_exact_name() {
    let me = installation("new", P, Kind::Production);
    let mut w = at_choose(
        vec![env(
            "e1",
            "Produção",
            Kind::Production,
            vec![binding("old", P)],
        )],
        &me,
        None,
    );
    assert!(matches!(
        w.screen(),
        Screen::ChooseEnvironment {
            scenario: Scenario::Replacement,
            ..
        }
    ));
    w.apply(Action::Select {
        environment_id: eid("e1"),
    })
    .unwrap();
    assert!(matches!(
        w.screen(),
        Screen::ConfirmOverwrite {
            confirm_enabled: false,
            ..
        }
    ));
    // Refused without confirmation.
    assert!(matches!(
        w.apply(Action::Confirm),
        Err(WizardError::Decision(DecisionError::ConfirmationMismatch(
            _
        )))
    ));
    // Refused with a wrong name, and a differently-cased one.
    for wrong in ["Producao", "PRODUÇÃO", "produção"] {
        w.apply(Action::TypeConfirmation { text: wrong.into() })
            .unwrap();
        assert!(matches!(
            w.screen(),
            Screen::ConfirmOverwrite {
                confirm_enabled: false,
                ..
            }
        ));
        assert!(w.apply(Action::Confirm).is_err());
    }
    // Accepted with NFD and surrounding spaces.
    w.apply(Action::TypeConfirmation {
        text: "  Produc\u{327}a\u{303}o ".into(),
    })
    .unwrap();
    assert!(matches!(
        w.screen(),
        Screen::ConfirmOverwrite {
            confirm_enabled: true,
            ..
        }
    ));
    let Effect::Run(req) = w.apply(Action::Confirm).unwrap() else {
        panic!("expected a task")
    };
    assert!(matches!(&req.target, TaskTarget::Existing { target, .. } if target.is_overwrite()));
}

#[test]
fn back_from_an_alert_returns_to_the_list() {
    let me = installation("new", P, Kind::Production);
    let mut w = at_choose(
        vec![env("e1", "Prod", Kind::Production, vec![binding("old", P)])],
        &me,
        None,
    );
    w.apply(Action::Select {
        environment_id: eid("e1"),
    })
    .unwrap();
    w.apply(Action::Back).unwrap();
    assert!(matches!(w.screen(), Screen::ChooseEnvironment { .. }));
    w.apply(Action::Back).unwrap();
    assert!(matches!(w.screen(), Screen::NameInstallation { .. }));
}

#[test]
fn kind_mismatch_is_not_selectable_and_unknown_ids_are_refused() {
    let me = installation("me", P, Kind::Production);
    let mut w = at_choose(vec![env("e1", "Dev", Kind::Development, vec![])], &me, None);
    assert!(matches!(
        w.apply(Action::Select {
            environment_id: eid("e1")
        }),
        Err(WizardError::Decision(DecisionError::NotSelectable {
            reason: UnavailableReason::KindMismatch { .. },
            ..
        }))
    ));
    assert!(matches!(
        w.apply(Action::Select {
            environment_id: eid("nope")
        }),
        Err(WizardError::Decision(DecisionError::EnvironmentNotFound(_)))
    ));
    assert!(matches!(w.screen(), Screen::ChooseEnvironment { .. }));
}

#[test]
fn inconsistent_data_reaches_the_error_screen_without_retry() {
    let me = installation("me", P, Kind::Production);
    let mut w = at_choose(
        vec![
            env("e1", "A", Kind::Production, vec![binding("me", P)]),
            env("e2", "B", Kind::Production, vec![binding("me", P)]),
        ],
        &me,
        None,
    );
    assert!(matches!(
        w.screen(),
        Screen::Error {
            reason: ErrorReason::Inconsistent { .. },
            retry_allowed: false,
            ..
        }
    ));
    assert!(w.apply(Action::Back).is_err());
    assert!(w.apply(Action::Confirm).is_err());
    // Cancel leaves the configurator; it is shown again next time.
    w.apply(Action::Cancel).unwrap();
    assert!(matches!(w.screen(), Screen::Welcome { .. }));
}

#[test]
fn a_listing_without_a_name_is_an_error_not_a_panic() {
    let me = installation("me", P, Kind::Production);
    let mut w = Wizard::new(None);
    w.environments_loaded(classify(
        &me,
        None,
        &[env("e1", "A", Kind::Production, vec![])],
    ));
    assert!(matches!(
        w.apply(Action::Select {
            environment_id: eid("e1")
        }),
        Err(WizardError::NotAllowed { .. })
    ));
}

#[test]
fn screens_and_actions_round_trip_as_json() {
    let a: Action = serde_json::from_str(r#"{"action":"select","environment_id":"e1"}"#).unwrap();
    assert_eq!(
        a,
        Action::Select {
            environment_id: eid("e1")
        }
    );
    assert!(
        serde_json::from_str::<Action>(r#"{"action":"select","environment_id":"a/b"}"#).is_err()
    );
    let s = serde_json::to_value(Wizard::new(None).screen()).unwrap();
    assert_eq!(s["screen"], "welcome");
}
