//! The one validation error shape: which field, and why.

use serde::Serialize;

/// A value that failed validation. `field` uses the input's own field name (dotted for nested
/// values, e.g. `attributes.tier`) so that the error can be shown next to what the user typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The rule every text Dosvid keeps obeys, whatever the field: no NUL character (PostgreSQL
/// cannot store it, and no person types it). Valid Unicode is the type's; length is the field's.
pub fn plain_text(field: &str, value: &str) -> Result<(), FieldError> {
    if value.contains('\0') {
        return Err(FieldError::new(
            field,
            "must not contain the NUL character (U+0000)",
        ));
    }
    Ok(())
}

/// Trims a short text field and checks its length; empty text counts as absent.
pub fn short_text(field: &str, value: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    plain_text(field, value)?;
    if value.chars().count() > crate::limits::MAX_TEXT_CHARS {
        return Err(FieldError::new(
            field,
            format!(
                "must be at most {} characters",
                crate::limits::MAX_TEXT_CHARS
            ),
        ));
    }
    Ok(Some(value.to_owned()))
}

/// Like [`short_text`] but the value must be present.
pub fn required_text(field: &str, value: Option<&str>) -> Result<String, FieldError> {
    short_text(field, value)?.ok_or_else(|| FieldError::new(field, "is required"))
}

/// A key: lower-case ASCII letters, digits, `-`, `_` and `.`, starting with a letter or digit.
/// Keys let integrators name touchpoints and channels in their own systems' terms.
pub fn key(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim().to_ascii_lowercase();
    let valid_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c);
    if value.is_empty() || value.len() > 64 {
        return Err(FieldError::new(field, "must be 1 to 64 characters"));
    }
    if !value.chars().all(valid_char) || !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(FieldError::new(
            field,
            "may contain only letters a-z, digits, '-', '_' and '.', and must start with a letter or digit",
        ));
    }
    Ok(value)
}

/// Validates free-form attributes: bounded count, non-empty keys, scalar values only.
pub fn attributes(
    field: &str,
    attributes: Option<crate::Attributes>,
) -> Result<crate::Attributes, FieldError> {
    use crate::limits::{MAX_ATTRIBUTE_VALUE_CHARS, MAX_ATTRIBUTES};
    let attributes = attributes.unwrap_or_default();
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(FieldError::new(
            field,
            format!("at most {MAX_ATTRIBUTES} attributes"),
        ));
    }
    for (name, value) in &attributes {
        let path = format!("{field}.{name}");
        plain_text(field, name)?;
        if let serde_json::Value::String(s) = value {
            plain_text(&path, s)?;
        }
        if name.trim().is_empty() || name.len() > 64 {
            return Err(FieldError::new(
                field,
                "attribute names must be 1 to 64 characters",
            ));
        }
        match value {
            serde_json::Value::String(s) if s.chars().count() > MAX_ATTRIBUTE_VALUE_CHARS => {
                return Err(FieldError::new(
                    path,
                    format!("must be at most {MAX_ATTRIBUTE_VALUE_CHARS} characters"),
                ));
            }
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                return Err(FieldError::new(
                    path,
                    "must be a string, number, boolean or null",
                ));
            }
            _ => {}
        }
    }
    Ok(attributes)
}

/// A language tag such as `uk`, `ru`, `en` or `en-GB`, normalised to lower case.
pub fn language(field: &str, value: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let value = value.to_ascii_lowercase().replace('_', "-");
    let mut parts = value.split('-');
    let primary = parts.next().unwrap_or_default();
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase());
    let rest_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !primary_ok || !rest_ok {
        return Err(FieldError::new(
            field,
            "must be a language tag such as 'uk', 'ru' or 'en'",
        ));
    }
    Ok(Some(value))
}

/// Deserialises one JSON value, naming the field that fails (`nps`, `attributes.tier`); an
/// unknown field is named itself, and a value of the wrong shape altogether is named `body`.
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, FieldError> {
    // A NUL can only arrive escaped; finding where is paid for only when the escape is there.
    if text.contains("\\u0000")
        && let Ok(value) = serde_json::from_str::<serde_json::Value>(text)
        && let Some(path) = nul_path(&value)
    {
        return Err(FieldError::new(
            if path.is_empty() { "body".into() } else { path },
            "must not contain the NUL character (U+0000)",
        ));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = serde_path_to_error::deserialize(&mut de);
    // JSON has one kind of number: `3.0` is the integer 3 (as JSON Schema says), so a whole
    // number written with a fraction is read again as an integer — only when the first reading
    // failed on it, so well-formed bodies pay nothing.
    let parsed = match parsed {
        Err(e)
            if e.inner()
                .to_string()
                .contains("invalid type: floating point") =>
        {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(mut value) => {
                    whole_numbers_as_integers(&mut value);
                    serde_path_to_error::deserialize(value)
                }
                Err(_) => Err(e),
            }
        }
        other => other,
    };
    parsed.map_err(|e| {
        let message = e.inner().to_string();
        // serde_json appends " at line 1 column 9"; the field name says more.
        let message = message
            .rfind(" at line ")
            .map_or(message.as_str(), |i| &message[..i])
            .to_owned();
        let path = e.path().to_string();
        let field = if path == "." || path.is_empty() {
            message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
                .unwrap_or("body")
                .to_owned()
        } else {
            path
        };
        FieldError::new(field, message)
    })
}

/// `3.0` → `3`, wherever it stands, for numbers an `i64` holds exactly.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                *value = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        serde_json::Value::Object(fields) => {
            fields.values_mut().for_each(whole_numbers_as_integers)
        }
        _ => {}
    }
}

/// The dotted path of the first string (or key) in `value` holding a NUL character.
fn nul_path(value: &serde_json::Value) -> Option<String> {
    let join = |head: &str, tail: Option<String>| match tail.as_deref() {
        None | Some("") => head.to_owned(),
        Some(tail) => format!("{head}.{tail}"),
    };
    match value {
        serde_json::Value::String(s) => s.contains('\0').then(String::new),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v).map(|tail| join(&i.to_string(), Some(tail)))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                return Some(k.replace('\0', "\\u0000"));
            }
            nul_path(v).map(|tail| join(k, Some(tail)))
        }),
        _ => None,
    }
}

/// A value read only from a JSON object. Serde reads a struct from an array of its fields in
/// order as well; the API describes objects, and `[null, null]` where an object belongs is a
/// mistake to refuse, not to read.
pub struct Object<T>(pub T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
            .map(Object)
    }
}

/// For `deserialize_with`: a struct field read only from an object.
pub fn object<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    <Object<T> as serde::Deserialize>::deserialize(d).map(|o| o.0)
}

/// For `deserialize_with`: a list of structs, each read only from an object.
pub fn objects<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    <Vec<Object<T>> as serde::Deserialize>::deserialize(d)
        .map(|v| v.into_iter().map(|o| o.0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Placed {
        position: i64,
        weight: f64,
    }

    #[test]
    fn a_whole_number_written_with_a_fraction_is_an_integer() {
        let placed: Placed = from_json(r#"{"position": -691.0, "weight": 2}"#).unwrap();
        assert_eq!((placed.position, placed.weight), (-691, 2.0));
        let half = from_json::<Placed>(r#"{"position": 2.5, "weight": 1}"#).unwrap_err();
        assert_eq!(half.field, "position");
    }
}
