//! Business numbers' settings in the database: seeded from the settings file at start, changed
//! by admins through the API (audited, in the same transaction).
//!
//! Seeding rules (`seed_numbers`), so the file keeps working for deployments that never use the
//! API and an admin's change is never silently undone by a restart:
//! - a number in the file and not in the database is inserted (`source = 'file'`);
//! - a number whose row still comes from the file takes the file's current settings;
//! - a number an admin changed (`source = 'api'`) keeps the database's settings; a file that
//!   says otherwise is logged as ignored;
//! - a number only in the database (the file lost it) is kept and still served.

use serde_json::json;

use super::audit::{self, Actor};
use super::time::now_ms;
use super::{Store, StoreError};
use crate::config::NumberSettings;

/// Why a number's settings could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum NumberError {
    #[error("no business number with phone_number_id {0:?}")]
    NoSuchNumber(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for NumberError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

/// A number's settings and where they last came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNumber {
    pub settings: NumberSettings,
    /// Changed by an admin since the file seeded it.
    pub changed_by_api: bool,
    /// Unix ms.
    pub updated_at: i64,
}

type NumberRow = (String, String, i64);

fn from_row((settings, source, updated_at): NumberRow) -> Result<StoredNumber, StoreError> {
    let parsed = serde_json::from_str(&settings).map_err(|error| StoreError::Corrupt {
        column: "numbers.settings",
        reason: error.to_string(),
        value: settings.clone(),
    })?;
    Ok(StoredNumber {
        settings: parsed,
        changed_by_api: source == "api",
        updated_at,
    })
}

fn to_json(settings: &NumberSettings) -> Result<String, StoreError> {
    serde_json::to_string(settings).map_err(|error| StoreError::Corrupt {
        column: "numbers.settings",
        value: settings.phone_number_id.clone(),
        reason: format!("does not serialise: {error}"),
    })
}

