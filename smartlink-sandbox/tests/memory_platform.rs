//! The in-memory platform against the contract (`docs/platform-api.md`).
//! The scenarios that go through the `Platform` trait run twice
//! (`on_both_platforms!`): on the platform itself and through
//! `HttpPlatform` against the sandbox serving it, so that the HTTP surface
//! keeps each rule (R1 to R3, overwrite, credentials, unbind) with the same
//! error codes.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use secrecy::ExposeSecret;
use smartlink_core::{
    BindTarget, Binding, CreateEnvironment, Environment, EnvironmentId, EnvironmentName, ErpLine,
    ErrorCode, IdempotencyKey, Installation, InstallationId, InstallationName, IssueCredentials,
    Kind, OverwriteConfirmation, Platform, PlatformError, Unbind,
};
use smartlink_sandbox::memory::wire::{BindBody, Page};
use smartlink_sandbox::{InMemoryPlatform, Seed};
use smartlink_sandbox::{Operation, SeedEnvironment};
use smartlink_testkit::on_both_platforms;
use smartlink_testkit::platforms::{Reach, TestPlatform};

fn iid(id: &str) -> InstallationId {
    InstallationId::new(id).unwrap()
}

fn inst(id: &str, line: ErpLine, kind: Kind) -> Installation {
    Installation::new(
        iid(id),
        InstallationName::new(format!("Install {id}")).unwrap(),
        line,
        kind,
    )
}

fn binding(id: &str, line: ErpLine) -> Binding {
    Binding {
        installation_id: iid(id),
        installation_name: InstallationName::new(format!("Install {id}")).unwrap(),
        line,
        bound_at: Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap(),
    }
}

fn seed_env(id: &str, name: &str, kind: Kind, bindings: Vec<Binding>) -> SeedEnvironment {
    SeedEnvironment {
        id: Some(EnvironmentId::new(id).unwrap()),
        name: EnvironmentName::new(name).unwrap(),
        kind,
        bindings,
    }
}

fn platform(envs: Vec<SeedEnvironment>) -> InMemoryPlatform {
    InMemoryPlatform::from_seed(&Seed { environments: envs }).unwrap()
}

/// The platform seeded with `envs`, its contract reached as `reach` says
/// (`client`: the platform itself, or `HttpPlatform` to the sandbox
/// serving it); derefs to the platform for inspection.
async fn served(reach: Reach, envs: Vec<SeedEnvironment>) -> TestPlatform {
    TestPlatform::start(reach, &Seed { environments: envs }).await
}

fn env(p: &InMemoryPlatform, id: &str) -> Environment {
    p.environments()
        .into_iter()
        .find(|e| e.id.as_str() == id)
        .unwrap()
}

fn body(i: &Installation, overwrite: bool) -> BindBody {
    BindBody {
        installation_id: i.id.clone(),
        installation_name: i.name.clone(),
        installation_kind: i.kind,
        overwrite,
    }
}

fn code<T: Debug>(result: Result<T, PlatformError>) -> ErrorCode {
    result
        .unwrap_err()
        .api_code()
        .cloned()
        .expect("an API error")
}

fn issue(id: &str, installation: &InstallationId, reuse: bool) -> IssueCredentials {
    IssueCredentials {
        environment_id: EnvironmentId::new(id).unwrap(),
        installation_id: installation.clone(),
        reuse_if_valid: reuse,
        idempotency_key: IdempotencyKey::new(),
    }
}

type SharedTime = Arc<Mutex<DateTime<Utc>>>;

fn manual_clock(p: InMemoryPlatform) -> (InMemoryPlatform, SharedTime) {
    let time = Arc::new(Mutex::new(
        Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap(),
    ));
    let t = time.clone();
    (p.with_clock(Arc::new(move || *t.lock().unwrap())), time)
}

fn advance(time: &SharedTime, by: TimeDelta) {
    let mut t = time.lock().unwrap();
    *t += by;
}

async fn r1_installation_bound_elsewhere_refused(reach: Reach) {
    let p = served(
        reach,
        vec![
            seed_env(
                "env_a",
                "A",
                Kind::Production,
                vec![binding("inst-1", ErpLine::Protheus)],
            ),
            seed_env("env_b", "B", Kind::Production, vec![]),
        ],
    )
    .await;
    let me = inst("inst-1", ErpLine::Protheus, Kind::Production);
    let b = env(&p, "env_b");
    let err = p.client.bind(&me, &BindTarget::plain(&b)).await;
    assert_eq!(code(err), ErrorCode::InstallationBoundElsewhere);
    // Even a confirmed overwrite does not let an installation hold two environments.
    let confirm = OverwriteConfirmation::new(&b, "B").unwrap();
    let err = p.client.bind(&me, &BindTarget::overwrite(confirm)).await;
    assert_eq!(code(err), ErrorCode::InstallationBoundElsewhere);
    // Nor the same environment under another line.
    let a = env(&p, "env_a");
    let err = p.endpoints().bind(
        "env_a",
        ErpLine::Rm,
        &body(&me, false),
        Some(a.etag.as_str()),
    );
    assert_eq!(code(err), ErrorCode::InstallationBoundElsewhere);
    assert!(env(&p, "env_b").bindings.is_empty());
    assert_eq!(env(&p, "env_a").bindings.len(), 1);
}

