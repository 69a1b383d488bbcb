//! Who is signed in, and where their token lives. Plain Rust over an injected [`TokenStore`]
//! (the OS keyring in the app), so sign-in, restore and sign-out are unit-tested without one.
//!
//! Invariants: the token is held in memory while signed in (the engine and the history requests
//! need it) and persisted only through the store; in demo mode the store is never touched.
//! Keyring calls may block: callers run these methods off the main thread.

use crate::credentials::{Token, TokenStore};
use crate::error::CommandError;
use crate::model::{DeviceKind, Notice, Presence, Session, SignInRequest};
use crate::platform_url::normalize_platform_url;
use crate::settings::{DeskSettings, SettingsFile};
use softphone::phone::PhoneError;
use softphone::transport::{PlatformLink, TlsOptions};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

/// A validated sign-in, before it is remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub platform_url: String,
    pub token: Token,
    /// Extra CA and the "insecure http" switch.
    pub tls: TlsOptions,
}

impl Credentials {
    pub fn from_request(request: &SignInRequest) -> Result<Credentials, CommandError> {
        let platform_url = normalize_platform_url(&request.platform_url)?;
        let token = Token::new(&request.token).ok_or(CommandError::MissingToken)?;
        let tls = TlsOptions {
            extra_ca: request
                .extra_ca_file
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
            insecure_http: request.insecure_http.unwrap_or(false),
        };
        let credentials = Credentials {
            platform_url,
            token,
            tls,
        };
        // Refuse plain http:// to another machine, or an unusable CA file, before signing in.
        credentials.link()?;
        Ok(credentials)
    }

    /// The checked platform address with its TLS setup, for the engine and REST requests.
    pub fn link(&self) -> Result<PlatformLink, CommandError> {
        PlatformLink::new(&self.platform_url, &self.tls)
            .map_err(|e| CommandError::Phone(PhoneError::from(e)))
    }
}

/// Where start-up credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restored {
    /// Nothing to restore: the sign-in screen.
    Nothing,
    /// Found in the keyring (or given by the demo): sign in with them.
    Found {
        credentials: Credentials,
        remembered: bool,
    },
    /// A platform was remembered but its token could not be read.
    Failed(Notice),
}

#[derive(Debug)]
struct SignedIn {
    session: Session,
    token: Token,
    tls: TlsOptions,
}

#[derive(Debug, Default)]
struct Inner {
    signed_in: Option<SignedIn>,
    settings: DeskSettings,
}

pub struct AgentState {
    inner: Mutex<Inner>,
    store: Box<dyn TokenStore>,
    file: SettingsFile,
    /// Demo credentials from the environment (`cargo xtask run`): used at start-up instead of
    /// the keyring, and the keyring is then never written.
    demo: Option<Credentials>,
}

impl std::fmt::Debug for AgentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentState")
            .field("demo", &self.demo.is_some())
            .finish_non_exhaustive()
    }
}

impl AgentState {
    pub fn new(store: Box<dyn TokenStore>, file: SettingsFile, demo: Option<Credentials>) -> Self {
        let settings = file.load();
        AgentState {
            inner: Mutex::new(Inner {
                signed_in: None,
                settings,
            }),
            store,
            file,
            demo,
        }
    }

    pub fn is_demo(&self) -> bool {
        self.demo.is_some()
    }

    pub fn current_session(&self) -> Option<Session> {
        self.lock().signed_in.as_ref().map(|s| s.session.clone())
    }

    pub fn require_session(&self) -> Result<Session, CommandError> {
        self.current_session().ok_or(CommandError::NotSignedIn)
    }

    /// The signed-in platform and token, for the engine and REST requests.
    pub fn credentials(&self) -> Result<Credentials, CommandError> {
        let inner = self.lock();
        let signed_in = inner.signed_in.as_ref().ok_or(CommandError::NotSignedIn)?;
        Ok(Credentials {
            platform_url: signed_in.session.platform_url.clone(),
            token: signed_in.token.clone(),
            tls: signed_in.tls.clone(),
        })
    }

