//! `GET /api/v1/kpis`: each agent's figures per local day.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The answer: the days asked for (in `timezone`) and a row per agent and day with activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct KpiReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// IANA name the days are counted in.
    pub timezone: String,
    /// By date, then agent name.
    pub rows: Vec<AgentDay>,
}

/// One agent's figures for one local day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AgentDay {
    pub date: NaiveDate,
    pub agent_id: String,
    pub agent_name: String,
    /// Inbound calls that rang this agent (each ring counts).
    pub offered: u32,
    /// Rings this agent answered.
    pub answered: u32,
    /// Rings that ended without this agent answering (rejected, timed out, withdrawn).
    pub missed: u32,
    /// Seconds from the customer's call to its answer, averaged over the calls answered.
    pub avg_answer_secs: Option<f64>,
    /// Talk time of the inbound calls answered, averaged (seconds).
    pub avg_talk_secs: Option<f64>,
    /// Business-initiated calls this agent placed, and how many the customer picked up.
    pub outbound_placed: u32,
    pub outbound_answered: u32,
}
