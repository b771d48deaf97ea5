//! Days, weeks, months and quarters in the organisation's time zone. Rows carry their local day
//! number (days since 1970-01-01 in the zone); buckets are computed from it with integer
//! arithmetic, so grouping by month costs one table look-up per row.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const SECONDS_PER_DAY: i64 = 86_400;

/// The time bucket of a trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Day,
    /// ISO week, labelled by its Monday.
    Week,
    Month,
    Quarter,
    Year,
}

impl Bucket {
    /// The first day of the bucket holding `day`.
    pub fn start(self, day: i32) -> i32 {
        let (y, m, _) = civil_from_days(day);
        match self {
            Bucket::Day => day,
            // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday.
            Bucket::Week => day - (day + 3).rem_euclid(7),
            Bucket::Month => days_from_civil(y, m, 1),
            Bucket::Quarter => days_from_civil(y, (m - 1) / 3 * 3 + 1, 1),
            Bucket::Year => days_from_civil(y, 1, 1),
        }
    }

    /// How the bucket starting at `start` is named: `2025-06-02` (day, week: its Monday),
    /// `2025-06`, `2025-Q2`, `2025`.
    pub fn label(self, start: i32) -> String {
        let (y, m, d) = civil_from_days(start);
        match self {
            Bucket::Day | Bucket::Week => format!("{y:04}-{m:02}-{d:02}"),
            Bucket::Month => format!("{y:04}-{m:02}"),
            Bucket::Quarter => format!("{y:04}-Q{}", (m - 1) / 3 + 1),
            Bucket::Year => format!("{y:04}"),
        }
    }
}

/// (year, month 1–12, day 1–31) of a day number; H. Hinnant's `civil_from_days`.
pub fn civil_from_days(day: i32) -> (i32, u32, u32) {
    let z = day as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

/// The day number of a civil date; the inverse of [`civil_from_days`].
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * if m > 2 { m - 3 } else { m + 9 } + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) as i32
}

/// A time zone's UTC offsets as a sorted table of transitions, so that the local day of a
/// timestamp is a binary search away rather than a time zone database query.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
    /// `(first second, offset seconds)`, sorted; the first entry starts at `i64::MIN`.
    offsets: Vec<(i64, i32)>,
}

impl Zone {
    /// The zone with its transitions between 1970 and 2100 (times outside use the nearest).
    pub fn new(name: &str) -> Result<Self, jiff::Error> {
        let tz = TimeZone::get(name)?;
        let first = Timestamp::UNIX_EPOCH;
        let mut offsets = vec![(i64::MIN, tz.to_offset(first).seconds())];
        let end = Timestamp::from_second(4_102_444_800)?; // 2100-01-01
        for transition in tz.following(first) {
            if transition.timestamp() > end {
                break;
            }
            offsets.push((
                transition.timestamp().as_second(),
                transition.offset().seconds(),
            ));
        }
        Ok(Zone {
            name: name.to_owned(),
            tz,
            offsets,
        })
    }