async fn r2_second_installation_same_line_refused_without_overwrite(reach: Reach) {
    let p = served(
        reach,
        vec![seed_env(
            "env_a",
            "A",
            Kind::Production,
            vec![binding("inst-1", ErpLine::Protheus)],
        )],
    )
    .await;
    let before = env(&p, "env_a");
    let other = inst("inst-2", ErpLine::Protheus, Kind::Production);
    let err = p.client.bind(&other, &BindTarget::plain(&before)).await;
    assert_eq!(code(err), ErrorCode::BindingExists);
    assert_eq!(env(&p, "env_a"), before, "a refused bind changes nothing");
}

async fn r2_lines_share_environments(reach: Reach) {
    let p = served(
        reach,
        vec![seed_env(
            "env_a",
            "A",
            Kind::Production,
            vec![binding("inst-p", ErpLine::Protheus)],
        )],
    )
    .await;
    let rm = inst("inst-rm", ErpLine::Rm, Kind::Production);
    let ds = inst("inst-ds", ErpLine::Datasul, Kind::Production);
    let after_rm = p
        .client
        .bind(&rm, &BindTarget::plain(&env(&p, "env_a")))
        .await
        .unwrap();
    assert_eq!(after_rm.bindings.len(), 2);
    let after_ds = p
        .client
        .bind(&ds, &BindTarget::plain(&after_rm))
        .await
        .unwrap();
    assert_eq!(after_ds.bindings.len(), 3);
    for (line, id) in [
        (ErpLine::Protheus, "inst-p"),
        (ErpLine::Rm, "inst-rm"),
        (ErpLine::Datasul, "inst-ds"),
    ] {
        assert_eq!(
            after_ds.binding_for(line).unwrap().installation_id.as_str(),
            id
        );
    }
    assert_eq!(env(&p, "env_a"), after_ds);
}

async fn r3_kind_mismatch_refused(reach: Reach) {
    let p = served(
        reach,
        vec![seed_env("env_a", "A", Kind::Production, vec![])],
    )
    .await;
    let hom = inst("inst-h", ErpLine::Protheus, Kind::Homologation);
    let err = p
        .client
        .bind(&hom, &BindTarget::plain(&env(&p, "env_a")))
        .await;
    let err = err.unwrap_err();
    assert!(err.is(ErrorCode::KindMismatch));
    assert!(matches!(err, PlatformError::Api { status: 422, .. }));
    assert!(env(&p, "env_a").bindings.is_empty());
}

async fn idempotent_repeat_succeeds_with_stale_etag(reach: Reach) {
    let p = served(
        reach,
        vec![seed_env("env_a", "A", Kind::Production, vec![])],
    )
    .await;
    let me = inst("inst-1", ErpLine::Protheus, Kind::Production);
    let listed = env(&p, "env_a");
    let bound = p
        .client
        .bind(&me, &BindTarget::plain(&listed))
        .await
        .unwrap();
    assert_ne!(bound.etag, listed.etag, "binding changes the etag");
    // Retry with the now stale etag (the first response was lost): 200, unchanged.
    let again = p
        .client
        .bind(&me, &BindTarget::plain(&listed))
        .await
        .unwrap();
    assert_eq!(again, bound);
    // Even without If-Match.
    let raw = p
        .endpoints()
        .bind("env_a", ErpLine::Protheus, &body(&me, false), None)
        .unwrap();
    assert_eq!(raw, bound);
    // A renamed installation: the name is updated, which changes the etag.
    let mut renamed = me.clone();
    renamed.name = InstallationName::new("Filial São Paulo").unwrap();
    let updated = p
        .client
        .bind(&renamed, &BindTarget::plain(&listed))
        .await
        .unwrap();
    assert_ne!(updated.etag, bound.etag);
    let b = updated.binding_for(ErpLine::Protheus).unwrap();
    assert_eq!(b.installation_name.as_str(), "Filial São Paulo");
    assert_eq!(
        b.bound_at,
        bound.binding_for(ErpLine::Protheus).unwrap().bound_at
    );
}

