//! CSV files people download and open in a spreadsheet. A cell that starts with `=`, `+`, `-`,
//! `@`, a tab or a carriage return is read by Excel and LibreOffice as a formula, so a comment
//! such as `=HYPERLINK(…)` written by a customer would run on the analyst's machine. Such cells
//! get a leading `'`, which spreadsheets show as text; numbers (`-0.5`) stay as they are.

use std::borrow::Cow;

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
