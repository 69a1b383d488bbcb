//! The native notification for an incoming call (the popup and ring come with it).

use crate::model::IncomingCall;
use protocol::RoutedBecause;
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

/// Title and body: who calls, which business number, and why the call came to this agent.
pub fn incoming_text(call: &IncomingCall) -> (String, String) {
    let caller = match &call.customer_name {
        Some(name) => format!("{name} (+{})", call.customer_number),
        None => format!("+{}", call.customer_number),
    };
    let why = match call.routed_because {
        RoutedBecause::OpenConversation => "your open conversation",
        RoutedBecause::ContactOwner => "you own this contact",
        RoutedBecause::RoundRobin => "next in line",
    };
    (
        format!("Incoming WhatsApp call: {caller}"),
        format!("To +{} · {why}", call.business_number),
    )
}

pub fn incoming(app: &AppHandle, call: &IncomingCall) {
    let (title, body) = incoming_text(call);
    if let Err(error) = app.notification().builder().title(title).body(body).show() {
        tracing::warn!(%error, "no desktop notification for the incoming call");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_caller_the_number_called_and_the_reason() {
        let mut call = IncomingCall {
            call_id: "c".into(),
            customer_name: Some("Maria Silva".into()),
            customer_number: "15550002222".into(),
            business_number: "15550001111".into(),
            routed_because: RoutedBecause::OpenConversation,
            offered_at_ms: 0,
        };
        assert_eq!(
            incoming_text(&call),
            (
                "Incoming WhatsApp call: Maria Silva (+15550002222)".into(),
                "To +15550001111 · your open conversation".into()
            )
        );
        call.customer_name = None;
        call.routed_because = RoutedBecause::RoundRobin;
        let (title, body) = incoming_text(&call);
        assert_eq!(title, "Incoming WhatsApp call: +15550002222");
        assert!(body.ends_with("next in line"));
    }
}