#[test]
fn bind_without_if_match_is_428() {
    let p = platform(vec![seed_env("env_a", "A", Kind::Production, vec![])]);
    let me = inst("inst-1", ErpLine::Protheus, Kind::Production);
    let err = p
        .endpoints()
        .bind("env_a", ErpLine::Protheus, &body(&me, false), None);
    let err = err.unwrap_err();
    assert!(err.is(ErrorCode::PreconditionRequired));
    assert!(matches!(err, PlatformError::Api { status: 428, .. }));
    // 404 comes first.
    let err = p
        .endpoints()
        .bind("env_zz", ErpLine::Protheus, &body(&me, false), None);
    assert_eq!(code(err), ErrorCode::NotFound);
    // 428 comes before the kind check.
    let hom = inst("inst-2", ErpLine::Protheus, Kind::Homologation);
    let err = p
        .endpoints()
        .bind("env_a", ErpLine::Protheus, &body(&hom, false), None);
    assert_eq!(code(err), ErrorCode::PreconditionRequired);
}

#[test]
fn stale_etag_is_412() {
    let p = platform(vec![seed_env("env_a", "A", Kind::Production, vec![])]);
    let rm = inst("inst-rm", ErpLine::Rm, Kind::Production);
    let stale = env(&p, "env_a");
    p.endpoints()
        .bind(
            "env_a",
            ErpLine::Rm,
            &body(&rm, false),
            Some(stale.etag.as_str()),
        )
        .unwrap();
    let me = inst("inst-1", ErpLine::Protheus, Kind::Production);
    let err = p.endpoints().bind(
        "env_a",
        ErpLine::Protheus,
        &body(&me, false),
        Some(stale.etag.as_str()),
    );
    let err = err.unwrap_err();
    assert!(err.is(ErrorCode::PreconditionFailed));
    assert!(matches!(err, PlatformError::Api { status: 412, .. }));
    // 412 comes before the kind check, and an etag of another environment never matches.
    let err = p.endpoints().bind(
        "env_a",
        ErpLine::Protheus,
        &body(&me, false),
        Some("\"999\""),
    );
    assert_eq!(code(err), ErrorCode::PreconditionFailed);
    let fresh = env(&p, "env_a");
    p.endpoints()
        .bind(
            "env_a",
            ErpLine::Protheus,
            &body(&me, false),
            Some(fresh.etag.as_str()),
        )
        .unwrap();
}

async fn overwrite_revokes_old_credentials(reach: Reach) {
    let p = served(
        reach,
        vec![seed_env("env_a", "Produção", Kind::Production, vec![])],
    )
    .await;
    let old = inst("inst-old", ErpLine::Protheus, Kind::Production);
    let bound = p
        .client
        .bind(&old, &BindTarget::plain(&env(&p, "env_a")))
        .await
        .unwrap();
    let old_creds = p
        .client
        .issue_credentials(&issue("env_a", &old.id, true))
        .await
        .unwrap()
        .credentials;
    p.client.verify_credentials(&old_creds).await.unwrap();

    let new = inst("inst-new", ErpLine::Protheus, Kind::Production);
    let confirm = OverwriteConfirmation::new(&bound, "Produção").unwrap();
    let taken = p
        .client
        .bind(&new, &BindTarget::overwrite(confirm))
        .await
        .unwrap();
    assert_eq!(taken.bindings.len(), 1);
    assert_eq!(
        taken
            .binding_for(ErpLine::Protheus)
            .unwrap()
            .installation_id,
        new.id
    );
    assert_eq!(
        code(p.client.verify_credentials(&old_creds).await),
        ErrorCode::InvalidClient
    );
    assert!(p.live_credentials(&old.id).is_none());
    assert_eq!(
        code(
            p.client
                .issue_credentials(&issue("env_a", &old.id, true))
                .await
        ),
        ErrorCode::NotBound
    );
    // An overwrite with a confirmation typed for an older state is 412.
    let stale = OverwriteConfirmation::new(&bound, "Produção").unwrap();
    let third = inst("inst-3", ErpLine::Protheus, Kind::Production);
    assert_eq!(
        code(p.client.bind(&third, &BindTarget::overwrite(stale)).await),
        ErrorCode::PreconditionFailed
    );
}

