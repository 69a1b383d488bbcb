//! History requests: what a caller asked for (view, filters, page), checked parameter by
//! parameter, then scoped to what the caller's role may see. Pure: no SQL and no I/O;
//! `store::history` turns a [`ScopedQuery`] into one SQL statement.
//!
//! Scoping lives only in [`scope`] (PRODUCT.md: agents see their own calls, supervisors their
//! team's, admins all). The filters narrow what the scope allows, never widen it: a filter that
//! names someone outside the caller's scope (an agent asking for another agent or another team,
//! a supervisor for another team) is refused with 403, so the refusal itself is the only
//! answer and no row can leak. A supervisor filtering by an agent of another team is not
//! refused (that would need a look-up of the agent's team): the filter only narrows the team's
//! calls, so they get the calls their team was on with that agent, which they see anyway.

use protocol::{AgentId, CallStatus, Direction};

use crate::store::agents::{Agent, Role};
use crate::store::calls::Visibility;

/// The largest page (`limit`), and the page size when none is asked for.
pub const MAX_LIMIT: i64 = 500;

/// Which records a request lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Records {
    Calls,
    PermissionRequests,
}

/// How the answer is sent: JSON pages, or the whole view as one streamed CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// The history tabs of PRODUCT.md, for call records (Permission requests are their own
/// records: [`Records::PermissionRequests`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    All,
    /// Inbound calls.
    Received,
    /// Business-initiated calls.
    Outbound,
    /// Inbound calls that ended without anyone talking: missed, rejected, refused by routing
    /// (outside hours, everyone busy or offline) or failed.
    Missed,
}

/// The filters; each given one must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryFilter {
    pub view: View,
    pub status: Option<CallStatus>,
    pub direction: Option<Direction>,
    /// Records this agent was involved in (rung, talked, placed; asked for a permission).
    pub agent: Option<String>,
    /// Records an agent of this team was involved in.
    pub team: Option<String>,
    /// The business number the call came through: its phone_number_id or its number.
    pub channel: Option<String>,
    /// Unix ms, inclusive.
    pub from: Option<i64>,
    /// Unix ms, exclusive.
    pub to: Option<i64>,
}

/// A position in the history's order (newest first, then by id): the last record of a page.
/// Sent to clients as an opaque string ([`Cursor::encode`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The record's time (offered or requested at), unix ms.
    pub at: i64,
    pub id: String,
}

const CURSOR_VERSION: &str = "1";

impl Cursor {
    /// Hex of `1:<ms>:<id>`: opaque to clients, versioned for the server.
    pub fn encode(&self) -> String {
        hex::encode(format!("{CURSOR_VERSION}:{}:{}", self.at, self.id))
    }

    /// The cursor [`Cursor::encode`] made, or `None` for anything else.
    pub fn decode(text: &str) -> Option<Cursor> {
        let bytes = hex::decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.splitn(3, ':');
        if parts.next()? != CURSOR_VERSION {
            return None;
        }
        let at = parts.next()?.parse().ok()?;
        let id = parts.next()?;
        (!id.is_empty()).then(|| Cursor {
            at,
            id: id.to_owned(),
        })
    }
}

/// Which page: after `after` (from the start when `None`), at most `limit` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// A checked request, not yet scoped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRequest {
    pub filter: HistoryFilter,
    /// Unused for CSV: the export is the whole view.
    pub page: PageRequest,
}

/// A refused parameter (400): which one, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}: {reason}")]
pub struct ParamError {
    pub parameter: String,
    pub reason: String,
}

fn invalid(parameter: &str, reason: impl Into<String>) -> ParamError {
    ParamError {
        parameter: parameter.to_owned(),
        reason: reason.into(),
    }
}

/// A filter outside the caller's scope (403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}: {reason}")]
pub struct ScopeRefusal {
    pub parameter: &'static str,
    pub reason: &'static str,
}

/// What the store runs: the caller's scope and the filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedQuery {
    pub visibility: Visibility,
    pub filter: HistoryFilter,
}

fn wire_enum<T: serde::de::DeserializeOwned>(value: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).ok()
}

/// RFC 3339, as every time of the API.
fn instant(parameter: &str, value: &str) -> Result<i64, ParamError> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|at| at.timestamp_millis())
        .map_err(|error| {
            let hint = if value.contains(' ') {
                " (a '+' in a URL means a space: write it %2B)"
            } else {
                ""
            };
            invalid(
                parameter,
                format!("expected an RFC 3339 time such as 2026-11-02T09:00:00Z: {error}{hint}"),
            )
        })
}

const STATUSES: &str = "ringing, on_call, completed, rejected, missed, outside_office_hours, \
     all_agents_busy, all_agents_offline, failed";

