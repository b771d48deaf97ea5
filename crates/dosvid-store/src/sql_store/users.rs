//! Users and their sessions. Passwords are hashed with argon2id (a slow hash: people choose
//! guessable passwords); session cookies are 256 random bits, stored as their SHA-256 (a fast
//! hash suffices for secrets nobody chose).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use dosvid_domain::user::{NewUser, Role, User};
use dosvid_domain::{FieldError, OrgId};
use sha2::{Digest, Sha256};

use crate::sql::{Conn, Row};
use crate::{Result, StoreError};

/// How long a session lasts after signing in.
pub const SESSION_HOURS: i64 = 12;

/// A signed-in user, as the session cookie names them.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Names the session in lists (the SHA-256 of its secret: it opens nothing).
    pub id: String,
    pub user: User,
    /// The token every form of this session must carry back.
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(StoreError::backend)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A password for a user who did not choose one: 16 letters and digits (about 95 bits).
pub fn generate_password() -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(StoreError::backend)?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

pub(super) fn hash_password(password: &str) -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(StoreError::backend)?;
    let salt = SaltString::encode_b64(&bytes).map_err(StoreError::backend)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(StoreError::backend)
}

/// Checks a password against a stored hash; without a stored hash it checks against a dummy
/// one, so that an unknown e-mail takes as long to refuse as a wrong password.
pub(super) fn verify_password(password: &str, stored: Option<&str>) -> bool {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0hXkTMm3Ju7wZ5yW+0cZ6b5S8QZ1cxVvBqC4m3k0OMk";
    let Ok(hash) = PasswordHash::new(stored.unwrap_or(DUMMY)) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok()
        && stored.is_some()
}

const USER_COLUMNS: &str = "id, org_id, email, name, role, language, created_at, agent, unit_id";

fn user_from_row(r: &Row) -> Result<User> {
    let role = r.str(4)?;
    Ok(User {
        id: r.int(0)?,
        org_id: r.int(1)?,
        email: r.text(2)?,
        name: r.text(3)?,
        role: Role::parse(role)
            .ok_or_else(|| StoreError::backend(format!("unknown role {role}")))?,
        language: r.text(5)?,
        created_at: r.time(6)?,
        agent: r.opt_text(7)?,
        unit_id: r.opt_int(8)?,
    })
}

pub(super) fn create_user(
    c: &mut impl Conn,
    org: OrgId,
    user: &NewUser,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<User> {
    if let Some(unit) = user.unit_id {
        super::units::get_unit(c, org, unit)?;
    }
    let id = c
        .insert_id(
            "INSERT INTO users (org_id, email, name, role, language, password_hash, created_at, agent, unit_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                org.into(),
                (&user.email).into(),
                (&user.name).into(),
                user.role.as_str().into(),
                (&user.language).into(),
                password_hash.into(),
                now.into(),
                user.agent.as_deref().into(),
                user.unit_id.into(),
            ],
        )
        .map_err(|e| e.in_context("email", "a user with this e-mail already exists", ""))?;
    Ok(User {
        id,
        org_id: org,
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role,
        language: user.language.clone(),
        agent: user.agent.clone(),
        unit_id: user.unit_id,
        created_at: now,
    })
}

/// The user with this e-mail and their password hash.
pub(super) fn user_by_email(c: &mut impl Conn, email: &str) -> Result<Option<(User, String)>> {
    let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1");
    c.query_opt(&sql, &[email.trim().to_lowercase().into()])?
        .map(|r| Ok((user_from_row(&r)?, r.text(9)?)))
        .transpose()
}

pub(super) fn list_users(c: &mut impl Conn, org: OrgId) -> Result<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 ORDER BY id");
    c.query(&sql, &[org.into()])?
        .iter()
        .map(user_from_row)
        .collect()
}

/// Sets a new password and ends the user's sessions.
pub(super) fn set_password(c: &mut impl Conn, org: OrgId, user: i64, hash: &str) -> Result<()> {
    if c.execute(
        "UPDATE users SET password_hash = $1 WHERE org_id = $2 AND id = $3",
        &[hash.into(), org.into(), user.into()],
    )? == 0
    {
        return Err(StoreError::not_found("user", user));
    }
    c.execute("DELETE FROM sessions WHERE user_id = $1", &[user.into()])?;
    Ok(())
}

pub(super) fn set_language(c: &mut impl Conn, org: OrgId, user: i64, language: &str) -> Result<()> {
    if !["uk", "en", "ru"].contains(&language) {
        return Err(StoreError::Invalid(FieldError::new(
            "language",
            "must be uk, en or ru",
        )));
    }
    if c.execute(
        "UPDATE users SET language = $1 WHERE org_id = $2 AND id = $3",
        &[language.into(), org.into(), user.into()],
    )? == 0
    {
        return Err(StoreError::not_found("user", user));
    }
    Ok(())
}

