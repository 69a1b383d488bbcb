//! The daily figures of `crate::kpis` in one aggregated query: the days are a `VALUES` list,
//! rings, answered calls and placed calls are each grouped by day and agent, and the caller's
//! scope is applied to the agents. Never one query per day or per agent.

use sqlx::{QueryBuilder, Row, Sqlite};

use super::calls::Visibility;
use super::{Store, StoreError};
use crate::kpis::{AgentDay, Day};

/// A count from SQL (never negative, and far below `u32::MAX` per agent and day).
fn count(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

impl Store {
    /// Each agent's figures per day of `days`, for the agents `scope` lets the caller see
    /// (narrowed to `team` when given), by date then name. Agents with nothing that day are
    /// left out.
    pub async fn agent_days(
        &self,
        days: &[Day],
        scope: &Visibility,
        team: Option<&str>,
    ) -> Result<Vec<AgentDay>, StoreError> {
        if days.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new("WITH days(day, lo, hi) AS (");
        sql.push_values(days, |mut row, day| {
            row.push_bind(day.date.to_string())
                .push_bind(day.start_ms)
                .push_bind(day.end_ms);
        });
        sql.push(
            "), rings AS ( \
               SELECT d.day, r.agent_id, COUNT(*) AS offered, \
                      SUM(r.outcome = 'accepted') AS answered, \
                      SUM(r.outcome NOT IN ('accepted', 'ringing')) AS missed \
               FROM call_rings r JOIN calls c ON c.id = r.call_id \
               JOIN days d ON r.rung_at >= d.lo AND r.rung_at < d.hi \
               WHERE c.direction = 'inbound' GROUP BY d.day, r.agent_id), \
             talks AS ( \
               SELECT d.day, c.answered_by AS agent_id, \
                      AVG(c.answered_at - c.offered_at) / 1000.0 AS answer_secs, \
                      AVG(c.duration_secs) AS talk_secs \
               FROM calls c JOIN days d ON c.answered_at >= d.lo AND c.answered_at < d.hi \
               WHERE c.direction = 'inbound' AND c.answered_by IS NOT NULL \
               GROUP BY d.day, c.answered_by), \
             placed AS ( \
               SELECT d.day, c.placed_by AS agent_id, COUNT(*) AS placed, \
                      SUM(c.answered_at IS NOT NULL) AS picked_up \
               FROM calls c JOIN days d ON c.offered_at >= d.lo AND c.offered_at < d.hi \
               WHERE c.direction = 'outbound' AND c.placed_by IS NOT NULL \
               GROUP BY d.day, c.placed_by), \
             keys AS ( \
               SELECT day, agent_id FROM rings UNION SELECT day, agent_id FROM talks \
               UNION SELECT day, agent_id FROM placed) \
             SELECT k.day, k.agent_id, a.name, \
                    COALESCE(r.offered, 0) AS offered, COALESCE(r.answered, 0) AS answered, \
                    COALESCE(r.missed, 0) AS missed, t.answer_secs, t.talk_secs, \
                    COALESCE(p.placed, 0) AS placed, COALESCE(p.picked_up, 0) AS picked_up \
             FROM keys k JOIN agents a ON a.id = k.agent_id \
             LEFT JOIN rings r ON r.day = k.day AND r.agent_id = k.agent_id \
             LEFT JOIN talks t ON t.day = k.day AND t.agent_id = k.agent_id \
             LEFT JOIN placed p ON p.day = k.day AND p.agent_id = k.agent_id \
             WHERE 1 = 1",
        );
        match scope {
            Visibility::All => {}
            Visibility::Own(agent_id) => {
                sql.push(" AND a.id = ").push_bind(agent_id.clone());
            }
            Visibility::Team(Some(own)) => {
                sql.push(" AND a.team = ").push_bind(own.clone());
            }
            // A supervisor without a team sees nobody.
            Visibility::Team(None) => {
                sql.push(" AND 1 = 0");
            }
        }
        if let Some(team) = team {
            sql.push(" AND a.team = ").push_bind(team.to_owned());
        }
        sql.push(" ORDER BY k.day, a.name, a.id");
        let rows = sql.build().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                let day: String = row.try_get("day")?;
                let date = day.parse().map_err(|_| StoreError::Corrupt {
                    column: "kpis.day",
                    value: day.clone(),
                    reason: "not a date".into(),
                })?;
                Ok(AgentDay {
                    date,
                    agent_id: row.try_get("agent_id")?,
                    agent_name: row.try_get("name")?,
                    offered: count(row.try_get("offered")?),
                    answered: count(row.try_get("answered")?),
                    missed: count(row.try_get("missed")?),
                    avg_answer_secs: row.try_get("answer_secs")?,
                    avg_talk_secs: row.try_get("talk_secs")?,
                    outbound_placed: count(row.try_get("placed")?),
                    outbound_answered: count(row.try_get("picked_up")?),
                })
            })
            .collect()
    }
}
