//! The period a page or a report shows when none is named: the three whole months up to the
//! latest month with enough answers to judge (a month holding a handful of fresh answers would
//! make an empty page). The dashboards and the diagnosis read it here.

use chrono::NaiveDate;
use dosvid_analytics::{Index, Measure, QueryRequest};
use dosvid_domain::FieldError;

/// `(year, month)` shifted by `months`.
pub fn shift((y, m): (i32, u32), months: i32) -> (i32, u32) {
    let total = y * 12 + m as i32 - 1 + months;
    (total.div_euclid(12), total.rem_euclid(12) as u32 + 1)
}

pub fn month_start((y, m): (i32, u32)) -> String {
    format!("{y:04}-{m:02}-01")
}

pub fn parse_month(label: &str) -> Option<(i32, u32)> {
    let (y, m) = label.get(..7)?.split_once('-')?;
    Some((y.parse().ok()?, m.parse().ok()?))
}

/// The default period, `to` exclusive; none when there is no data.
pub fn default_period(index: &Index) -> Result<Option<(NaiveDate, NaiveDate)>, FieldError> {
    let months = index.query(&QueryRequest {
        group_by: vec!["month".into()],
        measures: vec![Measure::N],
        ..Default::default()
    })?;
    let month_of = |r: &dosvid_analytics::ResultRow| {
        r.group
            .get("month")
            .cloned()
            .flatten()
            .and_then(|l| parse_month(&l))
    };
    let enough = months.rows.iter().filter(|r| r.n >= months.min_sample);
    let Some(last) = enough
        .filter_map(month_of)
        .max()
        .or_else(|| months.rows.iter().filter_map(month_of).max())
    else {
        return Ok(None);
    };
    let end = shift(last, 1);
    let day = |month| NaiveDate::parse_from_str(&month_start(month), "%Y-%m-%d").ok();
    Ok(day(shift(end, -3)).zip(day(end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_period_is_the_last_three_whole_months_with_data() {
        assert_eq!(shift((2026, 1), -3), (2025, 10));
        assert_eq!(shift((2026, 10), 1), (2026, 11));
        assert_eq!(parse_month("2026-10"), Some((2026, 10)));
        assert_eq!(month_start(shift(shift((2026, 10), 1), -3)), "2026-08-01");
    }
}
