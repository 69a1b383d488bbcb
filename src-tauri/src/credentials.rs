//! The agent token's only home: the OS keyring (Secret Service on Linux and the BSDs, Keychain
//! on macOS, Credential Manager on Windows), one entry per platform URL under the service
//! `ringdesk`. The token is never written anywhere else and never logged: [`Token`] prints as
//! `Token(<redacted>)`.
//!
//! On Linux the backend is chosen explicitly (Secret Service, never the kernel keyutils store,
//! which forgets everything on reboot). Every call may block (D-Bus, an unlock prompt): callers
//! run them off the main thread.

use std::fmt;

/// The keyring service name every entry is filed under.
pub const SERVICE: &str = "ringdesk";

/// An agent token. Deliberately not `Serialize` and not `Display`: it leaves this process only
/// towards the keyring and the platform.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A token as the agent typed it, trimmed; `None` when nothing is left.
    pub fn new(raw: &str) -> Option<Token> {
        let trimmed = raw.trim();
        (!trimmed.is_empty()).then(|| Token(trimmed.to_owned()))
    }

    /// The secret itself, for the keyring and the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Why the keyring did not do what was asked. The message never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyringError(String);

impl KeyringError {
    pub fn new(why: impl Into<String>) -> Self {
        KeyringError(why.into())
    }
}

/// Where tokens are kept between runs: the OS keyring in the app, a map in tests.
pub trait TokenStore: Send + Sync {
    fn save(&self, platform_url: &str, token: &Token) -> Result<(), KeyringError>;
    /// `Ok(None)` when nothing is stored for this platform.
    fn load(&self, platform_url: &str) -> Result<Option<Token>, KeyringError>;
    /// Forgetting what is not there succeeds.
    fn forget(&self, platform_url: &str) -> Result<(), KeyringError>;
}

/// The operating system's keyring.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeyring;

impl TokenStore for OsKeyring {
    fn save(&self, platform_url: &str, token: &Token) -> Result<(), KeyringError> {
        entry(platform_url)?
            .set_password(token.expose())
            .map_err(explain)
    }

    fn load(&self, platform_url: &str) -> Result<Option<Token>, KeyringError> {
        match entry(platform_url)?.get_password() {
            Ok(secret) => Ok(Token::new(&secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(explain(error)),
        }
    }

    fn forget(&self, platform_url: &str) -> Result<(), KeyringError> {
        match entry(platform_url)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(explain(error)),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn entry(platform_url: &str) -> Result<keyring::Entry, KeyringError> {
    let credential =
        keyring::secret_service::SsCredential::new_with_target(None, SERVICE, platform_url)
            .map_err(explain)?;
    Ok(keyring::Entry::new_with_credential(Box::new(credential)))
}

#[cfg(target_os = "macos")]
fn entry(platform_url: &str) -> Result<keyring::Entry, KeyringError> {
    let credential = keyring::macos::MacCredential::new_with_target(None, SERVICE, platform_url)
        .map_err(explain)?;
    Ok(keyring::Entry::new_with_credential(Box::new(credential)))
}

#[cfg(target_os = "windows")]
fn entry(platform_url: &str) -> Result<keyring::Entry, KeyringError> {
    let credential = keyring::windows::WinCredential::new_with_target(None, SERVICE, platform_url)
        .map_err(explain)?;
    Ok(keyring::Entry::new_with_credential(Box::new(credential)))
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
)))]
fn entry(_platform_url: &str) -> Result<keyring::Entry, KeyringError> {
    Err(KeyringError::new(
        "this operating system has no supported keyring",
    ))
}

/// Turns a keyring failure into a sentence for the agent (no secret can appear in it: the
/// keyring's errors carry attributes and platform messages, never the password).
fn explain(error: keyring::Error) -> KeyringError {
    match error {
        keyring::Error::NoStorageAccess(why) => {
            KeyringError::new(format!("the keyring is locked or not reachable ({why})"))
        }
        keyring::Error::PlatformFailure(why) => {
            KeyringError::new(format!("the keyring service failed ({why})"))
        }
        keyring::Error::BadEncoding(_) => {
            KeyringError::new("the stored token is not text; sign in again")
        }
        other => KeyringError::new(other.to_string()),
    }
}

/// An in-memory store for tests of everything above the keyring.
#[cfg(test)]
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: std::sync::Mutex<std::collections::BTreeMap<String, Token>>,
    /// When set, every operation fails with this reason (a locked or missing keyring).
    pub refuse: Option<String>,
}

