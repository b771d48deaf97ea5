//! `dosvid import`: streams a CSV or JSONL file into the store. One thread reads and validates
//! rows while the other writes the previous chunk, each chunk in one transaction; written chunks
//! go back to the reader to be freed, since freeing on the allocating thread is cheaper and the
//! writer is the slower of the two. Rejected rows
//! go, with their line and reason, to a file beside the input, so they can be fixed and re-sent;
//! records with external ids make a re-run of the same file add nothing. A file in another
//! encoding (the cp1251, KOI8-R and UTF-16 that spreadsheets export) is read with `--encoding`;
//! a quote opened and never closed, which would read the rows after it into one field, is
//! caught and its row rejected with the lines it swallowed.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, bail};
use dosvid_domain::customer::NewCustomerInput;
use dosvid_domain::{
    Attributes, FeedbackInput, FieldError, InteractionInput, RecordKind, SignalInput,
    TransactionInput,
};
use dosvid_store::{Signals, Store};
use dosvid_text::Themes;

use crate::Format;

pub struct Options {
    pub format: Option<Format>,
    /// `from=to` column renames.
    pub map: Vec<String>,
    pub rejects: Option<PathBuf>,
    pub batch: usize,
    pub progress: bool,
    /// Suspend rebuildable indexes during the load; `None` decides by file size.
    pub bulk: Option<bool>,
    /// The file's encoding when it is not UTF-8.
    pub encoding: Option<&'static encoding_rs::Encoding>,
}

/// The encodings `--encoding` takes: name → encoding.
pub fn parse_encoding(name: &str) -> Result<&'static encoding_rs::Encoding, String> {
    Ok(match name.to_ascii_lowercase().replace('_', "-").as_str() {
        "utf-8" | "utf8" => encoding_rs::UTF_8,
        "cp1251" | "windows-1251" => encoding_rs::WINDOWS_1251,
        "koi8-r" | "koi8r" => encoding_rs::KOI8_R,
        "koi8-u" | "koi8u" => encoding_rs::KOI8_U,
        // A byte-order mark, when there is one, says which UTF-16.
        "utf-16" | "utf-16le" => encoding_rs::UTF_16LE,
        "utf-16be" => encoding_rs::UTF_16BE,
        other => {
            return Err(format!(
                "unknown encoding '{other}'; use utf-8, cp1251, koi8-r, koi8-u, utf-16 (le) or utf-16be"
            ));
        }
    })
}

/// A quoted field spanning more lines than this is a quote never closed, not a comment.
const MAX_FIELD_LINES: usize = 50;

/// Said of text that is not UTF-8: what to do about it.
const ENCODING_HINT: &str =
    "if the file was saved in another encoding, pass --encoding cp1251, koi8-r or utf-16";

/// Files at least this large are loaded in bulk mode unless told otherwise: below it, rebuilding
/// the indexes of an already large table could cost more than maintaining them.
const BULK_THRESHOLD_BYTES: u64 = 16 << 20;

#[derive(Debug, Default)]
pub struct Summary {
    pub kind: Option<RecordKind>,
    pub rows: usize,
    pub created: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub seconds: f64,
    pub rejects_file: Option<PathBuf>,
}

impl Summary {
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.seconds.max(1e-9)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind.map_or("records", RecordKind::as_str);
        write!(
            f,
            "{kind}: {} rows in {:.2} s ({:.0} rows/s): {} created, {} {}, {} rejected",
            self.rows,
            self.seconds,
            self.rows_per_second(),
            self.created,
            self.duplicates,
            if self.kind == Some(RecordKind::Customers) {
                "updated"
            } else {
                "already stored"
            },
            self.rejected
        )?;
        if let Some(path) = &self.rejects_file {
            write!(f, " (reasons in {})", path.display())?;
        }
        Ok(())
    }
}

