//! `--request-permission` and `--call`: done once, on a side task, after the first sign-in.
//! The conversation is found by the customer's number over REST; the request goes through
//! the [`Phone`]; what came of it goes back to the agent's loop as an [`Outcome`].

use tokio::sync::mpsc;

use crate::phone::{conversation_with, Phone, PhoneError};
use crate::transport::PlatformLink;

use super::Action;

/// What came of the action.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    PermissionRequested {
        customer: String,
        conversation_id: String,
    },
    /// The call was placed; its events follow from the phone.
    Placed { call_id: String },
    Refused {
        action: &'static str,
        code: String,
        message: String,
    },
}

/// The stable code of a refusal: the platform's own when it refused, else the phone's.
pub(crate) fn refusal_code(error: &PhoneError) -> String {
    match error {
        PhoneError::Refused { code, .. } => code.clone(),
        PhoneError::Http {
            code: Some(code), ..
        } => code.clone(),
        other => other.code().to_owned(),
    }
}

fn message_of(error: &PhoneError) -> String {
    match error {
        PhoneError::Refused { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Run `action` for the agent signed in with `token` at `link`; the outcome goes to `done`.
pub(crate) fn start(
    phone: Phone,
    link: PlatformLink,
    token: String,
    action: Action,
    done: mpsc::Sender<Outcome>,
) {
    tokio::spawn(async move {
        let outcome = match run(&phone, &link, &token, &action).await {
            Ok(outcome) => outcome,
            Err(e) => Outcome::Refused {
                action: action.name(),
                code: refusal_code(&e),
                message: message_of(&e),
            },
        };
        let _ = done.send(outcome).await;
    });
}

async fn run(
    phone: &Phone,
    link: &PlatformLink,
    token: &str,
    action: &Action,
) -> Result<Outcome, PhoneError> {
    let conversation = conversation_with(link, token, action.customer()).await?;
    let conversation_id = conversation.id.to_string();
    match action {
        Action::RequestPermission { .. } => {
            phone.request_permission(&conversation_id).await?;
            Ok(Outcome::PermissionRequested {
                customer: conversation.customer.number.as_str().to_owned(),
                conversation_id,
            })
        }
        Action::Call { .. } => {
            let call_id = phone.place_call(&conversation_id).await?;
            Ok(Outcome::Placed { call_id })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_carry_the_platforms_code_when_it_refused() {
        let e = PhoneError::Refused {
            code: "no_call_permission".into(),
            message: "the customer has not allowed calls".into(),
        };
        assert_eq!(refusal_code(&e), "no_call_permission");
        assert_eq!(message_of(&e), "the customer has not allowed calls");
        let e = PhoneError::NoConversation("1408".into());
        assert_eq!(refusal_code(&e), "no_conversation");
        assert!(message_of(&e).contains("1408"));
    }
}
