//! `GET /call_permissions` response body (`reference/meta-calling-api.md` §4.4).

use serde_json::{json, Value};

use crate::rules::ledger::LimitUsage;
use crate::rules::{Permission, PermissionView};

fn limits(usages: &[LimitUsage]) -> Value {
    usages
        .iter()
        .map(|u| {
            let mut limit = json!({
                "time_period": u.period,
                "max_allowed": u.max_allowed,
                "current_usage": u.current_usage,
            });
            if let Some(at) = u.expires_at {
                limit["limit_expiration_time"] = json!(at.as_secs());
            }
            limit
        })
        .collect()
}

pub fn render(view: &PermissionView) -> Value {
    let permission = match view.permission {
        Permission::None => json!({ "status": "no_permission" }),
        Permission::Temporary { expires_at } => {
            json!({ "status": "temporary", "expiration_time": expires_at.as_secs() })
        }
        Permission::Permanent => json!({ "status": "permanent" }),
    };
    json!({
        "messaging_product": "whatsapp",
        "permission": permission,
        "actions": [
            {
                "action_name": "send_call_permission_request",
                "can_perform_action": view.can_request,
                "limits": limits(&view.request_limits),
            },
            {
                "action_name": "start_call",
                "can_perform_action": view.can_call,
                "limits": limits(&view.call_limits),
            }
        ]
    })
}
