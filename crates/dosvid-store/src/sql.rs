//! The narrow SQL interface the store's logic is written against. Statements use PostgreSQL's
//! `$1` placeholders, which SQLite also reads when they appear in order. Times travel as [`Value::Time`]
//! (a `timestamptz` in PostgreSQL, integer microseconds in SQLite) and JSON as [`Value::Json`]
//! (`jsonb` / text), so the same statement means the same thing on both backends.

use chrono::{DateTime, Utc};

use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
    Time(DateTime<Utc>),
    Json(serde_json::Value),
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<i16> for Value {
    fn from(v: i16) -> Self {
        Value::Int(v.into())
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<DateTime<Utc>> for Value {
    fn from(v: DateTime<Utc>) -> Self {
        Value::Time(v)
    }
}
impl From<&dosvid_domain::Attributes> for Value {
    /// Empty attributes are stored as NULL: most records have none.
    fn from(v: &dosvid_domain::Attributes) -> Self {
        if v.is_empty() {
            Value::Null
        } else {
            Value::Json(serde_json::Value::Object(v.clone()))
        }
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
impl<T: Clone + Into<Value>> From<&Option<T>> for Value {
    fn from(v: &Option<T>) -> Self {
        v.clone().map_or(Value::Null, Into::into)
    }
}

/// One result row; getters accept each backend's representation of the type asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

fn type_error(i: usize, want: &str, got: &Value) -> StoreError {
    StoreError::Backend(format!("column {i}: expected {want}, found {got:?}"))
}

impl Row {
    fn at(&self, i: usize) -> &Value {
        self.0.get(i).unwrap_or(&Value::Null)
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.at(i) {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            Value::Bool(b) => Ok(Some(i64::from(*b))),
            other => Err(type_error(i, "integer", other)),
        }
    }

    pub fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?
            .ok_or_else(|| type_error(i, "integer", &Value::Null))
    }

    pub fn opt_real(&self, i: usize) -> Result<Option<f64>> {
        match self.at(i) {
            Value::Null => Ok(None),
            Value::Real(v) => Ok(Some(*v)),
            Value::Int(v) => Ok(Some(*v as f64)),
            other => Err(type_error(i, "real", other)),
        }
    }

    pub fn opt_small(&self, i: usize) -> Result<Option<i16>> {
        Ok(self.opt_int(i)?.map(|v| v as i16))
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.at(i) {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v.clone())),
            other => Err(type_error(i, "text", other)),
        }
    }

    /// A text column without copying it.
    pub fn str(&self, i: usize) -> Result<&str> {
        match self.at(i) {
            Value::Text(s) => Ok(s),
            other => Err(type_error(i, "text", other)),
        }
    }

    pub fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?
            .ok_or_else(|| type_error(i, "text", &Value::Null))
    }

    pub fn bool(&self, i: usize) -> Result<bool> {
        match self.at(i) {
            Value::Bool(b) => Ok(*b),
            Value::Int(v) => Ok(*v != 0),
            other => Err(type_error(i, "boolean", other)),
        }
    }

    pub fn time(&self, i: usize) -> Result<DateTime<Utc>> {
        match self.at(i) {
            Value::Time(t) => Ok(*t),
            Value::Int(micros) => DateTime::from_timestamp_micros(*micros)
                .ok_or_else(|| type_error(i, "time", &Value::Int(*micros))),
            other => Err(type_error(i, "time", other)),
        }
    }

    pub fn opt_time(&self, i: usize) -> Result<Option<DateTime<Utc>>> {
        match self.at(i) {
            Value::Null => Ok(None),
            _ => self.time(i).map(Some),
        }
    }

    pub fn attributes(&self, i: usize) -> Result<dosvid_domain::Attributes> {
        match self.at(i) {
            Value::Null => Ok(Default::default()),
            Value::Json(serde_json::Value::Object(map)) => Ok(map.clone()),
            Value::Text(text) => serde_json::from_str(text).map_err(StoreError::backend),
            other => Err(type_error(i, "JSON object", other)),
        }
    }
}

