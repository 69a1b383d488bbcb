//! Graph API error bodies (`reference/meta-calling-api.md` §3.6).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::rules::Refusal;

/// An error answered the way the Graph API answers.
#[derive(Debug)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: u32,
    pub subcode: Option<u32>,
    pub message: String,
    pub details: Option<String>,
    pub error_type: &'static str,
    pub trace_id: String,
}

impl GraphError {
    pub fn from_refusal(refusal: &Refusal, trace_id: String) -> Self {
        Self {
            status: StatusCode::from_u16(refusal.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            code: refusal.code(),
            subcode: refusal.subcode(),
            // Meta writes "(#138006) No approved call permission from the recipient", but plain
            // "Invalid parameter" for code 100.
            message: if refusal.code() == 100 {
                refusal.title().to_owned()
            } else {
                format!("(#{}) {}", refusal.code(), refusal.title())
            },
            details: Some(refusal.details()),
            error_type: "OAuthException",
            trace_id,
        }
    }

    /// Code 100 with a `details` text.
    pub fn invalid(details: impl Into<String>, trace_id: String) -> Self {
        Self::from_refusal(
            &Refusal::InvalidParameter {
                details: details.into(),
            },
            trace_id,
        )
    }

    /// Code 190: the access token is missing or wrong.
    pub fn bad_token(trace_id: String) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: 190,
            subcode: None,
            message: "Invalid OAuth access token - Cannot parse access token".to_owned(),
            details: None,
            error_type: "OAuthException",
            trace_id,
        }
    }

    /// Code 100 / subcode 33: the object (phone number id) does not exist.
    pub fn unknown_object(id: &str, trace_id: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: 100,
            subcode: Some(33),
            message: format!("Unsupported post request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."),
            details: None,
            error_type: "GraphMethodException",
            trace_id,
        }
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let mut error = json!({
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
            "is_transient": false,
            "fbtrace_id": self.trace_id,
        });
        if let Some(subcode) = self.subcode {
            error["error_subcode"] = json!(subcode);
        }
        if let Some(details) = self.details {
            error["error_data"] = json!({ "messaging_product": "whatsapp", "details": details });
            if self.code == 100 {
                error["error_user_title"] = json!("Parameter Invalid");
                error["error_user_msg"] = json!("Check input parameters and retry the request");
            }
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}
