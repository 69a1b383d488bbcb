use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

#[test]
fn defaults_apply_without_file_or_env() {
    let settings = Settings::from_toml("", &env(&[("HOME", "/home/a")])).expect("defaults");
    assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(
        settings.database_url,
        "sqlite:///home/a/.local/share/ringdesk/platform.db"
    );
    assert_eq!(settings.graph_base_url, META_GRAPH_BASE_URL);
    assert_eq!(settings.timers, Timers::default());
    assert!(settings.numbers.is_empty());
}

#[test]
fn env_overrides_file_and_adds_one_number() {
    let file = r#"
        listen = "127.0.0.1:9000"
        database_url = "sqlite://file.db"
        app_secret = "from-file"
        ring_timeout_ms = 500
        [[numbers]]
        phone_number_id = "111"
        display_phone_number = "15550001111"
    "#;
    let settings = Settings::from_toml(
        file,
        &env(&[
            ("RINGDESK_LISTEN", "127.0.0.1:9100"),
            ("RINGDESK_APP_SECRET", "from-env"),
            ("RINGDESK_PHONE_NUMBER_ID", "222"),
            ("RINGDESK_DISPLAY_PHONE_NUMBER", "15550002222"),
        ]),
    )
    .expect("settings");
    assert_eq!(settings.listen.to_string(), "127.0.0.1:9100");
    assert_eq!(settings.database_url, "sqlite://file.db");
    assert_eq!(settings.app_secret.expose(), "from-env");
    assert_eq!(settings.timers.ring_timeout, Duration::from_millis(500));
    let ids: Vec<&str> = settings
        .numbers
        .iter()
        .map(|number| number.phone_number_id.as_str())
        .collect();
    assert_eq!(ids, ["222", "111"]);
}

#[test]
fn secrets_are_redacted_in_debug_output() {
    let settings = Settings::from_toml(
        r#"access_token = "EAAG-very-secret"
           app_secret = "app-very-secret"
           verify_token = "verify-very-secret""#,
        &env(&[("HOME", "/h")]),
    )
    .expect("settings");
    let printed = format!("{settings:?}");
    assert!(!printed.contains("very-secret"), "{printed}");
    assert!(printed.contains("<redacted>"));
}

#[test]
fn refusals_say_why() {
    let half = Settings::from_toml(
        "",
        &env(&[("HOME", "/h"), ("RINGDESK_PHONE_NUMBER_ID", "1")]),
    )
    .expect_err("half a number");
    assert!(half.to_string().contains("must be set together"));

    let bad_listen =
        Settings::from_toml("", &env(&[("HOME", "/h"), ("RINGDESK_LISTEN", "nowhere")]))
            .expect_err("bad listen");
    assert!(bad_listen.to_string().contains("RINGDESK_LISTEN"));

    let unknown_key =
        Settings::from_toml("colour = 1", &env(&[("HOME", "/h")])).expect_err("unknown key");
    assert!(unknown_key.to_string().contains("colour"));
}

#[test]
fn call_hours_are_read_and_checked_when_the_settings_load() {
    let good = r#"
        [[numbers]]
        phone_number_id = "1"
        display_phone_number = "15550001111"
        [numbers.call_hours]
        timezone = "Europe/Berlin"
        holidays = ["2026-12-25"]
        [numbers.call_hours.weekly]
        mon = [["09:00", "12:30"], ["13:30", "17:00"]]
    "#;
    let settings = Settings::from_toml(good, &env(&[("HOME", "/h")])).expect("valid call hours");
    let routing = settings.routing_for(&settings.numbers[0]).expect("routing");
    let hours = routing.call_hours.expect("call hours");
    // Monday 2026-11-23 10:00 in Berlin is 09:00 UTC: open; 12:45 local is the lunch gap.
    let at = |hour: u32, minute: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|day| day.and_hms_opt(hour, minute, 0))
            .map(|time| time.and_utc())
            .expect("a valid instant")
    };
    assert!(hours.is_open(at(9, 0)));
    assert!(!hours.is_open(at(11, 45)));
    assert!(routing.calling_enabled);

    let bad_zone = good.replace("Europe/Berlin", "Mars/Olympus");
    let refusal = Settings::from_toml(&bad_zone, &env(&[("HOME", "/h")])).expect_err("bad zone");
    assert!(refusal.to_string().contains("Mars/Olympus"), "{refusal}");
    let bad_day = good.replace("mon =", "moonday =");
    let refusal = Settings::from_toml(&bad_day, &env(&[("HOME", "/h")])).expect_err("bad day");
    assert!(refusal.to_string().contains("moonday"), "{refusal}");
}

#[test]
fn call_operators_exclusions_and_callback_permission_are_read_per_number() {
    let file = r#"
        [[numbers]]
        phone_number_id = "1"
        display_phone_number = "15550001111"
        callback_permission = true
        call_operators = ["alice", "bob"]
        round_robin_excluded = ["bob"]
        [[numbers]]
        phone_number_id = "2"
        display_phone_number = "15550002222"
    "#;
    let settings = Settings::from_toml(file, &env(&[("HOME", "/h")])).expect("settings");
    let (first, second) = (&settings.numbers[0], &settings.numbers[1]);
    assert_eq!(first.callback_permission, Some(true));
    assert!(first.allows("alice") && first.allows("bob") && !first.allows("carol"));
    assert!(first.excludes("bob") && !first.excludes("alice"));
    assert_eq!(second.callback_permission, None);
    assert!(second.allows("carol"), "no call_operators: everyone");
    assert!(!second.excludes("carol"));
}

#[test]
fn the_revocation_sweep_interval_defaults_to_5_s_and_is_never_zero() {
    let home = env(&[("HOME", "/home/a")]);
    let settings = Settings::from_toml("", &home).expect("defaults");
    assert_eq!(settings.revocation_check, DEFAULT_REVOCATION_CHECK);
    assert_eq!(DEFAULT_REVOCATION_CHECK, Duration::from_secs(5));
    let settings = Settings::from_toml("revocation_check_ms = 250", &home).expect("settings");
    assert_eq!(settings.revocation_check, Duration::from_millis(250));
    let refused = Settings::from_toml("revocation_check_ms = 0", &home).unwrap_err();
    assert!(
        refused.to_string().contains("revocation_check_ms"),
        "{refused}"
    );
}
