//! Meta's SDP rules on Meta's own samples and on answers we would send.

// Test code: a panic is the failure report (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used)]

use whatsapp::sdp::{
    shape_for_meta, validate_for_meta, violations_for_meta, ParsedSdp, SdpRole, SdpViolation,
};

const DOC_OFFER: &str = include_str!("fixtures/meta-offer-doc.sdp");
const LIVE_OFFER: &str = include_str!("fixtures/meta-offer-live.sdp");
const OUR_ANSWER: &str = include_str!("fixtures/business-answer.sdp");

const ROLES: [SdpRole; 4] = [
    SdpRole::OfferFromMeta,
    SdpRole::AnswerFromMeta,
    SdpRole::OfferToMeta,
    SdpRole::AnswerToMeta,
];

fn codes(sdp: &str, role: SdpRole) -> Vec<&'static str> {
    violations_for_meta(sdp, role)
        .iter()
        .map(SdpViolation::code)
        .collect()
}

#[test]
fn fixtures_really_have_crlf_line_ends() {
    for sdp in [DOC_OFFER, LIVE_OFFER, OUR_ANSWER] {
        assert!(sdp.ends_with("\r\n"));
        assert_eq!(sdp.matches('\n').count(), sdp.matches("\r\n").count());
    }
}

#[test]
fn meta_sample_offers_are_valid_offers_from_meta() {
    assert_eq!(validate_for_meta(DOC_OFFER, SdpRole::OfferFromMeta), Ok(()));
    assert_eq!(
        validate_for_meta(LIVE_OFFER, SdpRole::OfferFromMeta),
        Ok(())
    );
    let parsed = ParsedSdp::parse(LIVE_OFFER);
    assert_eq!(parsed.all_attributes("ice-lite"), vec![None]);
    assert_eq!(parsed.all_attributes("setup"), vec![Some("actpass")]);
}

#[test]
fn meta_offers_would_be_wrong_as_our_answers() {
    // ice-lite and actpass are Meta's; as our answer they break the rules, and every one is named.
    let found = codes(LIVE_OFFER, SdpRole::AnswerToMeta);
    assert_eq!(found, vec!["sdp.setup_role", "sdp.ice_lite"]);
    // The doc offer also lacks a=ptime, which only SDPs we send must carry.
    let found = codes(DOC_OFFER, SdpRole::AnswerToMeta);
    assert_eq!(
        found,
        vec!["sdp.ptime_missing", "sdp.setup_role", "sdp.ice_lite"]
    );
}

#[test]
fn our_answer_follows_every_rule() {
    assert_eq!(validate_for_meta(OUR_ANSWER, SdpRole::AnswerToMeta), Ok(()));
    assert_eq!(
        validate_for_meta(OUR_ANSWER, SdpRole::AnswerFromMeta),
        Ok(())
    );
}

