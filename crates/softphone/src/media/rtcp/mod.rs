//! RTCP figures of a call: an interceptor ([`RtcpTap`]) in webrtc-rs's chain that watches the
//! sender and receiver reports going both ways and keeps [`RtcpFigures`] for the quality
//! watcher. webrtc-rs 0.21 sends and reads the reports (`configure_rtcp_reports`) but its
//! statistics compute no round trip and read report blocks only from RR packets, while Meta —
//! sending audio too — reports in SR packets; hence our own reading.

mod figures;

pub use figures::{Block, Reception, RtcpFigures};

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rtc::interceptor::{Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::reception_report::ReceptionReport;
use rtc::rtcp::sender_report::SenderReport;
use rtc::sansio::Protocol;
use rtc::shared::error::Error;

/// Where the tap sits: network-ward of the report generators (receiver 10 000, sender 11 000),
/// so it sees the reports they write on their way out and Meta's before anything consumes them.
pub const TAP_SLOT: usize = 9_500;

/// The figures, shared between the tap (inside the peer connection) and the session.
pub type SharedFigures = Arc<Mutex<RtcpFigures>>;

/// Passes every packet through unchanged, noting the reports.
pub struct RtcpTap {
    figures: SharedFigures,
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

impl RtcpTap {
    pub fn new(figures: SharedFigures) -> Self {
        Self {
            figures,
            read: VecDeque::new(),
            write: VecDeque::new(),
        }
    }

    fn note(&self, msg: &TaggedPacket, outgoing: bool) {
        let Packet::Rtcp(packets) = &msg.message.packet else {
            return;
        };
        let Ok(mut figures) = self.figures.lock() else {
            return;
        };
        for packet in packets {
            let any = packet.as_any();
            let (reports, sender_ntp): (&[ReceptionReport], Option<u64>) =
                if let Some(sr) = any.downcast_ref::<SenderReport>() {
                    (&sr.reports, Some(sr.ntp_time))
                } else if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
                    (&rr.reports, None)
                } else {
                    continue;
                };
            if let (true, Some(ntp)) = (outgoing, sender_ntp) {
                figures.sent_sender_report(ntp, msg.now);
            }
            for report in reports {
                let block = Block {
                    fraction_lost: report.fraction_lost,
                    total_lost: report.total_lost,
                    jitter: report.jitter,
                    last_sender_report: report.last_sender_report,
                    delay: report.delay,
                };
                match outgoing {
                    true => figures.sent_block(&block),
                    false => figures.received_block(&block, msg.now),
                }
            }
        }
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for RtcpTap {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        self.note(&msg, false);
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<Self::Rout> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        self.note(&msg, true);
        self.write.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<Self::Wout> {
        self.write.pop_front()
    }
}

impl Interceptor for RtcpTap {
    fn bind_local_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _info: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}
