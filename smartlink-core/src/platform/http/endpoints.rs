//! The contract's endpoints (`docs/platform-api.md`) as the [`Platform`]
//! trait: listing with its pages, create, bind, credentials, the token
//! check and unbind.

use std::collections::HashSet;

use async_trait::async_trait;
use reqwest::Method;
use secrecy::SecretString;
use smartlink_contract::{BindBody, CreateBody, IssueBody, ListQuery, Page, UnbindBody};

use super::*;
use crate::credentials::{Credentials, IssuedCredentials};
use crate::environment::Environment;
use crate::installation::{ErpLine, Installation, InstallationId};
use crate::platform::{
    BindTarget, CreateEnvironment, IssueCredentials, Platform, PlatformError, Unbind,
};

// ---------------------------------------------------------------------------
// The contract's endpoints
// ---------------------------------------------------------------------------

/// A JSON body for a call.
fn json_body(body: impl serde::Serialize) -> CallBody<'static> {
    CallBody::Json(serde_json::to_value(body).unwrap_or_default())
}

#[async_trait]
impl Platform for HttpPlatform {
    async fn list_environments(
        &self,
        line: ErpLine,
        installation_id: &InstallationId,
    ) -> Result<Vec<Environment>, PlatformError> {
        let deadline = self.deadline();
        let mut environments = Vec::new();
        let mut seen_cursors = HashSet::new();
        let mut cursor: Option<String> = None;
        for _page in 0..MAX_LIST_PAGES {
            let mut url = self.endpoint(&["v1", "environments"]);
            let query = ListQuery {
                line: Some(line.as_str().to_owned()),
                installation_id: Some(installation_id.as_str().to_owned()),
                cursor: cursor.clone(),
            };
            url.query_pairs_mut().extend_pairs(query.pairs());
            let call = Call::new(Method::GET, url);
            let reply = self.send(&call, deadline).await?;
            let page: Page<Environment> = self.decode(&reply, &call, "environment list")?;
            environments.extend(page.environments);
            match page.next_cursor {
                None => return Ok(environments),
                Some(next) if next.is_empty() || !seen_cursors.insert(next.clone()) => {
                    return Err(self.protocol_error(
                        "the list's next_cursor is empty or repeats an earlier one".into(),
                        &reply,
                        &call,
                    ));
                }
                Some(next) => cursor = Some(next),
            }
        }
        Err(PlatformError::Protocol {
            detail: format!("the environment list did not end within {MAX_LIST_PAGES} pages"),
            body_excerpt: String::new(),
            request_id: None,
        })
    }

    async fn create_environment(
        &self,
        request: &CreateEnvironment,
    ) -> Result<Environment, PlatformError> {
        let mut call = Call::new(Method::POST, self.endpoint(&["v1", "environments"]));
        call.idempotency_key = Some(request.idempotency_key);
        call.body = json_body(CreateBody {
            name: request.name.as_str(),
            kind: request.kind.as_str(),
        });
        let reply = self.send(&call, self.deadline()).await?;
        self.decode(&reply, &call, "created environment")
    }

    async fn bind(
        &self,
        installation: &Installation,
        target: &BindTarget,
    ) -> Result<Environment, PlatformError> {
        let url = self.endpoint(&[
            "v1",
            "environments",
            target.environment_id().as_str(),
            "bindings",
            installation.line.as_str(),
        ]);
        let mut call = Call::new(Method::PUT, url);
        call.if_match = Some(target.etag());
        call.body = json_body(BindBody {
            installation_id: installation.id.as_str(),
            installation_name: installation.name.as_str(),
            installation_kind: installation.kind.as_str(),
            overwrite: target.is_overwrite(),
        });
        let reply = self.send(&call, self.deadline()).await?;
        self.decode(&reply, &call, "bound environment")
    }

    async fn issue_credentials(
        &self,
        request: &IssueCredentials,
    ) -> Result<IssuedCredentials, PlatformError> {
        let url = self.endpoint(&[
            "v1",
            "environments",
            request.environment_id.as_str(),
            "credentials",
        ]);
        let mut call = Call::new(Method::POST, url);
        call.idempotency_key = Some(request.idempotency_key);
        call.body = json_body(IssueBody {
            installation_id: request.installation_id.as_str(),
            reuse_if_valid: request.reuse_if_valid,
        });
        let reply = self.send(&call, self.deadline()).await?;
        let issued: IssuedCredentials = self.decode(&reply, &call, "issued credentials")?;
        if issued.credentials.environment_id != request.environment_id {
            return Err(self.protocol_error(
                "credentials were issued for another environment".into(),
                &reply,
                &call,
            ));
        }
        Ok(issued)
    }

    async fn verify_credentials(&self, credentials: &Credentials) -> Result<(), PlatformError> {
        self.token_exchange(credentials, |_| None).await.map(|_| ())
    }

    async fn request_token(
        &self,
        credentials: &Credentials,
    ) -> Result<crate::platform::TokenGrant, PlatformError> {
        self.request_token_over_http(credentials).await
    }

    fn token_request_setup(&self) -> Option<String> {
        Some(format!("{} {}", self.client_auth, self.token_url))
    }

    async fn whoami(
        &self,
        access_token: &SecretString,
    ) -> Result<crate::platform::WhoAmI, PlatformError> {
        self.whoami_over_http(access_token).await
    }

    async fn unbind(&self, request: &Unbind) -> Result<(), PlatformError> {
        let url = self.endpoint(&[
            "v1",
            "environments",
            request.environment_id.as_str(),
            "bindings",
            request.line.as_str(),
        ]);
        let mut call = Call::new(Method::DELETE, url);
        call.if_match = Some(&request.etag);
        call.body = json_body(UnbindBody {
            installation_id: request.installation_id.as_str(),
        });
        let reply = self.send(&call, self.deadline()).await?;
        self.expect_success(&reply, &call)
    }
}
