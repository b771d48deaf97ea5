//! The embedded backend: SQLite in WAL mode. One writer connection (SQLite admits one writer at a
//! time anyway) and a pool of readers that never wait for it. Commits use `synchronous = FULL`, so
//! an acknowledged write survives a crash of the process or of the machine.

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use dosvid_store::pool::Pool;
use dosvid_store::sql::{Backend, Conn, Row, Value};
use dosvid_store::{Result, SqlStore, StoreError};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_comment_analysis.sql")),
    (3, include_str!("../migrations/0003_themes.sql")),
    (4, include_str!("../migrations/0004_surveys.sql")),
    (5, include_str!("../migrations/0005_users.sql")),
    (6, include_str!("../migrations/0006_cases.sql")),
    (7, include_str!("../migrations/0007_webhooks_alerts.sql")),
    (8, include_str!("../migrations/0008_security.sql")),
    (9, include_str!("../migrations/0009_feedback_agents.sql")),
    (10, include_str!("../migrations/0010_user_agent.sql")),
    (11, include_str!("../migrations/0011_strategy.sql")),
    (12, include_str!("../migrations/0012_audit.sql")),
    (13, include_str!("../migrations/0013_key_scopes.sql")),
    (14, include_str!("../migrations/0014_customer_merges.sql")),
    (15, include_str!("../migrations/0015_consents.sql")),
    (16, include_str!("../migrations/0016_units.sql")),
    (17, include_str!("../migrations/0017_two_factor.sql")),
    (18, include_str!("../migrations/0018_names.sql")),
    (19, include_str!("../migrations/0019_webhook_retries.sql")),
    (20, include_str!("../migrations/0020_diagnosis.sql")),
];

/// Secondary indexes a bulk load drops and rebuilds: (table, index, definition). Maintaining an
/// index whose keys arrive in random order rewrites most of its pages on every commit; one sorted
/// rebuild after the load is several times cheaper. Every open recreates any that are missing,
/// so a load that dies midway leaves nothing broken.
const REBUILDABLE_INDEXES: &[(&str, &str, &str)] = &[
    ("feedback", "feedback_customer", "feedback (customer_id)"),
    (
        "interactions",
        "interactions_customer",
        "interactions (customer_id)",
    ),
    (
        "transactions",
        "transactions_customer",
        "transactions (customer_id)",
    ),
];

fn create_indexes(conn: &Connection, table: Option<&str>) -> Result<()> {
    for (t, name, definition) in REBUILDABLE_INDEXES {
        if table.is_none_or(|table| table == *t) {
            conn.execute_batch(&format!(
                "CREATE INDEX IF NOT EXISTS {name} ON {definition}"
            ))
            .map_err(map_err)?;
        }
    }
    Ok(())
}

pub struct SqliteBackend {
    writer: Mutex<SqliteConn>,
    readers: Pool<SqliteConn>,
}

/// Opens (creating if needed) and migrates the database at `path`, and returns the store.
pub fn open(path: impl AsRef<Path>, now: DateTime<Utc>) -> Result<SqlStore<SqliteBackend>> {
    SqlStore::open(SqliteBackend::open(path.as_ref())?, now)
}

