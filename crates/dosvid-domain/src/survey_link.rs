//! Signed survey links and forms, and the fatigue rule that decides whether a customer may be
//! asked again. A token carries what it stands for in plain digits and a truncated
//! HMAC-SHA256 over them with the organisation's survey secret: nothing to look up to reject a
//! forged or expired one, and nothing personal in the URL.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::OrgId;

/// Bytes of the HMAC kept in a token (128 bits).
const TAG_BYTES: usize = 16;

/// How long a form shown to a respondent may be submitted.
pub const FORM_VALID_HOURS: i64 = 24;
/// How long an anonymous response in progress can be resumed from its link.
pub const RESUME_VALID_DAYS: i64 = 30;

/// What a verified token stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkToken {
    /// A personal link: one invitation of one customer.
    Invitation { org: OrgId, invitation: i64 },
    /// An anonymous response in progress.
    Response { org: OrgId, response: i64 },
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link is not valid")]
    Malformed,
    #[error("the link is not valid")]
    BadSignature,
    #[error("the link has expired")]
    Expired,
}

/// Signs with one organisation's secret.
pub struct Signer {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

impl Signer {
    pub fn new(secret: &[u8]) -> Signer {
        Signer {
            mac: Hmac::new_from_slice(secret).expect("HMAC takes a key of any length"),
        }
    }

    fn tag(&self, message: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(message.as_bytes());
        hex(&mac.finalize().into_bytes()[..TAG_BYTES])
    }

    fn check(&self, message: &str, tag: &str) -> Result<(), TokenError> {
        let tag = unhex(tag).ok_or(TokenError::Malformed)?;
        let mut mac = self.mac.clone();
        mac.update(message.as_bytes());
        mac.verify_truncated_left(&tag)
            .map_err(|_| TokenError::BadSignature)
    }

    /// `p{org}.{invitation}.{expires}.{tag}`.
    pub fn invitation_token(&self, org: OrgId, invitation: i64, expires: DateTime<Utc>) -> String {
        let body = format!("p{org}.{invitation}.{}", expires.timestamp());
        let tag = self.tag(&body);
        format!("{body}.{tag}")
    }

    /// `r{org}.{response}.{expires}.{tag}`.
    pub fn response_token(&self, org: OrgId, response: i64, now: DateTime<Utc>) -> String {
        let expires = now + Duration::days(RESUME_VALID_DAYS);
        let body = format!("r{org}.{response}.{}", expires.timestamp());
        let tag = self.tag(&body);
        format!("{body}.{tag}")
    }

    /// Verifies a link token read by [`peek_org`].
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<LinkToken, TokenError> {
        let (body, tag) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        self.check(body, tag)?;
        let parsed = parse(body).ok_or(TokenError::Malformed)?;
        if parsed.3 < now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(match parsed.0 {
            'p' => LinkToken::Invitation {
                org: parsed.1,
                invitation: parsed.2,
            },
            _ => LinkToken::Response {
                org: parsed.1,
                response: parsed.2,
            },
        })
    }

    /// A token for one form: the page's `scope` (its link token) and `question`, and when it was
    /// shown. A post carrying another page's token, or an old one, is refused.
    pub fn form_token(&self, scope: &str, question: &str, now: DateTime<Utc>) -> String {
        let issued = now.timestamp();
        let tag = self.tag(&format!("f|{scope}|{question}|{issued}"));
        format!("{issued}.{tag}")
    }

