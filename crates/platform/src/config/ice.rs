//! `[ice]`: the STUN/TURN servers agents' apps use for call media, handed out in `hello`
//! (docs/adr/0016-turn-over-streams.md).
//!
//! TURN credentials are either fixed (`username` + `credential`) or, better, minted per hello
//! with a secret shared with the TURN server — coturn's `use-auth-secret` /
//! `static-auth-secret` (the "TURN REST API" draft, draft-uberti-behave-turn-rest-00 §2.2):
//! `username = "<expiry unix seconds>:<agent id>"`, `credential = base64(HMAC-SHA1(secret,
//! username))`. The server checks the HMAC and refuses the credential after the expiry, so a
//! leaked one is worth little and nothing is stored per agent.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;

use super::Secret;
use protocol::{IceServer, Timestamp};

/// Default lifetime of minted TURN credentials. A call that outlives it keeps its allocation
/// (refreshes reuse the nonce-authenticated session); new calls get fresh ones at the next
/// hello, which every reconnect brings.
pub const DEFAULT_CREDENTIAL_TTL_SECS: u64 = 12 * 3600;

/// The `[ice]` table as written.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileIce {
    #[serde(default)]
    pub urls: Vec<String>,
    pub turn_secret: Option<String>,
    pub username: Option<String>,
    pub credential: Option<String>,
    pub credential_ttl_secs: Option<u64>,
}

/// How TURN URLs authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnAuth {
    /// No TURN URLs configured.
    None,
    /// Fixed credentials, the same for every agent.
    Fixed {
        username: String,
        credential: Secret,
    },
    /// Minted per hello from the shared secret.
    Shared { secret: Secret, ttl_secs: u64 },
}

/// The checked `[ice]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceSettings {
    pub stun: Vec<String>,
    pub turn: Vec<String>,
    pub auth: TurnAuth,
}

impl Default for IceSettings {
    fn default() -> Self {
        Self {
            stun: Vec::new(),
            turn: Vec::new(),
            auth: TurnAuth::None,
        }
    }
}

fn scheme(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once(':')?;
    (!rest.is_empty() && !rest.starts_with("//")).then_some(scheme)
}

impl IceSettings {
    /// Check the file's table merged with `RINGDESK_ICE_URLS` (comma-separated, replaces the
    /// file's) and `RINGDESK_TURN_SECRET`.
    pub(super) fn check(
        file: FileIce,
        env_urls: Option<String>,
        env_secret: Option<String>,
    ) -> Result<Self, String> {
        let urls = match env_urls {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
                .collect(),
            None => file.urls,
        };
        let (mut stun, mut turn) = (Vec::new(), Vec::new());
        for url in urls {
            match scheme(&url) {
                Some("stun") => stun.push(url),
                Some("turn" | "turns") => turn.push(url),
                _ => {
                    return Err(format!(
                        "{url:?} is not a STUN/TURN URL (stun:HOST[:PORT], turn:HOST[:PORT]?transport=udp|tcp, turns:HOST[:PORT]?transport=tcp)"
                    ))
                }
            }
        }
        let secret = env_secret.or(file.turn_secret);
        let auth = match (secret, file.username, file.credential) {
            _ if turn.is_empty() => TurnAuth::None,
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(
                    "give either turn_secret (credentials minted per agent) or username + credential, not both"
                        .into(),
                )
            }
            (Some(secret), None, None) => TurnAuth::Shared {
                secret: Secret::new(secret),
                ttl_secs: match file.credential_ttl_secs {
                    Some(0) => return Err("credential_ttl_secs must be at least 1".into()),
                    Some(ttl) => ttl,
                    None => DEFAULT_CREDENTIAL_TTL_SECS,
                },
            },
            (None, Some(username), Some(credential)) => TurnAuth::Fixed {
                username,
                credential: Secret::new(credential),
            },
            (None, _, _) => {
                return Err(
                    "TURN URLs need credentials: turn_secret (or RINGDESK_TURN_SECRET), or username + credential"
                        .into(),
                )
            }
        };
        Ok(Self { stun, turn, auth })
    }

    /// The servers for `agent_id`'s hello at `now`.
    pub fn servers_for(&self, agent_id: &str, now: Timestamp) -> Vec<IceServer> {
        let mut servers = Vec::new();
        if !self.stun.is_empty() {
            servers.push(IceServer {
                urls: self.stun.clone(),
                username: String::new(),
                credential: String::new(),
            });
        }
        let (username, credential) = match &self.auth {
            TurnAuth::None => return servers,
            TurnAuth::Fixed {
                username,
                credential,
            } => (username.clone(), credential.expose().to_owned()),
            TurnAuth::Shared { secret, ttl_secs } => {
                let expiry = now.timestamp().max(0) as u64 + ttl_secs;
                let username = format!("{expiry}:{agent_id}");
                let credential = shared_secret_credential(secret, &username);
                (username, credential)
            }
        };
        servers.push(IceServer {
            urls: self.turn.clone(),
            username,
            credential,
        });
        servers
    }
}

