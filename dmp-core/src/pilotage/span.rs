//! A length of time as a plan writes it: "15 days", "3 months", "1 year".
//!
//! Plans are written by people in an establishment, not by programmers: a count and a unit
//! (English or French, singular or plural) reads better than ISO 8601 `P3M`. Months and years
//! are calendar months (15 January + 1 month = 15 February; 31 January + 1 month = the last
//! day of February), counted in the offset the date was recorded in.

use std::fmt;

use chrono::{DateTime, Duration, FixedOffset, Months};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest count a span may have: more says a typo, and keeps every date computable.
const MAX_COUNT: u32 = 1000;

/// A unit of a [`Span`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpanUnit {
    /// Hours (for what must leave with the usager, e.g. at a hospital transfer).
    Hours,
    /// Calendar days.
    Days,
    /// Weeks of 7 days.
    Weeks,
    /// Calendar months.
    Months,
    /// Calendar years (12 months).
    Years,
}

/// A length of time: a count of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// How many units (at most 1000).
    pub count: u32,
    /// Which unit.
    pub unit: SpanUnit,
}

impl Span {
    /// `count` `unit`s.
    pub const fn new(count: u32, unit: SpanUnit) -> Span {
        Span { count, unit }
    }

    /// Reads "15 days", "3 months", "1 an", "2 semaines"… The error says what is expected,
    /// in the words of the input.
    pub fn parse(text: &str) -> Result<Span, String> {
        let expected = "expected a count and a unit, e.g. \"15 days\", \"3 months\", \"1 year\" \
                        (hours, days, weeks, months, years; or heures, jours, semaines, mois, \
                        ans)";
        let mut words = text.split_whitespace();
        let (Some(count), Some(unit), None) = (words.next(), words.next(), words.next()) else {
            return Err(format!("{text:?}: {expected}"));
        };
        let count: u32 = count
            .parse()
            .map_err(|_| format!("{text:?}: {count:?} is not a whole number; {expected}"))?;
        if count > MAX_COUNT {
            return Err(format!("{text:?}: the count must be at most {MAX_COUNT}"));
        }
        let unit = match unit.to_lowercase().as_str() {
            "hour" | "hours" | "heure" | "heures" | "h" => SpanUnit::Hours,
            "day" | "days" | "jour" | "jours" => SpanUnit::Days,
            "week" | "weeks" | "semaine" | "semaines" => SpanUnit::Weeks,
            "month" | "months" | "mois" => SpanUnit::Months,
            "year" | "years" | "an" | "ans" | "année" | "années" => SpanUnit::Years,
            _ => return Err(format!("{text:?}: unknown unit {unit:?}; {expected}")),
        };
        Ok(Span { count, unit })
    }

    /// `t` plus this span; `None` only past the calendar's end (year 262143).
    pub fn after(self, t: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
        match self.unit {
            SpanUnit::Months | SpanUnit::Years => t.checked_add_months(Months::new(self.months())),
            _ => t.checked_add_signed(self.fixed()),
        }
    }

    /// `t` minus this span; `None` only before the calendar's start.
    pub fn before(self, t: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
        match self.unit {
            SpanUnit::Months | SpanUnit::Years => t.checked_sub_months(Months::new(self.months())),
            _ => t.checked_sub_signed(self.fixed()),
        }
    }

    fn months(self) -> u32 {
        match self.unit {
            SpanUnit::Years => self.count * 12,
            _ => self.count,
        }
    }

    fn fixed(self) -> Duration {
        let n = i64::from(self.count);
        match self.unit {
            SpanUnit::Hours => Duration::hours(n),
            SpanUnit::Weeks => Duration::weeks(n),
            _ => Duration::days(n),
        }
    }
}

impl fmt::Display for Span {
    /// The canonical English form: "1 day", "15 days", "3 months".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            SpanUnit::Hours => "hour",
            SpanUnit::Days => "day",
            SpanUnit::Weeks => "week",
            SpanUnit::Months => "month",
            SpanUnit::Years => "year",
        };
        let plural = if self.count == 1 { "" } else { "s" };
        write!(f, "{} {unit}{plural}", self.count)
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        let text = String::deserialize(d)?;
        Span::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn reads_english_and_french_and_prints_the_canonical_form() {
        assert_eq!(
            Span::parse("15 days").unwrap(),
            Span::new(15, SpanUnit::Days)
        );
        assert_eq!(
            Span::parse(" 3  mois ").unwrap(),
            Span::new(3, SpanUnit::Months)
        );
        assert_eq!(Span::parse("1 an").unwrap().to_string(), "1 year");
        assert_eq!(Span::parse("48 Heures").unwrap().to_string(), "48 hours");
        assert_eq!(Span::parse("1 day").unwrap().to_string(), "1 day");
    }

    #[test]
    fn refusals_say_what_is_expected() {
        let e = Span::parse("15 dys").unwrap_err();
        assert!(e.starts_with("\"15 dys\": unknown unit \"dys\""), "{e}");
        let e = Span::parse("quinze jours").unwrap_err();
        assert!(e.contains("\"quinze\" is not a whole number"), "{e}");
        assert!(Span::parse("15").is_err());
        assert!(Span::parse("1 day extra").is_err());
        assert!(Span::parse("-1 day").is_err());
        assert!(Span::parse("1001 years")
            .unwrap_err()
            .contains("at most 1000"));
    }

    #[test]
    fn calendar_months_clamp_to_the_month_end() {
        let m = Span::new(1, SpanUnit::Months);
        assert_eq!(
            m.after(t("2026-01-31T10:00:00+01:00")).unwrap(),
            t("2026-02-28T10:00:00+01:00")
        );
        assert_eq!(
            Span::new(3, SpanUnit::Months)
                .before(t("2026-05-31T00:00:00+02:00"))
                .unwrap(),
            t("2026-02-28T00:00:00+02:00")
        );
        assert_eq!(
            Span::new(1, SpanUnit::Years)
                .after(t("2024-02-29T08:00:00+01:00"))
                .unwrap(),
            t("2025-02-28T08:00:00+01:00")
        );
        assert_eq!(
            Span::new(2, SpanUnit::Weeks)
                .after(t("2026-03-20T09:00:00+01:00"))
                .unwrap(),
            t("2026-04-03T09:00:00+01:00")
        );
    }
}
