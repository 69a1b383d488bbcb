//! placeholder
pub mod call;
pub mod clock;