#[tokio::test]
async fn idempotency_key_replayed_and_reused_with_other_body_rejected() {
    let p = platform(vec![]);
    let key = IdempotencyKey::new();
    let req = CreateEnvironment {
        name: EnvironmentName::new("Produção").unwrap(),
        kind: Kind::Production,
        idempotency_key: key,
    };
    let first = p.create_environment(&req).await.unwrap();
    let replay = p.create_environment(&req).await.unwrap();
    assert_eq!(first, replay);
    assert_eq!(p.environments().len(), 1);
    let other_body = p.endpoints().create("Outro", Kind::Production, key);
    assert_eq!(code(other_body), ErrorCode::IdempotencyKeyReused);
    let other_kind = p.endpoints().create("Produção", Kind::Development, key);
    assert_eq!(code(other_kind), ErrorCode::IdempotencyKeyReused);

    // Errors are stored and replayed too.
    let denied = IdempotencyKey::new();
    p.set_can_create(false);
    assert_eq!(
        code(p.endpoints().create("Dev", Kind::Development, denied)),
        ErrorCode::Forbidden
    );
    p.set_can_create(true);
    assert_eq!(
        code(p.endpoints().create("Dev", Kind::Development, denied)),
        ErrorCode::Forbidden
    );
    assert_eq!(p.environments().len(), 1);

    // Keys are scoped per operation: the create key can serve an issue.
    let me = inst("inst-1", ErpLine::Protheus, Kind::Production);
    p.bind(&me, &BindTarget::plain(&first)).await.unwrap();
    let issue_req = IssueCredentials {
        environment_id: first.id.clone(),
        installation_id: me.id.clone(),
        reuse_if_valid: false,
        idempotency_key: key,
    };
    let creds = p.issue_credentials(&issue_req).await.unwrap();
    let again = p.issue_credentials(&issue_req).await.unwrap();
    assert_eq!(creds, again);
    assert!(!again.reused);
    assert_eq!(p.credentials_issued(), 1);
    let mut changed = issue_req.clone();
    changed.reuse_if_valid = true;
    assert_eq!(
        code(p.issue_credentials(&changed).await),
        ErrorCode::IdempotencyKeyReused
    );
}

#[test]
fn idempotency_record_expires_after_24h() {
    let (p, time) = manual_clock(InMemoryPlatform::new());
    let key = IdempotencyKey::new();
    let a = p.endpoints().create("A", Kind::Production, key).unwrap();
    advance(&time, TimeDelta::hours(24) - TimeDelta::seconds(1));
    assert_eq!(p.endpoints().create("A", Kind::Production, key).unwrap(), a);
    assert_eq!(
        code(p.endpoints().create("B", Kind::Production, key)),
        ErrorCode::IdempotencyKeyReused
    );
    advance(&time, TimeDelta::seconds(1));
    // Forgotten: the same body is a new request (and the name is now taken) ...
    assert_eq!(
        code(p.endpoints().create("A", Kind::Production, key)),
        ErrorCode::NameTaken
    );
    // ... and that answer is the new record, which again lives 24 h.
    advance(&time, TimeDelta::hours(24));
    let b = p.endpoints().create("B", Kind::Production, key).unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(p.environments().len(), 2);
}

async fn reuse_if_valid_returns_same_credentials(reach: Reach) {
    let p = served(
        reach,
        vec![seed_env(
            "env_a",
            "A",
            Kind::Production,
            vec![binding("inst-1", ErpLine::Protheus)],
        )],
    )
    .await;
    let id = iid("inst-1");
    let first = p
        .client
        .issue_credentials(&issue("env_a", &id, true))
        .await
        .unwrap();
    assert!(!first.reused, "nothing to reuse yet");
    assert!(first.credentials.secret().len() >= 32);
    assert_eq!(first.credentials.environment_id.as_str(), "env_a");
    let second = p
        .client
        .issue_credentials(&issue("env_a", &id, true))
        .await
        .unwrap();
    assert!(second.reused);
    assert_eq!(second.credentials, first.credentials);
    assert_eq!(p.credentials_issued(), 1);
    // Without reuse, a new set, and the old one is revoked.
    let third = p
        .client
        .issue_credentials(&issue("env_a", &id, false))
        .await
        .unwrap();
    assert!(!third.reused);
    assert!(!third.credentials.same_as(&first.credentials));
    assert_eq!(third.credentials.tenant_id, first.credentials.tenant_id);
    assert_eq!(p.credentials_issued(), 2);
    assert_eq!(
        code(p.client.verify_credentials(&first.credentials).await),
        ErrorCode::InvalidClient
    );
    p.client
        .verify_credentials(&third.credentials)
        .await
        .unwrap();
    assert_eq!(p.live_credentials(&id).unwrap(), third.credentials);
    // 404 and 409 not_bound.
    assert_eq!(
        code(
            p.client
                .issue_credentials(&issue("env_zz", &id, true))
                .await
        ),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(
            p.client
                .issue_credentials(&issue("env_a", &iid("inst-2"), true))
                .await
        ),
        ErrorCode::NotBound
    );
}

