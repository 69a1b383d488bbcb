//! The SQL of the history: a [`ScopedQuery`] becomes one statement per page (the calls of the
//! page joined with their rings and agent names, never a query per row), or one streamed
//! statement for a CSV export, read row by row and never held in memory as a whole.
//!
//! Order: newest first (`offered_at` / `at` descending), then by id ascending. A page's cursor
//! is its last record's (time, id), so the next page is the keyset after it: records inserted
//! meanwhile neither repeat nor shift what comes next (docs/adr/0017-history-paging-and-csv.md).

use futures_util::{Stream, StreamExt};
use protocol::rest::CallRecord;
use protocol::{
    AgentId, CallId, CallStatus, Channel, Customer, Direction, PhoneNumber, RecordingId,
    RingAttempt,
};
use serde::Serialize;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, Sqlite};
use tokio::sync::mpsc;

use super::calls::Visibility;
use super::wire::{name_of, parse, timestamp};
use super::{Store, StoreError};
use crate::history::{Cursor, HistoryFilter, PageRequest, ScopedQuery, View};

/// A call as the history lists it: the record, plus the channel it came through and the names
/// of the agents (joined in the same query).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryCall {
    #[serde(flatten)]
    pub record: CallRecord,
    /// The business number's Meta id: the call's channel (line) within WhatsApp.
    pub phone_number_id: String,
    /// The agent who placed a business-initiated call.
    pub placed_by: Option<String>,
    /// The name of the agent who talked, or else of the one who placed the call.
    pub agent_name: Option<String>,
    /// The names of `agents_rung`, in the same order (for the CSV; the JSON has the ids).
    #[serde(skip)]
    pub rung_names: Vec<Option<String>>,
}

/// A call-permission request an agent sent (PRODUCT.md "Permission requests" view), with the
/// customer's first reply before the next request, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PermissionRequestRecord {
    /// Always `permission_request`.
    pub kind: &'static str,
    /// Meta's message id of the request.
    pub id: String,
    pub phone_number_id: String,
    /// Filled in from the configured numbers (the facts keep the phone_number_id only).
    pub business_number: Option<String>,
    pub customer: Customer,
    /// Null for requests stored before the platform kept who asked.
    pub requested_by: Option<String>,
    pub requested_by_name: Option<String>,
    pub requested_at: protocol::Timestamp,
    /// `accepted_temporary`, `accepted_permanent` or `rejected`; null while unanswered.
    pub reply: Option<String>,
    pub replied_at: Option<protocol::Timestamp>,
}

/// One page and where the next one starts (`None` on the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub next: Option<Cursor>,
}

enum Bind {
    Text(String),
    Int(i64),
}

/// A statement being built, with its numbered bind values (`$1`, `$2`… in order).
#[derive(Default)]
struct Statement {
    conditions: String,
    binds: Vec<Bind>,
}

impl Statement {
    /// Adds a bind value; returns its placeholder.
    fn text(&mut self, value: &str) -> String {
        self.binds.push(Bind::Text(value.to_owned()));
        format!("${}", self.binds.len())
    }

    fn int(&mut self, value: i64) -> String {
        self.binds.push(Bind::Int(value));
        format!("${}", self.binds.len())
    }

    fn and(&mut self, condition: &str) {
        self.conditions.push_str(" AND ");
        self.conditions.push_str(condition);
    }

    fn query<'q>(&self, sql: &'q str) -> sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>> {
        let mut query = sqlx::query(sql);
        for bind in &self.binds {
            query = match bind {
                Bind::Text(text) => query.bind(text.clone()),
                Bind::Int(int) => query.bind(*int),
            };
        }
        query
    }
}

/// The table a history lists, with the SQL that differs between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Calls,
    PermissionRequests,
}

impl Source {
    fn time(self) -> &'static str {
        match self {
            Source::Calls => "c.offered_at",
            Source::PermissionRequests => "p.at",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Source::Calls => "c.id",
            Source::PermissionRequests => "p.id",
        }
    }

    /// The condition "the agent `agent` (an SQL expression) was involved": rung for, talked
    /// on or placed the call; asked for the permission.
    fn involves(self, agent: &str) -> String {
        match self {
            Source::Calls => format!(
                "(c.answered_by = {agent} OR c.placed_by = {agent} OR EXISTS (SELECT 1 FROM \
                 call_rings r WHERE r.call_id = c.id AND r.agent_id = {agent}))"
            ),
            Source::PermissionRequests => format!("p.agent_id = {agent}"),
        }
    }

    fn team_involved(self, team: &str) -> String {
        format!(
            "EXISTS (SELECT 1 FROM agents t WHERE t.team = {team} AND {})",
            self.involves("t.id")
        )
    }
}