/// Reads the path out of a `sqlite://PATH` URL (`sqlite:PATH` and a bare path work too).
pub fn path_from_url(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Copies the database at `from` into a new file `to` while servers keep using it: SQLite's
/// online backup, a consistent snapshot taken a few hundred pages at a time (a writer waits at
/// most for one step). The copy is written beside `to` and renamed into place once it is whole
/// and its integrity checked, so `to` is never a half-written file. `progress(done, total)`
/// counts pages. Refuses to overwrite an existing `to`.
pub fn backup(from: &Path, to: &Path, mut progress: impl FnMut(usize, usize)) -> Result<()> {
    use rusqlite::backup::{Backup, StepResult};
    if to.exists() {
        return Err(StoreError::backend(format!(
            "{} exists; a backup does not overwrite a file",
            to.display()
        )));
    }
    if !from.exists() {
        return Err(StoreError::backend(format!(
            "{} does not exist",
            from.display()
        )));
    }
    let partial = to.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let source =
        Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(map_err)?;
    let mut target = Connection::open(&partial).map_err(map_err)?;
    {
        let copy = Backup::new(&source, &mut target).map_err(map_err)?;
        loop {
            let step = copy.step(512).map_err(map_err)?;
            let p = copy.progress();
            progress(
                (p.pagecount - p.remaining).max(0) as usize,
                p.pagecount.max(0) as usize,
            );
            match step {
                StepResult::Done => break,
                StepResult::More => {}
                // Another connection holds a lock on a page: wait for it, as the pages it changes
                // are copied again anyway.
                _ => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
    }
    let check: String = target
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(map_err)?;
    drop(target);
    if check != "ok" {
        let _ = std::fs::remove_file(&partial);
        return Err(StoreError::backend(format!(
            "the copy failed its integrity check: {check}"
        )));
    }
    std::fs::rename(&partial, to)
        .map_err(|e| StoreError::backend(format!("cannot move the copy to {}: {e}", to.display())))
}

impl SqliteBackend {
    pub fn open(path: &Path) -> Result<Self> {
        let mut writer = SqliteConn::open(path, false)?;
        migrate(&mut writer.0)?;
        create_indexes(&writer.0, None)?;
        let reader_path = path.to_owned();
        Ok(SqliteBackend {
            writer: Mutex::new(writer),
            readers: Pool::new(8, move || SqliteConn::open(&reader_path, true)),
        })
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
        .map_err(map_err)?;
    for (version, sql) in MIGRATIONS {
        let applied: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
                [version],
                |r| r.get(0),
            )
            .map_err(map_err)?;
        if applied {
            continue;
        }
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(map_err)?;
        tx.execute_batch(sql).map_err(map_err)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            (version, Utc::now().timestamp_micros()),
        )
        .map_err(map_err)?;
        tx.commit().map_err(map_err)?;
    }
    Ok(())
}

fn map_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(code, Some(message)) = &e {
        match code.extended_code {
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                return StoreError::UniqueViolation(message.clone());
            }
            rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => {
                return StoreError::ForeignKeyViolation(message.clone());
            }
            _ => {}
        }
    }
    StoreError::backend(e)
}

pub struct SqliteConn(Connection);

impl SqliteConn {
    fn open(path: &Path, read_only: bool) -> Result<Self> {
        let flags = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let conn = Connection::open_with_flags(path, flags).map_err(map_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(map_err)?;
        // Readers (up to eight) look rows up by id and scan in id order: 16 MB of cache each is
        // plenty; the writer keeps 64 MB for the indexes a bulk load updates.
        let pragmas = if read_only {
            "PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384;"
        } else {
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA secure_delete = ON; \
             PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;"
        };
        conn.execute_batch(pragmas).map_err(map_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(SqliteConn(conn))
    }
}

struct Param<'a>(&'a Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Owned((*v).into()),
            Value::Real(v) => ToSqlOutput::Owned((*v).into()),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Value::Bool(v) => ToSqlOutput::Owned(i64::from(*v).into()),
            Value::Time(t) => ToSqlOutput::Owned(t.timestamp_micros().into()),
            Value::Json(v) => ToSqlOutput::Owned(v.to_string().into()),
        })
    }
}

fn read_value(v: ValueRef<'_>) -> Result<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => {
            Value::Text(String::from_utf8(t.to_vec()).map_err(StoreError::backend)?)
        }
        ValueRef::Blob(_) => return Err(StoreError::Backend("unexpected blob column".into())),
    })
}