#[test]
fn each_rule_is_reported_by_name() {
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "lf only",
            OUR_ANSWER.replace("\r\n", "\n"),
            "sdp.line_endings",
        ),
        (
            "two audio sections",
            format!("{OUR_ANSWER}m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"),
            "sdp.audio_section_count",
        ),
        (
            "video",
            format!("{OUR_ANSWER}m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"),
            "sdp.non_audio_section",
        ),
        (
            "opus at 96",
            OUR_ANSWER.replace("a=rtpmap:111 opus", "a=rtpmap:96 opus"),
            "sdp.opus_payload_type",
        ),
        (
            "no opus",
            OUR_ANSWER.replace("a=rtpmap:111 opus/48000/2\r\n", ""),
            "sdp.opus_missing",
        ),
        (
            "opus 16k",
            OUR_ANSWER.replace("opus/48000/2", "opus/16000/2"),
            "sdp.opus_clock_rate",
        ),
        (
            "no ptime",
            OUR_ANSWER.replace("a=ptime:20\r\n", ""),
            "sdp.ptime_missing",
        ),
        (
            "ptime 40",
            OUR_ANSWER.replace("a=ptime:20", "a=ptime:40"),
            "sdp.ptime_not_20",
        ),
        (
            "dtmf 48k",
            OUR_ANSWER.replace("telephone-event/8000", "telephone-event/48000"),
            "sdp.telephone_event_missing",
        ),
        (
            "two ssrc",
            OUR_ANSWER.replace(
                "a=ssrc:2876421953 cname:ringdesk-agent\r\n",
                "a=ssrc:1 cname:a\r\na=ssrc:2 cname:b\r\n",
            ),
            "sdp.ssrc_count",
        ),
        (
            "no ssrc",
            OUR_ANSWER.replace("a=ssrc:2876421953 cname:ringdesk-agent\r\n", ""),
            "sdp.ssrc_count",
        ),
        (
            "sha-1",
            OUR_ANSWER.replace("fingerprint:sha-256", "fingerprint:sha-1"),
            "sdp.fingerprint_algorithm",
        ),
        (
            "no fingerprint",
            drop_lines(OUR_ANSWER, "a=fingerprint"),
            "sdp.fingerprint_count",
        ),
        (
            "passive",
            OUR_ANSWER.replace("setup:active", "setup:passive"),
            "sdp.setup_role",
        ),
        (
            "no setup",
            drop_lines(OUR_ANSWER, "a=setup"),
            "sdp.setup_missing",
        ),
        (
            "trickle",
            OUR_ANSWER.replace("a=mid:audio", "a=ice-options:trickle\r\na=mid:audio"),
            "sdp.trickle",
        ),
        (
            "no candidates",
            drop_lines(OUR_ANSWER, "a=candidate"),
            "sdp.candidates_missing",
        ),
        (
            "no ufrag",
            drop_lines(OUR_ANSWER, "a=ice-ufrag"),
            "sdp.ice_credentials_missing",
        ),
        (
            "g722",
            OUR_ANSWER.replace("111 126", "111 9 126"),
            "sdp.unsupported_codec",
        ),
        (
            "garbage line",
            OUR_ANSWER.replace("s=-\r\n", "s=-\r\nhello\r\n"),
            "sdp.malformed_line",
        ),
        (
            "no version",
            OUR_ANSWER.replacen("v=0\r\n", "", 1),
            "sdp.missing_version",
        ),
    ];
    for (name, sdp, code) in cases {
        let found = codes(&sdp, SdpRole::AnswerToMeta);
        assert!(
            found.contains(&code),
            "{name}: expected {code}, got {found:?}"
        );
    }
    assert_eq!(codes("", SdpRole::AnswerToMeta), vec!["sdp.empty"]);
}

fn drop_lines(sdp: &str, prefix: &str) -> String {
    sdp.split_inclusive("\r\n")
        .filter(|line| !line.starts_with(prefix))
        .collect()
}

#[test]
fn every_violation_is_reported_at_once_with_messages() {
    let bad = "v=0\no=- 1 1 IN IP4 0.0.0.0\nm=audio 9 UDP/TLS/RTP/SAVPF 0\na=fingerprint:sha-512 AA\na=fingerprint:sha-256 BB\na=ice-options:trickle\n";
    let error = validate_for_meta(bad, SdpRole::AnswerToMeta).unwrap_err();
    let expected = [
        "sdp.line_endings",
        "sdp.opus_missing",
        "sdp.telephone_event_missing",
        "sdp.ptime_missing",
        "sdp.ssrc_count",
        "sdp.fingerprint_count",
        "sdp.fingerprint_algorithm",
        "sdp.setup_missing",
        "sdp.trickle",
        "sdp.candidates_missing",
        "sdp.ice_credentials_missing",
    ];
    for code in expected {
        assert!(
            error.contains_code(code),
            "missing {code} in {:?}",
            error.codes()
        );
    }
    let message = error.to_string();
    assert!(
        message.contains("fingerprint algorithm must be sha-256, found sha-512"),
        "{message}"
    );
    assert!(message.contains("[sdp.trickle]"), "{message}");
}