/// The WHERE conditions of `query` (scope, filters, then the page's keyset) on `source`.
fn conditions(source: Source, query: &ScopedQuery, after: Option<&Cursor>) -> Statement {
    let mut sql = Statement::default();
    match &query.visibility {
        Visibility::All => {}
        Visibility::Own(agent) => {
            let agent = sql.text(agent);
            sql.and(&source.involves(&agent));
        }
        // A supervisor without a team sees nothing (rather than every team-less agent's calls).
        Visibility::Team(None) => sql.and("1 = 0"),
        Visibility::Team(Some(team)) => {
            let team = sql.text(team);
            sql.and(&source.team_involved(&team));
        }
    }
    filter_conditions(source, &query.filter, &mut sql);
    if let Some(after) = after {
        let (at, id) = (sql.int(after.at), sql.text(&after.id));
        let (time, key) = (source.time(), source.id());
        sql.and(&format!(
            "({time} < {at} OR ({time} = {at} AND {key} > {id}))"
        ));
    }
    sql
}

fn filter_conditions(source: Source, filter: &HistoryFilter, sql: &mut Statement) {
    let inbound = name_of(&Direction::Inbound);
    match filter.view {
        View::All => {}
        View::Received => {
            let direction = sql.text(&inbound);
            sql.and(&format!("c.direction = {direction}"));
        }
        View::Outbound => {
            let direction = sql.text(&name_of(&Direction::Outbound));
            sql.and(&format!("c.direction = {direction}"));
        }
        View::Missed => {
            let direction = sql.text(&inbound);
            let ringing = sql.text(&name_of(&CallStatus::Ringing));
            let on_call = sql.text(&name_of(&CallStatus::OnCall));
            sql.and(&format!(
                "c.direction = {direction} AND c.answered_at IS NULL \
                 AND c.status NOT IN ({ringing}, {on_call})"
            ));
        }
    }
    if let Some(status) = &filter.status {
        let status = sql.text(&name_of(status));
        sql.and(&format!("c.status = {status}"));
    }
    if let Some(direction) = &filter.direction {
        let direction = sql.text(&name_of(direction));
        sql.and(&format!("c.direction = {direction}"));
    }
    if let Some(agent) = &filter.agent {
        let agent = sql.text(agent);
        sql.and(&source.involves(&agent));
    }
    if let Some(team) = &filter.team {
        let team = sql.text(team);
        sql.and(&source.team_involved(&team));
    }
    if let Some(channel) = &filter.channel {
        let channel = sql.text(channel);
        sql.and(&match source {
            Source::Calls => {
                format!("(c.phone_number_id = {channel} OR c.business_number = {channel})")
            }
            Source::PermissionRequests => format!("p.phone_number_id = {channel}"),
        });
    }
    if let Some(from) = filter.from {
        let from = sql.int(from);
        sql.and(&format!("{} >= {from}", source.time()));
    }
    if let Some(to) = filter.to {
        let to = sql.int(to);
        sql.and(&format!("{} < {to}", source.time()));
    }
}

/// The calls matching `sql`'s conditions (plus `extra`), at most `limit` (all when `None`),
/// each joined with its rings (one output row per ring, none-ring calls once) and the agents'
/// names.
fn calls_sql(sql: &mut Statement, limit: Option<i64>) -> String {
    let limit = limit.map(|limit| format!(" LIMIT {}", sql.int(limit)));
    format!(
        "WITH page AS (SELECT c.id, c.direction, c.phone_number_id, c.business_number, \
         c.customer_number, c.customer_name, c.status, c.ended_by, c.answered_by, c.placed_by, \
         c.offered_at, c.answered_at, c.ended_at, c.duration_secs, c.meta_error_code, \
         c.quality FROM calls c WHERE 1 = 1{conditions} ORDER BY c.offered_at DESC, c.id{limit}) \
         SELECT page.*, who.name, r.agent_id, rung.name, r.routed_because, r.rung_at, \
         r.ended_at, r.outcome, \
         EXISTS (SELECT 1 FROM recordings rec WHERE rec.call_id = page.id) FROM page \
         LEFT JOIN agents who ON who.id = COALESCE(page.answered_by, page.placed_by) \
         LEFT JOIN call_rings r ON r.call_id = page.id \
         LEFT JOIN agents rung ON rung.id = r.agent_id \
         ORDER BY page.offered_at DESC, page.id, r.seq",
        conditions = sql.conditions,
        limit = limit.unwrap_or_default(),
    )
}

