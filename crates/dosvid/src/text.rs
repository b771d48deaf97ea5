//! `dosvid text analyze`: one JSON analysis per text, for a file of lines, a CSV column, or
//! standard input — to look at what Dosvid reads in comments without a server.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::Context;

/// Analyses each line of `input` (`-` for standard input), or each value of `column` when the
/// input is CSV, and prints one JSON object per text.
pub fn analyze(input: &Path, column: Option<&str>) -> anyhow::Result<()> {
    let reader: Box<dyn std::io::Read> = if input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(input)
                .with_context(|| format!("cannot read {}", input.display()))?,
        )
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut print = |text: &str| -> anyhow::Result<()> {
        serde_json::to_writer(&mut out, &dosvid_text::analyze(text))?;
        out.write_all(b"\n")?;
        Ok(())
    };
    match column {
        None => {
            for line in std::io::BufReader::new(reader).lines() {
                print(&line.context("the input is not UTF-8 text")?)?;
            }
        }
        Some(column) => {
            let mut csv = csv::Reader::from_reader(reader);
            let headers = csv.headers()?.clone();
            let index = headers
                .iter()
                .position(|h| h == column)
                .with_context(|| format!("no column {column:?}; the columns are {headers:?}"))?;
            for record in csv.records() {
                let record = record?;
                print(record.get(index).unwrap_or_default())?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