#[test]
fn fingerprint_algorithm_is_case_insensitive() {
    // Meta accepted an aiortc answer with `SHA-256` upper case (live capture).
    let upper = OUR_ANSWER.replace("sha-256", "SHA-256");
    assert_eq!(validate_for_meta(&upper, SdpRole::AnswerToMeta), Ok(()));
}

#[test]
fn garbage_never_panics_and_is_refused() {
    for garbage in [
        "\u{0}",
        "m=",
        "a=rtpmap:",
        "v=0\r\nm=audio\r\na=ssrc:\r\na=fingerprint:\r\n",
        "\r\n\r\n",
        "=\n=\n",
        "é",
    ] {
        for role in [
            SdpRole::OfferFromMeta,
            SdpRole::AnswerFromMeta,
            SdpRole::OfferToMeta,
            SdpRole::AnswerToMeta,
        ] {
            assert!(
                validate_for_meta(garbage, role).is_err(),
                "{garbage:?} accepted as {role:?}"
            );
        }
    }
}

/// An aiortc-style answer with the problems the community reported: LF line ends, three
/// fingerprints (sha-256/384/512, Meta error 100 subcode 2494010), setup actpass, trickle, no ptime.
const AIORTC_LIKE_ANSWER: &str = "v=0\n\
o=- 3921 3921 IN IP4 0.0.0.0\n\
s=-\n\
t=0 0\n\
a=group:BUNDLE audio\n\
m=audio 51420 UDP/TLS/RTP/SAVPF 111 63 9 126 110\n\
c=IN IP4 198.51.100.9\n\
a=sendrecv\n\
a=mid:audio\n\
a=rtcp-mux\n\
a=ssrc:1111 cname:x\n\
a=ssrc:2222 cname:y\n\
a=ssrc-group:FID 1111 2222\n\
a=rtpmap:111 opus/48000/2\n\
a=fmtp:111 minptime=10;useinbandfec=1\n\
a=rtpmap:63 red/48000/2\n\
a=fmtp:63 111/111\n\
a=rtpmap:9 G722/8000\n\
a=rtpmap:126 telephone-event/8000\n\
a=rtpmap:110 telephone-event/48000\n\
a=candidate:1 1 udp 2122260223 198.51.100.9 51420 typ host\n\
a=end-of-candidates\n\
a=ice-ufrag:abcd\n\
a=ice-pwd:efghijklmnopqrstuvwxyz\n\
a=ice-options:trickle\n\
a=fingerprint:sha-384 AA:BB\n\
a=fingerprint:sha-256 CC:DD\n\
a=fingerprint:sha-512 EE:FF\n\
a=setup:actpass\n";

#[test]
fn shaping_fixes_what_the_community_fixed() {
    let before = codes(AIORTC_LIKE_ANSWER, SdpRole::AnswerToMeta);
    for code in [
        "sdp.line_endings",
        "sdp.fingerprint_count",
        "sdp.fingerprint_algorithm",
        "sdp.setup_role",
        "sdp.trickle",
        "sdp.ptime_missing",
        "sdp.ssrc_count",
        "sdp.unsupported_codec",
    ] {
        assert!(
            before.contains(&code),
            "fixture should break {code}: {before:?}"
        );
    }
    let shaped = shape_for_meta(AIORTC_LIKE_ANSWER, SdpRole::AnswerToMeta);
    assert_eq!(
        validate_for_meta(&shaped, SdpRole::AnswerToMeta),
        Ok(()),
        "{shaped}"
    );
    assert!(shaped.contains("m=audio 51420 UDP/TLS/RTP/SAVPF 111 126\r\n"));
    assert!(shaped.contains("a=fingerprint:sha-256 CC:DD\r\n"));
    assert!(!shaped.contains("sha-384") && !shaped.contains("sha-512"));
    assert!(
        !shaped.contains("a=fmtp:63")
            && !shaped.contains("G722")
            && !shaped.contains("/48000\r\na=candidate")
    );
    assert!(shaped.contains("a=setup:active\r\n"));
    assert!(shaped.contains("a=ptime:20\r\n"));
    assert!(!shaped.contains("ssrc:2222"));
    assert!(
        shaped.contains("a=end-of-candidates\r\n"),
        "shaping keeps what is allowed"
    );
}