fn requests_sql(sql: &mut Statement, limit: Option<i64>) -> String {
    let limit = limit.map(|limit| format!(" LIMIT {}", sql.int(limit)));
    // The first reply after the request and before the pair's next request. Meta's reply
    // times have whole seconds only (the request's are the platform's milliseconds): a reply
    // in the request's own second can look up to 999 ms older than it.
    let reply = |column: &str| {
        format!(
            "(SELECT x.{column} FROM permission_events x WHERE x.phone_number_id = \
             p.phone_number_id AND x.customer_number = p.customer_number AND x.kind IN \
             ('accepted_temporary', 'accepted_permanent', 'rejected') AND x.at > p.at - 1000 \
             AND NOT \
             EXISTS (SELECT 1 FROM permission_events n WHERE n.phone_number_id = \
             p.phone_number_id AND n.customer_number = p.customer_number AND n.kind = \
             'request_sent' AND n.at > p.at AND n.at <= x.at) ORDER BY x.at, x.id LIMIT 1)"
        )
    };
    format!(
        "SELECT p.id, p.phone_number_id, p.customer_number, v.customer_name, p.agent_id, \
         a.name, p.at, {kind}, {at} FROM permission_events p \
         LEFT JOIN agents a ON a.id = p.agent_id \
         LEFT JOIN conversations v ON v.phone_number_id = p.phone_number_id \
         AND v.customer_number = p.customer_number \
         WHERE p.kind = 'request_sent'{conditions} ORDER BY p.at DESC, p.id{limit}",
        kind = reply("kind"),
        at = reply("at"),
        conditions = sql.conditions,
        limit = limit.unwrap_or_default(),
    )
}

fn corrupt(column: &'static str, value: &str, error: impl ToString) -> StoreError {
    StoreError::Corrupt {
        column,
        value: value.to_owned(),
        reason: error.to_string(),
    }
}

fn phone(column: &'static str, value: String) -> Result<PhoneNumber, StoreError> {
    PhoneNumber::new(value.clone()).map_err(|e| corrupt(column, &value, e))
}

fn agent_id(column: &'static str, value: String) -> Result<AgentId, StoreError> {
    AgentId::new(value.clone()).map_err(|e| corrupt(column, &value, e))
}

/// Turns the rows of one statement into records, in order: several rows can make one record
/// (a call and its rings).
trait RowFold: Default + Send + 'static {
    type Record: Send + 'static;
    /// The record finished by `row`'s arrival, if any.
    fn push(&mut self, row: &SqliteRow) -> Result<Option<Self::Record>, StoreError>;
    /// The record still open when the rows end.
    fn finish(&mut self) -> Result<Option<Self::Record>, StoreError>;
    /// Where a record sits in the order (for the next page's cursor).
    fn position(record: &Self::Record) -> Cursor;
}

/// Groups a call's consecutive rows (one per ring) into one [`HistoryCall`].
#[derive(Default)]
struct CallRows {
    open: Option<HistoryCall>,
}

impl CallRows {
    fn call(row: &SqliteRow) -> Result<HistoryCall, StoreError> {
        let id: String = row.try_get(0)?;
        let direction: String = row.try_get(1)?;
        let status: String = row.try_get(6)?;
        let ended_by: Option<String> = row.try_get(7)?;
        let answered_by: Option<String> = row.try_get(8)?;
        let answered_at: Option<i64> = row.try_get(11)?;
        let ended_at: Option<i64> = row.try_get(12)?;
        let duration_secs: Option<i64> = row.try_get(13)?;
        let meta_error_code: Option<i64> = row.try_get(14)?;
        let quality: Option<String> = row.try_get(15)?;
        let recorded: bool = row.try_get(23)?;
        Ok(HistoryCall {
            record: CallRecord {
                id: CallId::new(id.clone()).map_err(|e| corrupt("calls.id", &id, e))?,
                direction: parse("calls.direction", &direction)?,
                channel: Channel::Whatsapp,
                business_number: phone("calls.business_number", row.try_get(3)?)?,
                customer: Customer {
                    number: phone("calls.customer_number", row.try_get(4)?)?,
                    profile_name: row.try_get(5)?,
                },
                agents_rung: Vec::new(),
                answered_by: answered_by
                    .map(|agent| agent_id("calls.answered_by", agent))
                    .transpose()?,
                status: parse("calls.status", &status)?,
                ended_by: ended_by
                    .map(|party| parse("calls.ended_by", &party))
                    .transpose()?,
                offered_at: timestamp(row.try_get(10)?),
                answered_at: answered_at.map(timestamp),
                ended_at: ended_at.map(timestamp),
                duration_secs: duration_secs
                    .and_then(|secs| u32::try_from(secs).ok())
                    .unwrap_or(0),
                meta_error_code: meta_error_code.and_then(|code| u32::try_from(code).ok()),
                // A recording is known by its call's id.
                recording: recorded
                    .then(|| RecordingId::new(id.clone()).map_err(|e| corrupt("calls.id", &id, e)))
                    .transpose()?,
                quality: quality
                    .map(|json| {
                        serde_json::from_str(&json).map_err(|e| corrupt("calls.quality", &json, e))
                    })
                    .transpose()?,
            },
            phone_number_id: row.try_get(2)?,
            placed_by: row.try_get(9)?,
            agent_name: row.try_get(16)?,
            rung_names: Vec::new(),
        })
    }