pub fn run(
    store: &dyn Store,
    kind: RecordKind,
    path: &Path,
    options: &Options,
) -> anyhow::Result<Summary> {
    let mut summary = match kind {
        RecordKind::Customers => {
            import::<NewCustomerInput>(store, path, options, Signals::Customers)
        }
        RecordKind::Interactions => {
            import::<InteractionInput>(store, path, options, Signals::Interactions)
        }
        RecordKind::Feedback => import::<FeedbackInput>(store, path, options, Signals::Feedback),
        RecordKind::Transactions => {
            import::<TransactionInput>(store, path, options, Signals::Transactions)
        }
    }?;
    summary.kind = Some(kind);
    Ok(summary)
}

/// A row as read, kept so that a rejected row can be written out unchanged.
enum Raw {
    Csv(csv::ByteRecord),
    Json(String),
}

struct Chunk<V> {
    lines: Vec<u64>,
    raws: Vec<Raw>,
    records: Vec<Result<V, FieldError>>,
}

impl<V> Chunk<V> {
    fn with_capacity(n: usize) -> Self {
        Chunk {
            lines: Vec::with_capacity(n),
            raws: Vec::with_capacity(n),
            records: Vec::with_capacity(n),
        }
    }
}

/// A written chunk on its way back to the reader, which only drops it.
struct Spent {
    _records: Signals,
    _raws: Vec<Raw>,
}

/// The reader's end: full chunks to the writer, spent ones back to be freed.
struct Pipe<V> {
    full: mpsc::SyncSender<Chunk<V>>,
    spent: mpsc::Receiver<Spent>,
}

impl<V> Pipe<V> {
    /// Sends the chunk and leaves an empty one in its place; false when the writer stopped.
    fn send(&self, chunk: &mut Chunk<V>, batch: usize) -> bool {
        while self.spent.try_recv().is_ok() {}
        self.full
            .send(std::mem::replace(chunk, Chunk::with_capacity(batch)))
            .is_ok()
    }
}

fn detect_format(path: &Path, format: Option<Format>) -> anyhow::Result<Format> {
    if let Some(format) = format {
        return Ok(format);
    }
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok(Format::Csv),
        Some("jsonl" | "ndjson" | "json") => Ok(Format::Jsonl),
        _ => bail!(
            "cannot tell the format of {} from its extension; pass --format csv or --format jsonl",
            path.display()
        ),
    }
}

fn import<I: SignalInput>(
    store: &dyn Store,
    path: &Path,
    options: &Options,
    wrap: fn(Vec<Result<I::Valid, FieldError>>) -> Signals,
) -> anyhow::Result<Summary>
where
    I::Valid: Send,
{
    let format = detect_format(path, options.format)?;
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = if options.progress {
        let bar = indicatif::ProgressBar::new(size);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("valid template"),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let file: Box<dyn Read + Send> = match options.encoding {
        Some(encoding) => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .build(bar.wrap_read(file)),
        ),
        None => Box::new(bar.wrap_read(file)),
    };
    let reader = BufReader::with_capacity(1 << 20, file);
    let renames = parse_renames(&options.map)?;
    let org = store.default_org()?;
    let themes = store.themes(org)?;
    let started = Instant::now();
    let bulk = options.bulk.unwrap_or(size >= BULK_THRESHOLD_BYTES);
    if bulk {
        store.begin_bulk_load(I::KIND)?;
    }
    let mut summary = Summary::default();
    let mut rejects = Rejects::new(path, options.rejects.clone(), format);

    let loaded = std::thread::scope(|scope| -> anyhow::Result<()> {
        let (full, rx) = mpsc::sync_channel::<Chunk<I::Valid>>(2);
        let (spent_tx, spent) = mpsc::channel::<Spent>();
        let batch = options.batch;
        let themes = &themes;
        let reader_thread = scope.spawn(move || -> anyhow::Result<Option<csv::ByteRecord>> {
            let pipe = Pipe { full, spent };
            match format {
                Format::Csv => read_csv::<I, _>(reader, &renames, batch, themes, &pipe).map(Some),
                Format::Jsonl => read_jsonl::<I, _>(reader, batch, themes, &pipe).map(|()| None),
            }
        });
        for Chunk {
            lines,
            mut raws,
            records,
        } in rx
        {
            let now = chrono::Utc::now();
            let records = wrap(records);
            let report = store.ingest(org, &records, None, now)?;
            summary.rows += report.received;
            summary.created += report.created;
            summary.duplicates += report.duplicates;
            summary.rejected += report.rejected.len();
            for r in report.rejected {
                let raw = std::mem::replace(&mut raws[r.index], Raw::Json(String::new()));
                rejects.add(lines[r.index], r, raw);
            }
            let _ = spent_tx.send(Spent {
                _records: records,
                _raws: raws,
            });
        }
        let header = reader_thread.join().expect("reader thread")?;
        rejects.set_header(header);
        Ok(())
    });
    if bulk {
        bar.set_message("rebuilding indexes");
        store.end_bulk_load(I::KIND)?;
    }
    loaded?;
    bar.finish_and_clear();
    summary.seconds = started.elapsed().as_secs_f64();
    summary.rejects_file = rejects.finish()?;
    Ok(summary)
}

