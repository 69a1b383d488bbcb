//! placeholder
pub mod phone;
pub mod audio;