    fn add_ring(call: &mut HistoryCall, row: &SqliteRow) -> Result<(), StoreError> {
        let Some(agent) = row.try_get::<Option<String>, _>(17)? else {
            return Ok(());
        };
        let because: String = row.try_get(19)?;
        let ended_at: Option<i64> = row.try_get(21)?;
        let outcome: String = row.try_get(22)?;
        call.record.agents_rung.push(RingAttempt {
            agent_id: agent_id("call_rings.agent_id", agent)?,
            routed_because: parse("call_rings.routed_because", &because)?,
            rung_at: timestamp(row.try_get(20)?),
            ended_at: ended_at.map(timestamp),
            outcome: parse("call_rings.outcome", &outcome)?,
        });
        call.rung_names.push(row.try_get(18)?);
        Ok(())
    }
}

impl RowFold for CallRows {
    type Record = HistoryCall;

    fn push(&mut self, row: &SqliteRow) -> Result<Option<HistoryCall>, StoreError> {
        let id: String = row.try_get(0)?;
        let finished = match &mut self.open {
            Some(open) if open.record.id.as_str() == id => None,
            _ => self.open.replace(Self::call(row)?),
        };
        if let Some(open) = &mut self.open {
            Self::add_ring(open, row)?;
        }
        Ok(finished)
    }

    fn finish(&mut self) -> Result<Option<HistoryCall>, StoreError> {
        Ok(self.open.take())
    }

    fn position(call: &HistoryCall) -> Cursor {
        Cursor {
            at: call.record.offered_at.timestamp_millis(),
            id: call.record.id.as_str().to_owned(),
        }
    }
}

/// One row, one permission request.
#[derive(Default)]
struct RequestRows;

impl RowFold for RequestRows {
    type Record = PermissionRequestRecord;

    fn push(&mut self, row: &SqliteRow) -> Result<Option<PermissionRequestRecord>, StoreError> {
        let replied_at: Option<i64> = row.try_get(8)?;
        Ok(Some(PermissionRequestRecord {
            kind: "permission_request",
            id: row.try_get(0)?,
            phone_number_id: row.try_get(1)?,
            business_number: None,
            customer: Customer {
                number: phone("permission_events.customer_number", row.try_get(2)?)?,
                profile_name: row.try_get(3)?,
            },
            requested_by: row.try_get(4)?,
            requested_by_name: row.try_get(5)?,
            requested_at: timestamp(row.try_get(6)?),
            reply: row.try_get(7)?,
            replied_at: replied_at.map(timestamp),
        }))
    }

    fn finish(&mut self) -> Result<Option<PermissionRequestRecord>, StoreError> {
        Ok(None)
    }

    fn position(request: &PermissionRequestRecord) -> Cursor {
        Cursor {
            at: request.requested_at.timestamp_millis(),
            id: request.id.clone(),
        }
    }
}

/// Refused: as many exports as may run at once are running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "{} exports are running already; retry when one is done",
    super::CONCURRENT_EXPORTS
)]
pub struct ExportsBusy;

/// Rows buffered between the export's query and the HTTP body: the memory an export holds.
const STREAM_BUFFER: usize = 256;

impl Store {
    /// One page of calls: one statement (calls, rings and names joined).
    pub async fn history_calls(
        &self,
        query: &ScopedQuery,
        page: &PageRequest,
    ) -> Result<Page<HistoryCall>, StoreError> {
        self.page::<CallRows>(Source::Calls, query, page).await
    }