/// A connection, or a transaction on one.
pub trait Conn {
    /// Runs a statement and returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;
    /// Runs a query and hands each row to `each` without collecting them: for scans of many
    /// rows, where a backend can reuse one row's buffers.
    fn for_each_row(
        &mut self,
        sql: &str,
        params: &[Value],
        each: &mut dyn FnMut(&Row) -> Result<()>,
    ) -> Result<()> {
        self.query(sql, params)?.iter().try_for_each(each)
    }
    /// Runs an `INSERT` (written without `RETURNING`) into a table with an `id` key and returns
    /// the new id, or `None` when `ON CONFLICT DO NOTHING` skipped the row. Backends differ here:
    /// `RETURNING` makes SQLite keep a statement journal, which costs most of a bulk insert.
    fn insert(&mut self, sql: &str, params: &[Value]) -> Result<Option<i64>>;

    /// [`Conn::insert`] for a row that cannot conflict.
    fn insert_id(&mut self, sql: &str, params: &[Value]) -> Result<i64> {
        self.insert(sql, params)?
            .ok_or_else(|| StoreError::Backend(format!("no row inserted by: {sql}")))
    }

    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::Backend(format!("no row returned by: {sql}")))
    }

    /// Inside a write: waits until no other transaction holding `key` runs, and holds it until
    /// this one ends. Batches that create customers take it per organisation, so that two
    /// batches naming the same new customers in opposite orders queue instead of deadlocking.
    /// A backend with one writer at a time (SQLite) has nothing to do.
    fn serialize_on(&mut self, _key: i64) -> Result<()> {
        Ok(())
    }
}

/// A database: it hands out connections and runs transactions. Implemented by the backend crates.
pub trait Backend: Send + Sync + 'static {
    type Conn: Conn;
    fn name(&self) -> &'static str;
    /// Runs `f` on a connection outside any explicit transaction (for reads).
    fn read<R>(&self, f: impl FnOnce(&mut Self::Conn) -> Result<R>) -> Result<R>;
    /// Runs `f` in a transaction that commits, durably, only if `f` succeeds.
    fn write<R>(&self, f: impl FnOnce(&mut Self::Conn) -> Result<R>) -> Result<R>;

    /// Before a large import into `table`: a backend may trade per-row work for work once at
    /// the end (e.g. drop indexes that are cheaper to rebuild than to maintain). Indexes that
    /// enforce uniqueness are never dropped; ingestion stays correct throughout.
    fn begin_bulk_load(&self, _table: &str) -> Result<()> {
        Ok(())
    }

    /// After a large import: undo [`Backend::begin_bulk_load`].
    fn end_bulk_load(&self, _table: &str) -> Result<()> {
        Ok(())
    }

    /// After data was erased: a backend that keeps old page images around (a write-ahead log)
    /// writes them out, so that erased text is gone from its files too.
    fn forget_erased(&self) -> Result<()> {
        Ok(())
    }
}

/// Builds a statement with a growing parameter list, for queries whose filters vary.
#[derive(Debug, Default)]
pub struct Query {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Query {
    pub fn new(sql: &str) -> Self {
        Query {
            sql: sql.to_owned(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter and returns its placeholder.
    pub fn param(&mut self, v: impl Into<Value>) -> String {
        self.params.push(v.into());
        format!("${}", self.params.len())
    }

    /// Appends `sql`, where each `{}` is replaced by the placeholder of the next value.
    pub fn push(&mut self, sql: &str, values: impl IntoIterator<Item = Value>) -> &mut Self {
        let mut values = values.into_iter();
        let mut parts = sql.split("{}").peekable();
        while let Some(part) = parts.next() {
            self.sql.push_str(part);
            if parts.peek().is_some() {
                let p = self.param(values.next().expect("a value for each {}"));
                self.sql.push_str(&p);
            }
        }
        self
    }
}
