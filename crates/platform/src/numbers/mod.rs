//! Business numbers as admins change them: what a change may say ([`change`]) and what Meta
//! must be told about it ([`meta`]). Both are pure; `crate::http::numbers` runs them in order:
//! apply and validate the change, tell Meta if its part changed (a refusal stops there), store
//! it with its audit entry, hand it to the call machine.

pub mod change;
pub mod meta;

pub use change::{ChangeError, NumberChange};
pub use meta::calling_settings;
