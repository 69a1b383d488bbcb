//! Meta's SDP rules: a forgiving parser, a validator that reports every violation, and a shaper
//! applying the community's known fixes. Pure functions over text.

pub mod parse;
pub mod shape;
pub mod validate;
pub mod violation;

pub use parse::{LineEndings, MalformedLine, MediaSection, ParsedSdp, RtpMap, SdpLine};
pub use shape::shape_for_meta;
pub use validate::{validate_for_meta, violations_for_meta, SdpRole};
pub use violation::{SdpViolation, SdpViolations};
