//! Global shortcuts: answer the ringing call, hang up, toggle mute.

use crate::model::ShortcutKeys;

pub const ANSWER: &str = "CommandOrControl+Shift+A";
pub const HANG_UP: &str = "CommandOrControl+Shift+H";
pub const TOGGLE_MUTE: &str = "CommandOrControl+Shift+M";

/// The shortcuts as the UI shows them.
pub fn keys() -> ShortcutKeys {
    ShortcutKeys {
        answer: ANSWER.to_owned(),
        hang_up: HANG_UP.to_owned(),
        toggle_mute: TOGGLE_MUTE.to_owned(),
    }
}
