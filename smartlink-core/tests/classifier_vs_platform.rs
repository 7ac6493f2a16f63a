//! The classifier (`rules::classify`) against the platform's semantics
//! (`InMemoryPlatform`): whatever the classifier offers, the platform accepts;
//! whatever it refuses, the platform refuses too.
//!
//! 256 cases by default (proptest's default; `PROPTEST_CASES` overrides it).

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use smartlink_core::EnvironmentChoice;
use smartlink_core::{
    Availability, BindTarget, Binding, EnvironmentName, ErpLine, ErrorCode, IdempotencyKey,
    Inconsistency, Installation, InstallationId, InstallationName, IssueCredentials, Kind,
    OverwriteConfirmation, Platform, PlatformError, Scenario, UnavailableReason, classify,
};
use smartlink_sandbox::SeedEnvironment;
use smartlink_sandbox::{InMemoryPlatform, Seed};

const POOL: usize = 6;

fn line_of(i: usize) -> ErpLine {
    ErpLine::ALL[i % ErpLine::ALL.len()]
}

fn kind_of(i: usize) -> Kind {
    Kind::ALL[i % Kind::ALL.len()]
}

fn pool_id(i: usize) -> InstallationId {
    InstallationId::new(format!("inst-{i}")).unwrap()
}

/// A generated situation: the seed and the installation that asks.
#[derive(Debug, Clone)]
struct Case {
    seed: Seed,
    installation: Installation,
}

/// Per environment: its kind, and per line an optional pool installation.
type RawEnv = (usize, [Option<usize>; 3]);

fn build_case(
    raw_envs: Vec<RawEnv>,
    who: Option<usize>,
    line: usize,
    kind: usize,
    align: bool,
) -> Case {
    let mut used = [false; POOL];
    let mut environments = Vec::new();
    for (n, (kind, lines)) in raw_envs.into_iter().enumerate() {
        let mut bindings = Vec::new();
        for (l, holder) in lines.iter().enumerate() {
            // R1 in the seed: an installation is bound at most once.
            if let Some(h) = *holder
                && !used[h]
            {
                used[h] = true;
                bindings.push(Binding {
                    installation_id: pool_id(h),
                    installation_name: InstallationName::new(format!("Install {h}")).unwrap(),
                    line: line_of(l),
                    bound_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
                });
            }
        }
        environments.push(SeedEnvironment {
            id: None,
            name: EnvironmentName::new(format!("Ambiente {n}")).unwrap(),
            kind: kind_of(kind),
            bindings,
        });
    }
    let id = match who {
        Some(i) => pool_id(i),
        None => InstallationId::new("me").unwrap(),
    };
    let (mut line, mut kind) = (line_of(line), kind_of(kind));
    if align {
        // Make the seeded binding, if any, a consistent one for this installation.
        for env in &environments {
            if let Some(b) = env.bindings.iter().find(|b| b.installation_id == id) {
                line = b.line;
                kind = env.kind;
            }
        }
    }
    Case {
        seed: Seed { environments },
        installation: Installation::new(
            id,
            InstallationName::new("Esta instalação").unwrap(),
            line,
            kind,
        ),
    }
}