#[test]
fn shaping_is_idempotent_and_keeps_valid_sdps_unchanged() {
    assert_eq!(
        shape_for_meta(OUR_ANSWER, SdpRole::AnswerToMeta),
        OUR_ANSWER
    );
    assert_eq!(
        shape_for_meta(LIVE_OFFER, SdpRole::OfferFromMeta),
        LIVE_OFFER
    );
    let once = shape_for_meta(AIORTC_LIKE_ANSWER, SdpRole::AnswerToMeta);
    assert_eq!(shape_for_meta(&once, SdpRole::AnswerToMeta), once);
}

/// Fuzz finding (`fuzz/corpus/sdp/crash-da39a3ee…`, the empty input): shaping an empty or
/// blank-only SDP gave "\r\n", a blank line, which shaping promises never to produce.
#[test]
fn shaping_blank_text_gives_no_blank_line() {
    for role in ROLES {
        for blank in ["", "\r\n", "\n\n", "  \r\n\t\n"] {
            assert_eq!(shape_for_meta(blank, role), "", "{role:?} {blank:?}");
        }
    }
}

#[test]
fn shaping_meta_sdp_only_normalises_line_ends_and_fingerprints() {
    let lf_offer = DOC_OFFER.replace("\r\n", "\n");
    assert_eq!(shape_for_meta(&lf_offer, SdpRole::OfferFromMeta), DOC_OFFER);
    // Meta's actpass and ice-lite stay untouched.
    let shaped = shape_for_meta(&lf_offer, SdpRole::OfferFromMeta);
    assert!(shaped.contains("a=setup:actpass") && shaped.contains("a=ice-lite"));
}

#[test]
fn shaping_cannot_invent_missing_parts() {
    let no_candidates = drop_lines(OUR_ANSWER, "a=candidate");
    let shaped = shape_for_meta(&no_candidates, SdpRole::AnswerToMeta);
    assert_eq!(
        codes(&shaped, SdpRole::AnswerToMeta),
        vec!["sdp.candidates_missing"]
    );
}

#[test]
fn our_offer_may_use_actpass_or_active_but_not_passive() {
    let offer = OUR_ANSWER.replace("setup:active", "setup:actpass");
    assert_eq!(validate_for_meta(&offer, SdpRole::OfferToMeta), Ok(()));
    assert_eq!(validate_for_meta(OUR_ANSWER, SdpRole::OfferToMeta), Ok(()));
    let passive = OUR_ANSWER.replace("setup:active", "setup:passive");
    assert_eq!(
        codes(&passive, SdpRole::OfferToMeta),
        vec!["sdp.setup_role"]
    );
}

/// Meta's business-initiated answer as described in §6.4 (ice-lite, G722/PCMU/PCMA and
/// telephone-event/48000 listed, IPv4+IPv6 host candidates, setup:active). Reconstructed from the
/// description; Meta publishes no complete text.
const META_STYLE_ANSWER: &str = "v=0\r\n\
o=- 1749196895 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE audio\r\n\
a=ice-lite\r\n\
m=audio 3482 UDP/TLS/RTP/SAVPF 111 9 0 8 110 126\r\n\
c=IN IP4 203.0.113.130\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=candidate:1 1 udp 2122260223 203.0.113.130 3482 typ host generation 0\r\n\
a=candidate:2 1 udp 2122262783 2001:db8::130 3482 typ host generation 0\r\n\
a=ice-ufrag:Meta\r\n\
a=ice-pwd:MetaPasswordMetaPassword\r\n\
a=fingerprint:sha-256 1B:B6:6B:40:A5:0B:8C:75:0D:8C:CB:90:2F:99:74:1E:26:45:AE:AF:45:C1:51:60:8F:73:C9:2D:10:6D:8A:88\r\n\
a=setup:active\r\n\
a=mid:audio\r\n\
a=sendrecv\r\n\
a=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:110 telephone-event/48000\r\n\
a=rtpmap:126 telephone-event/8000\r\n\
a=ssrc:4208138518 cname:WhatsAppAudioStream1\r\n";

