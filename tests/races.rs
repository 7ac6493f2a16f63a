//! Two administrators overwriting the same environment at the same moment.
//!
//! Each round, two installations of the same line that are bound nowhere
//! list the environment (held by a third installation of their line), both
//! type its name to confirm the overwrite, and both bind at once with the
//! etag of that same listing. Exactly one must win; the other must get a
//! typed conflict (`412 precondition_failed`, or `409 binding_exists`), and
//! what the platform stores afterwards must be the winner's binding: no lost
//! update, no credentials for the loser.
//!
//! Rounds: 1,000 against the in-memory platform and 1,000 over HTTP against
//! the sandbox by default; `SMARTLINK_LONG=1` runs 10,000 of each.

use std::sync::Arc;
use std::time::{Duration, Instant};

use smartlink_core::*;
use smartlink_core::{BindTarget, IssueCredentials, Platform, PlatformError};
use smartlink_sandbox::{InMemoryPlatform, Seed};
use smartlink_testkit::platforms::*;
use tokio::sync::Barrier;

const ENV_ID: &str = "env_race";
const ENV_NAME: &str = "Produção Disputada";

fn long() -> bool {
    std::env::var("SMARTLINK_LONG").is_ok_and(|v| v == "1")
}

/// One production environment whose Protheus line is held by `holder-0`.
fn race_seed() -> Seed {
    serde_json::from_value(serde_json::json!({"environments": [{
        "id": ENV_ID,
        "name": ENV_NAME,
        "kind": "production",
        "bindings": [{
            "installation_id": "holder-0",
            "installation_name": "Quem Tinha",
            "line": "protheus",
            "bound_at": "2025-01-01T00:00:00Z"
        }]
    }]}))
    .unwrap()
}

fn admin(round: usize, who: char) -> Installation {
    Installation::new(
        InstallationId::new(format!("admin-{who}-{round}")).unwrap(),
        InstallationName::new(format!("Admin {who} {round}")).unwrap(),
        ErpLine::Protheus,
        Kind::Production,
    )
}

/// What the admins saw and did in a race.
#[derive(Default, Debug)]
struct Tally {
    rounds: usize,
    wins_a: usize,
    wins_b: usize,
    precondition_failed: usize,
    binding_exists: usize,
}

/// Lists the environment as `installation` sees it and builds the overwrite
/// target the way the wizard does: the name typed back, the listed etag.
async fn overwrite_target(platform: &dyn Platform, installation: &Installation) -> BindTarget {
    let envs = platform
        .list_environments(installation.line, &installation.id)
        .await
        .unwrap();
    let env = envs.iter().find(|e| e.id.as_str() == ENV_ID).unwrap();
    let holder = env
        .binding_for(ErpLine::Protheus)
        .expect("the line is held");
    assert_ne!(holder.installation_id, installation.id);
    BindTarget::overwrite(OverwriteConfirmation::new(env, ENV_NAME).unwrap())
}