/// Parses the query string's pairs for `records` in `format`. Unknown, repeated and empty
/// parameters are refused, so a misspelt filter never silently widens the answer.
pub fn parse(
    pairs: &[(String, String)],
    records: Records,
    format: Format,
) -> Result<HistoryRequest, ParamError> {
    let mut filter = HistoryFilter::default();
    let mut after = None;
    let mut limit = None;
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in pairs {
        let name = name.as_str();
        if seen.contains(&name) {
            return Err(invalid(name, "given more than once"));
        }
        seen.push(name);
        if value.is_empty() {
            return Err(invalid(name, "empty; leave the parameter out instead"));
        }
        let calls_only = || {
            invalid(
                name,
                "not a filter of permission requests (they have no call status or direction)",
            )
        };
        let json_only = || {
            invalid(
                name,
                "the CSV export is the whole view; paging is for the JSON list",
            )
        };
        match name {
            "view" if records == Records::PermissionRequests => return Err(calls_only()),
            "view" => {
                filter.view = match value.as_str() {
                    "all" => View::All,
                    "received" => View::Received,
                    "outbound" => View::Outbound,
                    "missed" => View::Missed,
                    "permission_requests" => {
                        return Err(invalid(
                            name,
                            "permission requests are not call records: they are listed at \
                         /api/v1/permission_requests (and .csv) with the same filters and paging",
                        ))
                    }
                    _ => {
                        return Err(invalid(
                            name,
                            "expected all, received, outbound, missed or permission_requests",
                        ))
                    }
                }
            }
            "status" if records == Records::PermissionRequests => return Err(calls_only()),
            "status" => {
                filter.status = Some(
                    wire_enum(value)
                        .ok_or_else(|| invalid(name, format!("expected one of {STATUSES}")))?,
                )
            }
            "direction" if records == Records::PermissionRequests => return Err(calls_only()),
            "direction" => {
                filter.direction = Some(
                    wire_enum(value)
                        .ok_or_else(|| invalid(name, "expected inbound or outbound"))?,
                )
            }
            "agent" => {
                AgentId::new(value.clone()).map_err(|error| invalid(name, error.to_string()))?;
                filter.agent = Some(value.clone());
            }
            "team" => {
                if value.chars().count() > 64 || value.chars().any(char::is_control) {
                    return Err(invalid(name, "a team name is 1 to 64 printable characters"));
                }
                filter.team = Some(value.clone());
            }
            "channel" => {
                let digits = value.strip_prefix('+').unwrap_or(value);
                if digits.is_empty()
                    || digits.len() > 32
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(invalid(
                        name,
                        "expected a business number's phone_number_id or its number (digits)",
                    ));
                }
                filter.channel = Some(digits.to_owned());
            }
            "from" => filter.from = Some(instant(name, value)?),
            "to" => filter.to = Some(instant(name, value)?),
            "cursor" | "limit" if format == Format::Csv => return Err(json_only()),
            "cursor" => {
                after = Some(Cursor::decode(value).ok_or_else(|| {
                    invalid(
                        name,
                        "not a cursor this server gave out (use next_cursor as is)",
                    )
                })?)
            }
            "limit" => {
                limit = Some(
                    value
                        .parse::<i64>()
                        .ok()
                        .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                        .ok_or_else(|| {
                            invalid(
                                name,
                                format!("expected a whole number from 1 to {MAX_LIMIT}"),
                            )
                        })?,
                )
            }
            _ => return Err(invalid(name, "not a parameter of this list")),
        }
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from >= to {
            return Err(invalid(
                "to",
                "the range is empty: `from` is not before `to`",
            ));
        }
    }
    let page = PageRequest {
        after,
        limit: limit.unwrap_or(MAX_LIMIT),
    };
    Ok(HistoryRequest { filter, page })
}

