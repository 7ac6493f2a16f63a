//! The installation's own token calls over HTTP: `POST /oauth2/token` for
//! an access token (endpoint 6) and `GET /v1/whoami` authenticated by it
//! (endpoint 7).
//!
//! The client authenticates with HTTP Basic or the form body, as configured
//! ([`ClientAuthMethod`](super::ClientAuthMethod)). An answer without
//! `expires_in` gets [`DEFAULT_TOKEN_LIFETIME`](crate::token::DEFAULT_TOKEN_LIFETIME);
//! a `token_type` other than `Bearer` (in any case) is refused.
//!
//! The token request goes through the client's one retry policy like every
//! other call. `whoami` is sent once: it is a diagnostic whose bearer is the
//! installation's token, not the token source's, and its caller decides what
//! a failure means.

use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use smartlink_contract::TokenAnswer;
use uuid::Uuid;

use super::{APPLICATION_JSON, Call, CallBody, Failure, HttpPlatform, Reply, X_REQUEST_ID};
use crate::credentials::Credentials;
use crate::platform::{PlatformError, TokenGrant, WhoAmI};

impl HttpPlatform {
    /// `POST /oauth2/token` with `credentials`: the answer, refused as a
    /// protocol error when `problem` finds one in it.
    pub(super) async fn token_exchange(
        &self,
        credentials: &Credentials,
        problem: impl FnOnce(&TokenAnswer<SecretString>) -> Option<&'static str>,
    ) -> Result<TokenAnswer<SecretString>, PlatformError> {
        let mut call = Call::new(Method::POST, self.token_url.clone());
        call.bearer = false;
        call.body = CallBody::TokenForm {
            client_id: credentials.client_id.as_str(),
            client_secret: &credentials.client_secret,
            method: self.client_auth,
        };
        let reply = self.send(&call, self.deadline()).await?;
        let answer: TokenAnswer<SecretString> = self.decode(&reply, &call, "token response")?;
        match problem(&answer) {
            Some(detail) => Err(self.protocol_error(detail.into(), &reply, &call)),
            None => Ok(answer),
        }
    }

    pub(super) async fn request_token_over_http(
        &self,
        credentials: &Credentials,
    ) -> Result<TokenGrant, PlatformError> {
        let grant = self
            .token_exchange(credentials, |grant| {
                let value = grant.access_token.expose_secret();
                if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
                    Some("the access token is empty or not visible ASCII")
                } else if grant
                    .token_type
                    .as_deref()
                    .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
                {
                    Some("the token type is not Bearer")
                } else if grant.expires_in == Some(0) {
                    Some("the token's expires_in is 0")
                } else {
                    None
                }
            })
            .await?;
        Ok(TokenGrant {
            access_token: grant.access_token,
            // RFC 6749 §5.1 makes it RECOMMENDED, not required.
            expires_in: grant
                .expires_in
                .unwrap_or(crate::token::DEFAULT_TOKEN_LIFETIME.as_secs()),
        })
    }

    pub(super) async fn whoami_over_http(
        &self,
        access_token: &SecretString,
    ) -> Result<WhoAmI, PlatformError> {
        let request_id = Uuid::new_v4().to_string();
        let url = self.endpoint(&["v1", "whoami"]);
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", access_token.expose_secret()))
            .map_err(|_| {
                PlatformError::InvalidInput("the access token is not a valid header value".into())
            })?;
        bearer.set_sensitive(true);
        let exchange = async {
            let response = self
                .client
                .request(Method::GET, url.clone())
                .header(X_REQUEST_ID, request_id.as_str())
                .header(ACCEPT, APPLICATION_JSON)
                .header(AUTHORIZATION, bearer)
                .send()
                .await
                .map_err(|e| self.map_reqwest(&e, &request_id))?;
            let status = response.status();
            let echoed = response
                .headers()
                .get(X_REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .filter(|v| {
                    !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic())
                })
                .unwrap_or(&request_id)
                .to_owned();
            let body = self.read_body(response, &echoed).await?;
            Ok::<_, Failure>(Reply {
                status,
                request_id: echoed,
                retry_after: None,
                body,
                bearer: Some(access_token.clone()),
            })
        };
        let deadline = self.deadline();
        let reply = match tokio::time::timeout_at(deadline, exchange).await {
            Err(_) => return Err(self.timeout(deadline, &request_id)),
            Ok(Err(Failure::Retryable(e) | Failure::Fatal(e))) => {
                return Err(self.measured(e, deadline));
            }
            Ok(Ok(reply)) => reply,
        };
        let mut call = Call::new(Method::GET, url);
        call.bearer = false;
        self.decode(&reply, &call, "whoami")
    }
}