#[tokio::test]
async fn expired_or_revoked_credentials_replaced() {
    let seed = platform(vec![seed_env(
        "env_a",
        "A",
        Kind::Production,
        vec![binding("inst-1", ErpLine::Protheus)],
    )]);
    let (p, time) = manual_clock(seed);
    p.set_credential_lifetime(Some(TimeDelta::days(1)));
    let id = iid("inst-1");
    let first = p
        .issue_credentials(&issue("env_a", &id, true))
        .await
        .unwrap();
    let now = *time.lock().unwrap();
    assert_eq!(first.credentials.expires_at, Some(now + TimeDelta::days(1)));
    advance(&time, TimeDelta::days(1));
    assert_eq!(
        code(p.verify_credentials(&first.credentials).await),
        ErrorCode::InvalidClient
    );
    let second = p
        .issue_credentials(&issue("env_a", &id, true))
        .await
        .unwrap();
    assert!(!second.reused, "expired credentials are not reused");
    p.verify_credentials(&second.credentials).await.unwrap();

    p.revoke_credentials(&id);
    assert!(p.live_credentials(&id).is_none());
    assert_eq!(
        code(p.verify_credentials(&second.credentials).await),
        ErrorCode::InvalidClient
    );
    p.set_credential_lifetime(None);
    let third = p
        .issue_credentials(&issue("env_a", &id, true))
        .await
        .unwrap();
    assert!(!third.reused, "revoked credentials are not reused");
    assert_eq!(third.credentials.expires_at, None);
    advance(&time, TimeDelta::days(3650));
    p.verify_credentials(&third.credentials).await.unwrap();
    assert_eq!(p.credentials_issued(), 3);
}

#[tokio::test]
async fn paging_follows_cursor() {
    let envs = (0..1234)
        .map(|i| SeedEnvironment {
            id: None,
            name: EnvironmentName::new(format!("Env {i}")).unwrap(),
            kind: Kind::ALL[i % Kind::ALL.len()],
            bindings: vec![],
        })
        .collect();
    let p = platform(envs);
    p.set_page_size(100);
    let me = iid("inst-1");
    let all = p.list_environments(ErpLine::Protheus, &me).await.unwrap();
    assert_eq!(all.len(), 1234);
    assert_eq!(all, p.environments());
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.name.as_str(), format!("Env {i}"));
        assert_eq!(e.id.as_str(), format!("env_{}", i + 1));
    }
    assert_eq!(p.calls(Operation::List), 13);

    let first: Page = p.endpoints().list(ErpLine::Rm, &me, None).unwrap();
    assert_eq!(first.environments.len(), 100);
    let json = serde_json::to_value(&first).unwrap();
    assert!(json["next_cursor"].is_string());
    let mut cursor = first.next_cursor;
    let mut last = None;
    while let Some(c) = cursor {
        let page = p.endpoints().list(ErpLine::Rm, &me, Some(&c)).unwrap();
        cursor = page.next_cursor.clone();
        last = Some(page);
    }
    let last = last.unwrap();
    assert_eq!(last.environments.len(), 34);
    assert!(serde_json::to_value(&last).unwrap()["next_cursor"].is_null());

    for bad in ["bogus", "", "c", "c-1", "c99999", "c1x"] {
        assert_eq!(
            code(p.endpoints().list(ErpLine::Rm, &me, Some(bad))),
            ErrorCode::InvalidRequest,
            "cursor {bad:?}"
        );
    }
    // The default page size is the contract's 500.
    let q = InMemoryPlatform::new();
    for i in 0..501 {
        q.endpoints()
            .create(&format!("E{i}"), Kind::Custom, IdempotencyKey::new())
            .unwrap();
    }
    assert_eq!(
        q.endpoints()
            .list(ErpLine::Rm, &me, None)
            .unwrap()
            .environments
            .len(),
        500
    );
}

#[test]
fn name_taken_case_insensitive() {
    let p = InMemoryPlatform::new();
    let created = p
        .endpoints()
        .create(" Produção ", Kind::Production, IdempotencyKey::new())
        .unwrap();
    assert_eq!(created.name.as_str(), "Produção");
    assert!(created.bindings.is_empty());
    assert_eq!(created.kind, Kind::Production);
    for taken in ["PRODUÇÃO", "produção", "Produção", "Produc\u{327}a\u{303}o"] {
        let err = p
            .endpoints()
            .create(taken, Kind::Development, IdempotencyKey::new());
        let err = err.unwrap_err();
        assert!(err.is(ErrorCode::NameTaken), "{taken}");
        assert!(matches!(err, PlatformError::Api { status: 409, .. }));
    }
    for invalid in ["", "   ", "a\nb", "123456789012345678901"] {
        assert_eq!(
            code(
                p.endpoints()
                    .create(invalid, Kind::Development, IdempotencyKey::new())
            ),
            ErrorCode::InvalidName,
            "{invalid:?}"
        );
    }
    assert_eq!(p.environments().len(), 1);
}