    /// One page of permission requests: one statement.
    pub async fn history_permission_requests(
        &self,
        query: &ScopedQuery,
        page: &PageRequest,
    ) -> Result<Page<PermissionRequestRecord>, StoreError> {
        self.page::<RequestRows>(Source::PermissionRequests, query, page)
            .await
    }

    /// Every call of the view, streamed from one statement as the consumer reads them;
    /// [`ExportsBusy`] while [`super::CONCURRENT_EXPORTS`] exports are running.
    pub fn export_calls(
        &self,
        query: &ScopedQuery,
    ) -> Result<impl Stream<Item = Result<HistoryCall, StoreError>> + Send + 'static, ExportsBusy>
    {
        self.export::<CallRows>(Source::Calls, query)
    }

    /// Every permission request of the view, streamed (see [`Store::export_calls`]).
    pub fn export_permission_requests(
        &self,
        query: &ScopedQuery,
    ) -> Result<
        impl Stream<Item = Result<PermissionRequestRecord, StoreError>> + Send + 'static,
        ExportsBusy,
    > {
        self.export::<RequestRows>(Source::PermissionRequests, query)
    }

    /// One call record, if it exists and `visibility` allows it (the history's statement,
    /// narrowed to the id).
    pub async fn call_record(
        &self,
        id: &str,
        visibility: &Visibility,
    ) -> Result<Option<CallRecord>, StoreError> {
        let query = ScopedQuery {
            visibility: visibility.clone(),
            filter: HistoryFilter::default(),
        };
        let mut statement = conditions(Source::Calls, &query, None);
        let id = statement.text(id);
        statement.and(&format!("c.id = {id}"));
        let sql = calls_sql(&mut statement, Some(1));
        let rows = statement.query(&sql).fetch_all(self.pool()).await?;
        let mut fold = CallRows::default();
        for row in &rows {
            fold.push(row)?;
        }
        Ok(fold.finish()?.map(|call| call.record))
    }

    async fn page<F: RowFold>(
        &self,
        source: Source,
        query: &ScopedQuery,
        page: &PageRequest,
    ) -> Result<Page<F::Record>, StoreError> {
        let mut statement = conditions(source, query, page.after.as_ref());
        // One more than asked: whether it exists says whether there is a next page.
        let sql = sql_of(source, &mut statement, Some(page.limit + 1));
        let rows = statement.query(&sql).fetch_all(self.pool()).await?;
        let mut fold = F::default();
        let mut records = Vec::new();
        for row in &rows {
            records.extend(fold.push(row)?);
        }
        records.extend(fold.finish()?);
        let wanted = usize::try_from(page.limit).unwrap_or(usize::MAX);
        let next = (records.len() > wanted).then(|| {
            records.truncate(wanted);
            records.last().map(F::position)
        });
        Ok(Page {
            rows: records,
            next: next.flatten(),
        })
    }

    /// Runs the view's statement on a task of its own that sends records through a bounded
    /// channel: the consumer's pace (the HTTP client's) is the query's, and a consumer that
    /// goes away ends the query and frees its connection.
    fn export<F: RowFold>(
        &self,
        source: Source,
        query: &ScopedQuery,
    ) -> Result<impl Stream<Item = Result<F::Record, StoreError>> + Send + 'static, ExportsBusy>
    {
        let permit = self.export_permit().ok_or(ExportsBusy)?;
        let mut statement = conditions(source, query, None);
        let sql = sql_of(source, &mut statement, None);
        let pool = self.pool().clone();
        let (sender, receiver) = mpsc::channel(STREAM_BUFFER);
        tokio::spawn(async move {
            let _permit = permit;
            let mut rows = statement.query(&sql).fetch(&pool);
            let mut fold = F::default();
            while let Some(row) = rows.next().await {
                let record = row
                    .map_err(StoreError::from)
                    .and_then(|row| fold.push(&row));
                let failed = record.is_err();
                if let Some(record) = record.transpose() {
                    if sender.send(record).await.is_err() || failed {
                        return;
                    }
                }
            }
            if let Some(record) = fold.finish().transpose() {
                let _ = sender.send(record).await;
            }
        });
        Ok(futures_util::stream::unfold(
            receiver,
            |mut receiver| async move { receiver.recv().await.map(|record| (record, receiver)) },
        ))
    }
}

fn sql_of(source: Source, statement: &mut Statement, limit: Option<i64>) -> String {
    match source {
        Source::Calls => calls_sql(statement, limit),
        Source::PermissionRequests => requests_sql(statement, limit),
    }
}
