//! Customers and their identities. One person reaches the company by email, phone, a CRM id and a
//! social handle; each identity is normalised so that the same person is recognised however a
//! channel spells it, and resolves to one profile with one timeline.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Attributes;
use crate::error::{self, FieldError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// An e-mail address, stored lower-cased.
    Email,
    /// A phone number in E.164 (`+380501234567`).
    Phone,
    /// An id in another system, written `system:id` (e.g. `billing:88231`).
    External,
    /// A social handle, written `network:handle` (e.g. `telegram:olena_k`).
    Social,
}

impl IdentityKind {
    pub const ALL: [IdentityKind; 4] = [Self::Email, Self::Phone, Self::External, Self::Social];

    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Email => "email",
            IdentityKind::Phone => "phone",
            IdentityKind::External => "external",
            IdentityKind::Social => "social",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "email" => IdentityKind::Email,
            "phone" => IdentityKind::Phone,
            "external" => IdentityKind::External,
            "social" => IdentityKind::Social,
            _ => return None,
        })
    }
}

/// A normalised identity; two spellings of the same address compare equal after [`Identity::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct Identity {
    pub kind: IdentityKind,
    pub value: String,
}

impl Identity {
    pub fn parse(kind: IdentityKind, raw: &str, field: &str) -> Result<Identity, FieldError> {
        crate::error::plain_text(field, raw)?;
        let value = match kind {
            IdentityKind::Email => normalise_email(raw),
            IdentityKind::Phone => normalise_phone(raw),
            IdentityKind::External | IdentityKind::Social => normalise_qualified(raw, kind),
        }
        .map_err(|message| FieldError::new(field, message))?;
        Ok(Identity { kind, value })
    }
}

fn normalise_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email
        .split_once('@')
        .ok_or("must be an e-mail address like name@example.com")?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains(char::is_whitespace);
    if local.is_empty() || local.contains(char::is_whitespace) || !domain_ok || domain.contains('@')
    {
        return Err("must be an e-mail address like name@example.com".into());
    }
    if email.len() > 254 {
        return Err("must be at most 254 characters".into());
    }
    Ok(email)
}

/// Normalises a phone number to E.164. Numbers without a country code are read as Ukrainian
/// (the home market of the default organisation): `0501234567` → `+380501234567`.
fn normalise_phone(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let plus = raw.starts_with('+');
    let mut digits = String::with_capacity(16);
    for c in raw.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' | ' ' | '-' | '(' | ')' | '.' | '\u{a0}' => {}
            _ => {
                return Err(format!(
                    "must contain only digits, spaces and + - ( ) . (found {c:?})"
                ));
            }
        }
    }
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if digits.len() == 10 && digits.starts_with('0') {
        format!("38{digits}")
    } else if digits.len() == 12 && digits.starts_with("380") {
        digits
    } else {
        return Err("must include a country code, e.g. +380501234567".into());
    };
    if !(8..=15).contains(&international.len()) || international.starts_with('0') {
        return Err("must be a phone number of 8 to 15 digits with its country code".into());
    }
    Ok(format!("+{international}"))
}

fn normalise_qualified(raw: &str, kind: IdentityKind) -> Result<String, String> {
    let example = if kind == IdentityKind::Social {
        "telegram:olena_k"
    } else {
        "billing:88231"
    };
    let (system, id) = raw
        .trim()
        .split_once(':')
        .ok_or_else(|| format!("must be written as {example}"))?;
    let system = system.trim().to_lowercase();
    // Social handles are case-insensitive on every major network; ids in other systems are not.
    let id = if kind == IdentityKind::Social {
        id.trim().trim_start_matches('@').to_lowercase()
    } else {
        id.trim().to_owned()
    };
    if system.is_empty() || id.is_empty() || system.len() > 32 || id.chars().count() > 128 {
        return Err(format!("must be written as {example}"));
    }
    Ok(format!("{system}:{id}"))
}

/// A customer profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    pub id: i64,
    /// The customer's id in the company's CRM; unique within the organisation.
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub language: Option<String>,
    pub segment: Option<String>,
    pub region: Option<String>,
    pub plan: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: Attributes,
    pub identities: Vec<Identity>,
    pub created_at: DateTime<Utc>,
}

/// What an integrator sends to create a customer.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomerInput {
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub segment: Option<String>,
    pub region: Option<String>,
    pub plan: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Attributes>,
    /// Further identities beyond `email` and `phone`.
    #[serde(default)]
    pub identities: Vec<IdentityInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityInput {
    pub kind: IdentityKind,
    pub value: String,
}

/// A validated new customer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewCustomer {
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub language: Option<String>,
    pub segment: Option<String>,
    pub region: Option<String>,
    pub plan: Option<String>,
    pub attributes: Attributes,
    pub identities: Vec<Identity>,
}

