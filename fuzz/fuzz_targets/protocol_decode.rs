//! The agent <-> platform wire protocol: `decode_client` / `decode_server` on arbitrary text.
//!
//! Asserts, for each direction:
//! - decoding never panics, and a refusal can always be turned into the message sent back;
//! - when a frame decodes, encoding the message and decoding that gives an equal message, and
//!   encoding is stable (the second frame equals the first).
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::{decode_client, decode_server, encode, DecodeError, WireMessage};

fuzz_target!(|data: &[u8]| {
    let Ok(frame) = std::str::from_utf8(data) else {
        return;
    };
    round_trip(frame, decode_client);
    round_trip(frame, decode_server);
});

fn round_trip<M>(frame: &str, decode: fn(&str) -> Result<M, DecodeError>)
where
    M: WireMessage + PartialEq + std::fmt::Debug,
{
    match decode(frame) {
        Ok(message) => {
            let encoded = encode(&message).expect("a decoded message encodes");
            let again = decode(&encoded).expect("our own frame decodes");
            assert_eq!(
                again, message,
                "round trip changed the message; frame {encoded}"
            );
            let re_encoded = encode(&again).expect("encodes again");
            assert_eq!(re_encoded, encoded, "encoding is not stable");
        }
        Err(refusal) => {
            let _ = refusal.to_string();
            let _ = refusal.code();
            let reply = refusal.to_server_message();
            let sent = encode(&reply).expect("a refusal encodes");
            assert_eq!(
                decode_server(&sent).expect("the refusal decodes on the app side"),
                reply
            );
        }
    }
}
