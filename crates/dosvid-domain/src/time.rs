//! Timestamps as integrators send them: RFC 3339, `YYYY-MM-DD HH:MM:SS` or a bare date (both
//! read as UTC), bounded so that a typo in the year cannot land a record decades away.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::FieldError;

/// How far in the future a record's time may be; clocks of sending systems drift.
const MAX_FUTURE: chrono::Duration = chrono::Duration::days(1);

pub fn parse_timestamp(
    field: &str,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, FieldError> {
    let raw = raw.trim();
    let parsed = DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            [
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
            .map(|t| Utc.from_utc_datetime(&t))
        })
        .or_else(|| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| Utc.from_utc_datetime(&t))
        })
        .ok_or_else(|| {
            FieldError::new(
                field,
                "must be a timestamp like 2025-06-01T10:30:00Z or 2025-06-01 10:30:00",
            )
        })?;
    if parsed.timestamp() < 0 {
        return Err(FieldError::new(field, "must not be before 1970"));
    }
    if parsed > now + MAX_FUTURE {
        return Err(FieldError::new(
            field,
            "must not be more than a day in the future",
        ));
    }
    // Microseconds are what both backends store exactly.
    Ok(DateTime::from_timestamp_micros(parsed.timestamp_micros()).expect("in range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn accepts_the_formats_integrators_send() {
        let expect = Utc.with_ymd_and_hms(2025, 6, 1, 10, 30, 0).unwrap();
        for raw in [
            "2025-06-01T10:30:00Z",
            "2025-06-01T13:30:00+03:00",
            "2025-06-01 10:30:00",
            "2025-06-01 10:30",
        ] {
            assert_eq!(parse_timestamp("t", raw, now()).unwrap(), expect, "{raw}");
        }
        assert_eq!(
            parse_timestamp("t", "2025-06-01", now()).unwrap(),
            Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn rejects_garbage_and_far_future_times_naming_the_field() {
        for raw in ["yesterday", "2025-13-01", "", "2030-01-01"] {
            let err = parse_timestamp("occurred_at", raw, now()).unwrap_err();
            assert_eq!(err.field, "occurred_at", "{raw}");
        }
    }
}