    pub fn utc() -> Self {
        Zone::new("UTC").expect("UTC is in every time zone database")
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn offset(&self, second: i64) -> i32 {
        let i = self.offsets.partition_point(|&(start, _)| start <= second);
        self.offsets[i.saturating_sub(1)].1
    }

    /// The local day number of a Unix second.
    pub fn day(&self, second: i64) -> i32 {
        (second + i64::from(self.offset(second))).div_euclid(SECONDS_PER_DAY) as i32
    }

    /// The first second of a local day (the earliest, when midnight falls in a gap or twice).
    pub fn day_start(&self, day: i32) -> i64 {
        let (y, m, d) = civil_from_days(day);
        jiff::civil::date(y as i16, m as i8, d as i8)
            .to_zoned(self.tz.clone())
            .map(|z| z.timestamp().as_second())
            .unwrap_or(i64::from(day) * SECONDS_PER_DAY)
    }

    /// The period just before `[from, to)`, as a person would name it: the previous months when
    /// the period is whole calendar months, the same number of days before when it is whole
    /// local days, else the same number of seconds before.
    pub fn previous_period(&self, from: i64, to: i64) -> (i64, i64) {
        let (first, last) = (self.day(from), self.day(to));
        let whole_days = self.day_start(first) == from && self.day_start(last) == to;
        if !whole_days {
            return (from - (to - from), from);
        }
        let ((y1, m1, d1), (y2, m2, d2)) = (civil_from_days(first), civil_from_days(last));
        if d1 == 1 && d2 == 1 {
            let months = (y2 * 12 + m2 as i32) - (y1 * 12 + m1 as i32);
            let back = y1 * 12 + m1 as i32 - 1 - months;
            let start = days_from_civil(back.div_euclid(12), back.rem_euclid(12) as u32 + 1, 1);
            return (self.day_start(start), from);
        }
        (self.day_start(first - (last - first)), from)
    }

    /// The same local time `years` years earlier.
    pub fn years_before(&self, second: i64, years: i16) -> i64 {
        Timestamp::from_second(second)
            .ok()
            .and_then(|t| {
                t.to_zoned(self.tz.clone())
                    .checked_sub(jiff::Span::new().years(years))
                    .ok()
            })
            .map_or(second - i64::from(years) * 365 * SECONDS_PER_DAY, |z| {
                z.timestamp().as_second()
            })
    }

    /// A second as local time with its offset (RFC 3339), e.g. `2025-06-01T00:00:00+03:00`.
    pub fn format(&self, second: i64) -> String {
        Timestamp::from_second(second)
            .map(|t| {
                t.to_zoned(self.tz.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            })
            .unwrap_or_else(|_| second.to_string())
    }

    /// Reads a point in time: RFC 3339 with an offset, or a local date or date and time in
    /// this zone (`2025-06-01` is that day's local midnight).
    pub fn parse(&self, raw: &str) -> Option<i64> {
        let raw = raw.trim();
        if let Ok(t) = raw.parse::<Timestamp>() {
            return Some(t.as_second());
        }
        let local = raw.parse::<jiff::civil::DateTime>().ok()?;
        let zoned = local.to_zoned(self.tz.clone()).ok()?;
        Some(zoned.timestamp().as_second())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_through_civil_dates() {
        for day in [
            -800_000, -1, 0, 1, 59, 60, 11_016, 20_089, 20_240, 2_000_000,
        ] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_089), (2025, 1, 1));
    }

    #[test]
    fn buckets_start_and_label() {
        let day = days_from_civil(2025, 6, 4); // a Wednesday
        assert_eq!(Bucket::Week.label(Bucket::Week.start(day)), "2025-06-02");
        assert_eq!(Bucket::Month.label(Bucket::Month.start(day)), "2025-06");
        assert_eq!(Bucket::Quarter.label(Bucket::Quarter.start(day)), "2025-Q2");
        assert_eq!(Bucket::Year.label(Bucket::Year.start(day)), "2025");
        assert_eq!(Bucket::Day.label(day), "2025-06-04");
        // ISO week of 2025-01-01 (Wednesday) starts on Monday 2024-12-30.
        let new_year = days_from_civil(2025, 1, 1);
        assert_eq!(
            Bucket::Week.label(Bucket::Week.start(new_year)),
            "2024-12-30"
        );
    }

    #[test]
    fn kyiv_days_follow_summer_time() {
        let kyiv = Zone::new("Europe/Kyiv").unwrap();
        // 2025-06-30T21:30:00Z is 00:30 on 1 July in Kyiv (UTC+3 in summer).
        let t = "2025-06-30T21:30:00Z"
            .parse::<Timestamp>()
            .unwrap()
            .as_second();
        assert_eq!(kyiv.day(t), days_from_civil(2025, 7, 1));
        assert_eq!(Zone::utc().day(t), days_from_civil(2025, 6, 30));
        // 2025-01-31T22:30:00Z is 00:30 on 1 February (UTC+2 in winter).
        let t = "2025-01-31T22:30:00Z"
            .parse::<Timestamp>()
            .unwrap()
            .as_second();
        assert_eq!(kyiv.day(t), days_from_civil(2025, 2, 1));
        let midnight = "2025-06-30T21:00:00Z"
            .parse::<Timestamp>()
            .unwrap()
            .as_second();
        assert_eq!(kyiv.parse("2025-07-01"), Some(midnight));
        assert_eq!(kyiv.parse("2025-07-01T00:00:00+03:00"), Some(midnight));
        assert_eq!(kyiv.day_start(days_from_civil(2025, 2, 1)), t - 1_800);

        let at = |raw: &str| kyiv.parse(raw).unwrap();
        // October (31 days) follows September (30), across the change to winter time.
        assert_eq!(
            kyiv.previous_period(at("2025-10-01"), at("2025-11-01")),
            (at("2025-09-01"), at("2025-10-01"))
        );
        // A quarter follows the quarter before it, across a year.
        assert_eq!(
            kyiv.previous_period(at("2025-01-01"), at("2025-04-01")),
            (at("2024-10-01"), at("2025-01-01"))
        );
        // Seven days follow seven days; hours follow hours.
        assert_eq!(
            kyiv.previous_period(at("2025-03-31"), at("2025-04-07")),
            (at("2025-03-24"), at("2025-03-31"))
        );
        assert_eq!(
            kyiv.previous_period(at("2025-03-31T10:00:00"), at("2025-03-31T12:00:00")),
            (at("2025-03-31T08:00:00"), at("2025-03-31T10:00:00"))
        );
    }
}
