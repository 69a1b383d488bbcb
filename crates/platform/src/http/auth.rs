//! Bearer-token authentication of agents (REST and WebSocket).

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::{ErrorCode, ProtocolError};

use crate::store::agents::Agent;
use crate::store::Store;

/// A JSON error body `{code, message}` with an HTTP status.
pub fn error_response(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Response {
    (status, Json(ProtocolError::new(code, message))).into_response()
}

/// The live agent whose token is in `Authorization: Bearer …`, or the 401/500 to answer.
pub async fn authenticate(store: &Store, headers: &HeaderMap) -> Result<Agent, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(error_response(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "missing Authorization: Bearer <agent token>",
        ));
    };
    let token = value.to_str().ok().and_then(bearer_token);
    let Some(token) = token else {
        return Err(error_response(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "Authorization header must be \"Bearer <agent token>\"",
        ));
    };
    match store.authenticate(token).await {
        Ok(Some(agent)) => Ok(agent),
        Ok(None) => Err(error_response(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "unknown or revoked agent token",
        )),
        Err(error) => {
            tracing::error!(%error, "token lookup failed");
            Err(error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::InternalError,
                "could not check the token; retry",
            ))
        }
    }
}

/// The token of an `Authorization` value: the scheme is case-insensitive (RFC 9110 §11.1:
/// `bearer`, `BEARER` and `Bearer` are the same), separated from the token by whitespace.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim_start().split_once([' ', '\t'])?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    Some(rest.trim()).filter(|token| !token.is_empty() && !token.contains([' ', '\t']))
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_scheme_is_case_insensitive_and_the_token_exact() {
        for value in [
            "Bearer rdk_1",
            "bearer rdk_1",
            "BEARER  rdk_1",
            "Bearer\trdk_1 ",
        ] {
            assert_eq!(bearer_token(value), Some("rdk_1"), "{value:?}");
        }
        for value in [
            "Basic rdk_1",
            "Bearer",
            "Bearer ",
            "Bearerrdk_1",
            "Bearer a b",
            "rdk_1",
        ] {
            assert_eq!(bearer_token(value), None, "{value:?}");
        }
    }
}
