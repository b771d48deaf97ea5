//! The PostgreSQL backend, chosen when the database URL starts with `postgres://`. Several
//! Dosvid servers can share one database; each statement is prepared once per connection.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dosvid_store::pool::Pool;
use dosvid_store::sql::{Backend, Conn, Row, Value};
use dosvid_store::{Result, SqlStore, StoreError};
use postgres::error::SqlState;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};

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

pub struct PgBackend {
    pool: Pool<PgConn>,
}

/// Connects to and migrates the database at `url`, and returns the store.
pub fn open(url: &str, now: DateTime<Utc>) -> Result<SqlStore<PgBackend>> {
    SqlStore::open(PgBackend::open(url)?, now)
}

impl PgBackend {
    pub fn open(url: &str) -> Result<Self> {
        let url = url.to_owned();
        let mut first = PgConn::connect(&url)?;
        migrate(&mut first.client)?;
        let pool = Pool::new(16, move || PgConn::connect(&url));
        Ok(PgBackend { pool })
    }
}

fn migrate(client: &mut Client) -> Result<()> {
    let mut tx = client.transaction().map_err(map_err)?;
    // Servers starting together must not run the same migration twice.
    tx.batch_execute(
        "SELECT pg_advisory_xact_lock(7301); \
         CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
    )
    .map_err(map_err)?;
    for (version, sql) in MIGRATIONS {
        let applied = tx
            .query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[version],
            )
            .map_err(map_err)?;
        if applied.is_none() {
            tx.batch_execute(sql).map_err(map_err)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())",
                &[version],
            )
            .map_err(map_err)?;
        }
    }
    tx.commit().map_err(map_err)
}

fn map_err(e: postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        return StoreError::backend(e);
    };
    let what = format!("{} ({})", db.message(), db.constraint().unwrap_or_default());
    if *db.code() == SqlState::UNIQUE_VIOLATION {
        return StoreError::UniqueViolation(what);
    }
    if *db.code() == SqlState::FOREIGN_KEY_VIOLATION {
        return StoreError::ForeignKeyViolation(what);
    }
    // "db error" alone tells the operator nothing: keep the server's own words.
    StoreError::Backend(format!(
        "PostgreSQL {} {}: {}{}",
        db.severity(),
        db.code().code(),
        db.message(),
        db.detail().map(|d| format!(" ({d})")).unwrap_or_default()
    ))
}

/// PostgreSQL refuses a text containing U+0000; say so as the caller's fault, not ours.
fn check_text(params: &[Value]) -> Result<()> {
    if params
        .iter()
        .any(|p| matches!(p, Value::Text(t) if t.contains('\0')))
    {
        return Err(StoreError::invalid(
            "text",
            "must not contain the NUL character (U+0000)",
        ));
    }
    Ok(())
}

pub struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl PgConn {
    fn connect(url: &str) -> Result<Self> {
        let mut client = Client::connect(url, NoTls).map_err(map_err)?;
        // Statements are prepared once per connection and reused for its lifetime. PostgreSQL
        // would switch them to a generic plan after five runs, made from the statistics of the
        // moment — on a fresh table, a sequential scan that then grows with the table (a bulk
        // load became quadratic). Planning each run is cheap next to that.
        client
            .batch_execute("SET plan_cache_mode = force_custom_plan")
            .map_err(map_err)?;
        Ok(PgConn {
            client,
            statements: HashMap::new(),
        })
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(sql).map_err(map_err)?;
        // Statements built from filters vary; keep the cache from growing without bound.
        if self.statements.len() > 256 {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }
}

#[derive(Debug)]
struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Value::Real(v) => v.to_sql(ty, out),
            Value::Text(v) => v.to_sql(ty, out),
            Value::Bool(v) => v.to_sql(ty, out),
            Value::Time(v) => v.to_sql(ty, out),
            Value::Json(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn read_column(row: &postgres::Row, i: usize) -> Result<Value> {
    let ty = row.columns()[i].type_();
    let v = match *ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int)),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)
            .map(|v| v.map(|v| Value::Int(v.into()))),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)
            .map(|v| v.map(|v| Value::Int(v.into()))),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)
            .map(|v| v.map(Value::Bool)),
        Type::FLOAT8 => row.try_get::<_, Option<f64>>(i).map(|v| v.map(Value::Real)),
        Type::TIMESTAMPTZ => row
            .try_get::<_, Option<DateTime<Utc>>>(i)
            .map(|v| v.map(Value::Time)),
        Type::JSONB | Type::JSON => row
            .try_get::<_, Option<serde_json::Value>>(i)
            .map(|v| v.map(Value::Json)),
        _ => row
            .try_get::<_, Option<String>>(i)
            .map(|v| v.map(Value::Text)),
    };
    Ok(v.map_err(map_err)?.unwrap_or(Value::Null))
}

