//! Signed survey links and forms, and the fatigue rule that decides whether a customer may be
//! asked again. A token carries what it stands for in plain digits and a truncated
//! HMAC-SHA256 over them with the organisation's survey secret: nothing to look up to reject a
//! forged or expired one, and nothing personal in the URL.
//!
//! A tag is accepted only at its full length (128 bits) and compared in constant time: a check
//! that took a shorter tag would let a two-character tag be guessed in 256 tries. A secret can
//! be rotated: links signed with the one before stay valid until its grace period ends.

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
    /// An invitation to answer a readiness assessment, for anyone who holds it.
    Assessment { org: OrgId, assessment: i64 },
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

/// How far ahead of this server's clock a form's issue time may be: another server sharing
/// the database may run a little ahead. Anything further ahead was not issued by us.
const CLOCK_SKEW_SECONDS: i64 = 120;

/// An organisation's signing secrets: the one in force, and the one it replaced while links
/// signed with it are still honoured.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecrets {
    pub current: Vec<u8>,
    pub retired: Option<RetiredSecret>,
}

/// A secret that no longer signs, still accepted until `accepted_until`.
#[derive(Clone, PartialEq, Eq)]
pub struct RetiredSecret {
    pub secret: Vec<u8>,
    pub accepted_until: DateTime<Utc>,
}

impl std::fmt::Debug for SigningSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningSecrets")
            .field(
                "retired_until",
                &self.retired.as_ref().map(|r| r.accepted_until),
            )
            .finish_non_exhaustive()
    }
}

impl SigningSecrets {
    /// A signer that signs with the current secret and, until its grace period ends, also
    /// accepts what the retired one signed.
    pub fn signer(&self) -> Signer {
        Signer {
            mac: mac(&self.current),
            retired: self
                .retired
                .as_ref()
                .map(|r| (mac(&r.secret), r.accepted_until)),
        }
    }
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    Hmac::new_from_slice(secret).expect("HMAC takes a key of any length")
}