/// Opens a session; returns the cookie's secret, which is not stored.
pub(super) fn open_session(c: &mut impl Conn, user: &User, now: DateTime<Utc>) -> Result<String> {
    let token = random_hex(32)?;
    c.execute(
        "DELETE FROM sessions WHERE user_id = $1 AND expires_at < $2",
        &[user.id.into(), now.into()],
    )?;
    c.execute(
        "INSERT INTO sessions (hash, org_id, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            token_hash(&token).into(),
            user.org_id.into(),
            user.id.into(),
            random_hex(16)?.into(),
            now.into(),
            (now + Duration::hours(SESSION_HOURS)).into(),
        ],
    )?;
    Ok(token)
}

pub(super) fn session(
    c: &mut impl Conn,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Session>> {
    let sql = "SELECT u.id, u.org_id, u.email, u.name, u.role, u.language, u.created_at, u.agent, u.unit_id, s.csrf, s.expires_at, s.hash \
               FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = $1 AND s.expires_at > $2";
    c.query_opt(sql, &[token_hash(token).into(), now.into()])?
        .map(|r| {
            Ok(Session {
                id: r.text(11)?,
                user: user_from_row(&r)?,
                csrf: r.text(9)?,
                expires_at: r.time(10)?,
            })
        })
        .transpose()
}

/// A signed-in session as listed to its user or an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub(super) fn list_sessions(
    c: &mut impl Conn,
    org: OrgId,
    user: i64,
    now: DateTime<Utc>,
) -> Result<Vec<SessionInfo>> {
    c.query(
        "SELECT hash, created_at, expires_at FROM sessions \
         WHERE org_id = $1 AND user_id = $2 AND expires_at > $3 ORDER BY created_at DESC",
        &[org.into(), user.into(), now.into()],
    )?
    .iter()
    .map(|r| {
        Ok(SessionInfo {
            id: r.text(0)?,
            created_at: r.time(1)?,
            expires_at: r.time(2)?,
        })
    })
    .collect()
}

/// Ends one of a user's sessions by its id, or all of them but `keep`.
pub(super) fn end_sessions(
    c: &mut impl Conn,
    org: OrgId,
    user: i64,
    id: Option<&str>,
    keep: Option<&str>,
) -> Result<u64> {
    c.execute(
        "DELETE FROM sessions WHERE org_id = $1 AND user_id = $2 \
         AND ($3 = '' OR hash = $3) AND hash <> $4",
        &[
            org.into(),
            user.into(),
            id.unwrap_or("").into(),
            keep.unwrap_or("").into(),
        ],
    )
}

/// Whether `password` is the user's.
pub(super) fn password_is(
    c: &mut impl Conn,
    org: OrgId,
    user: i64,
    password: &str,
) -> Result<bool> {
    let row = c.query_opt(
        "SELECT password_hash FROM users WHERE org_id = $1 AND id = $2",
        &[org.into(), user.into()],
    )?;
    let Some(row) = row else {
        return Err(StoreError::not_found("user", user));
    };
    Ok(verify_password(password, row.opt_text(0)?.as_deref()))
}

pub(super) fn end_session(c: &mut impl Conn, token: &str) -> Result<()> {
    c.execute(
        "DELETE FROM sessions WHERE hash = $1",
        &[token_hash(token).into()],
    )?;
    Ok(())
}

/// A user's second-factor secret (base32), if they turned it on.
pub(super) fn two_factor(c: &mut impl Conn, org: OrgId, user: i64) -> Result<Option<String>> {
    let row = c
        .query_opt(
            "SELECT totp_secret FROM users WHERE org_id = $1 AND id = $2",
            &[org.into(), user.into()],
        )?
        .ok_or_else(|| StoreError::not_found("user", user))?;
    row.opt_text(0)
}

/// Turns the second factor on with `secret`, or off.
pub(super) fn set_two_factor(
    c: &mut impl Conn,
    org: OrgId,
    user: i64,
    secret: Option<&str>,
) -> Result<()> {
    if c.execute(
        "UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE org_id = $2 AND id = $3",
        &[secret.into(), org.into(), user.into()],
    )? == 0
    {
        return Err(StoreError::not_found("user", user));
    }
    Ok(())
}

/// Marks a code's step as used; false when it, or a later one, was used already (a code is
/// good once).
pub(super) fn use_step(c: &mut impl Conn, user: i64, step: i64) -> Result<bool> {
    Ok(c.execute(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        &[step.into(), user.into()],
    )? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(verify_password("correct horse battery", Some(&hash)));
        assert!(!verify_password("correct horse batterY", Some(&hash)));
        assert!(!verify_password("correct horse battery", None));
    }
}
