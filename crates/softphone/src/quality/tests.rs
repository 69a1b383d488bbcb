use std::time::Duration;

use super::*;

const MS: fn(u64) -> Duration = Duration::from_millis;

fn sample(loss: f64, jitter_ms: u64, rtt_ms: u64) -> QualitySample {
    QualitySample {
        rtt: Some(MS(rtt_ms)),
        jitter: MS(jitter_ms),
        loss,
        ..QualitySample::default()
    }
}

#[test]
fn a_clean_network_scores_well_and_a_bad_one_poorly() {
    let clean = estimate_mos(Some(MS(40)), MS(2), 0.0);
    assert!(clean > 4.2, "{clean}");
    let lossy = estimate_mos(Some(MS(40)), MS(2), 0.15);
    assert!(lossy < 3.2, "{lossy}");
    let slow = estimate_mos(Some(MS(800)), MS(60), 0.0);
    assert!(slow < 3.6, "{slow}");
    assert_eq!(estimate_mos(Some(MS(60_000)), MS(10_000), 1.0), 1.0);
}

#[test]
fn mos_never_improves_as_the_network_gets_worse() {
    let mut last = f64::MAX;
    for loss in [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5] {
        let mos = estimate_mos(Some(MS(100)), MS(10), loss);
        assert!(mos <= last, "loss {loss}: {mos} > {last}");
        last = mos;
    }
    let mut last = f64::MAX;
    for rtt in [0, 50, 150, 300, 500, 1_000] {
        let mos = estimate_mos(Some(MS(rtt)), MS(10), 0.01);
        assert!(mos <= last, "rtt {rtt}: {mos} > {last}");
        last = mos;
    }
}

#[test]
fn loss_warning_is_raised_after_two_bad_intervals_and_cleared_after_three_good() {
    let mut monitor = QualityMonitor::default();
    assert!(monitor.update(sample(0.10, 5, 50)).changes.is_empty());
    let second = monitor.update(sample(0.10, 5, 50));
    assert!(second
        .changes
        .contains(&WarningChange::Raised(QualityWarning::HighLoss)));
    assert!(monitor.active().contains(&QualityWarning::HighLoss));
    assert!(monitor.update(sample(0.0, 5, 50)).changes.is_empty());
    assert!(monitor.update(sample(0.0, 5, 50)).changes.is_empty());
    let third = monitor.update(sample(0.0, 5, 50));
    assert!(third
        .changes
        .contains(&WarningChange::Cleared(QualityWarning::HighLoss)));
    assert!(monitor.active().is_empty());
}

#[test]
fn a_borderline_network_does_not_flap() {
    let mut monitor = QualityMonitor::default();
    monitor.update(sample(0.08, 5, 50));
    monitor.update(sample(0.08, 5, 50));
    assert!(monitor.active().contains(&QualityWarning::HighLoss));
    // Between the clear (2 %) and raise (5 %) thresholds: stays raised, no churn.
    for i in 0..20 {
        let loss = if i % 2 == 0 { 0.03 } else { 0.045 };
        let report = monitor.update(sample(loss, 5, 50));
        assert!(report.changes.is_empty(), "{:?}", report.changes);
    }
    assert!(monitor.active().contains(&QualityWarning::HighLoss));
}

#[test]
fn jitter_latency_and_poor_quality_warnings_follow_their_measures() {
    let mut monitor = QualityMonitor::default();
    let mut raised = Vec::new();
    for _ in 0..2 {
        for change in monitor.update(sample(0.3, 120, 900)).changes {
            raised.push(change);
        }
    }
    for w in [
        QualityWarning::HighLoss,
        QualityWarning::HighJitter,
        QualityWarning::HighLatency,
        QualityWarning::PoorQuality,
    ] {
        assert!(
            raised.contains(&WarningChange::Raised(w)),
            "{w:?} in {raised:?}"
        );
    }
}

#[test]
fn unknown_rtt_and_nonsense_loss_do_not_raise_anything() {
    let mut monitor = QualityMonitor::default();
    for _ in 0..5 {
        let report = monitor.update(QualitySample {
            rtt: None,
            jitter: MS(3),
            loss: f64::NAN,
            remote_loss: Some(f64::INFINITY),
            silent_for: Duration::ZERO,
            mic_silent_for: Duration::ZERO,
        });
        assert!(report.changes.is_empty());
        assert!(report.mos > 4.0);
    }
}

#[test]
fn what_the_far_end_lost_of_ours_counts_as_loss_too() {
    let mut monitor = QualityMonitor::default();
    let theirs = QualitySample {
        remote_loss: Some(0.2),
        ..sample(0.0, 5, 50)
    };
    assert_eq!(monitor.update(theirs).changes, vec![]);
    let report = monitor.update(theirs);
    assert!(report
        .changes
        .contains(&WarningChange::Raised(QualityWarning::HighLoss)));
    assert!(report.mos < estimate_mos(Some(MS(50)), MS(5), 0.0));
}

#[test]
fn no_inbound_audio_is_an_alarm_raised_at_the_bound_and_cleared_by_the_first_packet() {
    let mut monitor = QualityMonitor::default();
    let silent = |secs| QualitySample {
        silent_for: Duration::from_secs(secs),
        ..sample(0.0, 5, 50)
    };
    for secs in 1..5 {
        assert!(
            monitor.update(silent(secs)).changes.is_empty(),
            "{secs} s is not yet an alarm"
        );
    }
    assert_eq!(
        monitor.update(silent(5)).changes,
        vec![WarningChange::Raised(QualityWarning::NoInboundAudio)]
    );
    assert!(monitor.update(silent(6)).changes.is_empty(), "raised once");
    assert_eq!(monitor.active(), vec![QualityWarning::NoInboundAudio]);
    assert_eq!(
        monitor.update(silent(0)).changes,
        vec![WarningChange::Cleared(QualityWarning::NoInboundAudio)]
    );
}

#[test]
fn a_silent_microphone_is_an_alarm_after_ten_seconds_unless_muted() {
    let mut watch = MicWatch::<Duration>::default();
    let at = |s: u64| Duration::from_secs(s);
    assert_eq!(watch.update(at(0), -30.0, false), Duration::ZERO);
    assert_eq!(
        watch.update(at(1), -90.0, false),
        Duration::ZERO,
        "silence starts"
    );
    assert_eq!(watch.update(at(5), f32::NEG_INFINITY, false), at(4));
    assert_eq!(
        watch.update(at(6), f32::NAN, false),
        at(5),
        "no reading is silence too"
    );
    // Muting is meant to be silent: the count starts again after it.
    assert_eq!(watch.update(at(7), -90.0, true), Duration::ZERO);
    assert_eq!(watch.update(at(8), -90.0, false), Duration::ZERO);
    assert_eq!(watch.update(at(18), -90.0, false), at(10));

    let mut monitor = QualityMonitor::default();
    let silent = |secs| QualitySample {
        mic_silent_for: at(secs),
        ..sample(0.0, 2, 40)
    };
    assert!(monitor.update(silent(9)).changes.is_empty());
    assert_eq!(
        monitor.update(silent(10)).changes,
        vec![WarningChange::Raised(QualityWarning::MicSilent)]
    );
    assert_eq!(monitor.active(), vec![QualityWarning::MicSilent]);
    assert_eq!(
        monitor.update(silent(0)).changes,
        vec![WarningChange::Cleared(QualityWarning::MicSilent)],
        "the first sound clears it"
    );
}
