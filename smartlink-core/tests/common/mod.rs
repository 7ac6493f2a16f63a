// Builders shared by the rule and wizard tests (included with `mod`).
#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use smartlink_core::*;

pub fn installation(id: &str, line: ErpLine, kind: Kind) -> Installation {
    Installation::new(
        InstallationId::new(id).unwrap(),
        InstallationName::new(format!("Inst {id}")).unwrap(),
        line,
        kind,
    )
}

pub fn binding(id: &str, line: ErpLine) -> Binding {
    Binding {
        installation_id: InstallationId::new(id).unwrap(),
        installation_name: InstallationName::new(format!("Inst {id}")).unwrap(),
        line,
        bound_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    }
}

pub fn env(id: &str, name: &str, kind: Kind, bindings: Vec<Binding>) -> Environment {
    Environment {
        id: EnvironmentId::new(id).unwrap(),
        name: EnvironmentName::new(name).unwrap(),
        kind,
        etag: Etag::new("\"1\"").unwrap(),
        bindings,
    }
}

pub fn eid(id: &str) -> EnvironmentId {
    EnvironmentId::new(id).unwrap()
}
