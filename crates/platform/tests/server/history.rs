//! The history API by role, over real HTTP and a real SQLite file: views, filters, cursor
//! paging, CSV export and refusals.
//!
//! Thousands of calls are written straight into the database (one transaction), from a model
//! kept in the test; every expectation is computed from that model, never from the server.

use std::collections::HashSet;

use platform::store::agents::Role;
use serde_json::Value;

use crate::support::*;

const OTHER_NUMBER_ID: &str = "100000000000002";
const OTHER_NUMBER: &str = "15550108888";
/// 2026-11-02T00:00:00Z.
const BASE_MS: i64 = 1_793_577_600_000;

/// Which calls of the model a view or filter keeps.
type Keeps = fn(&SeedCall) -> bool;
type KeepsMoving = dyn Fn(&SeedCall) -> bool;

#[derive(Debug, Clone)]
struct SeedCall {
    id: String,
    inbound: bool,
    status: &'static str,
    phone_number_id: &'static str,
    business_number: &'static str,
    customer_name: Option<String>,
    offered_at: i64,
    answered_at: Option<i64>,
    answered_by: Option<usize>,
    placed_by: Option<usize>,
    rung: Vec<usize>,
}

impl SeedCall {
    fn involves(&self, agent: usize) -> bool {
        self.answered_by == Some(agent)
            || self.placed_by == Some(agent)
            || self.rung.contains(&agent)
    }

    fn missed(&self) -> bool {
        self.inbound && self.answered_at.is_none() && !["ringing", "on_call"].contains(&self.status)
    }
}

/// The people of the test: two teams, three roles.
struct Cast {
    /// (id, token, team)
    agents: Vec<(String, String, Option<&'static str>)>,
}

const RED1: usize = 0;
const RED2: usize = 1;
const BLUE1: usize = 2;
const RED_LEAD: usize = 3;
const BLUE_LEAD: usize = 4;
const ADMIN: usize = 5;

impl Cast {
    async fn new(harness: &Harness) -> Self {
        let mut agents = Vec::new();
        for (name, role, team) in [
            ("red1", Role::Agent, Some("red")),
            ("red2", Role::Agent, Some("red")),
            ("blue1", Role::Agent, Some("blue")),
            ("red-lead", Role::Supervisor, Some("red")),
            ("blue-lead", Role::Supervisor, Some("blue")),
            ("admin", Role::Admin, None),
        ] {
            let (id, token) = harness.agent(name, role, team).await;
            agents.push((id, token, team));
        }
        Self { agents }
    }

    fn id(&self, who: usize) -> &str {
        &self.agents[who].0
    }

    fn token(&self, who: usize) -> &str {
        &self.agents[who].1
    }