impl crate::signal::SignalInput for NewCustomerInput {
    type Valid = NewCustomer;
    const KIND: crate::RecordKind = crate::RecordKind::Customers;
    const FIELDS: &'static [&'static str] = &[
        "external_id",
        "name",
        "email",
        "phone",
        "language",
        "segment",
        "region",
        "plan",
    ];

    fn validate(
        self,
        _now: chrono::DateTime<Utc>,
        _: &dosvid_text::Themes,
    ) -> Result<NewCustomer, FieldError> {
        self.validate()
    }

    fn set_attributes(&mut self, attributes: Attributes) {
        self.attributes = Some(attributes);
    }
}

impl NewCustomerInput {
    pub fn validate(self) -> Result<NewCustomer, FieldError> {
        let mut identities = Vec::new();
        if let Some(email) = self.email.as_deref().filter(|s| !s.trim().is_empty()) {
            identities.push(Identity::parse(IdentityKind::Email, email, "email")?);
        }
        if let Some(phone) = self.phone.as_deref().filter(|s| !s.trim().is_empty()) {
            identities.push(Identity::parse(IdentityKind::Phone, phone, "phone")?);
        }
        for (i, identity) in self.identities.iter().enumerate() {
            let parsed = Identity::parse(
                identity.kind,
                &identity.value,
                &format!("identities[{i}].value"),
            )?;
            if !identities.contains(&parsed) {
                identities.push(parsed);
            }
        }
        Ok(NewCustomer {
            external_id: error::short_text("external_id", self.external_id.as_deref())?,
            name: error::short_text("name", self.name.as_deref())?,
            language: error::language("language", self.language.as_deref())?,
            segment: error::short_text("segment", self.segment.as_deref())?,
            region: error::short_text("region", self.region.as_deref())?,
            plan: error::short_text("plan", self.plan.as_deref())?,
            attributes: error::attributes("attributes", self.attributes)?,
            identities,
        })
    }
}

/// A partial update of a customer: absent fields stay as they are, `null` clears them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatchInput {
    #[serde(default, deserialize_with = "crate::journey::double_option")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::journey::double_option")]
    pub language: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::journey::double_option")]
    pub segment: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::journey::double_option")]
    pub region: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::journey::double_option")]
    pub plan: Option<Option<String>>,
    /// Replaces the attributes when present.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Attributes>,
    /// Identities to add to the profile.
    #[serde(default)]
    pub add_identities: Vec<IdentityInput>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerPatch {
    pub name: Option<Option<String>>,
    pub language: Option<Option<String>>,
    pub segment: Option<Option<String>>,
    pub region: Option<Option<String>>,
    pub plan: Option<Option<String>>,
    pub attributes: Option<Attributes>,
    pub add_identities: Vec<Identity>,
}

impl CustomerPatchInput {
    pub fn validate(self) -> Result<CustomerPatch, FieldError> {
        let text = |field: &str,
                    v: Option<Option<String>>|
         -> Result<Option<Option<String>>, FieldError> {
            v.map(|inner| error::short_text(field, inner.as_deref()))
                .transpose()
        };
        Ok(CustomerPatch {
            name: text("name", self.name)?,
            language: self
                .language
                .map(|v| error::language("language", v.as_deref()))
                .transpose()?,
            segment: text("segment", self.segment)?,
            region: text("region", self.region)?,
            plan: text("plan", self.plan)?,
            attributes: self
                .attributes
                .map(|a| error::attributes("attributes", Some(a)))
                .transpose()?,
            add_identities: self
                .add_identities
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    Identity::parse(id.kind, &id.value, &format!("add_identities[{i}].value"))
                })
                .collect::<Result<_, _>>()?,
        })
    }
}

/// How a signal names its customer: by Dosvid id, by CRM external id, or by identities. A
/// reference that matches no one creates the customer (integrators should not have to create
/// contacts before sending what those contacts did); identities it names that no other customer
/// owns are attached to the customer it resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct CustomerRef {
    pub id: Option<i64>,
    pub external_id: Option<String>,
    pub identities: Vec<Identity>,
}

