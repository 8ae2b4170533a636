//! `femtocwmp hems --store FILE`: device records (identity, Connection Request details,
//! queued procedures, downloads awaiting their TransferComplete) kept in an SQLite file, so
//! that a HeMS restart loses nothing. Written through after every change the HeMS reports.

use femtocwmp::hems::{DeviceRecord, Hems};
use rusqlite::Connection;

/// The SQLite file of device records.
pub struct Store {
    db: Connection,
    path: String,
}

impl Store {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &str) -> Result<Store, String> {
        let db = Connection::open(path).map_err(|e| format!("cannot open store {path}: {e}"))?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS devices (
                 key TEXT PRIMARY KEY,
                 record TEXT NOT NULL
             );",
        )
        .map_err(|e| format!("store {path}: {e}"))?;
        Ok(Store {
            db,
            path: path.to_owned(),
        })
    }

    /// Every stored record, into `hems`; returns how many.
    pub fn load_into(&self, hems: &mut Hems) -> Result<usize, String> {
        let err = |e: rusqlite::Error| format!("store {}: {e}", self.path);
        let mut stmt = self
            .db
            .prepare("SELECT key, record FROM devices ORDER BY key")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(err)?;
        let mut n = 0;
        for row in rows {
            let (key, json) = row.map_err(err)?;
            let record: DeviceRecord = serde_json::from_str(&json).map_err(|e| {
                format!(
                    "store {}: the record of {key} is unreadable: {e}",
                    self.path
                )
            })?;
            hems.import_device(record);
            n += 1;
        }
        Ok(n)
    }

    /// Writes the current record of `device` (if the HeMS has one).
    pub fn save(&self, hems: &Hems, device: &str) -> Result<(), String> {
        let Some(record) = hems.export_device(device) else {
            return Ok(());
        };
        let json = serde_json::to_string(&record).expect("records serialize");
        self.db
            .execute(
                "INSERT INTO devices (key, record) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET record = excluded.record",
                (device, json),
            )
            .map_err(|e| format!("store {}: cannot save {device}: {e}", self.path))?;
        Ok(())
    }
}