impl Store {
    /// Applies the file's numbers (rules in the module docs); returns every number, file order
    /// first, then those only in the database.
    pub async fn seed_numbers(
        &self,
        file: &[NumberSettings],
    ) -> Result<Vec<NumberSettings>, StoreError> {
        let mut tx = self.write().await?;
        let now = now_ms();
        for number in file {
            let json = to_json(number)?;
            let stored: Option<NumberRow> = sqlx::query_as(
                "SELECT settings, source, updated_at FROM numbers WHERE phone_number_id = $1",
            )
            .bind(&number.phone_number_id)
            .fetch_optional(&mut *tx)
            .await?;
            match stored.map(from_row).transpose()? {
                None => {
                    sqlx::query(
                        "INSERT INTO numbers (phone_number_id, settings, source, updated_at) \
                         VALUES ($1, $2, 'file', $3)",
                    )
                    .bind(&number.phone_number_id)
                    .bind(&json)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                Some(stored) if !stored.changed_by_api => {
                    if stored.settings != *number {
                        sqlx::query(
                            "UPDATE numbers SET settings = $2, updated_at = $3 \
                             WHERE phone_number_id = $1",
                        )
                        .bind(&number.phone_number_id)
                        .bind(&json)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                Some(stored) => {
                    if stored.settings != *number {
                        tracing::warn!(
                            phone_number_id = %number.phone_number_id,
                            "the settings file's [[numbers]] entry differs from what an admin set \
                             through the API; the API's settings stay"
                        );
                    }
                }
            }
        }
        tx.commit().await?;
        let mut all: Vec<NumberSettings> = Vec::new();
        let stored = self.stored_numbers().await?;
        for number in file {
            if let Some(found) = stored
                .iter()
                .find(|s| s.settings.phone_number_id == number.phone_number_id)
            {
                all.push(found.settings.clone());
            }
        }
        for number in stored {
            if !file
                .iter()
                .any(|f| f.phone_number_id == number.settings.phone_number_id)
            {
                all.push(number.settings);
            }
        }
        Ok(all)
    }

    /// Every number, by phone_number_id.
    pub async fn stored_numbers(&self) -> Result<Vec<StoredNumber>, StoreError> {
        let rows: Vec<NumberRow> = sqlx::query_as(
            "SELECT settings, source, updated_at FROM numbers ORDER BY phone_number_id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(from_row).collect()
    }

    pub async fn stored_number(
        &self,
        phone_number_id: &str,
    ) -> Result<Option<StoredNumber>, StoreError> {
        let row: Option<NumberRow> = sqlx::query_as(
            "SELECT settings, source, updated_at FROM numbers WHERE phone_number_id = $1",
        )
        .bind(phone_number_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(from_row).transpose()
    }

    /// Replaces a number's settings (the caller has validated them and Meta has taken its
    /// part); audited with the fields that changed, before and after.
    pub async fn change_number(
        &self,
        actor: &Actor,
        settings: &NumberSettings,
    ) -> Result<StoredNumber, NumberError> {
        let mut tx = self.write().await?;
        let id = &settings.phone_number_id;
        let before: Option<NumberRow> = sqlx::query_as(
            "SELECT settings, source, updated_at FROM numbers WHERE phone_number_id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let before = before
            .map(from_row)
            .transpose()?
            .ok_or_else(|| NumberError::NoSuchNumber(id.clone()))?;
        let now = now_ms();
        sqlx::query(
            "UPDATE numbers SET settings = $2, source = 'api', updated_at = $3 \
             WHERE phone_number_id = $1",
        )
        .bind(id)
        .bind(to_json(settings)?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let detail = changed_fields(&before.settings, settings)?;
        audit::record(&mut tx, actor, "number.update", id, &detail).await?;
        tx.commit().await?;
        Ok(StoredNumber {
            settings: settings.clone(),
            changed_by_api: true,
            updated_at: now,
        })
    }
}

/// An agent renamed from `from` to `to`: every number naming them as an operator or in its
/// round-robin exclusions names them by the new name, inside the rename's transaction
/// (audited as a number change by the same actor). Returns how many numbers changed.
pub(super) async fn rename_agent(
    tx: &mut sqlx::SqliteConnection,
    actor: &Actor,
    from: &str,
    to: &str,
) -> Result<usize, StoreError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT phone_number_id, settings FROM numbers ORDER BY phone_number_id")
            .fetch_all(&mut *tx)
            .await?;
    let mut changed = 0;
    for (id, json) in rows {
        let before = from_row((json, "api".into(), 0))?.settings;
        let mut after = before.clone();
        let rename = |name: &mut String| {
            if name == from {
                *name = to.to_owned();
            }
        };
        after.call_operators.iter_mut().flatten().for_each(rename);
        after.round_robin_excluded.iter_mut().for_each(rename);
        if after == before {
            continue;
        }
        sqlx::query(
            "UPDATE numbers SET settings = $2, source = 'api', updated_at = $3              WHERE phone_number_id = $1",
        )
        .bind(&id)
        .bind(to_json(&after)?)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let detail = changed_fields(&before, &after)?;
        audit::record(&mut *tx, actor, "number.update", &id, &detail).await?;
        changed += 1;
    }
    Ok(changed)
}

/// `{"field": {"from": …, "to": …}}` for each top-level field that differs.
fn changed_fields(
    before: &NumberSettings,
    after: &NumberSettings,
) -> Result<serde_json::Value, StoreError> {
    let as_map = |settings: &NumberSettings| match serde_json::to_value(settings) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) | Err(_) => Err(StoreError::Corrupt {
            column: "numbers.settings",
            value: settings.phone_number_id.clone(),
            reason: "does not serialise to an object".into(),
        }),
    };
    let (before, after) = (as_map(before)?, as_map(after)?);
    let mut changes = serde_json::Map::new();
    for (key, to) in &after {
        let from = before.get(key).cloned().unwrap_or(serde_json::Value::Null);
        if from != *to {
            changes.insert(key.clone(), json!({"from": from, "to": to}));
        }
    }
    Ok(serde_json::Value::Object(changes))
}