async fn create_forbidden(reach: Reach) {
    let p = served(reach, vec![]).await;
    p.set_can_create(false);
    let req = CreateEnvironment {
        name: EnvironmentName::new("Dev").unwrap(),
        kind: Kind::Development,
        idempotency_key: IdempotencyKey::new(),
    };
    let err = p.client.create_environment(&req).await.unwrap_err();
    assert!(err.is(ErrorCode::Forbidden));
    assert!(matches!(err, PlatformError::Api { status: 403, .. }));
    assert!(p.environments().is_empty());
    p.set_can_create(true);
    let mut fresh = req.clone();
    fresh.idempotency_key = IdempotencyKey::new();
    p.client.create_environment(&fresh).await.unwrap();
}

#[tokio::test]
async fn fail_next_and_fail_after_next_hooks() {
    let p = platform(vec![seed_env("env_a", "A", Kind::Production, vec![])]);
    let unavailable = PlatformError::api(ErrorCode::Unavailable);
    let me = inst("inst-1", ErpLine::Protheus, Kind::Production);
    let target = BindTarget::plain(&env(&p, "env_a"));

    // fail_next: queued FIFO, nothing is done.
    p.fail_next(Operation::Bind, unavailable.clone());
    p.fail_next(Operation::Bind, PlatformError::api(ErrorCode::RateLimited));
    assert_eq!(code(p.bind(&me, &target).await), ErrorCode::Unavailable);
    assert_eq!(code(p.bind(&me, &target).await), ErrorCode::RateLimited);
    assert!(env(&p, "env_a").bindings.is_empty());
    p.bind(&me, &target).await.unwrap();
    assert_eq!(p.calls(Operation::Bind), 3);

    // fail_after_next: the work is done, the answer lost; the keyed retry replays it.
    let key = IdempotencyKey::new();
    p.fail_after_next(Operation::Create, unavailable.clone());
    assert_eq!(
        code(p.endpoints().create("B", Kind::Production, key)),
        ErrorCode::Unavailable
    );
    assert_eq!(p.environments().len(), 2);
    let replayed = p.endpoints().create("B", Kind::Production, key).unwrap();
    assert_eq!(p.environments().len(), 2, "no duplicate environment");
    assert_eq!(replayed, env(&p, replayed.id.as_str()));

    let req = issue("env_a", &me.id, true);
    p.fail_after_next(Operation::Issue, unavailable.clone());
    assert!(p.issue_credentials(&req).await.is_err());
    let creds = p.issue_credentials(&req).await.unwrap();
    assert!(!creds.reused);
    assert_eq!(p.credentials_issued(), 1);
    assert_eq!(p.live_credentials(&me.id).unwrap(), creds.credentials);

    // Verify, List and Unbind obey the hooks too.
    p.fail_next(Operation::Verify, unavailable.clone());
    assert!(p.verify_credentials(&creds.credentials).await.is_err());
    p.verify_credentials(&creds.credentials).await.unwrap();
    p.fail_next(Operation::List, PlatformError::Cancelled);
    assert_eq!(
        p.list_environments(ErpLine::Protheus, &me.id).await,
        Err(PlatformError::Cancelled)
    );
    let a = env(&p, "env_a");
    p.fail_after_next(Operation::Unbind, unavailable);
    let unbind = Unbind {
        environment_id: a.id.clone(),
        line: ErpLine::Protheus,
        installation_id: me.id.clone(),
        etag: a.etag.clone(),
    };
    assert!(p.unbind(&unbind).await.is_err());
    assert!(env(&p, "env_a").bindings.is_empty(), "the unbind was done");
    assert_eq!(p.calls(Operation::Create), 2);
    assert_eq!(p.calls(Operation::Issue), 2);
    assert_eq!(p.calls(Operation::Verify), 2);
    assert_eq!(p.calls(Operation::List), 1);
    assert_eq!(p.calls(Operation::Unbind), 1);
}

