//! `xsd:dateTime` as CWMP uses it, with the TR-106 Unknown and Infinite Time conventions.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A CWMP `dateTime` value. It keeps the text it was made from, so what was decoded is
/// re-encoded unchanged; it is always lexically valid (`YYYY-MM-DDTHH:MM:SS[.f][zone]`).
///
/// TR-106 "Date and Time Rules": `0001-01-01T00:00:00Z` is the Unknown Time (with any
/// fractional precision), `9999-12-31T23:59:59Z` the Infinite Time, and an un-zoned value
/// with a year below 1000 is a time relative to boot.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DateTime {
    text: String,
}

/// What a [`DateTime`] denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DateTimeKind {
    /// A point in time with a zone suffix (UTC milliseconds since 1970).
    Absolute {
        /// Milliseconds since 1970-01-01T00:00:00Z.
        unix_millis: i64,
    },
    /// A point in time without zone (TR-106 says UTC; real devices send local time).
    Unzoned {
        /// Milliseconds since 1970-01-01T00:00:00, read as if UTC.
        unix_millis: i64,
    },
    /// TR-106 Unknown Time.
    Unknown,
    /// TR-106 Infinite Time.
    Infinite,
    /// TR-106 relative time: milliseconds since boot.
    SinceBoot {
        /// Milliseconds since boot.
        millis: i64,
    },
}

/// The text is not an `xsd:dateTime`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid dateTime {0:?}: expected YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM]")]
pub struct DateTimeError(pub String);

struct Parsed {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
    offset_minutes: Option<i32>,
}

impl DateTime {
    /// TR-106 Unknown Time, `0001-01-01T00:00:00Z`.
    pub fn unknown() -> Self {
        DateTime {
            text: "0001-01-01T00:00:00Z".into(),
        }
    }

    /// TR-106 Infinite Time, `9999-12-31T23:59:59Z`.
    pub fn infinite() -> Self {
        DateTime {
            text: "9999-12-31T23:59:59Z".into(),
        }
    }

    /// Parses and validates `text` (surrounding whitespace is allowed, as XSD collapses it).
    pub fn parse(text: &str) -> Result<Self, DateTimeError> {
        parse(text.trim()).ok_or_else(|| DateTimeError(text.to_owned()))?;
        Ok(DateTime {
            text: text.trim().to_owned(),
        })
    }

    /// The UTC time `unix_millis` milliseconds after 1970, written with a `Z` suffix (and
    /// milliseconds only when they are not zero).
    pub fn from_unix_millis(unix_millis: i64) -> Self {
        let secs = unix_millis.div_euclid(1000);
        let ms = unix_millis.rem_euclid(1000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            y,
            m,
            d,
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        );
        if ms != 0 {
            text.push_str(&format!(".{ms:03}"));
        }
        text.push('Z');
        DateTime { text }
    }

    /// The text as it goes on the wire.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What the value denotes.
    pub fn kind(&self) -> DateTimeKind {
        let p = parse(&self.text).expect("DateTime text is validated on construction");
        let days = days_from_civil(p.year, p.month, p.day);
        let ms_of_day =
            ((p.hour * 3600 + p.minute * 60 + p.second) as i64) * 1000 + p.millis as i64;
        match p.offset_minutes {
            Some(off) => {
                if p.year == 1 && p.month == 1 && p.day == 1 && ms_of_day == 0 && off == 0 {
                    return DateTimeKind::Unknown;
                }
                if p.year == 9999 && p.month == 12 && p.day == 31 && ms_of_day == 86_399_000 {
                    return DateTimeKind::Infinite;
                }
                let local = days * 86_400_000 + ms_of_day;
                DateTimeKind::Absolute {
                    unix_millis: local - off as i64 * 60_000,
                }
            }
            None if p.year < 1000 => DateTimeKind::SinceBoot {
                millis: (days - days_from_civil(1, 1, 1)) * 86_400_000 + ms_of_day,
            },
            None => DateTimeKind::Unzoned {
                unix_millis: days * 86_400_000 + ms_of_day,
            },
        }
    }

    /// True for the TR-106 Unknown Time.
    pub fn is_unknown(&self) -> bool {
        self.kind() == DateTimeKind::Unknown
    }

