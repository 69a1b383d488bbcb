//! One `serve` per database: a second platform on the same database refuses to start and says
//! why; admin commands still work beside a running server; the lock goes with the server.

use platform::server::{Platform, StartError};

use crate::support::*;

#[tokio::test]
async fn a_second_platform_on_the_same_database_refuses_to_start_until_the_first_stops() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&dir);
    let graph = FakeGraph::start().await;
    let first = Platform::start(settings(&url, &graph.base_url))
        .await
        .unwrap();

    let refused = match Platform::start(settings(&url, &graph.base_url)).await {
        Ok(_) => panic!("a second platform started on a database that is being served"),
        Err(error) => error,
    };
    assert!(matches!(refused, StartError::Locked(_)), "{refused:?}");
    let message = refused.to_string();
    let lock_file = dir.path().join("platform.db.lock");
    assert!(
        message.contains(&lock_file.display().to_string())
            && message.contains("another ringdesk-platform is serving this database"),
        "{message}"
    );

    // Admin commands work on the database while it is served: they do not lock.
    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_ringdesk-platform"))
        .args(["agent", "list"])
        .env("RINGDESK_DATABASE_URL", &url)
        .env_remove("RINGDESK_CONFIG")
        .output()
        .unwrap();
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );

    first.shutdown().await;
    let next = Platform::start(settings(&url, &graph.base_url))
        .await
        .expect("the lock is released when the first platform shuts down");
    next.shutdown().await;
}
