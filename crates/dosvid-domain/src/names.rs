//! A name in the three languages of the interface. The company's own data — journeys, stages,
//! touchpoints, channels — has a `name` (what integrators and the API see first) and `names`
//! by language; a page shows the name in its reader's language, and `name` where that is not
//! given.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{self, FieldError};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(from = "error::Object<NamesFields>")]
pub struct Names {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub uk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub ru: Option<String>,
}

/// What [`Names`] is read from: an object (never an array) of the three names.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NamesFields {
    #[serde(default)]
    uk: Option<String>,
    #[serde(default)]
    en: Option<String>,
    #[serde(default)]
    ru: Option<String>,
}

impl From<error::Object<NamesFields>> for Names {
    fn from(error::Object(f): error::Object<NamesFields>) -> Names {
        Names {
            uk: f.uk,
            en: f.en,
            ru: f.ru,
        }
    }
}

impl Names {
    pub fn new(uk: &str, en: &str, ru: &str) -> Names {
        Names {
            uk: Some(uk.to_owned()),
            en: Some(en.to_owned()),
            ru: Some(ru.to_owned()),
        }
    }

    /// The name in a language (`uk`, `en`, `ru`), if given.
    pub fn get(&self, language: &str) -> Option<&str> {
        match language {
            "uk" => self.uk.as_deref(),
            "en" => self.en.as_deref(),
            "ru" => self.ru.as_deref(),
            _ => None,
        }
    }

    /// The name in `language`, or `fallback`.
    pub fn or<'a>(&'a self, language: &str, fallback: &'a str) -> &'a str {
        self.get(language).unwrap_or(fallback)
    }

    /// Each name trimmed and checked as a short text (`{field}.uk` …); empty ones are absent.
    pub fn validate(self, field: &str) -> Result<Names, FieldError> {
        let one = |language: &str, value: Option<String>| {
            error::short_text(&format!("{field}.{language}"), value.as_deref())
        };
        Ok(Names {
            uk: one("uk", self.uk)?,
            en: one("en", self.en)?,
            ru: one("ru", self.ru)?,
        })
    }

    /// As stored: a JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("names serialise")
    }

    /// From a stored JSON object; what cannot be read is no names.
    pub fn from_json(text: &str) -> Names {
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// The company's name for a value of its data that is not a thing of its own — a segment, a
/// region, a plan, a department, an interaction kind or outcome, a product, an attribute's own
/// name, a case's root-cause or resolution code — in the languages of the interface: `kind` is
/// what the value is (the attribute's name, `department`, `interaction_kind`, `outcome`,
/// `product`, `attribute`, `root_cause`, `resolution`), `key` the value as records carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Term {
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    pub kind: String,
    pub key: String,
    /// At least one language.
    pub names: Names,
}

impl Term {
    pub fn validate(self) -> Result<Term, FieldError> {
        let names = self.names.validate("names")?;
        if names == Names::default() {
            return Err(FieldError::new(
                "names",
                "give the name in at least one language",
            ));
        }
        Ok(Term {
            kind: error::key("kind", &self.kind)?,
            key: error::required_text("key", Some(&self.key))?,
            names,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serde reads a struct from an array of its fields too; names come only as an object.
    #[test]
    fn names_are_read_from_an_object_only() {
        assert!(serde_json::from_str::<Names>("[null, null]").is_err());
        assert!(serde_json::from_str::<Names>(r#"{"uk": "Черга", "xx": "?"}"#).is_err());
        let names: Names = serde_json::from_str(r#"{"uk": "Черга"}"#).unwrap();
        assert_eq!(names.get("uk"), Some("Черга"));
    }

    #[test]
    fn a_name_falls_back_and_bad_input_names_its_field() {
        let names = Names {
            uk: Some(" Оплата ".into()),
            en: Some(String::new()),
            ru: None,
        }
        .validate("names")
        .unwrap();
        assert_eq!(names.or("uk", "Payment"), "Оплата");
        assert_eq!(names.or("en", "Payment"), "Payment");
        assert_eq!(Names::from_json(&names.to_json()), names);
        let long = Names {
            ru: Some("я".repeat(1000)),
            ..Names::default()
        };
        assert_eq!(long.validate("names").unwrap_err().field, "names.ru");
        let term = |kind: &str, names: Names| Term {
            kind: kind.into(),
            key: "mass".into(),
            names,
        };
        let field = |t: Term| t.validate().unwrap_err().field;
        assert_eq!(field(term("Segment!", names.clone())), "kind");
        assert_eq!(field(term("segment", Names::default())), "names");
        assert!(term("segment", names).validate().is_ok());
    }
}