impl CustomerRef {
    /// Builds a reference from the flat `customer_*` fields of a record; `None` when none is set.
    pub fn from_fields(
        id: Option<i64>,
        external_id: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Option<CustomerRef>, FieldError> {
        let mut identities = Vec::new();
        if let Some(email) = email.filter(|s| !s.trim().is_empty()) {
            identities.push(Identity::parse(
                IdentityKind::Email,
                email,
                "customer_email",
            )?);
        }
        if let Some(phone) = phone.filter(|s| !s.trim().is_empty()) {
            identities.push(Identity::parse(
                IdentityKind::Phone,
                phone,
                "customer_phone",
            )?);
        }
        let external_id = error::short_text("customer_external_id", external_id)?;
        if id.is_none() && external_id.is_none() && identities.is_empty() {
            return Ok(None);
        }
        Ok(Some(CustomerRef {
            id,
            external_id,
            identities,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: IdentityKind, raw: &str, expect: Result<&str, ()>) {
        let got = Identity::parse(kind, raw, "f")
            .map(|i| i.value)
            .map_err(|_| ());
        assert_eq!(got.as_deref().map_err(|_| ()), expect, "{kind:?} {raw:?}");
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        check(
            IdentityKind::Email,
            " Olena.K@Example.COM ",
            Ok("olena.k@example.com"),
        );
        check(IdentityKind::Email, "olena@localhost", Err(()));
        check(IdentityKind::Email, "no-at-sign.com", Err(()));
        check(IdentityKind::Email, "a b@example.com", Err(()));
    }

    #[test]
    fn phones_are_normalised_to_e164_with_ukraine_as_the_home_country() {
        check(
            IdentityKind::Phone,
            "+380 (50) 123-45-67",
            Ok("+380501234567"),
        );
        check(IdentityKind::Phone, "050 123 45 67", Ok("+380501234567"));
        check(IdentityKind::Phone, "380501234567", Ok("+380501234567"));
        check(
            IdentityKind::Phone,
            "00 44 20 7946 0958",
            Ok("+442079460958"),
        );
        check(IdentityKind::Phone, "+1 (415) 555-0100", Ok("+14155550100"));
        check(IdentityKind::Phone, "12345", Err(()));
        check(IdentityKind::Phone, "+380 50 ABC", Err(()));
        check(IdentityKind::Phone, "+1234567890123456", Err(()));
    }

    #[test]
    fn social_handles_ignore_case_and_at_signs_but_external_ids_keep_case() {
        check(
            IdentityKind::Social,
            "Telegram:@Olena_K",
            Ok("telegram:olena_k"),
        );
        check(IdentityKind::External, "Billing:AB-12", Ok("billing:AB-12"));
        check(IdentityKind::External, "no-system", Err(()));
    }

    #[test]
    fn a_reference_without_any_identifier_is_no_reference() {
        assert_eq!(
            CustomerRef::from_fields(None, Some(" "), None, Some("")).unwrap(),
            None
        );
        let r = CustomerRef::from_fields(None, Some("C-1"), Some("A@B.UA"), None)
            .unwrap()
            .unwrap();
        assert_eq!(r.external_id.as_deref(), Some("C-1"));
        assert_eq!(r.identities[0].value, "a@b.ua");
        let err = CustomerRef::from_fields(None, None, None, Some("12")).unwrap_err();
        assert_eq!(err.field, "customer_phone");
    }
}

/// Two profiles of one person joined: the survivor kept, the other's identities, missing
/// attributes and every record moved to it. Undoable for [`CustomerMerge::UNDO_DAYS`] days.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CustomerMerge {
    pub id: i64,
    pub survivor_id: i64,
    pub merged_id: i64,
    /// Records moved, by kind (`feedback`, `interactions`, `cases`…).
    #[schema(value_type = Object)]
    pub moved: std::collections::BTreeMap<String, usize>,
    pub merged_at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
}

impl CustomerMerge {
    pub const UNDO_DAYS: i64 = 30;
}

/// Two profiles that may be one person, for someone to review.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DuplicateSuggestion {
    pub customer_ids: [i64; 2],
    /// `same_name_and_region` or `same_phone_number` (the last nine digits).
    pub reason: String,
}

/// What a customer may agree to.
pub const CONSENT_PURPOSES: [&str; 3] = ["surveys", "marketing", "profiling"];

/// A customer's consent given or withdrawn: what, when, through which channel.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Consent {
    pub id: i64,
    pub customer_id: i64,
    /// `surveys` (invitations respect a withdrawal), `marketing` or `profiling`.
    pub purpose: String,
    pub granted: bool,
    /// The channel it was given through (`web`, `phone`, `store`…).
    pub channel: Option<String>,
    pub at: DateTime<Utc>,
}

/// The body of `POST /api/v1/customers/{id}/consents`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    #[schema(pattern = "^(surveys|marketing|profiling)$")]
    pub purpose: String,
    pub granted: bool,
    pub channel: Option<String>,
    /// When it was given (default: now).
    pub at: Option<DateTime<Utc>>,
}

impl ConsentInput {
    pub fn validate(mut self) -> Result<ConsentInput, FieldError> {
        if !CONSENT_PURPOSES.contains(&self.purpose.as_str()) {
            return Err(FieldError::new(
                "purpose",
                format!("must be one of: {}", CONSENT_PURPOSES.join(", ")),
            ));
        }
        self.channel = crate::error::short_text("channel", self.channel.as_deref())?;
        Ok(self)
    }
}
