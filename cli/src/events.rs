//! The events file of `femtocwmp hems --events`: one JSON line per
//! [`femtocwmp::hems::HemsEvent`], appended, so that a restarted HeMS continues the file.
//!
//! With `--store`, a device's events are written into the store's outbox in the transaction
//! of the change they come from, and published here from there: each such line carries
//! `"seq"`, its number in the outbox. At start, what the outbox holds beyond the file's last
//! `seq` is published, so that a crash between a commit and this file loses no event and
//! repeats none.

use std::io::{Read, Seek, SeekFrom, Write};

/// Where the events go.
pub(crate) struct EventLog {
    out: Box<dyn Write + Send>,
    /// The highest `seq` in the file (0: none).
    pub(crate) last_seq: i64,
}

impl EventLog {
    /// Appends to `path` (created if absent), or writes to standard output.
    pub(crate) fn open(path: Option<&str>) -> Result<EventLog, String> {
        let Some(path) = path else {
            return Ok(EventLog {
                out: Box::new(std::io::stdout()),
                last_seq: 0,
            });
        };
        let last_seq = last_seq(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        Ok(EventLog {
            out: Box::new(std::io::BufWriter::new(file)),
            last_seq,
        })
    }

    /// Writes one event line (`line` is the event's JSON object), numbered if `seq` is
    /// given. A line the file holds already (`seq` not above the last) is skipped.
    pub(crate) fn write(&mut self, line: &str, seq: Option<i64>) -> Result<(), String> {
        let err = |e: std::io::Error| format!("cannot write events: {e}");
        match seq {
            Some(n) if n <= self.last_seq => Ok(()),
            Some(n) => {
                self.last_seq = n;
                match line.strip_suffix('}') {
                    Some(open) => writeln!(self.out, "{open},\"seq\":{n}}}").map_err(err),
                    None => writeln!(self.out, "{line}").map_err(err),
                }
            }
            None => writeln!(self.out, "{line}").map_err(err),
        }
    }

    /// Pushes what is written to the file.
    pub(crate) fn flush(&mut self) -> Result<(), String> {
        self.out
            .flush()
            .map_err(|e| format!("cannot write events: {e}"))
    }
}

/// The highest `"seq"` among the last lines of the file at `path` (0 if none or no file).
fn last_seq(path: &str) -> std::io::Result<i64> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    // numbered lines come in order: the tail tells
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    let text = String::from_utf8_lossy(&tail);
    Ok(text
        .lines()
        .filter_map(|l| {
            let at = l.rfind(",\"seq\":")?;
            l[at + 7..].trim_end_matches('}').parse::<i64>().ok()
        })
        .max()
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reopened_log_appends_and_skips_what_it_holds() {
        let dir = std::env::temp_dir().join(format!("femtocwmp-events-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.jsonl");
        let _ = std::fs::remove_file(&path);
        let path = path.to_str().unwrap();
        let mut log = EventLog::open(Some(path)).unwrap();
        assert_eq!(log.last_seq, 0);
        log.write(r#"{"A":{}}"#, Some(1)).unwrap();
        log.write(r#"{"R":{}}"#, None).unwrap();
        log.write(r#"{"B":{"x":1}}"#, Some(2)).unwrap();
        log.flush().unwrap();
        drop(log);
        let mut again = EventLog::open(Some(path)).unwrap();
        assert_eq!(again.last_seq, 2);
        again.write(r#"{"B":{"x":1}}"#, Some(2)).unwrap(); // published already
        again.write(r#"{"C":{}}"#, Some(3)).unwrap();
        again.flush().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        assert_eq!(
            text,
            "{\"A\":{},\"seq\":1}\n{\"R\":{}}\n{\"B\":{\"x\":1},\"seq\":2}\n{\"C\":{},\"seq\":3}\n"
        );
    }
}
