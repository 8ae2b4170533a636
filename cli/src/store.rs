//! `femtocwmp hems --store FILE`: device records (identity, Connection Request details,
//! queued procedures, downloads awaiting their TransferComplete) kept in an SQLite file, so
//! that a HeMS restart loses nothing. Written through after every change the HeMS reports.
//!
//! The parameters the Informs carried live in a table of their own, one row each, and only
//! those with a new value are written ([`femtocwmp::hems::DeviceChange`]): a device whose
//! Inform carried 100,000 parameters has them written once, not on each of its events.
//!
//! A record's deadlines are [`femtocwmp::session::Timestamp`]s of the process that wrote it, whose
//! clock starts at 0 when the process does. So each row also keeps the wall-clock instant of
//! its writer's 0 (`epoch_ms`, Unix milliseconds), and a reader moves the deadlines onto its
//! own clock: a TransferComplete deadline keeps its instant across a restart.
//!
//! Writes run on a thread of their own ([`StoreWriter`]), so that a slow or locked store
//! never stalls the HeMS: each device's latest record waits there until it is written, a
//! failing write is retried with a backoff, and the HeMS is told when the store becomes
//! unavailable and when it is back.
//!
//! Write before send: the HeMS runs with `persist_changes`, and each
//! [`femtocwmp::hems::HemsOutput::Persist`] — a record's change and the device's events — is
//! one transaction here; the response that follows it waits for the commit
//! ([`StoreWriter::persist`] gives a receipt). The events go into an outbox table in that
//! transaction and are published from there (`seq` numbers them), so that a crash between
//! the commit and the events file loses none and repeats none. The next procedure id is
//! kept too: ids are never reused across restarts.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use femtocwmp::hems::{DeviceChange, DeviceRecord, Hems, ProcedureId};
use rusqlite::Connection;
use tokio::sync::oneshot;

/// How long one write waits for a lock held by someone else before it counts as failed.
const BUSY_TIMEOUT: Duration = Duration::from_millis(250);

/// The wall-clock instant (Unix milliseconds) of `instant`, a moment of this process.
pub fn unix_ms_at(instant: std::time::Instant) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    now.saturating_sub(instant.elapsed()).as_millis() as u64
}

/// The SQLite file of device records.
pub struct Store {
    db: Connection,
    path: String,
    /// Wall-clock instant (Unix ms) of this process's `Timestamp(0)`.
    epoch_ms: u64,
}

impl Store {
    /// Opens (or creates) the store at `path`, for a process whose `Timestamp(0)` was at
    /// `epoch_ms` (Unix milliseconds).
    pub fn open(path: &str, epoch_ms: u64) -> Result<Store, String> {
        let err = |e: rusqlite::Error| format!("store {path}: {e}");
        let db = Connection::open(path).map_err(|e| format!("cannot open store {path}: {e}"))?;
        db.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS devices (
                 key TEXT PRIMARY KEY,
                 record TEXT NOT NULL,
                 epoch_ms INTEGER NOT NULL DEFAULT 0
             );
             CREATE TABLE IF NOT EXISTS parameters (
                 device TEXT NOT NULL,
                 name TEXT NOT NULL,
                 value TEXT NOT NULL,
                 PRIMARY KEY (device, name)
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS meta (
                 name TEXT PRIMARY KEY,
                 value INTEGER NOT NULL
             );
             CREATE TABLE IF NOT EXISTS outbox (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 line TEXT NOT NULL
             );",
        )
        .map_err(err)?;
        // stores written before rows had a clock origin: 0 reads as unknown (not shifted)
        let has_epoch = db
            .prepare("SELECT 1 FROM pragma_table_info('devices') WHERE name = 'epoch_ms'")
            .and_then(|mut s| s.exists([]))
            .map_err(err)?;
        if !has_epoch {
            db.execute_batch("ALTER TABLE devices ADD COLUMN epoch_ms INTEGER NOT NULL DEFAULT 0;")
                .map_err(err)?;
        }
        Ok(Store {
            db,
            path: path.to_owned(),
            epoch_ms,
        })
    }

