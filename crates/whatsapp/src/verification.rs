//! The GET subscription handshake: Meta calls
//! `GET <callback>?hub.mode=subscribe&hub.challenge=<random>&hub.verify_token=<token>` and expects
//! the challenge echoed with 200 when the token matches the configured one.

use subtle::ConstantTimeEq;

/// Why a subscription verification request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerificationRefusal {
    /// No `hub.mode`.
    #[error("hub.mode is missing")]
    MissingMode,
    /// `hub.mode` is not `subscribe`.
    #[error("hub.mode is {0:?}, expected \"subscribe\"")]
    WrongMode(String),
    /// No `hub.verify_token`.
    #[error("hub.verify_token is missing")]
    MissingToken,
    /// The token differs from the configured one.
    #[error("hub.verify_token does not match the configured verify token")]
    TokenMismatch,
    /// No `hub.challenge` to echo.
    #[error("hub.challenge is missing")]
    MissingChallenge,
}

/// Checks the `hub.*` query parameters (already URL-decoded) against the configured verify token
/// and returns the challenge to echo. Token comparison is constant-time.
pub fn verify_subscription<'a, I>(
    query: I,
    verify_token: &str,
) -> Result<String, VerificationRefusal>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let (mut mode, mut token, mut challenge) = (None, None, None);
    for (name, value) in query {
        match name {
            "hub.mode" => mode = Some(value),
            "hub.verify_token" => token = Some(value),
            "hub.challenge" => challenge = Some(value),
            _ => {}
        }
    }
    let mode = mode.ok_or(VerificationRefusal::MissingMode)?;
    if mode != "subscribe" {
        return Err(VerificationRefusal::WrongMode(mode.to_owned()));
    }
    let token = token.ok_or(VerificationRefusal::MissingToken)?;
    if !bool::from(token.as_bytes().ct_eq(verify_token.as_bytes())) {
        return Err(VerificationRefusal::TokenMismatch);
    }
    challenge
        .map(str::to_owned)
        .ok_or(VerificationRefusal::MissingChallenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(token: &str) -> Vec<(&str, &str)> {
        vec![
            ("hub.mode", "subscribe"),
            ("hub.challenge", "1158863600"),
            ("hub.verify_token", token),
        ]
    }

    #[test]
    fn echoes_challenge_of_the_live_example() {
        assert_eq!(
            verify_subscription(live("my-verify-token"), "my-verify-token"),
            Ok("1158863600".into())
        );
    }

    #[test]
    fn refuses_with_reason() {
        assert_eq!(
            verify_subscription(live("nope"), "my-verify-token"),
            Err(VerificationRefusal::TokenMismatch)
        );
        assert_eq!(
            verify_subscription(live(""), "my-verify-token"),
            Err(VerificationRefusal::TokenMismatch)
        );
        assert_eq!(
            verify_subscription([("hub.mode", "unsubscribe")], "t"),
            Err(VerificationRefusal::WrongMode("unsubscribe".into()))
        );
        assert_eq!(
            verify_subscription([], "t"),
            Err(VerificationRefusal::MissingMode)
        );
        assert_eq!(
            verify_subscription([("hub.mode", "subscribe")], "t"),
            Err(VerificationRefusal::MissingToken)
        );
        assert_eq!(
            verify_subscription([("hub.mode", "subscribe"), ("hub.verify_token", "t")], "t"),
            Err(VerificationRefusal::MissingChallenge)
        );
    }
}