fn case_strategy() -> impl Strategy<Value = Case> {
    let holder = prop::option::weighted(0.4, 0..POOL);
    let raw_env = (0..Kind::ALL.len(), [holder.clone(), holder.clone(), holder]);
    (
        prop::collection::vec(raw_env, 0..8),
        prop::option::weighted(0.6, 0..POOL),
        0..ErpLine::ALL.len(),
        0..Kind::ALL.len(),
        prop::bool::weighted(0.7),
    )
        .prop_map(|(envs, who, line, kind, align)| build_case(envs, who, line, kind, align))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn fresh(seed: &Seed) -> InMemoryPlatform {
    InMemoryPlatform::from_seed(seed).unwrap()
}

/// Binds through the platform as the wizard would for `choice`; checks the
/// result against what the classifier said.
async fn check_choice(case: &Case, choice: &EnvironmentChoice) -> Result<(), TestCaseError> {
    let platform = fresh(&case.seed);
    let me = &case.installation;
    // A platform built from the same seed lists the same environment (ids,
    // etags, bindings): the classified listing is still current.
    let listed = platform.environments();
    prop_assert!(listed.contains(&choice.environment));
    let env = &choice.environment;
    let target = match &choice.availability {
        Availability::Selectable | Availability::Regenerate => BindTarget::plain(env),
        Availability::NeedsTypedConfirmation { replaces } => {
            prop_assert_eq!(env.binding_for(me.line), Some(replaces));
            let confirmation = OverwriteConfirmation::new(env, env.name.as_str())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            BindTarget::overwrite(confirmation)
        }
        Availability::Unavailable { reason } => {
            let err = platform
                .bind(me, &BindTarget::plain(env))
                .await
                .expect_err("the platform must refuse what the classifier refuses");
            let expected = match reason {
                UnavailableReason::KindMismatch { .. } => ErrorCode::KindMismatch,
                UnavailableReason::InstallationBoundElsewhere => {
                    ErrorCode::InstallationBoundElsewhere
                }
            };
            prop_assert!(err.is(expected.clone()), "{:?} vs {:?}", err, expected);
            prop_assert_eq!(platform.environments(), listed, "a refusal changes nothing");
            return Ok(());
        }
    };
    let bound = platform
        .bind(me, &target)
        .await
        .map_err(|e| TestCaseError::fail(format!("{:?} refused: {e}", choice.availability)))?;
    prop_assert_eq!(
        bound.binding_for(me.line).map(|b| &b.installation_id),
        Some(&me.id)
    );
    // After it, the classifier sees the installation bound there, and the
    // platform issues and honours credentials.
    let after = platform
        .list_environments(me.line, &me.id)
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let again = classify(me, Some(&env.id), &after);
    prop_assert_eq!(
        again.scenario,
        Scenario::AlreadyBound {
            environment_id: env.id.clone()
        }
    );
    prop_assert!(!again.create_offered);
    let issued = platform
        .issue_credentials(&IssueCredentials {
            environment_id: env.id.clone(),
            installation_id: me.id.clone(),
            reuse_if_valid: true,
            idempotency_key: IdempotencyKey::new(),
        })
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    platform
        .verify_credentials(&issued.credentials)
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    if let Availability::NeedsTypedConfirmation { replaces } = &choice.availability {
        prop_assert!(
            platform
                .live_credentials(&replaces.installation_id)
                .is_none()
        );
        // And without the confirmation the platform would have refused.
        let plain = fresh(&case.seed).bind(me, &BindTarget::plain(env)).await;
        prop_assert!(matches!(plain, Err(ref e) if e.is(ErrorCode::BindingExists)));
    }
    Ok(())
}

proptest! {
    #[test]
    fn classifier_agrees_with_platform(case in case_strategy()) {
        let rt = runtime();
        let platform = fresh(&case.seed);
        let me = &case.installation;
        let listed = rt
            .block_on(platform.list_environments(me.line, &me.id))
            .map_err(|e: PlatformError| TestCaseError::fail(e.to_string()))?;
        let verdict = classify(me, None, &listed);

        match &verdict.scenario {
            Scenario::AlreadyBound { .. } => prop_assert!(!verdict.create_offered),
            Scenario::FirstBinding | Scenario::Replacement => {
                prop_assert!(verdict.create_offered)
            }
            Scenario::Inconsistent { reason } => {
                // A seed honouring R1/R2 is inconsistent only through this
                // installation's own binding (another line or another kind).
                prop_assert!(!verdict.create_offered);
                prop_assert!(verdict.choices.is_empty());
                prop_assert!(
                    matches!(
                        reason,
                        Inconsistency::BoundUnderOtherLine { .. }
                            | Inconsistency::BoundEnvironmentKindDiffers { .. }
                    ),
                    "unexpected inconsistency {:?}",
                    reason
                );
            }
        }
        if !matches!(verdict.scenario, Scenario::Inconsistent { .. }) {
            prop_assert_eq!(verdict.choices.len(), listed.len());
        }
        for choice in &verdict.choices {
            rt.block_on(check_choice(&case, choice))?;
        }
    }
}
