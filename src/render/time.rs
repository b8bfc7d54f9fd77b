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
        if !stamp.known() {
            return Time {
                time: None,
                utc: None,
                local: None,
                unix: stamp.seconds,
            };
        }
        let zoned = stamp.zoned();
        Time {
            time: Some(zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()),
            utc: Some(zoned.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
            local: Some(
                zoned
                    .with_time_zone(tz.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string(),
            ),
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
}
