//! The team's daily figures: `GET {platform}/api/v1/kpis` with the agent token (a supervisor
//! gets their team's, an admin everyone's, an agent their own).

use protocol::rest::KpiReport;

use super::rest::{endpoint, get_json};
use super::PhoneError;
use crate::transport::PlatformLink;

/// Figures per agent for each local day `from..=to` (`YYYY-MM-DD`) in `timezone` (IANA).
/// The platform's refusal (a bad date or timezone, a team not the caller's) is
/// [`PhoneError::Http`] with its code and message.
pub async fn team_figures(
    link: &PlatformLink,
    token: &str,
    from: &str,
    to: &str,
    timezone: &str,
) -> Result<KpiReport, PhoneError> {
    let mut url = endpoint(link, "/api/v1/kpis")?;
    url.query_pairs_mut()
        .append_pair("from", from)
        .append_pair("to", to)
        .append_pair("timezone", timezone);
    get_json(link, url, token).await
}