    pub fn verify_form(
        &self,
        token: &str,
        scope: &str,
        question: &str,
        now: DateTime<Utc>,
    ) -> Result<(), TokenError> {
        let (issued, tag) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let issued_at: i64 = issued.parse().map_err(|_| TokenError::Malformed)?;
        self.check(&format!("f|{scope}|{question}|{issued}"), tag)?;
        if now.timestamp() - issued_at > FORM_VALID_HOURS * 3600 {
            return Err(TokenError::Expired);
        }
        Ok(())
    }
}

/// `(kind, org, id, expires)` of a token body.
fn parse(body: &str) -> Option<(char, OrgId, i64, i64)> {
    let kind = body.chars().next().filter(|k| matches!(k, 'p' | 'r'))?;
    let mut parts = body[1..].split('.');
    let org = parts.next()?.parse().ok()?;
    let id = parts.next()?.parse().ok()?;
    let expires = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((kind, org, id, expires))
}

/// The organisation a token claims to belong to, to find the secret it must be verified with.
pub fn peek_org(token: &str) -> Option<OrgId> {
    let (body, _) = token.rsplit_once('.')?;
    parse(body).map(|p| p.1)
}

/// When a customer was last invited: to any survey, and to this one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LastAsked {
    pub any: Option<DateTime<Utc>>,
    pub this_survey: Option<DateTime<Utc>>,
}

/// Why a customer may not be asked now, and from when they may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatigued {
    pub message: String,
    pub next_allowed: DateTime<Utc>,
}

/// The fatigue rule: at most one invitation per `overall_days` to any survey, and per
/// `survey_days` to the same survey.
pub fn fatigue(
    last: LastAsked,
    overall_days: u32,
    survey_days: u32,
    now: DateTime<Utc>,
) -> Result<(), Fatigued> {
    let rules = [
        (last.any, overall_days, "any survey"),
        (last.this_survey, survey_days, "this survey"),
    ];
    let mut refusal: Option<Fatigued> = None;
    for (asked, days, what) in rules {
        let Some(asked) = asked else { continue };
        let next = asked + Duration::days(days.into());
        if next > now && refusal.as_ref().is_none_or(|r| next > r.next_allowed) {
            refusal = Some(Fatigued {
                message: format!(
                    "the customer was invited to {what} on {}; the rule allows one invitation per {days} days, so the next is possible from {}",
                    asked.format("%Y-%m-%d %H:%M UTC"),
                    next.format("%Y-%m-%d %H:%M UTC"),
                ),
                next_allowed: next,
            });
        }
    }
    refusal.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        format!("2026-03-{day:02}T10:00:00Z").parse().unwrap()
    }

    #[test]
    fn a_tampered_or_expired_token_is_refused() {
        let signer = Signer::new(b"secret");
        let token = signer.invitation_token(1, 42, at(20));
        assert_eq!(
            signer.verify(&token, at(10)),
            Ok(LinkToken::Invitation {
                org: 1,
                invitation: 42
            })
        );
        assert_eq!(peek_org(&token), Some(1));
        let forged = token.replacen(".42.", ".43.", 1);
        assert_eq!(
            signer.verify(&forged, at(10)),
            Err(TokenError::BadSignature)
        );
        assert_eq!(signer.verify(&token, at(21)), Err(TokenError::Expired));
        let other = Signer::new(b"another organisation");
        assert_eq!(other.verify(&token, at(10)), Err(TokenError::BadSignature));
        assert_eq!(signer.verify("p1.2", at(10)), Err(TokenError::Malformed));
    }

    #[test]
    fn a_form_token_belongs_to_one_page_and_question() {
        let signer = Signer::new(b"secret");
        let form = signer.form_token("r1.5.99.ab", "nps", at(10));
        assert_eq!(
            signer.verify_form(&form, "r1.5.99.ab", "nps", at(10)),
            Ok(())
        );
        assert!(
            signer
                .verify_form(&form, "r1.6.99.ab", "nps", at(10))
                .is_err()
        );
        assert!(
            signer
                .verify_form(&form, "r1.5.99.ab", "why", at(10))
                .is_err()
        );
        assert_eq!(
            signer.verify_form(&form, "r1.5.99.ab", "nps", at(12)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn fatigue_refuses_inside_either_window() {
        let last = LastAsked {
            any: Some(at(5)),
            this_survey: Some(at(1)),
        };
        assert_eq!(fatigue(LastAsked::default(), 7, 30, at(10)), Ok(()));
        let refused = fatigue(last, 7, 30, at(10)).unwrap_err();
        assert_eq!(refused.next_allowed, at(31), "the later of the two windows");
        assert!(fatigue(last, 7, 3, at(13)).is_ok());
        assert!(fatigue(last, 7, 3, at(11)).is_err());
    }
}
