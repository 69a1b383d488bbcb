-- How a call sounded, as the answering agent's app measured it (protocol::CallQuality as
-- JSON): MOS, loss both ways, round trip, jitter, and the warnings that held. Reported once
-- the call's media ended; NULL for calls without media or whose app did not report.
ALTER TABLE calls ADD COLUMN quality TEXT;
