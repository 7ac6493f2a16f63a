//! The `texts` of the C ABI's screen responses are the core's
//! `messages::screen_texts`, for every kind of screen and every locale, and
//! they keep their keys and values: `screen_texts.json` pins them (written by
//! running with `SMARTLINK_BLESS=1` after a deliberate change of wording).

mod common;

use serde_json::{Map, Value, json};
use smartlink_core::messages::{Locale, screen_texts};
use smartlink_core::wizard::{DOCUMENTATION_URL, Screen};
use smartlink_core::{EnvironmentName, InstallationName};
use smartlink_testkit::ffi::{Handle, call};

fn from<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn binding(installation: &str, name: &str, line: &str) -> Value {
    json!({"installation_id": installation, "installation_name": name, "line": line,
           "bound_at": "2025-01-01T00:00:00Z"})
}

fn environment(id: &str, name: &str, kind: &str, bindings: Vec<Value>) -> Value {
    json!({"id": id, "name": name, "kind": kind, "etag": "\"e1\"", "bindings": bindings})
}

/// One screen of every kind, with every optional text present and absent.
fn screens() -> Vec<(&'static str, Screen)> {
    let prod = environment(
        "env_prod",
        "Produção Matriz",
        "production",
        vec![binding("old-01", "Filial SP", "protheus")],
    );
    let choices: Vec<smartlink_core::EnvironmentChoice> = from(json!([
        {"environment": environment("env_free", "Livre", "production", vec![]),
         "availability": {"availability": "selectable"}},
        {"environment": environment("env_own", "Meu", "production",
            vec![binding("me-01", "Eu", "protheus"), binding("rm-01", "RM Filial", "rm")]),
         "availability": {"availability": "regenerate"}},
        {"environment": prod.clone(),
         "availability": {"availability": "needs_typed_confirmation",
                          "replaces": binding("old-01", "Filial SP", "protheus")}},
        {"environment": environment("env_dev", "Dev", "development", vec![]),
         "availability": {"availability": "unavailable",
                          "reason": {"why": "kind_mismatch", "environment_kind": "development"}}},
        {"environment": environment("env_else", "Outro", "production", vec![]),
         "availability": {"availability": "unavailable",
                          "reason": {"why": "installation_bound_elsewhere"}}},
    ]));
    let choose = |scenario: Value, choices: &[smartlink_core::EnvironmentChoice], create, lost| {
        Screen::ChooseEnvironment {
            scenario: from(scenario),
            choices: choices.to_vec(),
            create_offered: create,
            local_binding_lost: lost,
            preselected: None,
        }
    };
    let overwrite = |typed: &str, enabled| Screen::ConfirmOverwrite {
        environment: from(prod.clone()),
        replaces: from(binding("old-01", "Filial SP", "protheus")),
        typed: typed.to_owned(),
        confirm_enabled: enabled,
    };
    let task_id = from::<Value>(json!("9134d2b4-3c1a-4f43-9b7e-0d7f1f2f0a11"));
    let error = |reason: Value, retry| Screen::Error {
        support_id: from(task_id.clone()),
        reason: from(reason),
        retry_allowed: retry,
    };
    vec![
        (
            "welcome",
            Screen::Welcome {
                documentation_url: DOCUMENTATION_URL.to_owned(),
            },
        ),
        (
            "name",
            Screen::NameInstallation {
                name: Some("Matriz".into()),
                error: None,
            },
        ),
        (
            "name, empty",
            Screen::NameInstallation {
                name: Some(String::new()),
                error: InstallationName::new("").err(),
            },
        ),
        (
            "name, too long",
            Screen::NameInstallation {
                name: None,
                error: InstallationName::new("x".repeat(81)).err(),
            },
        ),
        (
            "name, control character",
            Screen::NameInstallation {
                name: None,
                error: InstallationName::new("a\u{7}b").err(),
            },
        ),
        (
            "choose, first binding, every availability, create offered, binding lost",
            choose(json!({"scenario": "first_binding"}), &choices, true, true),
        ),
        (
            "choose, empty",
            choose(json!({"scenario": "first_binding"}), &[], false, false),
        ),
        (
            "choose, already bound",
            choose(
                json!({"scenario": "already_bound", "environment_id": "env_own"}),
                &choices[1..2],
                false,
                false,
            ),
        ),
        (
            "choose, already bound to an environment not listed",
            choose(
                json!({"scenario": "already_bound", "environment_id": "env_gone"}),
                &choices[..1],
                false,
                false,
            ),
        ),
        (
            "choose, replacement",
            choose(
                json!({"scenario": "replacement"}),
                &choices[2..3],
                true,
                false,
            ),
        ),
        (
            "choose, inconsistent",
            choose(
                json!({"scenario": "inconsistent",
                       "reason": {"reason": "duplicate_environment", "environment_id": "env_prod"}}),
                &choices[..1],
                false,
                false,
            ),
        ),
        (
            "regeneration",
            Screen::ConfirmRegeneration {
                environment: from(prod.clone()),
            },
        ),
        ("overwrite, nothing typed", overwrite("", false)),
        ("overwrite, mismatch", overwrite("Produção", false)),
        ("overwrite, matching", overwrite("produção matriz", true)),
        (
            "finishing, not started",
            Screen::Finishing {
                task_id: from(task_id.clone()),
                step: None,
            },
        ),
        (
            "finishing, verifying",
            Screen::Finishing {
                task_id: from(task_id.clone()),
                step: Some(from(json!("verifying"))),
            },
        ),
        (
            "done, issued",
            Screen::Done {
                environment_id: from(json!("env_free")),
                environment_name: EnvironmentName::new("Livre").unwrap(),
                reused_credentials: false,
            },
        ),
        (
            "done, reused",
            Screen::Done {
                environment_id: from(json!("env_own")),
                environment_name: EnvironmentName::new("Meu").unwrap(),
                reused_credentials: true,
            },
        ),
        (
            "error, inconsistent",
            error(
                json!({"kind": "inconsistent", "inconsistency":
                       {"reason": "bound_to_several_environments",
                        "environments": ["env_a", "env_b"]}}),
                false,
            ),
        ),
        (
            "error, platform",
            error(
                json!({"kind": "platform", "code": "transport", "detail": "connection refused",
                       "request_id": null}),
                true,
            ),
        ),
        (
            "error, task failed",
            error(
                json!({"kind": "task_failed", "code": "name_taken", "detail": "taken"}),
                true,
            ),
        ),
        (
            "error, unknown code",
            error(
                json!({"kind": "task_failed", "code": "something_new", "detail": "?"}),
                true,
            ),
        ),
    ]
}