fn parse_renames(map: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    map.iter()
        .filter(|m| !m.is_empty())
        .map(|m| match m.split_once('=') {
            Some((from, to)) => Ok((from.trim().to_owned(), to.trim().to_owned())),
            None => bail!("--map takes FROM=TO pairs, got '{m}'"),
        })
        .collect()
}

/// How a CSV column is read.
enum Column {
    /// A field of the record.
    Field,
    /// `attr.NAME`: one attribute.
    Attribute(String),
    /// `attributes`: a JSON object of attributes.
    Attributes,
}

fn plan_columns<I: SignalInput>(
    headers: &csv::StringRecord,
    renames: &[(String, String)],
) -> anyhow::Result<(Vec<Column>, csv::StringRecord)> {
    let mut projected = csv::StringRecord::new();
    let mut columns = Vec::new();
    let mut unknown = Vec::new();
    for raw in headers {
        let name = raw.trim().trim_start_matches('\u{feff}');
        let name = renames
            .iter()
            .find(|(from, _)| from == name)
            .map_or(name, |(_, to)| to.as_str());
        if I::FIELDS.contains(&name) {
            columns.push(Column::Field);
            projected.push_field(name);
        } else if let Some(attribute) = name.strip_prefix("attr.") {
            columns.push(Column::Attribute(attribute.to_owned()));
        } else if name == "attributes" {
            columns.push(Column::Attributes);
        } else {
            unknown.push(name.to_owned());
        }
    }
    if !unknown.is_empty() {
        bail!(
            "unknown column(s) {}; the columns are {}, attr.NAME for attributes; rename with --map FROM=TO",
            unknown.join(", "),
            I::FIELDS.join(", ")
        );
    }
    Ok((columns, projected))
}

fn read_csv<I: SignalInput, R: Read>(
    reader: R,
    renames: &[(String, String)],
    batch: usize,
    themes: &Themes,
    pipe: &Pipe<I::Valid>,
) -> anyhow::Result<csv::ByteRecord> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let header_bytes = csv
        .byte_headers()
        .context("cannot read the CSV header")?
        .clone();
    let headers = csv::StringRecord::from_byte_record(header_bytes.clone())
        .with_context(|| format!("the CSV header is not valid UTF-8; {ENCODING_HINT}"))?;
    let (columns, projected) = plan_columns::<I>(&headers, renames)?;
    let now = chrono::Utc::now();
    let mut chunk = Chunk::with_capacity(batch);
    let mut row = csv::StringRecord::new();
    let mut raw = csv::ByteRecord::new();
    loop {
        match csv.read_byte_record(&mut raw) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => bail!("cannot read the CSV file: {e}"),
        }
        let line = raw.position().map_or(0, |p| p.line());
        let record = match runaway_quote(&raw, &headers, line) {
            Some(error) => Err(error),
            None => parse_csv_row::<I>(&raw, &headers, &columns, &projected, &mut row)
                .and_then(|r| r.validate(now, themes)),
        };
        chunk.lines.push(line);
        chunk.records.push(record);
        chunk.raws.push(Raw::Csv(std::mem::take(&mut raw)));
        if chunk.records.len() >= batch && !pipe.send(&mut chunk, batch) {
            return Ok(header_bytes);
        }
    }
    if !chunk.records.is_empty() {
        pipe.send(&mut chunk, 0);
    }
    Ok(header_bytes)
}