async fn unbind_checks_and_revokes(reach: Reach) {
    let p = served(
        reach,
        vec![seed_env(
            "env_a",
            "A",
            Kind::Production,
            vec![
                binding("inst-1", ErpLine::Protheus),
                binding("inst-2", ErpLine::Rm),
            ],
        )],
    )
    .await;
    let id = iid("inst-1");
    let creds = p
        .client
        .issue_credentials(&issue("env_a", &id, true))
        .await
        .unwrap();
    let etag = env(&p, "env_a").etag;
    assert_eq!(
        code(
            p.endpoints()
                .unbind("env_zz", ErpLine::Protheus, &id, Some(etag.as_str()))
        ),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(p.endpoints().unbind("env_a", ErpLine::Protheus, &id, None)),
        ErrorCode::PreconditionRequired
    );
    assert_eq!(
        code(
            p.endpoints()
                .unbind("env_a", ErpLine::Protheus, &id, Some("\"0\""))
        ),
        ErrorCode::PreconditionFailed
    );
    assert_eq!(
        code(
            p.endpoints()
                .unbind("env_a", ErpLine::Rm, &id, Some(etag.as_str()))
        ),
        ErrorCode::NotBound
    );
    assert_eq!(
        code(
            p.endpoints()
                .unbind("env_a", ErpLine::Datasul, &id, Some(etag.as_str()))
        ),
        ErrorCode::NotBound
    );
    p.endpoints()
        .unbind("env_a", ErpLine::Protheus, &id, Some(etag.as_str()))
        .unwrap();
    let after = env(&p, "env_a");
    assert_ne!(after.etag, etag);
    assert!(after.binding_for(ErpLine::Protheus).is_none());
    assert!(after.binding_for(ErpLine::Rm).is_some());
    assert_eq!(
        code(p.client.verify_credentials(&creds.credentials).await),
        ErrorCode::InvalidClient
    );
}

#[tokio::test]
async fn snapshot_round_trip() {
    let p = platform(vec![seed_env("env_a", "A", Kind::Production, vec![])]);
    p.set_page_size(7);
    p.set_can_create(false);
    let me = inst("inst-1", ErpLine::Protheus, Kind::Production);
    p.bind(&me, &BindTarget::plain(&env(&p, "env_a")))
        .await
        .unwrap();
    let req = issue("env_a", &me.id, false);
    let creds = p.issue_credentials(&req).await.unwrap();

    // Through text, as the sandbox persists it.
    let text = serde_json::to_string(&p.snapshot()).unwrap();
    let q = InMemoryPlatform::restore(&serde_json::from_str(&text).unwrap()).unwrap();
    assert_eq!(q.environments(), p.environments());
    assert_eq!(q.credentials_issued(), 1);
    assert_eq!(q.live_credentials(&me.id).unwrap(), creds.credentials);
    q.verify_credentials(&creds.credentials).await.unwrap();
    // Idempotency records survive: the same key replays the same secret.
    assert_eq!(q.issue_credentials(&req).await.unwrap(), creds);
    assert_eq!(q.credentials_issued(), 1);
    // Settings survive; counters do not.
    assert_eq!(
        code(
            q.endpoints()
                .create("B", Kind::Production, IdempotencyKey::new())
        ),
        ErrorCode::Forbidden
    );
    assert_eq!(q.calls(Operation::Bind), 0);
    // New etags and ids continue after the restored ones.
    let a = env(&q, "env_a");
    let other = inst("inst-rm", ErpLine::Rm, Kind::Production);
    let rebound = q.bind(&other, &BindTarget::plain(&a)).await.unwrap();
    assert!(!p.environments().iter().any(|e| e.etag == rebound.etag));

    for bad in [
        serde_json::json!(null),
        serde_json::json!({"version": 1}),
        serde_json::json!([1, 2, 3]),
    ] {
        assert!(matches!(
            InMemoryPlatform::restore(&bad),
            Err(PlatformError::InvalidInput(_))
        ));
    }
    let mut wrong_version = p.snapshot();
    wrong_version["version"] = serde_json::json!(99);
    assert!(InMemoryPlatform::restore(&wrong_version).is_err());
}

#[tokio::test]
async fn restore_errors_quote_no_value_of_the_snapshot() {
    let p = platform(vec![seed_env("env_a", "A", Kind::Production, vec![])]);
    let me = inst("inst-1", ErpLine::Protheus, Kind::Production);
    p.bind(&me, &BindTarget::plain(&env(&p, "env_a")))
        .await
        .unwrap();
    let creds = p
        .issue_credentials(&issue("env_a", &me.id, false))
        .await
        .unwrap();
    let secret = creds.credentials.client_secret.expose_secret().to_owned();
    let snapshot = p.snapshot();
    // The secret moved into places where it has the wrong type or is no
    // valid value: serde's own messages would quote it.
    let mut cases = Vec::new();
    for pointer in ["/page_size", "/version", "/environments/0/kind"] {
        let mut bad = snapshot.clone();
        *bad.pointer_mut(pointer).unwrap() = serde_json::json!(secret);
        cases.push((pointer, bad));
    }
    for (pointer, bad) in &cases {
        let message = match InMemoryPlatform::restore(bad) {
            Err(PlatformError::InvalidInput(message)) => message,
            other => panic!("{pointer}: {:?}", other.map(|_| ())),
        };
        assert!(!message.contains(&secret), "{pointer}: {message}");
        assert!(
            message.starts_with("snapshot: unexpected content at line "),
            "{pointer}: {message}"
        );
        let text = serde_json::to_string_pretty(bad).unwrap();
        let message = match InMemoryPlatform::restore_json(text.as_bytes()) {
            Err(PlatformError::InvalidInput(message)) => message,
            other => panic!("{pointer}: {:?}", other.map(|_| ())),
        };
        assert!(!message.contains(&secret), "{pointer}: {message}");
        // The position is the line where the secret replaced the value.
        let key = pointer.rsplit('/').next().unwrap();
        let line = text
            .lines()
            .position(|l| l.contains(&format!("\"{key}\": \"{secret}\"")))
            .unwrap()
            + 1;
        assert!(
            message.contains(&format!("at line {line} column ")),
            "{pointer}: {message}"
        );
    }
    // Broken JSON text: a syntax error, by position.
    let message = match InMemoryPlatform::restore_json(format!("{{\"x\": {secret}").as_bytes()) {
        Err(PlatformError::InvalidInput(message)) => message,
        other => panic!("{:?}", other.map(|_| ())),
    };
    assert!(!message.contains(&secret), "{message}");
}