impl Conn for PgConn {
    fn serialize_on(&mut self, key: i64) -> Result<()> {
        // Two-key advisory locks in this class are Dosvid's: the class keeps them apart from
        // any other application's on a shared server.
        const CLASS: i32 = 0x0d05_f1d0;
        let key = i32::try_from(key).map_err(StoreError::backend)?;
        self.query(
            "SELECT pg_advisory_xact_lock($1, $2)::text",
            &[i64::from(CLASS).into(), i64::from(key).into()],
        )
        .map(drop)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        check_text(params)?;
        let stmt = self.statement(sql)?;
        let params: Vec<Param> = params.iter().map(Param).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.client.execute(&stmt, &refs).map_err(map_err)
    }

    fn insert(&mut self, sql: &str, params: &[Value]) -> Result<Option<i64>> {
        self.query_opt(&format!("{sql} RETURNING id"), params)?
            .map(|r| r.int(0))
            .transpose()
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        check_text(params)?;
        let stmt = self.statement(sql)?;
        let params: Vec<Param> = params.iter().map(Param).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self.client.query(&stmt, &refs).map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(Row((0..row.len())
                    .map(|i| read_column(row, i))
                    .collect::<Result<_>>()?))
            })
            .collect()
    }
}

impl Backend for PgBackend {
    type Conn = PgConn;

    fn name(&self) -> &'static str {
        "postgres"
    }

    fn read<R>(&self, f: impl FnOnce(&mut PgConn) -> Result<R>) -> Result<R> {
        self.pool.with(|c| !c.client.is_closed(), f)
    }

    fn write<R>(&self, f: impl FnOnce(&mut PgConn) -> Result<R>) -> Result<R> {
        self.pool.with(
            |c| !c.client.is_closed(),
            |c| {
                c.client.batch_execute("BEGIN").map_err(map_err)?;
                match f(c) {
                    Ok(value) => {
                        c.client.batch_execute("COMMIT").map_err(map_err)?;
                        Ok(value)
                    }
                    Err(e) => {
                        let _ = c.client.batch_execute("ROLLBACK");
                        Err(e)
                    }
                }
            },
        )
    }
}

/// A database created for one test and dropped after it, on the server named by
/// `DOSVID_TEST_POSTGRES_URL`. Tests use it so that each starts from an empty schema.
pub struct TestDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl TestDatabase {
    /// `None` (after printing why) when `DOSVID_TEST_POSTGRES_URL` is not set.
    pub fn create(test: &str) -> Option<TestDatabase> {
        let Ok(admin_url) = std::env::var("DOSVID_TEST_POSTGRES_URL") else {
            eprintln!("skipping {test} on PostgreSQL: DOSVID_TEST_POSTGRES_URL is not set");
            return None;
        };
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let name = format!("dosvid_test_{}_{n}_{nanos}", std::process::id());
        let mut admin =
            Client::connect(&admin_url, NoTls).expect("connect to DOSVID_TEST_POSTGRES_URL");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        let url = replace_database(&admin_url, &name);
        Some(TestDatabase {
            admin_url,
            name,
            url,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&self.admin_url, NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Swaps the database name in a `postgres://…/db?opts` URL.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{database}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}