    /// Milliseconds since 1970 UTC for absolute (or un-zoned, read as UTC) values.
    pub fn unix_millis(&self) -> Option<i64> {
        match self.kind() {
            DateTimeKind::Absolute { unix_millis } | DateTimeKind::Unzoned { unix_millis } => {
                Some(unix_millis)
            }
            _ => None,
        }
    }
}

impl Default for DateTime {
    /// The Unknown Time.
    fn default() -> Self {
        DateTime::unknown()
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DateTime({})", self.text)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for DateTime {
    type Err = DateTimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DateTime::parse(s)
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |acc, &b| {
        acc.checked_mul(10)?.checked_add((b - b'0') as u32)
    })
}

fn parse(text: &str) -> Option<Parsed> {
    let b = text.as_bytes();
    let (neg, b) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    let dash = b.iter().position(|&c| c == b'-')?;
    if dash < 4 {
        return None;
    }
    let year = digits(&b[..dash])? as i64;
    let rest = &b[dash..];
    // -MM-DDTHH:MM:SS
    if rest.len() < 15 || rest[0] != b'-' || rest[3] != b'-' || rest[6] != b'T' {
        return None;
    }
    if rest[9] != b':' || rest[12] != b':' {
        return None;
    }
    let month = digits(&rest[1..3])?;
    let day = digits(&rest[4..6])?;
    let hour = digits(&rest[7..9])?;
    let minute = digits(&rest[10..12])?;
    let second = digits(&rest[13..15])?;
    let mut tail = &rest[15..];
    let mut millis = 0;
    if let Some(stripped) = tail.strip_prefix(b".") {
        let n = stripped.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let frac = &stripped[..n];
        let mut ms = 0u32;
        for i in 0..3 {
            ms = ms * 10 + frac.get(i).map_or(0, |d| (d - b'0') as u32);
        }
        millis = ms;
        tail = &stripped[n..];
    }
    let offset_minutes = match tail {
        [] => None,
        [b'Z'] => Some(0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            if h > 14 || m > 59 || (h == 14 && m != 0) {
                return None;
            }
            let off = (h * 60 + m) as i32;
            Some(if *sign == b'-' { -off } else { off })
        }
        _ => return None,
    };
    let year = if neg { -year } else { year };
    if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let end_of_day = hour == 24 && minute == 0 && second == 0 && millis == 0;
    if (hour > 23 && !end_of_day) || minute > 59 || second > 59 {
        return None;
    }
    Some(Parsed {
        year,
        month,
        day,
        hour,
        minute,
        second,
        millis,
        offset_minutes,
    })
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_infinite_times_are_recognised() {
        assert!(DateTime::parse("0001-01-01T00:00:00Z")
            .unwrap()
            .is_unknown());
        assert!(DateTime::parse("0001-01-01T00:00:00.000000Z")
            .unwrap()
            .is_unknown());
        assert_eq!(
            DateTime::parse("9999-12-31T23:59:59Z").unwrap().kind(),
            DateTimeKind::Infinite
        );
        assert_eq!(
            DateTime::parse("0001-01-03T03:04:05").unwrap().kind(),
            DateTimeKind::SinceBoot {
                millis: ((2 * 24 + 3) * 3600 + 4 * 60 + 5) * 1000
            }
        );
    }

    #[test]
    fn zones_are_applied() {
        let a = DateTime::parse("2024-11-27T10:02:17+01:00").unwrap();
        let b = DateTime::parse("2024-11-27T09:02:17Z").unwrap();
        assert_eq!(a.unix_millis(), b.unix_millis());
        assert_eq!(b.unix_millis(), Some(1_732_698_137_000));
    }

    #[test]
    fn unix_millis_round_trip() {
        for ms in [
            0i64,
            1_732_698_137_000,
            1_732_698_137_123,
            -86_400_000,
            951_782_400_000,
        ] {
            let t = DateTime::from_unix_millis(ms);
            assert_eq!(t.unix_millis(), Some(ms), "{t}");
        }
        assert_eq!(
            DateTime::from_unix_millis(951_782_400_000).as_str(),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn malformed_times_are_refused() {
        for bad in [
            "2019-03-05T11:54::14",
            "2019-02-30T00:00:00Z",
            "2019-13-01T00:00:00Z",
            "19-01-01T00:00:00Z",
            "2019-01-01 00:00:00Z",
            "2019-01-01T00:00:00+1:00",
            "",
        ] {
            assert!(DateTime::parse(bad).is_err(), "{bad}");
        }
    }
}