/// `base64(HMAC-SHA1(secret, username))`, what coturn computes with `use-auth-secret`.
pub fn shared_secret_credential(secret: &Secret, username: &str) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(urls: &[&str]) -> FileIce {
        FileIce {
            urls: urls.iter().map(|u| u.to_string()).collect(),
            ..FileIce::default()
        }
    }

    fn at(unix: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(unix, 0).unwrap()
    }

    #[test]
    fn the_credential_is_coturns_hmac_sha1() {
        // RFC 2202 test case 2 (HMAC-SHA1, key "Jefe"): effcdf6ae5eb2fa2d27416d5f184df9c259a7c79.
        let credential =
            shared_secret_credential(&Secret::new("Jefe"), "what do ya want for nothing?");
        assert_eq!(credential, "7/zfauXrL6LSdBbV8YTfnCWafHk=");
    }

    #[test]
    fn minted_credentials_name_the_agent_and_expire_after_the_ttl() {
        let mut table = file(&[
            "stun:stun.example.com",
            "turn:turn.example.com?transport=tcp",
        ]);
        table.turn_secret = Some("s3cret".into());
        table.credential_ttl_secs = Some(600);
        let ice = IceSettings::check(table, None, None).unwrap();
        let servers = ice.servers_for("agent-7", at(1_764_800_000));
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[0].urls, ["stun:stun.example.com"]);
        assert!(servers[0].username.is_empty() && servers[0].credential.is_empty());
        assert_eq!(servers[1].username, "1764800600:agent-7");
        assert_eq!(
            servers[1].credential,
            shared_secret_credential(&Secret::new("s3cret"), "1764800600:agent-7")
        );
        let other = ice.servers_for("agent-8", at(1_764_800_000));
        assert_ne!(other[1].credential, servers[1].credential, "per agent");
    }

    #[test]
    fn the_environment_replaces_the_files_urls_and_secret() {
        let mut table = file(&["turn:file.example.com"]);
        table.turn_secret = Some("from-file".into());
        let ice = IceSettings::check(
            table,
            Some("turn:10.0.0.1:3478?transport=tcp, stun:10.0.0.1".into()),
            Some("from-env".into()),
        )
        .unwrap();
        assert_eq!(ice.turn, ["turn:10.0.0.1:3478?transport=tcp"]);
        assert_eq!(ice.stun, ["stun:10.0.0.1"]);
        assert!(
            matches!(&ice.auth, TurnAuth::Shared { secret, .. } if secret.expose() == "from-env")
        );
    }

    #[test]
    fn fixed_credentials_go_to_everyone() {
        let mut table = file(&["turns:turn.example.com:443?transport=tcp"]);
        table.username = Some("ringdesk".into());
        table.credential = Some("pw".into());
        let ice = IceSettings::check(table, None, None).unwrap();
        let servers = ice.servers_for("a", at(0));
        assert_eq!(
            (servers[0].username.as_str(), servers[0].credential.as_str()),
            ("ringdesk", "pw")
        );
    }

    #[test]
    fn what_cannot_work_is_refused_at_start_with_the_reason() {
        let no_credentials = IceSettings::check(file(&["turn:t"]), None, None).unwrap_err();
        assert!(
            no_credentials.contains("need credentials"),
            "{no_credentials}"
        );
        let not_a_url =
            IceSettings::check(file(&["https://turn.example.com"]), None, None).unwrap_err();
        assert!(not_a_url.contains("not a STUN/TURN URL"), "{not_a_url}");
        let mut both = file(&["turn:t"]);
        both.turn_secret = Some("s".into());
        both.username = Some("u".into());
        assert!(IceSettings::check(both, None, None)
            .unwrap_err()
            .contains("not both"));
        let mut zero = file(&["turn:t"]);
        zero.turn_secret = Some("s".into());
        zero.credential_ttl_secs = Some(0);
        assert!(IceSettings::check(zero, None, None).is_err());
        // STUN alone needs nothing.
        let stun = IceSettings::check(file(&["stun:s"]), None, None).unwrap();
        assert_eq!(stun.auth, TurnAuth::None);
        assert!(IceSettings::check(FileIce::default(), None, None)
            .unwrap()
            .servers_for("a", at(0))
            .is_empty());
    }
}