/// A quote opened in a field and never closed reads the rows after it into that field, and the
/// row may still have the right number of fields. Such a field spans many lines, or holds lines
/// that read as rows of their own (as many fields as the header).
fn runaway_quote(
    raw: &csv::ByteRecord,
    headers: &csv::StringRecord,
    line: u64,
) -> Option<FieldError> {
    let (i, field) = raw
        .iter()
        .enumerate()
        .find(|(_, field)| field.contains(&b'\n'))?;
    let field = field.trim_ascii_end();
    let lines = field.split(|b| *b == b'\n').count();
    let row_like = || {
        field.split(|b| *b == b'\n').skip(1).any(|text| {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text);
            let mut record = csv::ByteRecord::new();
            headers.len() > 1
                && matches!(reader.read_byte_record(&mut record), Ok(true))
                && record.len() == headers.len()
        })
    };
    if lines <= MAX_FIELD_LINES && !row_like() {
        return None;
    }
    let last = line + lines as u64 - 1;
    Some(FieldError::new(
        headers.get(i).unwrap_or("row"),
        format!(
            "a quote opened on line {line} is not closed where its row ends: lines {}–{last} were read into this field; close the quote and import these lines again",
            line + 1
        ),
    ))
}

fn parse_csv_row<I: SignalInput>(
    raw: &csv::ByteRecord,
    headers: &csv::StringRecord,
    columns: &[Column],
    projected: &csv::StringRecord,
    row: &mut csv::StringRecord,
) -> Result<I, FieldError> {
    if raw.len() != columns.len() {
        return Err(FieldError::new(
            "row",
            format!("has {} fields, the header has {}", raw.len(), columns.len()),
        ));
    }
    row.clear();
    let mut attributes = Attributes::new();
    for (i, (bytes, column)) in raw.iter().zip(columns).enumerate() {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            FieldError::new(
                &headers[i],
                format!("is not valid UTF-8 text ({e}); {ENCODING_HINT}"),
            )
        })?;
        match column {
            Column::Field => row.push_field(text),
            Column::Attribute(name) if !text.is_empty() => {
                attributes.insert(name.clone(), serde_json::Value::String(text.to_owned()));
            }
            Column::Attribute(_) => {}
            Column::Attributes if !text.trim().is_empty() => {
                let object: Attributes = dosvid_domain::error::from_json(text)
                    .map_err(|e| FieldError::new("attributes", e.message))?;
                attributes.extend(object);
            }
            Column::Attributes => {}
        }
    }
    let mut record: I = row
        .deserialize(Some(projected))
        .map_err(|e| match e.kind() {
            csv::ErrorKind::Deserialize { err, .. } => {
                let field = err
                    .field()
                    .and_then(|i| projected.get(i as usize))
                    .unwrap_or("row");
                let message = match err.kind() {
                    csv::DeserializeErrorKind::ParseInt(_) => "must be an integer".to_owned(),
                    other => other.to_string(),
                };
                FieldError::new(field, message)
            }
            _ => FieldError::new("row", e.to_string()),
        })?;
    if !attributes.is_empty() {
        record.set_attributes(attributes);
    }
    Ok(record)
}

