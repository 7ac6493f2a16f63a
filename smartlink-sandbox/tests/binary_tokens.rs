//! The `smartlink-sandbox` binary's `--token-lifetime`: the access tokens it
//! hands out carry that lifetime, and `GET /v1/whoami` accepts them.

use std::path::Path;

use smartlink_testkit::processes::SandboxProcess;

#[test]
fn token_lifetime_sets_expires_in_and_whoami_accepts_the_token() {
    let running = SandboxProcess::start(
        Path::new(env!("CARGO_BIN_EXE_smartlink-sandbox")),
        &[
            "--listen",
            "127.0.0.1:0",
            "--token",
            "bin-token",
            "--token-lifetime",
            "7",
        ],
    );
    let url = running.url().to_owned();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let env: serde_json::Value = client
            .post(format!("{url}/v1/environments"))
            .bearer_auth("bin-token")
            .header("Idempotency-Key", "0b4e28ba-2fa1-41d2-883f-0016d3cca427")
            .json(&serde_json::json!({"name": "Tokens", "kind": "custom"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = env["id"].as_str().unwrap();
        let bound = client
            .put(format!("{url}/v1/environments/{id}/bindings/protheus"))
            .bearer_auth("bin-token")
            .header("If-Match", env["etag"].as_str().unwrap())
            .json(&serde_json::json!({"installation_id": "bin-1",
                "installation_name": "Binário", "installation_kind": "custom"}))
            .send()
            .await
            .unwrap();
        assert_eq!(bound.status(), 200);
        let creds: serde_json::Value = client
            .post(format!("{url}/v1/environments/{id}/credentials"))
            .bearer_auth("bin-token")
            .header("Idempotency-Key", "1c4e28ba-2fa1-41d2-883f-0016d3cca427")
            .json(&serde_json::json!({"installation_id": "bin-1", "reuse_if_valid": true}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token: serde_json::Value = client
            .post(format!("{url}/oauth2/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", creds["client_id"].as_str().unwrap()),
                ("client_secret", creds["client_secret"].as_str().unwrap()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(token["expires_in"], 7);
        assert_eq!(token["token_type"], "Bearer");
        let who = client
            .get(format!("{url}/v1/whoami"))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(who.status(), 200);
        let who: serde_json::Value = who.json().await.unwrap();
        assert_eq!(who["installation_id"], "bin-1");
        assert_eq!(who["environment_id"], id);
        assert_eq!(who["client_id"], creds["client_id"]);
    });
}

#[test]
fn token_lifetime_must_be_a_positive_number() {
    for bad in ["0", "-1", "soon", ""] {
        let (code, stderr) = SandboxProcess::run_to_end(
            Path::new(env!("CARGO_BIN_EXE_smartlink-sandbox")),
            &["--token", "t", "--token-lifetime", bad],
        );
        assert_eq!(code, Some(2), "{bad:?}");
        assert!(stderr.contains("--token-lifetime"));
    }
}