/// The texts of a screen response, as the C ABI builds them.
fn abi_texts(screen: &Screen, locale: Locale) -> Value {
    let mut out = Map::new();
    smartlink::operations::screen_response(&mut out, screen, locale);
    assert_eq!(out["screen"], serde_json::to_value(screen).unwrap());
    out.remove("texts").expect("a screen response has texts")
}

#[test]
fn every_screen_response_carries_the_cores_screen_texts_unchanged() {
    let golden_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/screen_texts.json");
    let mut produced = Vec::new();
    let mut kinds = std::collections::BTreeSet::new();
    for locale in Locale::ALL {
        for (what, screen) in screens() {
            kinds.insert(screen.name());
            let texts = abi_texts(&screen, locale);
            let core = serde_json::to_value(screen_texts(locale, &screen)).unwrap();
            assert_eq!(texts, core, "{what} ({})", locale.tag());
            produced.push(json!({"locale": locale.tag(), "case": what, "texts": texts}));
        }
    }
    assert_eq!(kinds.len(), 8, "every kind of screen: {kinds:?}");
    let produced = Value::Array(produced);
    if std::env::var("SMARTLINK_BLESS").as_deref() == Ok("1") {
        let text = serde_json::to_string_pretty(&produced).unwrap() + "\n";
        std::fs::write(&golden_path, text).unwrap();
    }
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(&golden_path).unwrap()).unwrap();
    let (Value::Array(golden), Value::Array(produced)) = (golden, produced) else {
        unreachable!()
    };
    assert_eq!(golden.len(), produced.len(), "the cases changed");
    for (g, p) in golden.iter().zip(&produced) {
        assert_eq!(g, p, "the texts of {} ({}) changed", p["case"], p["locale"]);
    }
}

