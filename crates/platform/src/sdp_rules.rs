//! Meta's rules for the SDP answer an agent's app sends with `accept_call`, checked before
//! anything reaches Meta so the agent gets the reason instead of a Graph error.

/// Ok, or why Meta would refuse this answer.
pub fn check_answer(sdp: &str) -> Result<(), String> {
    let audio_sections = sdp
        .lines()
        .filter(|line| line.starts_with("m=audio"))
        .count();
    if audio_sections != 1 {
        return Err(format!(
            "an SDP answer for WhatsApp must have exactly one m=audio section, found {audio_sections}"
        ));
    }
    Ok(())
}
