//! A calendar period such as `12 months`, `1 year` or `none`: how often a policy is
//! reviewed. Months are calendar months, clamped to the month's end (31 January + 1 month
//! is 28 or 29 February). Plain data, no I/O.

/// How often something recurs: every `months` calendar months, or never.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Period {
    Months(u32),
    #[default]
    Never,
}

/// The longest period accepted: ten years. Longer means nothing to a team, and would take
/// dates past what calendars can represent.
pub const MAX_PERIOD_MONTHS: u32 = 120;

/// The forms a period is written in, for messages and the schema.
pub const PERIOD_PATTERN: &str = "^(none|[1-9][0-9]* (month|months|year|years))$";

impl Period {
    /// No recurrence (`none`).
    pub const NEVER: Period = Period::Never;

    /// Reads `N month(s)`, `N year(s)` or `none` (as [`PERIOD_PATTERN`] says); `None` for
    /// anything else or a period over [`MAX_PERIOD_MONTHS`].
    pub fn parse(text: &str) -> Option<Period> {
        if text == "none" {
            return Some(Period::Never);
        }
        let (n, unit) = text.split_once(' ')?;
        if n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = n.parse().ok()?;
        let months = match unit {
            "month" | "months" => n,
            "year" | "years" => n.checked_mul(12)?,
            _ => return None,
        };
        (months <= MAX_PERIOD_MONTHS).then_some(Period::Months(months))
    }

    /// The number of calendar months (`None` for [`Period::Never`]).
    pub fn months(self) -> Option<u32> {
        match self {
            Period::Months(m) => Some(m),
            Period::Never => None,
        }
    }

    /// As the acknowledgement reports write it (`version: 2` of their JSON and CSV): always
    /// in months, `12 months`, `1 month`, `none`.
    pub fn text(self) -> String {
        match self {
            Period::Never => "none".to_owned(),
            Period::Months(1) => "1 month".to_owned(),
            Period::Months(m) => format!("{m} months"),
        }
    }

    /// `date` plus the period, clamped to the month's end; `None` for [`Period::Never`] or
    /// past the calendar's end.
    pub fn after(self, date: jiff::civil::Date) -> Option<jiff::civil::Date> {
        match self {
            Period::Never => None,
            Period::Months(m) => date.checked_add(jiff::Span::new().months(m)).ok(),
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Never => f.write_str("none"),
            Period::Months(m) if m % 12 == 0 && *m >= 12 => {
                let y = m / 12;
                write!(f, "{y} year{}", if y == 1 { "" } else { "s" })
            }
            Period::Months(m) => write!(f, "{m} month{}", if *m == 1 { "" } else { "s" }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn parses_months_years_and_none() {
        assert_eq!(Period::parse("12 months"), Some(Period::Months(12)));
        assert_eq!(Period::parse("1 month"), Some(Period::Months(1)));
        assert_eq!(Period::parse("1 Month"), None);
        assert_eq!(Period::parse("+1 month"), None);
        assert_eq!(Period::parse("2 years"), Some(Period::Months(24)));
        assert_eq!(Period::parse("none"), Some(Period::Never));
        assert_eq!(Period::parse("0 months"), None);
        assert_eq!(Period::parse("12"), None);
        assert_eq!(Period::parse("11 years"), None);
        assert_eq!(Period::parse("6 weeks"), None);
    }

    #[test]
    fn months_clamp_to_the_month_end() {
        let p = Period::Months(1);
        assert_eq!(p.after(date(2026, 1, 31)), Some(date(2026, 2, 28)));
        assert_eq!(
            Period::Months(12).after(date(2024, 2, 29)),
            Some(date(2025, 2, 28))
        );
        assert_eq!(Period::Never.after(date(2024, 2, 29)), None);
        assert_eq!(Period::Months(6).to_string(), "6 months");
        assert_eq!(Period::Months(12).to_string(), "1 year");
        assert_eq!(Period::Months(12).text(), "12 months");
        assert_eq!(Period::Months(1).text(), "1 month");
        assert_eq!(Period::NEVER.text(), "none");
        assert_eq!(Period::Months(6).months(), Some(6));
    }

    /// `ack_every` and `review_every` are read by this one parser: what one refuses the
    /// other refuses too (both once had their own).
    #[test]
    fn one_parser_for_every_period() {
        for bad in [
            "012 months",
            " 12 months",
            "12 months ",
            "12  months",
            "121 months",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Period::parse("120 months"), Some(Period::Months(120)));
        assert_eq!(Period::parse("10 years"), Some(Period::Months(120)));
    }
}
