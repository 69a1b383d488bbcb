//! Meta's SDP rules on arbitrary text: `ParsedSdp::parse`, `validate_for_meta` and
//! `shape_for_meta` for every `SdpRole`.
//!
//! Asserts, for every role:
//! - nothing panics, and `validate_for_meta` fails exactly when `violations_for_meta` is non-empty;
//! - shaping is idempotent: `shape(shape(x)) == shape(x)`;
//! - shaped output has CRLF line ends, no blank line and no trailing whitespace, so the validator
//!   never reports line endings or blank lines on it;
//! - shaping never breaks a valid SDP: if `x` validates for a role, `shape(x)` does too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whatsapp::sdp::{
    shape_for_meta, validate_for_meta, violations_for_meta, ParsedSdp, SdpRole, SdpViolation,
};

const ROLES: [SdpRole; 4] = [
    SdpRole::OfferFromMeta,
    SdpRole::AnswerFromMeta,
    SdpRole::OfferToMeta,
    SdpRole::AnswerToMeta,
];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    let parsed = ParsedSdp::parse(text);
    for section in &parsed.media {
        let _ = section.rtpmaps();
    }
    let _ = parsed.lines();

    for role in ROLES {
        let violations = violations_for_meta(text, role);
        let valid = validate_for_meta(text, role);
        assert_eq!(valid.is_ok(), violations.is_empty(), "{role:?}");
        if let Err(all) = &valid {
            let _ = all.to_string();
            let _ = all.codes();
        }

        let shaped = shape_for_meta(text, role);
        let twice = shape_for_meta(&shaped, role);
        assert_eq!(twice, shaped, "shaping is not idempotent for {role:?}");

        assert_clean_lines(&shaped);
        for violation in violations_for_meta(&shaped, role) {
            assert!(
                !is_layout_violation(&violation),
                "shaped SDP still has a layout problem for {role:?}: {violation}"
            );
        }

        if valid.is_ok() {
            if let Err(broken) = validate_for_meta(&shaped, role) {
                panic!("shaping broke a valid SDP for {role:?}: {broken}\n--- input\n{text:?}\n--- shaped\n{shaped:?}");
            }
        }
    }
});

/// Shaped text is empty or CRLF-terminated lines, none blank, none ending in whitespace.
fn assert_clean_lines(shaped: &str) {
    if shaped.is_empty() {
        return;
    }
    let body = shaped
        .strip_suffix("\r\n")
        .expect("shaped SDP ends in CRLF");
    for line in body.split("\r\n") {
        assert!(!line.is_empty(), "blank line in shaped SDP {shaped:?}");
        assert!(!line.contains('\n'), "bare LF in shaped SDP {shaped:?}");
        assert_eq!(line, line.trim_end(), "trailing whitespace in {shaped:?}");
    }
}

/// Line-ending and blank-line violations: the ones shaping promises to remove.
fn is_layout_violation(violation: &SdpViolation) -> bool {
    match violation {
        SdpViolation::NotCrlf { .. } => true,
        SdpViolation::MalformedLine { text, .. } => text.is_empty(),
        _ => false,
    }
}