    /// What to sign in with at start-up: the demo's credentials, else the remembered
    /// platform's token from the keyring.
    pub fn restore(&self) -> Restored {
        if let Some(demo) = &self.demo {
            return Restored::Found {
                credentials: demo.clone(),
                remembered: false,
            };
        }
        let (platform_url, tls) = {
            let inner = self.lock();
            let Some(platform_url) = inner.settings.platform_url.clone() else {
                return Restored::Nothing;
            };
            let tls = TlsOptions {
                extra_ca: inner.settings.extra_ca_file.as_ref().map(PathBuf::from),
                insecure_http: inner.settings.insecure_http,
            };
            (platform_url, tls)
        };
        match self.store.load(&platform_url) {
            Ok(Some(token)) => Restored::Found {
                credentials: Credentials {
                    platform_url,
                    token,
                    tls,
                },
                remembered: true,
            },
            Ok(None) => Restored::Nothing,
            Err(why) => Restored::Failed(Notice {
                code: "keyring_unavailable".into(),
                message: format!(
                    "Could not read your sign-in for {platform_url} from the system keyring: \
                     {why}. Sign in again."
                ),
            }),
        }
    }

    /// Puts the token in the keyring (unless it came from there or from the demo) and makes
    /// the session current. A keyring that refuses does not block signing in: the session then
    /// lasts until quit, with `token_remembered: false` and a notice saying why.
    pub fn sign_in(
        &self,
        credentials: Credentials,
        agent_name: String,
        presence: Presence,
        already_remembered: bool,
    ) -> (Session, Option<Notice>) {
        let (remembered, notice) = if already_remembered {
            (true, None)
        } else if self.demo.is_some() {
            (false, None)
        } else {
            match self
                .store
                .save(&credentials.platform_url, &credentials.token)
            {
                Ok(()) => (true, None),
                Err(why) => (
                    false,
                    Some(Notice {
                        code: "keyring_unavailable".into(),
                        message: format!(
                            "Signed in for this session only: the system keyring did not \
                             store your token ({why})."
                        ),
                    }),
                ),
            }
        };
        let session = Session {
            platform_url: credentials.platform_url.clone(),
            agent_name,
            presence,
            token_remembered: remembered,
        };
        let mut inner = self.lock();
        if remembered {
            inner.settings.platform_url = Some(credentials.platform_url);
            inner.settings.extra_ca_file = credentials
                .tls
                .extra_ca
                .as_ref()
                .map(|p| p.display().to_string());
            inner.settings.insecure_http = credentials.tls.insecure_http;
            self.save_settings(&inner.settings);
        }
        inner.signed_in = Some(SignedIn {
            session: session.clone(),
            token: credentials.token,
            tls: credentials.tls,
        });
        (session, notice)
    }

    /// Forgets the session and the token in the keyring (the demo's token was never there).
    /// Returns a notice when the keyring would not delete it.
    pub fn sign_out(&self) -> Option<Notice> {
        let platform_url = {
            let mut inner = self.lock();
            let signed_in = inner.signed_in.take();
            let remembered = inner.settings.platform_url.take();
            inner.settings.extra_ca_file = None;
            inner.settings.insecure_http = false;
            self.save_settings(&inner.settings);
            // Only what is (or was) in the keyring: a session it refused has nothing there.
            signed_in
                .filter(|s| s.session.token_remembered)
                .map(|s| s.session.platform_url)
                .into_iter()
                .chain(remembered)
                .collect::<std::collections::BTreeSet<_>>()
        };
        if self.demo.is_some() {
            return None;
        }
        let failures: Vec<String> = platform_url
            .iter()
            .filter_map(|url| self.store.forget(url).err().map(|e| e.to_string()))
            .collect();
        (!failures.is_empty()).then(|| Notice {
            code: "keyring_unavailable".into(),
            message: format!(
                "Signed out, but the system keyring did not delete the stored token ({}).",
                failures.join("; ")
            ),
        })
    }

    /// Records the presence the UI shows (the engine's, `busy` during calls), so the session
    /// a window asks for says it too.
    pub fn presence_changed(&self, presence: Presence) -> Result<Presence, CommandError> {
        let mut inner = self.lock();
        let session = &mut inner
            .signed_in
            .as_mut()
            .ok_or(CommandError::NotSignedIn)?
            .session;
        session.presence = presence;
        Ok(presence)
    }

    /// Records the agent's name once the platform has said it.
    pub fn agent_named(&self, name: &str) {
        if let Some(signed_in) = self.lock().signed_in.as_mut() {
            name.clone_into(&mut signed_in.session.agent_name);
        }
    }

    pub fn device(&self, kind: DeviceKind) -> Option<String> {
        self.lock().settings.device(kind).map(str::to_owned)
    }

    pub fn settings(&self) -> DeskSettings {
        self.lock().settings.clone()
    }

    /// Remembers a device choice (`None`: the system default) in the settings file.
    pub fn select_device(&self, kind: DeviceKind, name: Option<String>) {
        let mut inner = self.lock();
        inner.settings.set_device(kind, name);
        self.save_settings(&inner.settings);
    }