/// The one place where a caller's role becomes what they may see: admins everything,
/// supervisors their team's records, agents their own (the records they were rung for,
/// talked on, placed or asked a permission in). Filters naming someone outside that scope are
/// refused.
pub fn scope(caller: &Agent, filter: HistoryFilter) -> Result<ScopedQuery, ScopeRefusal> {
    let foreign_team = filter
        .team
        .as_ref()
        .is_some_and(|team| caller.team.as_ref() != Some(team));
    match caller.role {
        Role::Admin => {}
        Role::Supervisor if foreign_team => {
            return Err(ScopeRefusal {
                parameter: "team",
                reason: "a supervisor sees only their own team's records",
            })
        }
        Role::Supervisor => {}
        Role::Agent if filter.agent.as_ref().is_some_and(|id| *id != caller.id) => {
            return Err(ScopeRefusal {
                parameter: "agent",
                reason: "an agent sees only their own records",
            })
        }
        Role::Agent if foreign_team => {
            return Err(ScopeRefusal {
                parameter: "team",
                reason: "an agent sees only their own records, not another team's",
            })
        }
        Role::Agent => {}
    }
    Ok(ScopedQuery {
        visibility: Visibility::of(caller),
        filter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (name.to_owned(), value.to_owned())
            })
            .collect()
    }

    fn calls(query: &str) -> Result<HistoryRequest, ParamError> {
        parse(&pairs(query), Records::Calls, Format::Json)
    }

    fn refused(query: &str) -> String {
        match calls(query) {
            Err(error) => error.parameter,
            Ok(request) => panic!("{query:?} was accepted: {request:?}"),
        }
    }

    fn agent(id: &str, role: Role, team: Option<&str>) -> Agent {
        Agent {
            id: id.to_owned(),
            name: id.to_owned(),
            role,
            team: team.map(str::to_owned),
            created_at: 0,
            revoked_at: None,
        }
    }

    #[test]
    fn every_filter_is_read() {
        let agent_id = "0".repeat(32);
        let request = calls(&format!(
            "view=missed&status=missed&direction=inbound&agent={agent_id}&team=red&\
             channel=15550109999&from=2026-11-02T09:00:00Z&to=2026-11-03T09:00:00Z&limit=7"
        ))
        .expect("valid");
        assert_eq!(request.filter.channel.as_deref(), Some("15550109999"));
        let plus = vec![("channel".to_owned(), "+15550109999".to_owned())];
        let plus = parse(&plus, Records::Calls, Format::Json).expect("valid");
        assert_eq!(plus.filter.channel.as_deref(), Some("15550109999"));
        assert_eq!(request.filter.view, View::Missed);
        assert_eq!(request.filter.status, Some(CallStatus::Missed));
        assert_eq!(request.filter.direction, Some(Direction::Inbound));
        assert_eq!(request.filter.agent.as_deref(), Some(agent_id.as_str()));
        assert_eq!(request.filter.team.as_deref(), Some("red"));
        assert_eq!(request.filter.from, Some(1_793_610_000_000));
        assert_eq!(request.filter.to, Some(1_793_696_400_000));
        assert_eq!(
            request.page,
            PageRequest {
                after: None,
                limit: 7
            }
        );
        assert_eq!(calls("").expect("valid").page.limit, 500);
    }

    #[test]
    fn bad_parameters_are_named() {
        for (query, parameter) in [
            ("view=everything", "view"),
            ("view=permission_requests", "view"),
            ("status=bogus", "status"),
            ("direction=sideways", "direction"),
            ("agent=a b", "agent"),
            ("channel=abc", "channel"),
            ("from=yesterday", "from"),
            ("to=2026-11-02", "to"),
            ("from=2026-11-03T00:00:00Z&to=2026-11-02T00:00:00Z", "to"),
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("limit=ten", "limit"),
            ("cursor=zz", "cursor"),
            ("cursor=31", "cursor"),
            ("status=missed&status=completed", "status"),
            ("status=", "status"),
            ("stauts=missed", "stauts"),
        ] {
            assert_eq!(refused(query), parameter, "{query}");
        }
        let requests = parse(
            &pairs("status=missed"),
            Records::PermissionRequests,
            Format::Json,
        );
        assert_eq!(requests.map_err(|e| e.parameter), Err("status".to_owned()));
        let csv = parse(&pairs("limit=5"), Records::Calls, Format::Csv);
        assert_eq!(csv.map_err(|e| e.parameter), Err("limit".to_owned()));
    }

    #[test]
    fn a_cursor_survives_the_round_trip_and_nothing_else_decodes() {
        let cursor = Cursor {
            at: 1_793_610_000_000,
            id: "wacid.A:B".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor.clone()));
        let request = calls(&format!("cursor={}", cursor.encode())).expect("valid");
        assert_eq!(request.page.after, Some(cursor));
        for text in [
            "",
            "00",
            &hex::encode("2:1:x"),
            &hex::encode("1:x:y"),
            &hex::encode("1:5:"),
        ] {
            assert_eq!(Cursor::decode(text), None, "{text}");
        }
    }

    #[test]
    fn roles_scope_and_filters_only_narrow() {
        let filter = |agent: Option<&str>, team: Option<&str>| HistoryFilter {
            agent: agent.map(str::to_owned),
            team: team.map(str::to_owned),
            ..HistoryFilter::default()
        };
        let alice = agent("alice", Role::Agent, Some("red"));
        let lead = agent("lead", Role::Supervisor, Some("red"));
        let admin = agent("admin", Role::Admin, None);

        let own = scope(&alice, filter(None, None)).expect("allowed");
        assert_eq!(own.visibility, Visibility::Own("alice".into()));
        assert!(scope(&alice, filter(Some("alice"), Some("red"))).is_ok());
        assert_eq!(
            scope(&alice, filter(Some("bob"), None)).map_err(|r| r.parameter),
            Err("agent")
        );
        assert_eq!(
            scope(&alice, filter(None, Some("blue"))).map_err(|r| r.parameter),
            Err("team")
        );
        let loner = agent("loner", Role::Agent, None);
        assert!(scope(&loner, filter(None, Some("red"))).is_err());

        let team = scope(&lead, filter(Some("bob"), Some("red"))).expect("narrowing");
        assert_eq!(team.visibility, Visibility::Team(Some("red".into())));
        assert_eq!(
            scope(&lead, filter(None, Some("blue"))).map_err(|r| r.parameter),
            Err("team")
        );

        let all = scope(&admin, filter(Some("bob"), Some("blue"))).expect("admin");
        assert_eq!(all.visibility, Visibility::All);
        assert_eq!(all.filter.team.as_deref(), Some("blue"));
    }
}
