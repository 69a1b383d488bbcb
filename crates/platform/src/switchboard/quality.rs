//! `call_quality`: an app's summary of how a call sounded, kept on the call's record. Not a
//! step of the call (it comes once the media has ended, often after the record is final), so
//! it never reaches the call machine; a report that cannot be true, or for another agent's
//! call, is refused with the reason and changes nothing.

use protocol::{ErrorCode, ProtocolError, ReportCallQuality};

use super::Switchboard;
use crate::store::calls::QualityKept;

impl Switchboard {
    pub(super) async fn call_quality(
        &mut self,
        agent_id: String,
        connection_id: u64,
        report: ReportCallQuality,
    ) {
        if !self.is_current(&agent_id, connection_id) {
            return;
        }
        let call_id = report.call_id.as_str();
        let refuse = |code, message: String| Err(ProtocolError::new(code, message));
        let result = match report.quality.implausible() {
            Some(why) => refuse(
                ErrorCode::InvalidMessage,
                format!("the quality summary of {call_id} cannot be true: {why}"),
            ),
            None => match self
                .store
                .record_quality(call_id, &agent_id, &report.quality)
                .await
            {
                Ok(QualityKept::Stored) => {
                    if report.quality.warnings.is_empty() {
                        tracing::debug!(call_id, quality = ?report.quality, "call quality kept");
                    } else {
                        tracing::info!(call_id, quality = ?report.quality, "call quality kept, with warnings");
                    }
                    Ok(())
                }
                Ok(QualityKept::UnknownCall) => refuse(
                    ErrorCode::UnknownCall,
                    format!("no call {call_id} on record"),
                ),
                Ok(QualityKept::NotTheirs) => refuse(
                    ErrorCode::Forbidden,
                    format!("call {call_id} was not answered or placed by this agent"),
                ),
                Ok(QualityKept::AlreadyReported) => refuse(
                    ErrorCode::InvalidCallState,
                    format!("call {call_id} already has a different quality summary"),
                ),
                Err(error) => {
                    tracing::error!(%error, call_id, "call quality not stored");
                    refuse(
                        ErrorCode::InternalError,
                        "the platform could not store the quality summary; retry".into(),
                    )
                }
            },
        };
        self.reply(&agent_id, report.request_id, result);
    }
}