    fn save_settings(&self, settings: &DeskSettings) {
        if let Err(error) = self.file.save(settings) {
            tracing::warn!(%error, "could not save the app settings");
        }
    }

    /// A poisoned lock only means another command panicked mid-update of plain values:
    /// they are still whole, so keep serving them.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::MemoryTokenStore;
    use std::sync::Arc;

    /// A store shared with the test, to look inside after the state used it.
    #[derive(Clone, Default)]
    struct Shared(Arc<MemoryTokenStore>);

    impl TokenStore for Shared {
        fn save(&self, p: &str, t: &Token) -> Result<(), crate::credentials::KeyringError> {
            self.0.save(p, t)
        }
        fn load(&self, p: &str) -> Result<Option<Token>, crate::credentials::KeyringError> {
            self.0.load(p)
        }
        fn forget(&self, p: &str) -> Result<(), crate::credentials::KeyringError> {
            self.0.forget(p)
        }
    }

    fn request(url: &str, token: &str) -> SignInRequest {
        SignInRequest {
            platform_url: url.into(),
            token: token.into(),
            extra_ca_file: None,
            insecure_http: None,
        }
    }

    fn credentials(url: &str, token: &str) -> Credentials {
        Credentials::from_request(&request(url, token)).unwrap()
    }

    fn state_in(dir: &std::path::Path, store: Shared) -> AgentState {
        AgentState::new(
            Box::new(store),
            SettingsFile::new(Some(dir.to_path_buf())),
            None,
        )
    }

    fn sign_in(state: &AgentState, url: &str, token: &str) -> (Session, Option<Notice>) {
        state.sign_in(
            credentials(url, token),
            "Ana".into(),
            Presence::Available,
            false,
        )
    }

    #[test]
    fn credentials_normalize_the_url_and_refuse_a_blank_token() {
        let c = credentials("https://calls.example.com/", " t0ken ");
        assert_eq!(c.platform_url, "https://calls.example.com");
        assert_eq!(c.token.expose(), "t0ken");
        assert_eq!(
            Credentials::from_request(&request("https://calls.example.com", "  ")),
            Err(CommandError::MissingToken)
        );
        assert_eq!(
            Credentials::from_request(&request("nope", "t"))
                .unwrap_err()
                .code(),
            "invalid_platform_url"
        );
    }

    #[test]
    fn sign_in_stores_the_token_and_the_next_start_restores_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Shared::default();
        let state = state_in(dir.path(), store.clone());
        assert_eq!(state.restore(), Restored::Nothing);
        let (session, notice) = sign_in(&state, "https://calls.example.com", "t0ken");
        assert!(session.token_remembered);
        assert_eq!(notice, None);
        assert_eq!(state.current_session(), Some(session));
        assert_eq!(
            store.0.load("https://calls.example.com").unwrap(),
            Token::new("t0ken")
        );
        // The settings file names the platform, never the token.
        let file = std::fs::read_to_string(dir.path().join(crate::settings::FILE_NAME)).unwrap();
        assert!(
            file.contains("calls.example.com") && !file.contains("t0ken"),
            "{file}"
        );

