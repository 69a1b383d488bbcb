//! Turns `RINGDESK_AUDIO_TEST=1` into `cfg(ringdesk_audio_test)`: the sound-device tests (which
//! start a PulseAudio null sink) are ignored unless it is set, e.g. by `cargo xtask test`.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(ringdesk_audio_test)");
    println!("cargo::rerun-if-env-changed=RINGDESK_AUDIO_TEST");
    if std::env::var("RINGDESK_AUDIO_TEST").is_ok_and(|v| v == "1") {
        println!("cargo::rustc-cfg=ringdesk_audio_test");
    }
}
