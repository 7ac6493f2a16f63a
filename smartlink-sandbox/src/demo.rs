//! The demo data the terminal configurator starts with.

use crate::Seed;

/// A customer with environments of every kind: one free production
/// environment, one production environment holding an older Protheus
/// installation (the replacement scenario), one shared with an RM
/// installation, and homologation and development ones.
pub fn demo_seed() -> Seed {
    serde_json::from_str(DEMO_SEED).expect("the embedded demo seed is valid")
}

/// The demo seed as JSON (the format of `--seed`).
pub const DEMO_SEED: &str = r#"{
  "environments": [
    {"id": "env_prd_matriz", "name": "Produção Matriz", "kind": "production", "bindings": [
      {"installation_id": "old-protheus-prd", "installation_name": "Protheus antigo (servidor 2019)",
       "line": "protheus", "bound_at": "2025-03-10T09:00:00Z"},
      {"installation_id": "rm-prd-01", "installation_name": "RM Folha",
       "line": "rm", "bound_at": "2025-04-01T12:00:00Z"}]},
    {"id": "env_prd_filial", "name": "Produção Filial", "kind": "production", "bindings": [
      {"installation_id": "datasul-prd-01", "installation_name": "Datasul Manufatura",
       "line": "datasul", "bound_at": "2025-06-20T15:30:00Z"}]},
    {"id": "env_prd_nova", "name": "Produção Nova", "kind": "production", "bindings": []},
    {"id": "env_hml", "name": "Homologação", "kind": "homologation", "bindings": [
      {"installation_id": "old-protheus-hml", "installation_name": "Protheus homologação antigo",
       "line": "protheus", "bound_at": "2025-02-01T08:00:00Z"}]},
    {"id": "env_hml_2", "name": "Homologação 2", "kind": "homologation", "bindings": []},
    {"id": "env_dev", "name": "Desenvolvimento", "kind": "development", "bindings": []},
    {"id": "env_custom", "name": "Treinamento", "kind": "custom", "bindings": []}
  ]
}"#;