        let next_run = state_in(dir.path(), store);
        assert_eq!(next_run.current_session(), None);
        assert_eq!(
            next_run.restore(),
            Restored::Found {
                credentials: credentials("https://calls.example.com", "t0ken"),
                remembered: true
            }
        );
    }

    #[test]
    fn plain_http_to_another_machine_needs_the_explicit_switch_which_is_remembered() {
        let refused = Credentials::from_request(&request("http://10.1.2.3:8080", "t")).unwrap_err();
        assert_eq!(refused.code(), "insecure");
        assert!(refused.to_string().contains("unencrypted"), "{refused}");
        // This machine is fine without it (the demo).
        credentials("http://127.0.0.1:8080", "t");

        let dir = tempfile::tempdir().unwrap();
        let store = Shared::default();
        let state = state_in(dir.path(), store.clone());
        let allowed = Credentials::from_request(&SignInRequest {
            insecure_http: Some(true),
            ..request("http://10.1.2.3:8080", "t0ken")
        })
        .unwrap();
        assert!(allowed.tls.insecure_http);
        state.sign_in(allowed.clone(), "Ana".into(), Presence::Available, false);
        assert_eq!(
            state_in(dir.path(), store).restore(),
            Restored::Found {
                credentials: allowed,
                remembered: true
            },
            "the next start signs in with the same switch"
        );
    }

    #[test]
    fn an_unusable_company_ca_file_is_refused_at_sign_in_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("company-ca.pem");
        std::fs::write(&ca, "not a certificate").unwrap();
        let refused = Credentials::from_request(&SignInRequest {
            extra_ca_file: Some(ca.display().to_string()),
            ..request("https://calls.example.com", "t0ken")
        })
        .unwrap_err();
        assert!(refused.to_string().contains("company-ca.pem"), "{refused}");
    }

    #[test]
    fn sign_out_forgets_the_token_and_the_platform() {
        let dir = tempfile::tempdir().unwrap();
        let store = Shared::default();
        let state = state_in(dir.path(), store.clone());
        sign_in(&state, "https://calls.example.com", "t0ken");
        assert_eq!(state.sign_out(), None);
        assert_eq!(state.current_session(), None);
        assert_eq!(store.0.load("https://calls.example.com").unwrap(), None);
        assert_eq!(state.restore(), Restored::Nothing);
        assert_eq!(state_in(dir.path(), store).restore(), Restored::Nothing);
    }

    #[test]
    fn a_refusing_keyring_still_signs_in_for_this_run_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let store = Shared(Arc::new(MemoryTokenStore::refusing("no Secret Service")));
        let state = state_in(dir.path(), store.clone());
        let (session, notice) = sign_in(&state, "https://calls.example.com", "t0ken");
        assert!(!session.token_remembered);
        let notice = notice.unwrap();
        assert_eq!(notice.code, "keyring_unavailable");
        assert!(notice.message.contains("no Secret Service"));
        assert!(!notice.message.contains("t0ken"));
        assert_eq!(state.credentials().unwrap().token.expose(), "t0ken");
        // Nothing remembered, so the next start shows the sign-in screen.
        assert_eq!(
            state_in(dir.path(), store.clone()).restore(),
            Restored::Nothing
        );
        // And signing out does not complain about a token that was never stored.
        assert_eq!(state.sign_out(), None);
    }

    #[test]
    fn an_unreadable_keyring_at_start_up_is_a_notice() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_in(dir.path(), Shared::default());
        sign_in(&state, "https://calls.example.com", "t0ken");
        let locked = state_in(
            dir.path(),
            Shared(Arc::new(MemoryTokenStore::refusing("locked"))),
        );
        match locked.restore() {
            Restored::Failed(notice) => {
                assert_eq!(notice.code, "keyring_unavailable");
                assert!(notice.message.contains("locked"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_demo_signs_in_without_touching_the_keyring() {
        let dir = tempfile::tempdir().unwrap();
        let store = Shared::default();
        let demo = credentials("http://127.0.0.1:8080", "demo-token");
        let state = AgentState::new(
            Box::new(store.clone()),
            SettingsFile::new(Some(dir.path().to_path_buf())),
            Some(demo.clone()),
        );
        assert!(state.is_demo());
        assert_eq!(
            state.restore(),
            Restored::Found {
                credentials: demo.clone(),
                remembered: false
            }
        );
        let (session, notice) = state.sign_in(demo, "Demo".into(), Presence::Available, false);
        assert!(!session.token_remembered && notice.is_none());
        assert_eq!(store.0.load("http://127.0.0.1:8080").unwrap(), None);
        assert_eq!(state.sign_out(), None);
        assert!(
            !dir.path().join(crate::settings::FILE_NAME).exists() || {
                let file =
                    std::fs::read_to_string(dir.path().join(crate::settings::FILE_NAME)).unwrap();
                !file.contains("demo-token")
            }
        );
    }

    #[test]
    fn presence_needs_a_session_and_shows_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_in(dir.path(), Shared::default());
        assert_eq!(
            state.presence_changed(Presence::Away),
            Err(CommandError::NotSignedIn)
        );
        sign_in(&state, "https://calls.example.com", "t");
        assert_eq!(state.presence_changed(Presence::Busy), Ok(Presence::Busy));
        assert_eq!(state.current_session().unwrap().presence, Presence::Busy);
        state.sign_out();
        assert_eq!(state.require_session(), Err(CommandError::NotSignedIn));
    }

    #[test]
    fn device_choices_persist() {
        let dir = tempfile::tempdir().unwrap();
        let state = state_in(dir.path(), Shared::default());
        state.select_device(DeviceKind::Ring, Some("Speakers".into()));
        assert_eq!(
            state_in(dir.path(), Shared::default()).device(DeviceKind::Ring),
            Some("Speakers".into())
        );
    }
}
