//! The calendar of due dates: calendar days and months in a zone, and which clock set a
//! due date. Pure functions; nothing here reads git or the clock.

pub use crate::model::ack::{Clock, Since};

/// `days` calendar days after `t` in `tz` (a day may have 23 or 25 hours); `None` when the
/// result falls outside what a calendar can represent (the due date is then unknown, never
/// a panic or a wrapped number).
pub fn add_days(t: i64, days: u32, tz: &jiff::tz::TimeZone) -> Option<i64> {
    let ts = jiff::Timestamp::from_second(t).ok()?;
    let span = jiff::Span::new().try_days(i64::from(days)).ok()?;
    let zoned = ts.to_zoned(tz.clone()).checked_add(span).ok()?;
    Some(zoned.timestamp().as_second())
}

/// `months` calendar months after `t` in `tz`, clamped to the month's end (31 January plus
/// one month is 28 or 29 February).
pub fn add_months(t: i64, months: u32, tz: &jiff::tz::TimeZone) -> Option<i64> {
    let ts = jiff::Timestamp::from_second(t).ok()?;
    let span = jiff::Span::new().try_months(i64::from(months)).ok()?;
    let zoned = ts.to_zoned(tz.clone()).checked_add(span).ok()?;
    Some(zoned.timestamp().as_second())
}

/// 00:00 of `date` (`YYYY-MM-DD`) in `tz`, plus `days` days.
pub fn midnight(date: &str, days: u32, tz: &jiff::tz::TimeZone) -> Option<i64> {
    let d: jiff::civil::Date = date.parse().ok()?;
    let z = d.to_zoned(tz.clone()).ok()?;
    add_days(z.timestamp().as_second(), days, tz)
}

impl Clock {
    pub fn as_str(self) -> &'static str {
        match self {
            Clock::InForce => "in-force",
            Clock::Covered => "covered",
            Clock::Joined => "joined",
            Clock::Start => "acks-start",
            Clock::Exemption => "exemption-ended",
            Clock::Expired => "expired",
        }
    }

    /// How a report names it, before the date: "covered since 2026-11-30".
    pub fn words(self) -> &'static str {
        match self {
            Clock::InForce => "in force since",
            Clock::Covered => "covered since",
            Clock::Joined => "joined",
            Clock::Start => "rollout",
            Clock::Exemption => "exempt until",
            Clock::Expired => "expired",
        }
    }
}

/// The latest of the clocks given (the first named wins a tie).
pub fn latest(clocks: impl IntoIterator<Item = Option<Since>>) -> Option<Since> {
    clocks
        .into_iter()
        .flatten()
        .fold(None, |best: Option<Since>, c| match best {
            Some(b) if b.at >= c.at => Some(b),
            _ => Some(c),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_dates_beyond_the_calendar_are_unknown_not_a_panic() {
        let tz = jiff::tz::TimeZone::get("Europe/Madrid").unwrap();
        // 2026-01-05 09:00 UTC plus 14 calendar days.
        assert_eq!(
            add_days(1_767_603_600, 14, &tz),
            Some(1_767_603_600 + 14 * 86_400)
        );
        assert_eq!(add_days(1_767_603_600, u32::MAX, &tz), None);
        assert_eq!(add_days(1_767_603_600, 7_304_485, &tz), None);
        assert_eq!(add_days(i64::MAX, 1, &tz), None);
    }

    #[test]
    fn months_clamp_to_the_months_end() {
        let tz = jiff::tz::TimeZone::UTC;
        let jan31 = midnight("2027-01-31", 0, &tz).unwrap();
        assert_eq!(add_months(jan31, 1, &tz), midnight("2027-02-28", 0, &tz));
        assert_eq!(add_months(jan31, 12, &tz), midnight("2028-01-31", 0, &tz));
        assert_eq!(
            midnight("2027-01-31", 1, &tz),
            midnight("2027-02-01", 0, &tz)
        );
        assert_eq!(midnight("nope", 0, &tz), None);
    }

    #[test]
    fn the_latest_clock_wins_and_the_first_named_wins_a_tie() {
        let s = |clock, at| Some(Since { clock, at });
        assert_eq!(
            latest([s(Clock::InForce, 5), s(Clock::Covered, 5), None]),
            s(Clock::InForce, 5)
        );
        assert_eq!(
            latest([s(Clock::InForce, 5), s(Clock::Joined, 7)]),
            s(Clock::Joined, 7)
        );
    }
}