#[test]
fn meta_style_bic_answer_is_a_valid_answer_from_meta() {
    assert_eq!(
        validate_for_meta(META_STYLE_ANSWER, SdpRole::AnswerFromMeta),
        Ok(())
    );
    // The same text as *our* answer breaks our stricter rules, each named.
    let ours = codes(META_STYLE_ANSWER, SdpRole::AnswerToMeta);
    assert!(
        ours.contains(&"sdp.ice_lite")
            && ours.contains(&"sdp.unsupported_codec")
            && ours.contains(&"sdp.ptime_missing"),
        "{ours:?}"
    );
}

#[test]
fn thousands_of_random_sdp_like_texts_never_panic() {
    const TOKENS: &[&str] = &[
        "v=0",
        "\r\n",
        "\n",
        "\r",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "m=",
        "a=",
        "a=rtpmap:",
        "111",
        " ",
        "opus/48000/2",
        "/",
        ":",
        "a=fingerprint:",
        "sha-256",
        "a=ssrc:",
        "a=setup:",
        "active",
        "é",
        "\u{0}",
        "a=ptime:",
        "20",
        "a=ice-options:trickle",
        "a=candidate:1",
        "=",
        "x",
    ];
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    for _ in 0..3000 {
        let text: String = (0..next() % 40)
            .map(|_| TOKENS[next() % TOKENS.len()])
            .collect();
        for role in [
            SdpRole::OfferFromMeta,
            SdpRole::AnswerFromMeta,
            SdpRole::OfferToMeta,
            SdpRole::AnswerToMeta,
        ] {
            let _ = violations_for_meta(&text, role);
            let shaped = shape_for_meta(&text, role);
            assert_eq!(
                shape_for_meta(&shaped, role),
                shaped,
                "shaping is idempotent on {text:?}"
            );
        }
    }
}

/// Shaping never turns an SDP that validates into one that does not (a property the `sdp` fuzz
/// target checks on every input). Two ways it did, found while writing that property:
/// - an rtpmap for telephone-event whose payload type is not on the m= line satisfied the
///   validator, and shaping pruned it (now the validator wants it on the m= line, where it must
///   be to be offered at all);
/// - a non-ASCII space in an rtpmap split differently in the validator and in the pruning, which
///   then dropped the Opus line.
#[test]
fn shaping_keeps_a_valid_sdp_valid() {
    let dtmf_not_offered = OUR_ANSWER.replace("SAVPF 111 126", "SAVPF 111");
    assert_eq!(
        codes(&dtmf_not_offered, SdpRole::AnswerToMeta),
        vec!["sdp.telephone_event_missing"]
    );
    let ideographic_space = OUR_ANSWER.replace("a=rtpmap:111 opus", "a=rtpmap:111\u{3000}opus");
    assert_eq!(
        validate_for_meta(&ideographic_space, SdpRole::AnswerToMeta),
        Ok(())
    );
    let shaped = shape_for_meta(&ideographic_space, SdpRole::AnswerToMeta);
    assert_eq!(validate_for_meta(&shaped, SdpRole::AnswerToMeta), Ok(()));
    assert!(shaped.contains("a=rtpmap:111\u{3000}opus/48000/2\r\n"));
}