async fn token_rejects_wrong_secret(reach: Reach) {
    let p = served(
        reach,
        vec![seed_env(
            "env_a",
            "A",
            Kind::Production,
            vec![binding("inst-1", ErpLine::Protheus)],
        )],
    )
    .await;
    let creds = p
        .client
        .issue_credentials(&issue("env_a", &iid("inst-1"), true))
        .await
        .unwrap()
        .credentials;
    let token = p
        .endpoints()
        .token(creds.client_id.as_str(), creds.secret())
        .unwrap();
    assert_eq!(token.token_type.as_deref(), Some("Bearer"));
    assert_eq!(token.expires_in, Some(3600));
    assert!(!format!("{token:?}").contains(&token.access_token));

    let wrong = format!("{}x", creds.secret());
    let err = p
        .endpoints()
        .token(creds.client_id.as_str(), &wrong)
        .unwrap_err();
    assert!(err.is(ErrorCode::InvalidClient));
    assert!(matches!(err, PlatformError::Api { status: 401, .. }));
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(creds.secret()) && !shown.contains(&wrong));
    assert_eq!(
        code(p.endpoints().token("cli_unknown", creds.secret())),
        ErrorCode::InvalidClient
    );
    assert_eq!(
        code(p.endpoints().token(creds.client_id.as_str(), "")),
        ErrorCode::InvalidClient
    );
    assert_eq!(p.token_attempts_with_secret(creds.secret()), 2);
    assert_eq!(p.token_attempts_with_secret(&wrong), 1);
    assert_eq!(p.token_attempts_with_secret("never"), 0);
    assert_eq!(p.calls(Operation::Verify), 4);
}

#[test]
fn seed_breaking_r1_or_r2_is_refused() {
    let r1 = InMemoryPlatform::from_seed(&Seed {
        environments: vec![
            seed_env(
                "env_a",
                "A",
                Kind::Production,
                vec![binding("i", ErpLine::Protheus)],
            ),
            seed_env(
                "env_b",
                "B",
                Kind::Production,
                vec![binding("i", ErpLine::Protheus)],
            ),
        ],
    });
    assert!(matches!(r1, Err(PlatformError::InvalidInput(_))));
    let r2 = InMemoryPlatform::from_seed(&Seed {
        environments: vec![seed_env(
            "env_a",
            "A",
            Kind::Production,
            vec![binding("i", ErpLine::Rm), binding("j", ErpLine::Rm)],
        )],
    });
    assert!(matches!(r2, Err(PlatformError::InvalidInput(_))));
    let same_name = InMemoryPlatform::from_seed(&Seed {
        environments: vec![
            seed_env("env_a", "Prod", Kind::Production, vec![]),
            seed_env("env_b", "PROD", Kind::Production, vec![]),
        ],
    });
    assert!(same_name.is_err());
    // Seeds parse from JSON; ids are generated around the given ones.
    let seed: Seed = serde_json::from_str(
        r#"{"environments":[{"name":"X","kind":"custom"},{"id":"env_1","name":"Y","kind":"custom"}]}"#,
    )
    .unwrap();
    let p = InMemoryPlatform::from_seed(&seed).unwrap();
    let ids: Vec<String> = p.environments().iter().map(|e| e.id.to_string()).collect();
    assert_eq!(ids, ["env_2", "env_1"]);
}

on_both_platforms!(
    r1_installation_bound_elsewhere_refused,
    r2_second_installation_same_line_refused_without_overwrite,
    r2_lines_share_environments,
    r3_kind_mismatch_refused,
    idempotent_repeat_succeeds_with_stale_etag,
    overwrite_revokes_old_credentials,
    reuse_if_valid_returns_same_credentials,
    unbind_checks_and_revokes,
    token_rejects_wrong_secret,
    create_forbidden,
);
