//! CSV files people download and open in a spreadsheet. A cell that starts with `=`, `+`, `-`,
//! `@`, a tab or a carriage return is read by Excel and LibreOffice as a formula, so a comment
//! such as `=HYPERLINK(…)` written by a customer would run on the analyst's machine. Such cells
//! get a leading `'`, which spreadsheets show as text; numbers (`-0.5`) stay as they are. Also
//! the CSV of a survey's responses, which the API and the survey page both offer.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use dosvid_domain::survey::{Answer, QuestionKind, SurveyDefinition, SurveyResponse};

/// The cell as a spreadsheet will read it safely.
pub(crate) fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Writes one row of a download, each cell made [`spreadsheet_safe`].
pub(crate) fn write_row<W: std::io::Write>(
    out: &mut csv::Writer<W>,
    cells: impl IntoIterator<Item = impl AsRef<str>>,
) -> csv::Result<()> {
    let cells: Vec<String> = cells
        .into_iter()
        .map(|c| spreadsheet_safe(c.as_ref()).into_owned())
        .collect();
    out.write_record(&cells)
}

/// One row per response; the questions of the current version make the columns (answers to
/// questions a later version removed are kept in the JSON export).
pub(crate) fn responses_csv(
    definition: &SurveyDefinition,
    responses: &[SurveyResponse],
) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<String> = [
        "response_id",
        "survey_version",
        "status",
        "customer_id",
        "interaction_id",
        "language",
        "started_at",
        "completed_at",
        "feedback_id",
    ]
    .map(str::to_owned)
    .to_vec();
    for q in &definition.questions {
        if q.kind == QuestionKind::Servqual {
            head.push(format!("{}.expectation", q.id));
            head.push(format!("{}.perception", q.id));
        } else {
            head.push(q.id.clone());
        }
    }
    out.write_record(&head)?;
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let time = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    for r in responses {
        let mut row = vec![
            r.id.to_string(),
            r.version.to_string(),
            r.status.as_str().to_owned(),
            opt(r.customer_id),
            opt(r.interaction_id),
            r.language.clone(),
            time(Some(r.started_at)),
            time(r.completed_at),
            opt(r.feedback_id),
        ];
        for q in &definition.questions {
            let answer = r.answers.get(&q.id);
            match answer {
                Some(Answer::Pair {
                    expectation,
                    perception,
                }) => {
                    row.push(expectation.to_string());
                    row.push(perception.to_string());
                }
                _ if q.kind == QuestionKind::Servqual => {
                    row.push(String::new());
                    row.push(String::new());
                }
                Some(Answer::Number(n)) => row.push(n.to_string()),
                Some(Answer::Text(t)) => row.push(t.clone()),
                Some(Answer::Many(keys)) => row.push(keys.join("|")),
                None => row.push(String::new()),
            }
        }
        crate::download::write_row(&mut out, &row)?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for (cell, expect) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+380501234567", "+380501234567"),
            ("+SUM(A1)", "'+SUM(A1)"),
            ("-0.5", "-0.5"),
            ("- не працює", "'- не працює"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("Чекав 40 хвилин", "Чекав 40 хвилин"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell), expect, "{cell}");
        }
    }
}