    /// What `who` may see of `call`, computed from the model (PRODUCT.md's roles).
    fn sees(&self, who: usize, call: &SeedCall) -> bool {
        match who {
            ADMIN => true,
            RED_LEAD | BLUE_LEAD => {
                let team = self.agents[who].2;
                (0..self.agents.len()).any(|a| self.agents[a].2 == team && call.involves(a))
            }
            agent => call.involves(agent),
        }
    }
}

/// A small deterministic generator (no dependency, reproducible failures).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

/// `count` calls, three per millisecond value (so ties are ordered by id), with names that need
/// CSV quoting.
fn model(count: usize, seed: u64) -> Vec<SeedCall> {
    let mut random = Lcg(seed);
    let ringable = [RED1, RED2, BLUE1, RED_LEAD];
    let names = [
        None,
        Some("Ada Customer".to_owned()),
        Some("Lovelace, \"Ada\"".to_owned()),
        Some("two\r\nlines; and ,commas".to_owned()),
        Some("=HYPERLINK(\"http://example.com\")".to_owned()),
    ];
    (0..count)
        .map(|i| {
            let inbound = random.next(10) < 7;
            let statuses: &[&'static str] = if inbound {
                &[
                    "completed",
                    "missed",
                    "rejected",
                    "all_agents_busy",
                    "all_agents_offline",
                    "outside_office_hours",
                    "failed",
                    "ringing",
                    "on_call",
                ]
            } else {
                &[
                    "completed",
                    "missed",
                    "rejected",
                    "failed",
                    "on_call",
                    "ringing",
                ]
            };
            let status = statuses[random.next(statuses.len())];
            let answered = matches!(status, "completed" | "on_call");
            let offered_at = BASE_MS + (i as i64 / 3) * 1_000;
            let (mut rung, mut placed_by, mut answered_by) = (Vec::new(), None, None);
            if inbound {
                if !matches!(
                    status,
                    "all_agents_busy" | "all_agents_offline" | "outside_office_hours"
                ) {
                    for _ in 0..1 + random.next(2) {
                        let agent = ringable[random.next(ringable.len())];
                        if !rung.contains(&agent) {
                            rung.push(agent);
                        }
                    }
                    answered_by = answered.then(|| *rung.last().unwrap());
                }
            } else {
                let agent = ringable[random.next(ringable.len())];
                placed_by = Some(agent);
                answered_by = answered.then_some(agent);
            }
            let (phone_number_id, business_number) = if random.next(3) == 0 {
                (OTHER_NUMBER_ID, OTHER_NUMBER)
            } else {
                (PHONE_NUMBER_ID, BUSINESS_NUMBER)
            };
            SeedCall {
                // Not in time order: the id breaks ties only.
                id: format!("wacid.{:05}", (i * 7_919) % 100_000),
                inbound,
                status,
                phone_number_id,
                business_number,
                customer_name: names[random.next(names.len())].clone(),
                offered_at,
                answered_at: answered.then_some(offered_at + 2_000),
                answered_by,
                placed_by,
                rung,
            }
        })
        .collect()
}

async fn seed(harness: &Harness, cast: &Cast, calls: &[SeedCall]) {
    let mut tx = harness.platform.store().pool().begin().await.unwrap();
    for call in calls {
        sqlx::query(
            "INSERT INTO calls (id, direction, channel, phone_number_id, business_number, \
             customer_number, customer_name, status, answered_by, offered_at, answered_at, \
             ended_at, duration_secs, updated_at, placed_by) \
             VALUES ($1, $2, 'whatsapp', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $9, $13)",
        )
        .bind(&call.id)
        .bind(if call.inbound { "inbound" } else { "outbound" })
        .bind(call.phone_number_id)
        .bind(call.business_number)
        .bind(CUSTOMER)
        .bind(&call.customer_name)
        .bind(call.status)
        .bind(call.answered_by.map(|a| cast.id(a).to_owned()))
        .bind(call.offered_at)
        .bind(call.answered_at)
        .bind(call.answered_at.map(|at| at + 30_000))
        .bind(call.answered_at.map(|_| 30_i64))
        .bind(call.placed_by.map(|a| cast.id(a).to_owned()))
        .execute(&mut *tx)
        .await
        .unwrap();
        for (seq, agent) in call.rung.iter().enumerate() {
            let outcome = if call.answered_by == Some(*agent) {
                "accepted"
            } else {
                "timed_out"
            };
            sqlx::query(
                "INSERT INTO call_rings (call_id, seq, agent_id, routed_because, rung_at, \
                 ended_at, outcome) VALUES ($1, $2, $3, 'round_robin', $4, $4, $5)",
            )
            .bind(&call.id)
            .bind(seq as i64 + 1)
            .bind(cast.id(*agent))
            .bind(call.offered_at)
            .bind(outcome)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
    }
    tx.commit().await.unwrap();
}

/// A platform with the cast and `count` calls of the model seeded with `seed`.
async fn seeded(count: usize, seed_value: u64) -> (Harness, Cast, Vec<SeedCall>) {
    let harness = Harness::start().await;
    let cast = Cast::new(&harness).await;
    let calls = model(count, seed_value);
    seed(&harness, &cast, &calls).await;
    (harness, cast, calls)
}

/// The model's answer: ids in the API's order (newest first, then by id).
fn expected<'a>(calls: impl IntoIterator<Item = &'a SeedCall>) -> Vec<String> {
    let mut rows: Vec<&SeedCall> = calls.into_iter().collect();
    rows.sort_by(|a, b| b.offered_at.cmp(&a.offered_at).then(a.id.cmp(&b.id)));
    rows.into_iter().map(|call| call.id.clone()).collect()
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn get(harness: &Harness, path: &str, token: &str) -> reqwest::Response {
    harness
        .http
        .get(format!("{}{path}", harness.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Every row of `/api/v1/calls?{query}`, page after page; asserts each page's size and that
/// the header and the body agree on the cursor.
async fn all_pages(harness: &Harness, token: &str, query: &str, limit: usize) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/calls?{query}&limit={limit}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let response = get(harness, &path, token).await;
        assert_eq!(response.status(), 200, "{path}");
        let header = response
            .headers()
            .get("next-cursor")
            .map(|value| value.to_str().unwrap().to_owned());
        let page: Value = response.json().await.unwrap();
        let calls = page["calls"].as_array().unwrap();
        assert!(calls.len() <= limit);
        rows.extend(calls.iter().cloned());
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        assert_eq!(cursor, header, "the header repeats next_cursor");
        match &cursor {
            Some(_) => assert_eq!(calls.len(), limit, "only the last page is short"),
            None => break,
        }
    }
    rows
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_role_and_view_sees_exactly_its_rows_page_by_page() {
    let (harness, cast, calls) = seeded(2_500, 14).await;

    for who in [RED1, RED2, BLUE1, RED_LEAD, BLUE_LEAD, ADMIN] {
        let visible: Vec<&SeedCall> = calls.iter().filter(|c| cast.sees(who, c)).collect();
        assert!(!visible.is_empty(), "the model gives everyone some calls");
        let views: [(&str, Keeps); 4] = [
            ("all", |_| true),
            ("received", |c| c.inbound),
            ("outbound", |c| !c.inbound),
            ("missed", SeedCall::missed),
        ];
        for (view, keeps) in views {
            let rows = all_pages(&harness, cast.token(who), &format!("view={view}"), 500).await;
            assert_eq!(
                ids(&rows),
                expected(visible.iter().copied().filter(|c| keeps(c))),
                "caller {who}, view {view}"
            );
        }
    }

    // Filters, as the admin (everything) and as the red supervisor (their team only).
    let red1 = cast.id(RED1).to_owned();
    let from = BASE_MS + 100_000;
    let to = BASE_MS + 600_000;
    let filters: Vec<(String, Box<KeepsMoving>)> = vec![
        ("status=missed".into(), Box::new(|c| c.status == "missed")),
        ("direction=outbound".into(), Box::new(|c| !c.inbound)),
        (format!("agent={red1}"), Box::new(|c| c.involves(RED1))),
        (
            "team=blue".into(),
            Box::new(|c| c.involves(BLUE1) || c.involves(BLUE_LEAD)),
        ),
        (
            format!("channel={OTHER_NUMBER_ID}"),
            Box::new(|c| c.phone_number_id == OTHER_NUMBER_ID),
        ),
        (
            format!("channel={BUSINESS_NUMBER}"),
            Box::new(|c| c.business_number == BUSINESS_NUMBER),
        ),
        (
            format!(
                "from={}&to={}&view=missed",
                rfc3339(from).replace('+', "%2B"),
                rfc3339(to)
            ),
            Box::new(move |c| c.offered_at >= from && c.offered_at < to && c.missed()),
        ),
    ];
    for (query, keeps) in &filters {
        for who in [ADMIN, RED_LEAD] {
            if who == RED_LEAD && query.starts_with("team=") {
                continue; // another team: refused, see the next test
            }
            let rows = all_pages(&harness, cast.token(who), query, 400).await;
            let want = expected(calls.iter().filter(|c| cast.sees(who, c) && keeps(c)));
            assert!(!want.is_empty(), "{query} selects something");
            assert_eq!(ids(&rows), want, "caller {who}, {query}");
        }
    }

    // The desktop app's path: a bare array, the cursor in the header only.
    let response = get(&harness, "/api/calls?limit=3", cast.token(ADMIN)).await;
    let cursor = response.headers().get("next-cursor").cloned().unwrap();
    let rows: Vec<Value> = response.json().await.unwrap();
    assert_eq!(ids(&rows), expected(&calls)[..3]);
    let next: Vec<Value> = get(
        &harness,
        &format!("/api/calls?limit=3&cursor={}", cursor.to_str().unwrap()),
        cast.token(ADMIN),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(ids(&next), expected(&calls)[3..6]);
    let record: protocol::rest::CallRecord = serde_json::from_value(rows[0].clone()).unwrap();
    assert_eq!(
        record.id.as_str(),
        expected(&calls)[0],
        "rows still parse as CallRecord"
    );
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn paging_returns_each_row_once_while_calls_keep_arriving() {
    let (harness, cast, calls) = seeded(3_000, 7).await;
    let want = expected(&calls);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut arrival = model(1, 99).remove(0);
    let mut behind_cursor = Vec::new();
    for n in 0.. {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/calls?limit=137&cursor={cursor}"),
            None => "/api/v1/calls?limit=137".to_owned(),
        };
        let page: Value = get(&harness, &path, cast.token(ADMIN))
            .await
            .json()
            .await
            .unwrap();
        let rows = page["calls"].as_array().unwrap();
        seen.extend(ids(rows));
        let Some(next) = page["next_cursor"].as_str() else {
            break;
        };
        cursor = Some(next.to_owned());
        // A call newer than everything: it belongs before the pages already read, never in
        // the next ones.
        arrival.id = format!("wacid.NEW{n:03}");
        arrival.offered_at = BASE_MS + 100_000_000 + n;
        seed(&harness, &cast, std::slice::from_ref(&arrival)).await;
        // A call with the time of the page's last row and an id sorting after it: it is after
        // the cursor, so the next page has it, once.
        let last = rows.last().unwrap()["offered_at"].as_str().unwrap();
        arrival.id = format!("wacid.~{n:03}");
        arrival.offered_at = chrono::DateTime::parse_from_rfc3339(last)
            .unwrap()
            .timestamp_millis();
        seed(&harness, &cast, std::slice::from_ref(&arrival)).await;
        behind_cursor.push(arrival.id.clone());
    }
    assert!(behind_cursor.len() > 20, "3,000 rows are many pages");
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no row twice");
    assert!(!seen.iter().any(|id| id.starts_with("wacid.NEW")));
    let arrived: Vec<&String> = seen.iter().filter(|id| id.starts_with("wacid.~")).collect();
    assert_eq!(arrived, behind_cursor.iter().collect::<Vec<_>>());
    let old: Vec<String> = seen
        .iter()
        .filter(|id| !id.starts_with("wacid.~"))
        .cloned()
        .collect();
    assert_eq!(old, want, "the snapshot's rows, each once, in order");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn nobody_reaches_beyond_their_scope() {
    let (harness, cast, calls) = seeded(300, 3).await;
    let (red2, blue1) = (cast.id(RED2).to_owned(), cast.id(BLUE1).to_owned());
    let refusals = [
        (RED1, format!("agent={red2}"), "agent"),
        (RED1, "team=blue".to_owned(), "team"),
        (RED1, format!("agent={blue1}&team=red"), "agent"),
        (RED_LEAD, "team=blue".to_owned(), "team"),
        (BLUE_LEAD, "team=red".to_owned(), "team"),
    ];
    for (who, query, parameter) in &refusals {
        for path in [
            "/api/v1/calls",
            "/api/v1/calls.csv",
            "/api/calls",
            "/api/v1/permission_requests",
        ] {
            let response = get(&harness, &format!("{path}?{query}"), cast.token(*who)).await;
            assert_eq!(response.status(), 403, "{path}?{query}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["code"], "forbidden");
            assert!(body["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{parameter}:")));
            assert!(body.get("calls").is_none(), "nothing but the refusal");
        }
    }
    // Narrowing inside one's own scope is fine; a supervisor naming another team's agent
    // gets nothing (not that agent's calls).
    let own = all_pages(
        &harness,
        cast.token(RED1),
        &format!("agent={}&team=red", cast.id(RED1)),
        500,
    )
    .await;
    assert_eq!(own.len(), calls.iter().filter(|c| c.involves(RED1)).count());
    let foreign = all_pages(
        &harness,
        cast.token(RED_LEAD),
        &format!("agent={blue1}"),
        500,
    )
    .await;
    let shared: Vec<String> = expected(
        calls
            .iter()
            .filter(|c| c.involves(BLUE1) && cast.sees(RED_LEAD, c)),
    );
    assert_eq!(
        ids(&foreign),
        shared,
        "only blue1's calls the red team was also on"
    );
    // One record of another agent's: 404, as if it did not exist.
    let theirs = calls.iter().find(|c| !c.involves(RED1)).unwrap();
    let response = get(
        &harness,
        &format!("/api/v1/calls/{}", theirs.id),
        cast.token(RED1),
    )
    .await;
    assert_eq!(response.status(), 404);
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn bad_parameters_are_refused_with_their_name() {
    let harness = Harness::start().await;
    let (_, admin) = harness.agent("admin", Role::Admin, None).await;
    for (path, parameter) in [
        ("/api/v1/calls?status=bogus", "status"),
        ("/api/v1/calls?view=everything", "view"),
        ("/api/v1/calls?view=permission_requests", "view"),
        ("/api/v1/calls?direction=up", "direction"),
        ("/api/v1/calls?agent=not%20an%20id", "agent"),
        ("/api/v1/calls?channel=main-line", "channel"),
        ("/api/v1/calls?from=yesterday", "from"),
        ("/api/v1/calls?from=2026-11-02T10:00:00+01:00", "from"),
        (
            "/api/v1/calls?from=2026-11-03T00:00:00Z&to=2026-11-02T00:00:00Z",
            "to",
        ),
        ("/api/v1/calls?limit=501", "limit"),
        ("/api/v1/calls?limit=0", "limit"),
        ("/api/v1/calls?cursor=not-a-cursor", "cursor"),
        ("/api/v1/calls?status=missed&status=failed", "status"),
        ("/api/v1/calls?stauts=missed", "stauts"),
        ("/api/calls?status=bogus", "status"),
        ("/api/v1/calls.csv?limit=10", "limit"),
        ("/api/v1/calls.csv?status=bogus", "status"),
        ("/api/v1/permission_requests?status=missed", "status"),
    ] {
        let response = get(&harness, path, &admin).await;
        assert_eq!(response.status(), 400, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "invalid_message", "{path}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("{parameter}: ")),
            "{path}: {message}"
        );
    }
    // The '+' of an unencoded offset reads as a space: the message says so.
    let response = get(
        &harness,
        "/api/v1/calls?from=2026-11-02T10:00:00+01:00",
        &admin,
    )
    .await;
    let body: Value = response.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("%2B"));
    let encoded = get(
        &harness,
        "/api/v1/calls?from=2026-11-02T10:00:00%2B01:00",
        &admin,
    )
    .await;
    assert_eq!(encoded.status(), 200);
    harness.platform.shutdown().await;
}

fn field<'a>(row: &'a csv::StringRecord, columns: &csv::StringRecord, name: &str) -> &'a str {
    let at = columns.iter().position(|c| c == name).unwrap();
    &row[at]
}

/// A JSON time and a CSV time are the same instant (or both absent).
fn same_time(json: &Value, csv: &str) -> bool {
    match json.as_str() {
        None => csv.is_empty(),
        Some(json) => {
            chrono::DateTime::parse_from_rfc3339(json).unwrap()
                == chrono::DateTime::parse_from_rfc3339(csv).unwrap()
        }
    }
}

async fn csv_rows(
    harness: &Harness,
    path: &str,
    token: &str,
) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let response = get(harness, path, token).await;
    assert_eq!(response.status(), 200, "{path}");
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = response.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_ref());
    let columns = reader.headers().unwrap().clone();
    let rows = reader.records().map(Result::unwrap).collect();
    (columns, rows)
}

#[tokio::test]
async fn the_csv_export_is_exactly_the_json_view() {
    let (harness, cast, calls) = seeded(6_000, 21).await;

    let from = rfc3339(BASE_MS + 30_000);
    for (who, query) in [
        (ADMIN, format!("view=received&from={from}")),
        (
            RED_LEAD,
            format!("direction=inbound&channel={PHONE_NUMBER_ID}"),
        ),
        (BLUE1, "view=all".to_owned()),
    ] {
        let json = all_pages(&harness, cast.token(who), &query, 500).await;
        let (columns, rows) = csv_rows(
            &harness,
            &format!("/api/v1/calls.csv?{query}"),
            cast.token(who),
        )
        .await;
        if who == ADMIN {
            assert!(rows.len() > 3_000, "thousands of rows: {}", rows.len());
        }
        // The documented columns (README), in order.
        assert_eq!(
            columns.iter().collect::<Vec<_>>().join(","),
            "id,direction,status,channel,business_number,customer_number,customer_name,agent_id,\
             agent_name,agents_rung,offered_at,answered_at,ended_at,duration_secs,ended_by,\
             meta_error_code"
        );
        assert_eq!(rows.len(), json.len(), "{query}");
        for (csv, json) in rows.iter().zip(&json) {
            let f = |name| field(csv, &columns, name);
            assert_eq!(f("id"), json["id"]);
            assert_eq!(f("direction"), json["direction"]);
            assert_eq!(f("status"), json["status"]);
            assert_eq!(f("channel"), json["phone_number_id"]);
            assert_eq!(f("business_number"), json["business_number"]);
            assert_eq!(f("customer_number"), json["customer"]["number"]);
            let name = json["customer"]["profile_name"].as_str().unwrap_or("");
            assert_eq!(
                f("customer_name"),
                name.replace("=HYPERLINK", "'=HYPERLINK")
            );
            let agent = json["answered_by"].as_str().or(json["placed_by"].as_str());
            assert_eq!(f("agent_id"), agent.unwrap_or(""));
            assert_eq!(f("agent_name"), json["agent_name"].as_str().unwrap_or(""));
            let rung = json["agents_rung"].as_array().unwrap();
            let csv_rung: Vec<&str> = f("agents_rung")
                .split("; ")
                .filter(|r| !r.is_empty())
                .collect();
            assert_eq!(csv_rung.len(), rung.len());
            assert!(same_time(&json["offered_at"], f("offered_at")));
            assert!(same_time(&json["answered_at"], f("answered_at")));
            assert!(same_time(&json["ended_at"], f("ended_at")));
            assert_eq!(f("duration_secs"), json["duration_secs"].to_string());
        }
        // And the view itself is the model's.
        let want = expected(
            calls
                .iter()
                .filter(|c| cast.sees(who, c))
                .filter(|c| match who {
                    ADMIN => c.inbound && c.offered_at >= BASE_MS + 30_000,
                    RED_LEAD => c.inbound && c.phone_number_id == PHONE_NUMBER_ID,
                    _ => true,
                }),
        );
        let csv_ids: Vec<String> = rows.iter().map(|r| r[0].to_owned()).collect();
        assert_eq!(csv_ids, want, "caller {who}, {query}");
    }
    // A name a spreadsheet would run as a formula is neutralised (CSV injection).
    let formula = calls
        .iter()
        .find(|c| {
            c.customer_name
                .as_deref()
                .is_some_and(|n| n.starts_with('='))
        })
        .unwrap();
    let (columns, rows) = csv_rows(&harness, "/api/v1/calls.csv", cast.token(ADMIN)).await;
    let row = rows.iter().find(|r| &r[0] == formula.id.as_str()).unwrap();
    assert_eq!(
        field(row, &columns, "customer_name"),
        "'=HYPERLINK(\"http://example.com\")"
    );
    // The names that need quoting survive.
    let quoted = calls
        .iter()
        .find(|c| c.customer_name.as_deref().is_some_and(|n| n.contains('\n')))
        .unwrap();
    let row = rows.iter().find(|r| &r[0] == quoted.id.as_str()).unwrap();
    assert_eq!(
        field(row, &columns, "customer_name"),
        quoted.customer_name.as_deref().unwrap()
    );
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn permission_requests_are_listed_by_role_with_their_reply() {
    let harness = Harness::start().await;
    let cast = Cast::new(&harness).await;
    let pool = harness.platform.store().pool().clone();
    // (id, who asked, customer, at, then a reply at +1 min)
    let requests = [
        (
            "wamid.R1",
            Some(RED1),
            "15550100001",
            1_000,
            Some("accepted_temporary"),
        ),
        ("wamid.R2", Some(RED2), "15550100002", 2_000, None),
        (
            "wamid.B1",
            Some(BLUE1),
            "15550100003",
            3_000,
            Some("rejected"),
        ),
        ("wamid.OLD", None, "15550100004", 4_000, None),
    ];
    for (id, who, customer, at, reply) in requests {
        let insert = "INSERT INTO permission_events (id, phone_number_id, customer_number, kind, \
                      at, recorded_at, agent_id) VALUES ($1, $2, $3, $4, $5, $5, $6)";
        sqlx::query(insert)
            .bind(id)
            .bind(PHONE_NUMBER_ID)
            .bind(customer)
            .bind("request_sent")
            .bind(BASE_MS + at)
            .bind(who.map(|w| cast.id(w).to_owned()))
            .execute(&pool)
            .await
            .unwrap();
        if let Some(reply) = reply {
            sqlx::query(insert)
                .bind(format!("{id}.reply"))
                .bind(PHONE_NUMBER_ID)
                .bind(customer)
                .bind(reply)
                // R1's reply carries Meta's whole second, before the request's milliseconds.
                .bind(BASE_MS + at + if id == "wamid.R1" { -400 } else { 60_000 })
                .bind(None::<String>)
                .execute(&pool)
                .await
                .unwrap();
        }
    }
    let list = |who: usize, query: &'static str| {
        let token = cast.token(who).to_owned();
        let harness = &harness;
        async move {
            let page: Value = get(
                harness,
                &format!("/api/v1/permission_requests?{query}"),
                &token,
            )
            .await
            .json()
            .await
            .unwrap();
            ids(page["permission_requests"].as_array().unwrap())
        }
    };
    assert_eq!(list(RED1, "").await, ["wamid.R1"]);
    assert_eq!(list(RED_LEAD, "").await, ["wamid.R2", "wamid.R1"]);
    assert_eq!(list(BLUE_LEAD, "").await, ["wamid.B1"]);
    assert_eq!(
        list(ADMIN, "").await,
        ["wamid.OLD", "wamid.B1", "wamid.R2", "wamid.R1"]
    );
    assert_eq!(list(ADMIN, "team=red&limit=1").await, ["wamid.R2"]);
    assert_eq!(
        list(ADMIN, "channel=15550109999").await.len(),
        4,
        "by business number"
    );
    assert_eq!(list(ADMIN, "channel=100000000000002").await.len(), 0);

    let page: Value = get(&harness, "/api/v1/permission_requests", cast.token(ADMIN))
        .await
        .json()
        .await
        .unwrap();
    let rows = page["permission_requests"].as_array().unwrap();
    let b1 = &rows[1];
    assert_eq!(b1["kind"], "permission_request");
    assert_eq!(b1["reply"], "rejected");
    assert_eq!(b1["requested_by"], cast.id(BLUE1));
    assert_eq!(b1["requested_by_name"], "blue1");
    assert_eq!(b1["business_number"], BUSINESS_NUMBER);
    assert!(rows[2]["reply"].is_null(), "R2 is unanswered");

    let (columns, csv) = csv_rows(
        &harness,
        "/api/v1/permission_requests.csv?team=red",
        cast.token(ADMIN),
    )
    .await;
    assert_eq!(csv.len(), 2);
    assert_eq!(field(&csv[1], &columns, "id"), "wamid.R1");
    assert_eq!(field(&csv[1], &columns, "reply"), "accepted_temporary");
    assert_eq!(field(&csv[1], &columns, "requested_by_name"), "red1");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn exports_running_at_once_are_bounded_and_freed_when_their_reader_leaves() {
    use futures_util::StreamExt;
    use platform::history::{HistoryFilter, ScopedQuery};
    use platform::store::calls::Visibility;

    let harness = Harness::start().await;
    let cast = Cast::new(&harness).await;
    seed(&harness, &cast, &model(1_000, 5)).await;
    let store = harness.platform.store();
    let everything = ScopedQuery {
        visibility: Visibility::All,
        filter: HistoryFilter::default(),
    };
    // Two unread exports: each query waits on its full buffer, holding its connection.
    let first = store.export_calls(&everything).unwrap();
    let second = store.export_calls(&everything).unwrap();
    assert!(store.export_calls(&everything).is_err());
    let response = get(&harness, "/api/v1/calls.csv", cast.token(ADMIN)).await;
    assert_eq!(response.status(), 429);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");

    // Read to the end, an export yields every call once; a dropped one ends its query.
    let rows: Vec<_> = first.collect().await;
    assert_eq!(rows.len(), 1_000);
    assert!(rows.iter().all(Result::is_ok));
    drop(second);
    let deadline = tokio::time::Instant::now() + WAIT;
    // Both places come back: held here once taken, until both are.
    let mut held = Vec::new();
    while held.len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "exports never freed"
        );
        match store.export_calls(&everything) {
            Ok(export) => held.push(export),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
    harness.platform.shutdown().await;
}