    /// Every stored record, into `hems`; returns how many. Records written before the
    /// parameters had a table of their own have them moved there.
    pub fn load_into(&mut self, hems: &mut Hems) -> Result<usize, String> {
        let err = |e: rusqlite::Error| format!("store {}: {e}", self.path);
        let mut moved = BTreeMap::new();
        let mut params = self
            .db
            .prepare("SELECT name, value FROM parameters WHERE device = ?1")
            .map_err(err)?;
        let mut stmt = self
            .db
            .prepare("SELECT key, record, epoch_ms FROM devices ORDER BY key")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(err)?;
        let mut n = 0;
        for row in rows {
            let (key, json, written_epoch) = row.map_err(err)?;
            let mut record: DeviceRecord = serde_json::from_str(&json).map_err(|e| {
                format!(
                    "store {}: the record of {key} is unreadable: {e}",
                    self.path
                )
            })?;
            if written_epoch > 0 {
                record.shift_deadlines(written_epoch - self.epoch_ms as i64);
            }
            if !record.parameters.is_empty() {
                moved.insert(
                    key.clone(),
                    DeviceChange {
                        record: record.without_parameters(),
                        parameters: record.parameters.clone().into_iter().collect(),
                    },
                );
            }
            let rows = params
                .query_map([&key], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(err)?;
            for row in rows {
                let (name, value) = row.map_err(err)?;
                record.parameters.entry(name).or_insert(value);
            }
            hems.import_device_as(&key, record);
            n += 1;
        }
        drop((stmt, params));
        let next: Option<i64> = self
            .db
            .query_row(
                "SELECT value FROM meta WHERE name = 'next_procedure_id'",
                [],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(err(e)),
            })?;
        if let Some(next) = next {
            hems.reserve_procedure_ids(ProcedureId(next as u64));
        }
        if !moved.is_empty() {
            self.write(&Batch {
                changes: moved,
                ..Batch::default()
            })?;
        }
        Ok(n)
    }

    /// Writes what changed in the record of `device` (if the HeMS has one); returns how
    /// many rows were written.
    #[cfg(test)]
    pub fn save(&mut self, hems: &mut Hems, device: &str) -> Result<usize, String> {
        let Some(change) = hems.take_device_change(device) else {
            return Ok(0);
        };
        self.write(&Batch {
            changes: BTreeMap::from([(device.to_owned(), change)]),
            ..Batch::default()
        })
        .map(|(rows, _)| rows)
    }

    /// The events in the outbox after `seq` (written, not yet published), in order.
    pub fn outbox_after(&self, seq: i64) -> Result<Vec<(i64, String)>, String> {
        let err = |e: rusqlite::Error| format!("store {}: {e}", self.path);
        let mut stmt = self
            .db
            .prepare("SELECT seq, line FROM outbox WHERE seq > ?1 ORDER BY seq")
            .map_err(err)?;
        let rows = stmt
            .query_map([seq], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    /// Forgets the outbox's events up to `seq`: they are published.
    pub fn published(&mut self, seq: i64) -> Result<(), String> {
        self.db
            .execute("DELETE FROM outbox WHERE seq <= ?1", [seq])
            .map(drop)
            .map_err(|e| format!("store {}: {e}", self.path))
    }

    /// Writes a batch in one transaction; returns how many record and parameter rows were
    /// written, and the events with the sequence numbers they got.
    fn write(&mut self, batch: &Batch) -> Result<(usize, Vec<(i64, String)>), String> {
        let err = |e: rusqlite::Error| format!("store {}: {e}", self.path);
        let tx = self.db.transaction().map_err(err)?;
        let mut rows = 0;
        let mut events = Vec::with_capacity(batch.events.len());
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO devices (key, record, epoch_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT(key) DO UPDATE
                     SET record = excluded.record, epoch_ms = excluded.epoch_ms",
                )
                .map_err(err)?;
            let mut parameter = tx
                .prepare_cached(
                    "INSERT INTO parameters (device, name, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT(device, name) DO UPDATE SET value = excluded.value",
                )
                .map_err(err)?;
            for (device, change) in &batch.changes {
                let json = serde_json::to_string(&change.record).expect("records serialize");
                rows += upsert
                    .execute((device, json, self.epoch_ms as i64))
                    .map_err(err)?;
                for (name, value) in &change.parameters {
                    rows += parameter.execute((device, name, value)).map_err(err)?;
                }
            }
            let mut outbox = tx
                .prepare_cached("INSERT INTO outbox (line) VALUES (?1)")
                .map_err(err)?;
            for line in &batch.events {
                outbox.execute([line]).map_err(err)?;
                events.push((tx.last_insert_rowid(), line.clone()));
            }
            if let Some(next) = batch.next_id {
                tx.execute(
                    "INSERT INTO meta (name, value) VALUES ('next_procedure_id', ?1)
                     ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)",
                    [next as i64],
                )
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok((rows, events))
    }
}

/// What the writer tells the HeMS about the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreHealth {
    /// Writes fail (locked, disk full...): records wait in memory and are retried.
    Unavailable(String),
    /// Writes succeed again; every waiting record is written.
    Recovered,
}

/// What waits for the next transaction.
#[derive(Default)]
struct Batch {
    /// Each device's change (merged: the newest record, every new parameter value).
    changes: BTreeMap<String, DeviceChange>,
    /// Event lines for the outbox, in the order they came.
    events: Vec<String>,
    /// The next procedure id, if it moved.
    next_id: Option<u64>,
    /// Who waits for this batch's commit.
    receipts: Vec<oneshot::Sender<()>>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.events.is_empty() && self.next_id.is_none()
    }
}

