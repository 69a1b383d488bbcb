//! WhatsApp call permissions and limits (PRODUCT.md "Call permissions and limits"): a pure
//! [`PermissionLedger`] per business number + customer, and a [`NumberCallBudget`] per
//! business number, both over injected time.
//!
//! The server feeds it events (messages, requests, replies, calls) and asks it before sending
//! anything to Meta: a call or request the rules forbid is refused here, with the reason and,
//! where one exists, the date from which it becomes possible.

mod ledger;
#[cfg(test)]
mod ledger_props;
mod limits;
mod number_budget;
mod reconcile;
mod refusal;
mod state;
#[cfg(test)]
mod tests;

pub use ledger::{Grant, PermissionEvent, PermissionLedger};
pub use limits::{PermissionLimits, DAY, WEEK};
pub use number_budget::{NumberCallBudget, NumberLimits, NumberRefusal};
pub use reconcile::reconcile;
pub use refusal::{CallRefusal, RequestRefusal};