/// Runs `rounds` races. `platform_a`/`platform_b` are the two admins'
/// clients; `truth` is the platform's own state, for the checks.
async fn race(
    rounds: usize,
    platform_a: Arc<dyn Platform>,
    platform_b: Arc<dyn Platform>,
    truth: &InMemoryPlatform,
) -> Tally {
    let mut tally = Tally::default();
    let mut previous_holder = InstallationId::new("holder-0").unwrap();
    for round in 0..rounds {
        let (a, b) = (admin(round, 'a'), admin(round, 'b'));
        // Both list before either binds: the same etag in both targets.
        let target_a = overwrite_target(&*platform_a, &a).await;
        let target_b = overwrite_target(&*platform_b, &b).await;
        assert_eq!(target_a.etag(), target_b.etag(), "round {round}");
        let listed_etag = target_a.etag().clone();
        let issued_before = truth.credentials_issued();

        let barrier = Arc::new(Barrier::new(2));
        let bind = |platform: Arc<dyn Platform>, inst: Installation, target: BindTarget| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                platform.bind(&inst, &target).await
            })
        };
        // Alternate which task is spawned first, so neither side is favoured.
        let (task_a, task_b) = if round % 2 == 0 {
            let task_a = bind(platform_a.clone(), a.clone(), target_a);
            (task_a, bind(platform_b.clone(), b.clone(), target_b))
        } else {
            let task_b = bind(platform_b.clone(), b.clone(), target_b);
            (bind(platform_a.clone(), a.clone(), target_a), task_b)
        };
        let (result_a, result_b) = tokio::join!(task_a, task_b);
        let (result_a, result_b) = (result_a.unwrap(), result_b.unwrap());

        let (winner, winner_platform, bound, loser, loss) = match (result_a, result_b) {
            (Ok(env), Err(e)) => {
                tally.wins_a += 1;
                (&a, &platform_a, env, &b, e)
            }
            (Err(e), Ok(env)) => {
                tally.wins_b += 1;
                (&b, &platform_b, env, &a, e)
            }
            (Ok(_), Ok(_)) => panic!("round {round}: both admins won: an update was lost"),
            (Err(ea), Err(eb)) => panic!("round {round}: nobody won: {ea} / {eb}"),
        };
        match &loss {
            PlatformError::Api {
                code: ErrorCode::PreconditionFailed,
                ..
            } => tally.precondition_failed += 1,
            PlatformError::Api {
                code: ErrorCode::BindingExists,
                ..
            } => tally.binding_exists += 1,
            other => panic!("round {round}: the loser got {other:?}, not a typed conflict"),
        }
        assert!(loss.is_conflict(), "round {round}");

        // What the winner was told is what the platform holds.
        let stored = truth
            .environments()
            .into_iter()
            .find(|e| e.id.as_str() == ENV_ID)
            .unwrap();
        assert_ne!(stored.etag, listed_etag, "round {round}: the etag moved");
        assert_eq!(
            stored, bound,
            "round {round}: the winner's bind is the last write"
        );
        let holder = stored.binding_for(ErpLine::Protheus).unwrap();
        assert_eq!(holder.installation_id, winner.id, "round {round}");
        assert_eq!(holder.installation_name, winner.name, "round {round}");
        assert!(!stored.binds(&loser.id), "round {round}");
        assert_eq!(
            stored.bindings.len(),
            1,
            "round {round}: one binding per line"
        );

        // Credentials: the winner gets them, the loser cannot, the holder
        // that was overwritten lost its own.
        let issued = winner_platform
            .issue_credentials(&IssueCredentials {
                environment_id: stored.id.clone(),
                installation_id: winner.id.clone(),
                reuse_if_valid: true,
                idempotency_key: IdempotencyKey::new(),
            })
            .await
            .unwrap();
        assert!(!issued.reused, "round {round}");
        let loser_platform = if winner.id == a.id {
            &platform_b
        } else {
            &platform_a
        };
        let refused = loser_platform
            .issue_credentials(&IssueCredentials {
                environment_id: stored.id.clone(),
                installation_id: loser.id.clone(),
                reuse_if_valid: true,
                idempotency_key: IdempotencyKey::new(),
            })
            .await
            .expect_err("the loser is not bound");
        assert!(
            refused.is(ErrorCode::NotBound),
            "round {round}: {refused:?}"
        );
        assert!(truth.live_credentials(&loser.id).is_none(), "round {round}");
        assert!(
            truth.live_credentials(&previous_holder).is_none(),
            "round {round}: the overwritten holder's credentials are revoked"
        );
        assert_eq!(
            truth.credentials_issued(),
            issued_before + 1,
            "round {round}: one credential set issued, the winner's"
        );
        previous_holder = winner.id.clone();
        tally.rounds += 1;
    }
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_overwriting_one_environment_in_memory_one_wins_each_round() {
    let rounds = if long() { 10_000 } else { 1_000 };
    let platform = Arc::new(InMemoryPlatform::from_seed(&race_seed()).unwrap());
    let started = Instant::now();
    let tally = tokio::time::timeout(
        Duration::from_secs(600),
        race(rounds, platform.clone(), platform.clone(), &platform),
    )
    .await
    .expect("the races did not hang");
    eprintln!("in-memory races: {tally:?} in {:.2?}", started.elapsed());
    assert_eq!(tally.rounds, rounds);
    assert_eq!(tally.wins_a + tally.wins_b, rounds);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_overwriting_one_environment_over_http_one_wins_each_round() {
    let rounds = if long() { 10_000 } else { 1_000 };
    let sb = sandbox(&race_seed()).await;
    // Each admin has its own client (its own connections).
    let platform_a: Arc<dyn Platform> = http_platform(&sb.url());
    let platform_b: Arc<dyn Platform> = http_platform(&sb.url());
    let started = Instant::now();
    let tally = tokio::time::timeout(
        Duration::from_secs(600),
        race(rounds, platform_a, platform_b, sb.sandbox().platform()),
    )
    .await
    .expect("the races did not hang");
    eprintln!("HTTP races: {tally:?} in {:.2?}", started.elapsed());
    assert_eq!(tally.rounds, rounds);
    assert_eq!(tally.wins_a + tally.wins_b, rounds);
}