/// Prepares (or reuses) a statement written with PostgreSQL's `$1` placeholders. SQLite reads
/// `$1` as a named parameter and numbers named parameters by first appearance, so the numbering
/// must agree with the digits. Debug builds (every test run) check that on each call; the check
/// walks SQLite's parameter list per index, too slow to keep in release builds.
fn prepare<'c>(conn: &'c Connection, sql: &str) -> Result<rusqlite::CachedStatement<'c>> {
    let stmt = conn.prepare_cached(sql).map_err(map_err)?;
    if !cfg!(debug_assertions) {
        return Ok(stmt);
    }
    for i in 1..=stmt.parameter_count() {
        let name = stmt.parameter_name(i).unwrap_or_default();
        if name.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) != Some(i) {
            return Err(StoreError::Backend(format!(
                "placeholder {name} out of order in: {sql}"
            )));
        }
    }
    Ok(stmt)
}

impl Conn for SqliteConn {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let mut stmt = prepare(&self.0, sql)?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params.iter().map(Param)))
            .map_err(map_err)?;
        Ok(n as u64)
    }

    fn insert(&mut self, sql: &str, params: &[Value]) -> Result<Option<i64>> {
        let inserted = self.execute(sql, params)? == 1;
        Ok(inserted.then(|| self.0.last_insert_rowid()))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let mut out = Vec::new();
        self.for_each_row(sql, params, &mut |row| {
            out.push(row.clone());
            Ok(())
        })?;
        Ok(out)
    }

    fn for_each_row(
        &mut self,
        sql: &str,
        params: &[Value],
        each: &mut dyn FnMut(&Row) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = prepare(&self.0, sql)?;
        let mut row = Row(vec![Value::Null; stmt.column_count()]);
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter().map(Param)))
            .map_err(map_err)?;
        while let Some(r) = rows.next().map_err(map_err)? {
            for (i, slot) in row.0.iter_mut().enumerate() {
                match (slot, r.get_ref(i).map_err(map_err)?) {
                    // The text of the row before is overwritten in place: no allocation.
                    (Value::Text(text), ValueRef::Text(t)) => {
                        text.clear();
                        text.push_str(std::str::from_utf8(t).map_err(StoreError::backend)?);
                    }
                    (slot, v) => *slot = read_value(v)?,
                }
            }
            each(&row)?;
        }
        Ok(())
    }
}

impl Backend for SqliteBackend {
    type Conn = SqliteConn;

    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn read<R>(&self, f: impl FnOnce(&mut SqliteConn) -> Result<R>) -> Result<R> {
        self.readers.with(|_| true, f)
    }

    fn begin_bulk_load(&self, table: &str) -> Result<()> {
        let conn = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (_, name, _) in REBUILDABLE_INDEXES.iter().filter(|(t, ..)| *t == table) {
            conn.0
                .execute_batch(&format!("DROP INDEX IF EXISTS {name}"))
                .map_err(map_err)?;
        }
        // Every reference a batch stores was resolved by the store in the same transaction
        // (found, or created there), so the foreign-key look-ups only repeat that work: off for
        // this connection while it loads.
        conn.0
            .execute_batch("PRAGMA foreign_keys = OFF")
            .map_err(map_err)?;
        Ok(())
    }

    /// `secure_delete` zeroes what a write removes; a checkpoint then replaces the pages in the
    /// database file and empties the write-ahead log, which still held the old images.
    fn forget_erased(&self) -> Result<()> {
        let conn = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        conn.0
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(map_err)
    }

    fn end_bulk_load(&self, table: &str) -> Result<()> {
        let conn = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        conn.0
            .execute_batch("PRAGMA foreign_keys = ON")
            .map_err(map_err)?;
        create_indexes(&conn.0, Some(table))
    }

    fn write<R>(&self, f: impl FnOnce(&mut SqliteConn) -> Result<R>) -> Result<R> {
        // A panic inside an earlier write must not wedge every later one: undo what it left open.
        let mut conn = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !conn.0.is_autocommit() {
            conn.0.execute_batch("ROLLBACK").map_err(map_err)?;
        }
        conn.0.execute_batch("BEGIN IMMEDIATE").map_err(map_err)?;
        match f(&mut conn) {
            Ok(value) => {
                conn.0.execute_batch("COMMIT").map_err(map_err)?;
                Ok(value)
            }
            Err(e) => {
                let _ = conn.0.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}