#[cfg(test)]
impl MemoryTokenStore {
    pub fn refusing(why: &str) -> Self {
        MemoryTokenStore {
            refuse: Some(why.into()),
            ..Self::default()
        }
    }

    fn check(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, std::collections::BTreeMap<String, Token>>, KeyringError>
    {
        match &self.refuse {
            Some(why) => Err(KeyringError::new(why.clone())),
            None => Ok(self.tokens.lock().unwrap()),
        }
    }
}

#[cfg(test)]
impl TokenStore for MemoryTokenStore {
    fn save(&self, platform_url: &str, token: &Token) -> Result<(), KeyringError> {
        self.check()?.insert(platform_url.into(), token.clone());
        Ok(())
    }
    fn load(&self, platform_url: &str) -> Result<Option<Token>, KeyringError> {
        Ok(self.check()?.get(platform_url).cloned())
    }
    fn forget(&self, platform_url: &str) -> Result<(), KeyringError> {
        self.check()?.remove(platform_url);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_never_prints_itself() {
        let token = Token::new("  s3cret-agent-token \n").unwrap();
        assert_eq!(token.expose(), "s3cret-agent-token");
        let printed = format!("{token:?} {:?}", Some(&token));
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(Token::new(" \t").is_none());
    }

    #[test]
    fn the_memory_store_forgets_and_refuses_like_a_keyring() {
        let store = MemoryTokenStore::default();
        let token = Token::new("t").unwrap();
        store.save("https://a.example", &token).unwrap();
        assert_eq!(store.load("https://a.example").unwrap(), Some(token));
        assert_eq!(store.load("https://b.example").unwrap(), None);
        store.forget("https://a.example").unwrap();
        store.forget("https://a.example").unwrap();
        assert_eq!(store.load("https://a.example").unwrap(), None);
        let locked = MemoryTokenStore::refusing("locked");
        assert_eq!(locked.load("x").unwrap_err().to_string(), "locked");
    }

    /// Round trip through the real OS keyring. Runs only with `RINGDESK_KEYRING_TEST=1` (on
    /// Linux: a D-Bus session with an unlocked gnome-keyring, see the README); then a missing
    /// keyring fails the test instead of skipping it.
    #[test]
    fn credentials_round_trip_through_the_os_keyring() {
        if std::env::var("RINGDESK_KEYRING_TEST").as_deref() != Ok("1") {
            println!(
                "skipped: set RINGDESK_KEYRING_TEST=1 inside a D-Bus session with an unlocked \
                 keyring (dbus-run-session + gnome-keyring-daemon --unlock) to run it"
            );
            return;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let platform = format!(
            "https://keyring-test.invalid/{}-{nanos}",
            std::process::id()
        );
        let store = OsKeyring;
        let token = Token::new("round-trip-token").unwrap();
        assert_eq!(store.load(&platform).unwrap(), None, "fresh entry exists");
        store
            .save(&platform, &token)
            .unwrap_or_else(|e| panic!("the keyring refused the token: {e}"));
        assert_eq!(store.load(&platform).unwrap(), Some(token));
        let replaced = Token::new("second-token").unwrap();
        store.save(&platform, &replaced).unwrap();
        assert_eq!(store.load(&platform).unwrap(), Some(replaced));
        store.forget(&platform).unwrap();
        assert_eq!(store.load(&platform).unwrap(), None);
        store.forget(&platform).unwrap();
    }
}