fn read_jsonl<I: SignalInput, R: Read>(
    reader: R,
    batch: usize,
    themes: &Themes,
    pipe: &Pipe<I::Valid>,
) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let mut chunk = Chunk::with_capacity(batch);
    let mut reader = BufReader::new(reader);
    let mut bytes = Vec::new();
    let mut line = 0u64;
    loop {
        bytes.clear();
        if reader
            .read_until(b'\n', &mut bytes)
            .context("cannot read the file")?
            == 0
        {
            break;
        }
        line += 1;
        let (text, record) = match std::str::from_utf8(&bytes) {
            Ok(text) => {
                let text = text.trim_end_matches(['\n', '\r']);
                if text.trim().is_empty() {
                    continue;
                }
                let record = dosvid_domain::error::from_json::<I>(text)
                    .and_then(|r| r.validate(now, themes));
                (text.to_owned(), record)
            }
            Err(e) => {
                let text = String::from_utf8_lossy(&bytes)
                    .trim_end_matches(['\n', '\r'])
                    .to_owned();
                (
                    text,
                    Err(FieldError::new(
                        "line",
                        format!("is not valid UTF-8 text: {e}"),
                    )),
                )
            }
        };
        chunk.lines.push(line);
        chunk.records.push(record);
        chunk.raws.push(Raw::Json(text));
        if chunk.records.len() >= batch && !pipe.send(&mut chunk, batch) {
            return Ok(());
        }
    }
    if !chunk.records.is_empty() {
        pipe.send(&mut chunk, 0);
    }
    Ok(())
}

/// The file of rejected rows: the row as it was, with its line, field and reason.
struct Rejects {
    path: PathBuf,
    format: Format,
    rows: Vec<(u64, String, String, Raw)>,
    header: Option<csv::ByteRecord>,
}

impl Rejects {
    fn new(input: &Path, path: Option<PathBuf>, format: Format) -> Self {
        let extension = if format == Format::Csv {
            "csv"
        } else {
            "jsonl"
        };
        let path = path.unwrap_or_else(|| input.with_extension(format!("rejected.{extension}")));
        Rejects {
            path,
            format,
            rows: Vec::new(),
            header: None,
        }
    }

    fn add(&mut self, line: u64, rejection: dosvid_domain::Rejection, raw: Raw) {
        self.rows
            .push((line, rejection.field, rejection.message, raw));
    }

    fn set_header(&mut self, header: Option<csv::ByteRecord>) {
        self.header = header;
    }

    /// Writes the file if anything was rejected and returns its path.
    fn finish(self) -> anyhow::Result<Option<PathBuf>> {
        if self.rows.is_empty() {
            return Ok(None);
        }
        let file = File::create(&self.path)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        let mut out = BufWriter::new(file);
        match self.format {
            Format::Csv => {
                let mut csv = csv::WriterBuilder::new().flexible(true).from_writer(out);
                let mut header = self.header.unwrap_or_default();
                for extra in ["_line", "_field", "_error"] {
                    header.push_field(extra.as_bytes());
                }
                csv.write_byte_record(&header)?;
                for (line, field, message, raw) in self.rows {
                    let mut record = match raw {
                        Raw::Csv(r) => r,
                        Raw::Json(s) => csv::ByteRecord::from(vec![s]),
                    };
                    record.push_field(line.to_string().as_bytes());
                    record.push_field(field.as_bytes());
                    record.push_field(message.as_bytes());
                    csv.write_byte_record(&record)?;
                }
                csv.flush()?;
            }
            Format::Jsonl => {
                for (line, field, message, raw) in self.rows {
                    let record = match raw {
                        Raw::Json(s) => {
                            serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s))
                        }
                        Raw::Csv(_) => serde_json::Value::Null,
                    };
                    let row = serde_json::json!({"line": line, "field": field, "message": message, "record": record});
                    writeln!(out, "{row}")?;
                }
                out.flush()?;
            }
        }
        Ok(Some(self.path))
    }
}
