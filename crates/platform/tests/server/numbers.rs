//! The settings file seeds the numbers in the database; an admin's change survives restarts
//! and later file edits (`store::numbers` module docs).

use platform::config::NumberSettings;
use platform::store::audit::Actor;
use platform::store::Store;
use serde_json::json;

use crate::support::database_url;

fn number(id: &str, recording: Option<bool>) -> NumberSettings {
    let mut number: NumberSettings = serde_json::from_value(json!({
        "phone_number_id": id, "display_phone_number": "15550109999"
    }))
    .unwrap();
    number.recording = recording;
    number
}

#[tokio::test]
async fn the_file_seeds_numbers_and_never_undoes_an_admins_change() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&dir);
    let store = Store::open(&url).await.unwrap();

    let seeded = store.seed_numbers(&[number("1", None)]).await.unwrap();
    assert_eq!(seeded, vec![number("1", None)]);
    // The file changed and nobody used the API: the file wins.
    let seeded = store
        .seed_numbers(&[number("1", Some(true))])
        .await
        .unwrap();
    assert_eq!(seeded, vec![number("1", Some(true))]);
    assert!(
        !store
            .stored_number("1")
            .await
            .unwrap()
            .unwrap()
            .changed_by_api
    );

    // An admin changes it; the next start with the old file keeps the admin's change.
    let changed = number("1", Some(false));
    store
        .change_number(&Actor::command_line(), &changed)
        .await
        .unwrap();
    let seeded = store
        .seed_numbers(&[number("1", Some(true)), number("2", None)])
        .await
        .unwrap();
    assert_eq!(seeded, vec![changed.clone(), number("2", None)]);
    drop(store);

    // After a restart, and with a file that lost number 2: both are still served.
    let store = Store::open(&url).await.unwrap();
    let seeded = store.seed_numbers(&[]).await.unwrap();
    assert_eq!(seeded, vec![changed, number("2", None)]);
    let audit = store.audit_entries(10, None).await.unwrap();
    assert_eq!(
        audit.len(),
        1,
        "seeding is not an admin's change: {audit:?}"
    );
    assert_eq!(audit[0].action, "number.update");
    assert_eq!(
        audit[0].detail,
        json!({"recording": {"from": true, "to": false}})
    );
}

#[tokio::test]
async fn a_change_to_an_unknown_number_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&database_url(&dir)).await.unwrap();
    let refused = store
        .change_number(&Actor::command_line(), &number("9", Some(true)))
        .await
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "no business number with phone_number_id \"9\""
    );
    assert!(store.stored_numbers().await.unwrap().is_empty());
    assert!(store.audit_entries(10, None).await.unwrap().is_empty());
}