#[test]
fn the_error_screens_detail_is_its_lines_joined() {
    use smartlink_core::messages::ScreenKindTexts;
    for locale in Locale::ALL {
        for (what, screen) in screens() {
            if let ScreenKindTexts::Error {
                detail,
                detail_lines,
                ..
            } = screen_texts(locale, &screen).screen
            {
                assert_eq!(detail, detail_lines.join(" "), "{what}");
                assert!(!detail_lines.is_empty());
            }
        }
    }
}

#[test]
fn the_wizard_walked_through_the_c_abi_draws_the_cores_screen_texts() {
    let sb = common::sandbox();
    let h = Handle::new(&format!(
        r#"{{"platform_url":"{}","token":"{}","state":"memory",
            "installation":{{"id":"texts-01","line":"protheus","kind":"production"}},
            "locale":"es"}}"#,
        sb.url(),
        common::TOKEN
    ));
    let loc = Locale::Es;
    let texts_of = |screen: &Screen| serde_json::to_value(screen_texts(loc, screen)).unwrap();

    let v = call(&h, r#"{"op":"screen"}"#);
    assert_eq!(v["screen"]["screen"], "welcome");
    let welcome = Screen::Welcome {
        documentation_url: from(v["screen"]["documentation_url"].clone()),
    };
    assert_eq!(v["texts"], texts_of(&welcome));

    let v = call(&h, r#"{"op":"apply","action":{"action":"start"}}"#);
    assert_eq!(v["screen"]["screen"], "name_installation");
    let name = Screen::NameInstallation {
        name: from(v["screen"]["name"].clone()),
        error: None,
    };
    assert_eq!(serde_json::to_value(&name).unwrap(), v["screen"]);
    assert_eq!(v["texts"], texts_of(&name));

    let v = call(
        &h,
        r#"{"op":"apply","action":{"action":"set_name","name":""}}"#,
    );
    assert_eq!(v["ok"], false);
    let refused = Screen::NameInstallation {
        name: from(v["screen"]["name"].clone()),
        error: InstallationName::new("").err(),
    };
    assert_eq!(serde_json::to_value(&refused).unwrap(), v["screen"]);
    assert_eq!(v["texts"], texts_of(&refused));

    let v = call(
        &h,
        r#"{"op":"apply","action":{"action":"set_name","name":"Textos"}}"#,
    );
    assert_eq!(v["screen"]["screen"], "choose_environment", "{v}");
    let s = &v["screen"];
    let choose = Screen::ChooseEnvironment {
        scenario: from(s["scenario"].clone()),
        choices: from(s["choices"].clone()),
        create_offered: from(s["create_offered"].clone()),
        local_binding_lost: from(s["local_binding_lost"].clone()),
        preselected: from(s.get("preselected").cloned().unwrap_or(Value::Null)),
    };
    assert_eq!(serde_json::to_value(&choose).unwrap(), v["screen"]);
    assert_eq!(v["texts"], texts_of(&choose));
    assert!(!v["texts"]["choices"].as_array().unwrap().is_empty());
}

#[test]
fn each_screen_gets_texts_of_its_own_kind() {
    use smartlink_core::messages::ScreenKindTexts as T;
    for (what, screen) in screens() {
        let texts = screen_texts(Locale::PtBr, &screen);
        let kind = match texts.screen {
            T::Welcome { .. } => "welcome",
            T::NameInstallation { .. } => "name_installation",
            T::ChooseEnvironment { .. } => "choose_environment",
            T::ConfirmRegeneration { .. } => "confirm_regeneration",
            T::ConfirmOverwrite { .. } => "confirm_overwrite",
            T::Finishing { .. } => "finishing",
            T::Done { .. } => "done",
            T::Error { .. } => "error",
        };
        assert_eq!(kind, screen.name(), "{what}");
    }
}