/// Signs with one organisation's secret.
pub struct Signer {
    mac: Hmac<Sha256>,
    retired: Option<(Hmac<Sha256>, DateTime<Utc>)>,
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
            mac: mac(secret),
            retired: None,
        }
    }

    fn tag(&self, message: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(message.as_bytes());
        hex(&mac.finalize().into_bytes()[..TAG_BYTES])
    }

    /// Whether `tag` is the full tag of `message` under the current secret, or under the
    /// retired one while it is still honoured. `verify_truncated_left` compares in constant
    /// time; the length is checked first because it would accept any shorter prefix.
    fn check(&self, message: &str, tag: &str, now: DateTime<Utc>) -> Result<(), TokenError> {
        let tag = unhex(tag).ok_or(TokenError::Malformed)?;
        if tag.len() != TAG_BYTES {
            return Err(TokenError::BadSignature);
        }
        let honoured = std::iter::once(&self.mac).chain(
            self.retired
                .iter()
                .filter(|(_, until)| now <= *until)
                .map(|(mac, _)| mac),
        );
        for mac in honoured {
            let mut mac = mac.clone();
            mac.update(message.as_bytes());
            if mac.verify_truncated_left(&tag).is_ok() {
                return Ok(());
            }
        }
        Err(TokenError::BadSignature)
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

    /// `a{org}.{assessment}.{expires}.{tag}`.
    pub fn assessment_token(&self, org: OrgId, assessment: i64, expires: DateTime<Utc>) -> String {
        let body = format!("a{org}.{assessment}.{}", expires.timestamp());
        let tag = self.tag(&body);
        format!("{body}.{tag}")
    }

    /// Verifies a link token read by [`peek_org`].
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<LinkToken, TokenError> {
        let (body, tag) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        self.check(body, tag, now)?;
        let parsed = parse(body).ok_or(TokenError::Malformed)?;
        if parsed.3 < now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(match parsed.0 {
            'p' => LinkToken::Invitation {
                org: parsed.1,
                invitation: parsed.2,
            },
            'a' => LinkToken::Assessment {
                org: parsed.1,
                assessment: parsed.2,
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
        self.check(&format!("f|{scope}|{question}|{issued}"), tag, now)?;
        let age = now.timestamp() - issued_at;
        if age < -CLOCK_SKEW_SECONDS {
            return Err(TokenError::BadSignature);
        }
        if age > FORM_VALID_HOURS * 3600 {
            return Err(TokenError::Expired);
        }
        Ok(())
    }
}

/// `(kind, org, id, expires)` of a token body.
fn parse(body: &str) -> Option<(char, OrgId, i64, i64)> {
    let kind = body
        .chars()
        .next()
        .filter(|k| matches!(k, 'p' | 'r' | 'a'))?;
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
        // An assessment's link says so, and cannot be turned into a survey invitation.
        let assessment = signer.assessment_token(1, 42, at(20));
        assert_eq!(
            signer.verify(&assessment, at(10)),
            Ok(LinkToken::Assessment {
                org: 1,
                assessment: 42
            })
        );
        let retyped = format!("p{}", &assessment[1..]);
        assert_eq!(
            signer.verify(&retyped, at(10)),
            Err(TokenError::BadSignature)
        );
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
    fn a_short_tag_is_never_accepted_whatever_its_bytes() {
        let signer = Signer::new(b"secret");
        let token = signer.invitation_token(1, 1, at(20));
        let (body, tag) = token.rsplit_once('.').unwrap();
        assert_eq!(tag.len(), 2 * TAG_BYTES);
        // Every one- and two-byte guess fails, and so does the real tag cut short.
        for guess in 0..=u16::MAX {
            for bytes in [&guess.to_be_bytes()[1..], &guess.to_be_bytes()[..]] {
                if guess > 255 && bytes.len() == 1 {
                    continue;
                }
                let forged = format!("{body}.{}", hex(bytes));
                assert!(signer.verify(&forged, at(10)).is_err(), "{forged}");
            }
        }
        for cut in (2..2 * TAG_BYTES).step_by(2) {
            let short = format!("{body}.{}", &tag[..cut]);
            assert_eq!(signer.verify(&short, at(10)), Err(TokenError::BadSignature));
        }
        let form = signer.form_token("s1.1", "nps", at(10));
        let (issued, tag) = form.split_once('.').unwrap();
        let short = format!("{issued}.{}", &tag[..2]);
        assert!(signer.verify_form(&short, "s1.1", "nps", at(10)).is_err());
    }

    #[test]
    fn a_form_issued_in_the_future_is_refused() {
        let signer = Signer::new(b"secret");
        let future = signer.form_token("s1.1", "nps", at(20));
        assert_eq!(
            signer.verify_form(&future, "s1.1", "nps", at(10)),
            Err(TokenError::BadSignature)
        );
        let slightly = signer.form_token("s1.1", "nps", at(10) + Duration::seconds(30));
        assert_eq!(signer.verify_form(&slightly, "s1.1", "nps", at(10)), Ok(()));
    }

    #[test]
    fn a_retired_secret_is_honoured_until_its_grace_period_ends() {
        let old = SigningSecrets {
            current: b"old".to_vec(),
            retired: None,
        };
        let sent = old.signer().invitation_token(1, 7, at(28));
        let rotated = SigningSecrets {
            current: b"new".to_vec(),
            retired: Some(RetiredSecret {
                secret: b"old".to_vec(),
                accepted_until: at(15),
            }),
        };
        let signer = rotated.signer();
        assert!(
            signer.verify(&sent, at(14)).is_ok(),
            "within the grace period"
        );
        assert_eq!(signer.verify(&sent, at(16)), Err(TokenError::BadSignature));
        let fresh = signer.invitation_token(1, 7, at(28));
        assert_ne!(fresh, sent, "new links are signed with the new secret");
        assert!(signer.verify(&fresh, at(20)).is_ok());
        assert!(old.signer().verify(&fresh, at(10)).is_err());
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