enum Job {
    Change {
        device: String,
        change: Box<DeviceChange>,
        events: Vec<String>,
        next_id: u64,
        receipt: Option<oneshot::Sender<()>>,
    },
    Published(i64),
    Flush(mpsc::Sender<()>),
}

/// The store's writer thread. Cloning shares it.
#[derive(Clone)]
pub struct StoreWriter {
    jobs: mpsc::Sender<Job>,
    healthy: Arc<AtomicBool>,
}

impl StoreWriter {
    /// Starts the writer of `store`; `health` hears when the store fails and recovers,
    /// `events` gets each event line with its sequence number once it is committed.
    pub fn spawn(
        mut store: Store,
        health: tokio::sync::mpsc::UnboundedSender<StoreHealth>,
        events: tokio::sync::mpsc::UnboundedSender<(i64, String)>,
    ) -> StoreWriter {
        let (jobs, rx) = mpsc::channel::<Job>();
        let healthy = Arc::new(AtomicBool::new(true));
        let flag = healthy.clone();
        std::thread::spawn(move || {
            let mut pending = Batch::default();
            let mut waiting: Vec<mpsc::Sender<()>> = Vec::new();
            let mut backoff = Duration::from_millis(100);
            let mut failing = false;
            let mut open = true;
            while open || !pending.is_empty() {
                // wait for work; while failing, no longer than the backoff
                let first = if pending.is_empty() {
                    rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
                } else if failing {
                    rx.recv_timeout(backoff)
                } else {
                    Err(mpsc::RecvTimeoutError::Timeout)
                };
                let mut take = |job: Job| match job {
                    Job::Change {
                        device,
                        change,
                        events,
                        next_id,
                        receipt,
                    } => {
                        merge(&mut pending.changes, device, *change);
                        pending.events.extend(events);
                        pending.next_id = pending.next_id.max(Some(next_id));
                        pending.receipts.extend(receipt);
                    }
                    Job::Published(seq) => {
                        if let Err(e) = store.published(seq) {
                            // left in the outbox: the next start skips what the file holds
                            tracing::warn!("{e}: published events stay in the outbox");
                        }
                    }
                    Job::Flush(done) => waiting.push(done),
                };
                match first {
                    Ok(job) => take(job),
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        open = false;
                        if failing {
                            std::thread::sleep(backoff);
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                }
                while let Ok(job) = rx.try_recv() {
                    take(job);
                }
                if !pending.is_empty() {
                    match store.write(&pending) {
                        Ok((_, committed)) => {
                            for receipt in std::mem::take(&mut pending).receipts {
                                let _ = receipt.send(());
                            }
                            for event in committed {
                                let _ = events.send(event);
                            }
                            backoff = Duration::from_millis(100);
                            if failing {
                                failing = false;
                                flag.store(true, Ordering::SeqCst);
                                let _ = health.send(StoreHealth::Recovered);
                            }
                        }
                        Err(e) => {
                            if !failing {
                                failing = true;
                                flag.store(false, Ordering::SeqCst);
                                tracing::warn!("{e}: records kept in memory, retrying");
                                let _ = health.send(StoreHealth::Unavailable(e));
                            }
                            backoff = (backoff * 2).min(Duration::from_secs(2));
                        }
                    }
                }
                if pending.is_empty() {
                    for done in waiting.drain(..) {
                        let _ = done.send(());
                    }
                }
            }
        });
        StoreWriter { jobs, healthy }
    }

    /// Queues a change of `device`'s record and its events (JSON lines) for the next
    /// transaction, with the HeMS's next procedure id; the receipt resolves once they are
    /// committed (write before send: the response that acknowledges them waits for it).
    pub fn persist(
        &self,
        device: String,
        change: Box<DeviceChange>,
        events: Vec<String>,
        next_id: ProcedureId,
    ) -> oneshot::Receiver<()> {
        let (receipt, committed) = oneshot::channel();
        let _ = self.jobs.send(Job::Change {
            device,
            change,
            events,
            next_id: next_id.0,
            receipt: Some(receipt),
        });
        committed
    }

    /// The outbox's events up to `seq` are in the events file: forget them.
    pub fn published(&self, seq: i64) {
        let _ = self.jobs.send(Job::Published(seq));
    }

    /// Whether the last write succeeded.
    pub fn healthy(&self) -> Arc<AtomicBool> {
        self.healthy.clone()
    }

    /// Waits until every queued record is written, at most `limit`; whether they all were.
    pub fn flush(&self, limit: Duration) -> bool {
        let (done, wait) = mpsc::channel();
        if self.jobs.send(Job::Flush(done)).is_err() {
            return false;
        }
        wait.recv_timeout(limit).is_ok()
    }
}

/// Adds `change` to what waits for writing: the newest record wins, parameters accumulate
/// (the newest value of each).
fn merge(pending: &mut BTreeMap<String, DeviceChange>, device: String, change: DeviceChange) {
    match pending.get_mut(&device) {
        None => {
            pending.insert(device, change);
        }
        Some(waiting) => {
            waiting.record = change.record;
            if waiting.parameters.is_empty() {
                waiting.parameters = change.parameters;
            } else if !change.parameters.is_empty() {
                let mut all: BTreeMap<String, String> = std::mem::take(&mut waiting.parameters)
                    .into_iter()
                    .collect();
                all.extend(change.parameters);
                waiting.parameters = all.into_iter().collect();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use femtocwmp::hems::HemsConfig;
    use femtocwmp::session::Timestamp;
    use femtocwmp::DeviceIdStruct;

    fn temp_path(name: &str) -> String {
        let dir = std::env::temp_dir().join(format!("femtocwmp-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        path.to_str().unwrap().to_owned()
    }

    fn record() -> DeviceRecord {
        DeviceRecord {
            device_id: DeviceIdStruct {
                oui: "00A0C6".into(),
                serial_number: "S1".into(),
                ..DeviceIdStruct::default()
            },
            connection_request: Some((Timestamp(50_000), 1)),
            ..DeviceRecord::default()
        }
    }

    /// The next Connection Request deadline of the one record `store` holds, as a HeMS
    /// loading it sees it.
    fn loaded_deadline(store: &mut Store) -> Option<(Timestamp, u32)> {
        let mut hems = Hems::new(HemsConfig::default());
        assert_eq!(store.load_into(&mut hems).unwrap(), 1);
        hems.export_device("00A0C6-S1").unwrap().connection_request
    }

    #[test]
    fn a_restarted_process_reads_deadlines_on_its_own_clock() {
        let path = temp_path("restart.db");
        let mut first = Store::open(&path, 1_000_000).unwrap();
        let mut hems = Hems::new(HemsConfig::default());
        hems.import_device(record());
        first.save(&mut hems, "00A0C6-S1").unwrap();
        drop(first);
        // the second process started 20 s later: the deadline 50 s after the first one's
        // start is 30 s after its own
        let mut second = Store::open(&path, 1_020_000).unwrap();
        assert_eq!(loaded_deadline(&mut second), Some((Timestamp(30_000), 1)));
    }

    #[test]
    fn a_store_without_clock_origins_is_upgraded_and_read_unshifted() {
        let path = temp_path("old.db");
        let db = Connection::open(&path).unwrap();
        db.execute_batch("CREATE TABLE devices (key TEXT PRIMARY KEY, record TEXT NOT NULL);")
            .unwrap();
        let json = serde_json::to_string(&record()).unwrap();
        db.execute(
            "INSERT INTO devices (key, record) VALUES (?1, ?2)",
            ("00A0C6-S1", json),
        )
        .unwrap();
        drop(db);
        let mut store = Store::open(&path, 5_000_000).unwrap();
        assert_eq!(loaded_deadline(&mut store), Some((Timestamp(50_000), 1)));
        // written again, the row now carries this process's origin
        let mut hems = Hems::new(HemsConfig::default());
        store.load_into(&mut hems).unwrap();
        store.save(&mut hems, "00A0C6-S1").unwrap();
        let mut again = Store::open(&path, 5_010_000).unwrap();
        assert_eq!(loaded_deadline(&mut again), Some((Timestamp(40_000), 1)));
    }

    /// A HeMS that took an Inform from 00A0C6-S1 carrying `n` parameters.
    fn informed_hems(n: usize) -> Hems {
        let mut list = String::new();
        for i in 0..n {
            list.push_str(&format!(
                "<ParameterValueStruct><Name>Device.X.{i}.Value</Name>\
                 <Value>v{i}</Value></ParameterValueStruct>"
            ));
        }
        let inform = format!(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soapenv:Header><cwmp:ID soapenv:mustUnderstand="1">1</cwmp:ID></soapenv:Header><soapenv:Body><cwmp:Inform><DeviceId><Manufacturer>x</Manufacturer><OUI>00A0C6</OUI><ProductClass></ProductClass><SerialNumber>S1</SerialNumber></DeviceId><Event><EventStruct><EventCode>1 BOOT</EventCode><CommandKey></CommandKey></EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-12-04T10:00:00Z</CurrentTime><RetryCount>0</RetryCount><ParameterList>{list}</ParameterList></cwmp:Inform></soapenv:Body></soapenv:Envelope>"#
        );
        let mut hems = Hems::new(HemsConfig::default());
        hems.handle_http_request(1, &[(":path", "/cwmp")], inform.as_bytes(), Timestamp(10));
        loop {
            match hems.poll_output() {
                femtocwmp::hems::HemsOutput::Timeout(_) | femtocwmp::hems::HemsOutput::Idle => {
                    break
                }
                _ => {}
            }
        }
        assert_eq!(
            hems.export_device("00A0C6-S1").map(|r| r.parameters.len()),
            Some(n),
            "the Inform was taken"
        );
        hems
    }

    #[test]
    fn a_huge_informs_parameters_are_written_once() {
        let path = temp_path("huge.db");
        let mut store = Store::open(&path, 1_000).unwrap();
        let mut hems = informed_hems(100_000);
        assert_eq!(store.save(&mut hems, "00A0C6-S1").unwrap(), 1 + 100_000);
        // a later event of the device (a procedure queued): one row, not 100,001
        let procedure = serde_json::from_str(
            r#"{"ConfigureBySetParameterValues": {"params": [], "parameter_key": "k"}}"#,
        )
        .unwrap();
        hems.submit("00A0C6-S1", procedure, Timestamp(20));
        assert_eq!(store.save(&mut hems, "00A0C6-S1").unwrap(), 1);
        let record: String = store
            .db
            .query_row("SELECT record FROM devices", [], |r| r.get(0))
            .unwrap();
        assert!(record.len() < 2_000, "the record row stays small: {record}");
        // a restart reads the parameters back
        let mut reloaded = Hems::new(HemsConfig::default());
        let mut store = Store::open(&path, 1_000).unwrap();
        store.load_into(&mut reloaded).unwrap();
        let back = reloaded.export_device("00A0C6-S1").unwrap();
        let before = hems.export_device("00A0C6-S1").unwrap();
        assert!(
            back.parameters == before.parameters,
            "the parameters come back"
        );
        assert_eq!(back.queue, before.queue);
    }

    #[test]
    fn records_that_held_their_parameters_are_split_on_load() {
        let path = temp_path("split.db");
        let mut old = record();
        old.parameters.insert("Device.A".into(), "1".into());
        old.parameters.insert("Device.B".into(), "2".into());
        let db = Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE devices (key TEXT PRIMARY KEY, record TEXT NOT NULL,
                                   epoch_ms INTEGER NOT NULL DEFAULT 0);",
        )
        .unwrap();
        db.execute(
            "INSERT INTO devices (key, record) VALUES (?1, ?2)",
            ("00A0C6-S1", serde_json::to_string(&old).unwrap()),
        )
        .unwrap();
        drop(db);
        let mut store = Store::open(&path, 1_000).unwrap();
        let mut hems = Hems::new(HemsConfig::default());
        store.load_into(&mut hems).unwrap();
        assert_eq!(hems.export_device("00A0C6-S1").unwrap(), old);
        let (record, params): (String, i64) = store
            .db
            .query_row(
                "SELECT record, (SELECT count(*) FROM parameters) FROM devices",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(params, 2);
        assert!(!record.contains("Device.A"), "{record}");
        // and read the same way again
        let mut again = Hems::new(HemsConfig::default());
        Store::open(&path, 1_000)
            .unwrap()
            .load_into(&mut again)
            .unwrap();
        assert_eq!(again.export_device("00A0C6-S1").unwrap(), old);
    }
}
