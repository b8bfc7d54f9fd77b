//! Moments as shown: in the team's zone, in UTC, and as JSON with all of them.

use crate::history::Stamp;
use jiff::tz::TimeZone;

/// A moment in `tz`.
pub fn in_zone(stamp: Stamp, tz: &TimeZone) -> jiff::Zoned {
    stamp.zoned().with_time_zone(tz.clone())
}

/// Unix seconds as `YYYY-MM-DD HH:MM <zone name>` in `tz` (`-` when there is none,
/// `unknown` when it is out of range: never 1970).
pub fn moment(seconds: Option<i64>, tz: &TimeZone, tz_name: &str) -> String {
    let Some(seconds) = seconds else {
        return "-".into();
    };
    jiff::Timestamp::from_second(seconds)
        .map(|t| {
            t.to_zoned(tz.clone())
                .strftime(&format!("%Y-%m-%d %H:%M {tz_name}"))
                .to_string()
        })
        .unwrap_or_else(|_| "unknown (out of range)".into())
}

/// Unix seconds as the date in `tz`.
pub fn date(seconds: i64, tz: &TimeZone) -> String {
    jiff::Timestamp::from_second(seconds)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
        .strftime("%Y-%m-%d")
        .to_string()
}

/// Unix seconds as RFC 3339 with `tz`'s offset.
pub fn rfc3339(seconds: i64, tz: &TimeZone) -> String {
    jiff::Timestamp::from_second(seconds)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A moment as JSON: in its own offset, in UTC, in the team's zone, and as Unix seconds.
#[derive(Debug, serde::Serialize)]
pub struct Time {
    /// `null` when the moment cannot be placed on a calendar (out of range).
    time: Option<String>,
    utc: Option<String>,
    local: Option<String>,
    unix: i64,
}

impl Time {
    pub fn of(stamp: Stamp, tz: &TimeZone) -> Time {
        let Ok(ts) = jiff::Timestamp::from_second(stamp.seconds) else {
            // Unknown (see `Stamp::known`): out of range.
            return Time {
                time: None,
                utc: None,
                local: None,
                unix: stamp.seconds,
            };
        };
        let own = jiff::tz::Offset::from_seconds(stamp.offset_minutes * 60)
            .unwrap_or(jiff::tz::Offset::UTC);
        let local = tz.to_offset(ts);
        // Written by hand where the text is plainly shaped (a four-digit year, whole-minute
        // offsets): strftime was a third of `log --format json`'s rendering. Elsewhere
        // strftime says it, as before.
        let slow = || {
            let zoned = stamp.zoned();
            (
                zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                zoned.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                zoned
                    .with_time_zone(tz.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string(),
            )
        };
        let (time, utc, local) = match (
            plain(ts, own, true),
            plain(ts, jiff::tz::Offset::UTC, false),
            plain(ts, local, true),
        ) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ => slow(),
        };
        Time {
            time: Some(time),
            utc: Some(utc),
            local: Some(local),
            unix: stamp.seconds,
        }
    }

    /// Unix seconds, in UTC as their own offset.
    pub fn of_seconds(seconds: i64, tz: &TimeZone) -> Time {
        Time::of(
            Stamp {
                seconds,
                offset_minutes: 0,
            },
            tz,
        )
    }
}

/// `ts` as `YYYY-MM-DDTHH:MM:SS` in `offset`, then `+HH:MM` (or `Z` without `zone`), as
/// strftime's `%Y-%m-%dT%H:%M:%S%:z` writes it; `None` outside years 1000-9999 or for an
/// offset with seconds.
fn plain(ts: jiff::Timestamp, offset: jiff::tz::Offset, zone: bool) -> Option<String> {
    let dt = offset.to_datetime(ts);
    let secs = offset.seconds();
    if !(1000..=9999).contains(&dt.year()) || secs % 60 != 0 {
        return None;
    }
    let mut out = String::with_capacity(25);
    let two = |out: &mut String, n: i32| {
        out.push(char::from(b'0' + (n / 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    let year = i32::from(dt.year());
    two(&mut out, year / 100);
    two(&mut out, year % 100);
    for (sep, n) in [
        ('-', dt.month()),
        ('-', dt.day()),
        ('T', dt.hour()),
        (':', dt.minute()),
        (':', dt.second()),
    ] {
        out.push(sep);
        two(&mut out, i32::from(n));
    }
    if zone {
        out.push(if secs < 0 { '-' } else { '+' });
        let minutes = secs.abs() / 60;
        two(&mut out, minutes / 60);
        out.push(':');
        two(&mut out, minutes % 60);
    } else {
        out.push('Z');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_in_the_team_zone() {
        let madrid = TimeZone::get("Europe/Madrid").unwrap();
        assert_eq!(
            moment(Some(0), &madrid, "Europe/Madrid"),
            "1970-01-01 01:00 Europe/Madrid"
        );
        assert_eq!(moment(None, &madrid, "Europe/Madrid"), "-");
        assert_eq!(date(86_399, &madrid), "1970-01-02");
        assert_eq!(rfc3339(0, &madrid), "1970-01-01T01:00:00+01:00");
        let t = serde_json::to_value(Time::of_seconds(0, &madrid)).unwrap();
        assert_eq!(t["local"], "1970-01-01T01:00:00+01:00");
        assert_eq!(t["utc"], "1970-01-01T00:00:00Z");
    }

    #[test]
    fn written_by_hand_as_strftime_writes_it() {
        let zones = ["Europe/Madrid", "America/St_Johns", "Asia/Kathmandu", "UTC"];
        for (i, seconds) in [-30_610_224_001, -1, 0, 1_776_451_410, 253_402_207_199]
            .into_iter()
            .chain((0..200).map(|k| k * 7_919_993_i64 - 500_000_000))
            .enumerate()
        {
            let offset_minutes = [0, 60, -210, 345, -720, 840][i % 6];
            let stamp = Stamp {
                seconds,
                offset_minutes,
            };
            for zone in zones {
                let tz = TimeZone::get(zone).unwrap();
                let zoned = stamp.zoned();
                let want = [
                    zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                    zoned.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    in_zone(stamp, &tz)
                        .strftime("%Y-%m-%dT%H:%M:%S%:z")
                        .to_string(),
                ];
                let t = serde_json::to_value(Time::of(stamp, &tz)).unwrap();
                assert_eq!(
                    [&t["time"], &t["utc"], &t["local"]],
                    want.map(serde_json::Value::from).each_ref()
                );
            }
        }
        // Out of jiff's range: unknown, as before.
        let stamp = Stamp {
            seconds: 253_402_300_799,
            offset_minutes: 0,
        };
        let t = serde_json::to_value(Time::of(stamp, &TimeZone::UTC)).unwrap();
        assert!(t["time"].is_null() && t["utc"].is_null() && t["local"].is_null());
    }
}
