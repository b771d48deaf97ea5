//! Names for the keys and values pages show, in the reader's language, read once per page: the
//! company's things (themes and touchpoints by key, stages by name, channels by key), the
//! company's vocabulary (segments, regions, departments…, see [`dosvid_domain::Term`]) and the
//! product's own words (feedback sources, emotions, languages, transaction kinds). A value
//! without a name is shown as records carry it. It also keeps the company's things in their
//! order (a page's choices) and touchpoints' and channels' keys by id (records name them by id),
//! so that a page reads the catalogue once.

use std::collections::HashMap;

use dosvid_domain::OrgId;
use dosvid_store::{Filter, Store, StoreError, all_pages};

use super::Lang;
use crate::words::WORDS;

#[derive(Default)]
pub(crate) struct Naming {
    /// (kind, key) → name.
    names: HashMap<(String, String), String>,
    /// The keys of the company's themes, touchpoints, stages (by name) and channels, in order.
    keys: HashMap<&'static str, Vec<String>>,
    /// (`touchpoint` or `channel`, id) → key.
    ids: HashMap<(&'static str, i64), String>,
}

fn word(lang: Lang, names: &[&'static str; 3]) -> &'static str {
    match lang {
        Lang::Uk => names[0],
        Lang::En => names[1],
        Lang::Ru => names[2],
    }
}

impl Naming {
    /// [`Naming::read`] on a blocking thread, for a page; a failed read names nothing (keys
    /// are shown as records carry them).
    pub(crate) async fn load(state: &crate::AppState, org: OrgId, lang: Lang) -> Naming {
        state
            .run(move |s| Naming::read(s, org, lang))
            .await
            .unwrap_or_default()
    }

    pub(crate) fn read(store: &dyn Store, org: OrgId, lang: Lang) -> Result<Naming, StoreError> {
        let code = lang.code();
        let mut naming = Naming::default();
        for (kind, key, names) in WORDS {
            naming.name(kind, key, word(lang, names));
        }
        for t in store.taxonomy(org)?.themes {
            let name = t.names.get(code).or_else(|| t.names.values().next());
            naming.thing("theme", &t.key, name.map_or(&t.key, |n| n));
        }
        for t in all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))? {
            naming.thing("touchpoint", &t.key, t.names.or(code, &t.name));
            naming.ids.insert(("touchpoint", t.id), t.key);
        }
        for j in all_pages(|p| store.list_journeys(org, p))? {
            for s in j.stages {
                naming.thing("stage", &s.name, s.names.or(code, &s.name));
            }
        }
        for c in all_pages(|p| store.list_channels(org, p))? {
            naming.thing("channel", &c.key, c.names.or(code, &c.name));
            naming.ids.insert(("channel", c.id), c.key);
        }
        for term in store.vocabulary(org)? {
            if let Some(n) = term.names.get(code) {
                naming.name(&term.kind, &term.key, n);
            }
        }
        Ok(naming)
    }

    fn name(&mut self, kind: &str, key: &str, name: &str) {
        self.names
            .insert((kind.to_owned(), key.to_owned()), name.to_owned());
    }

    /// One of the company's things: named, and kept in order.
    fn thing(&mut self, kind: &'static str, key: &str, name: &str) {
        self.name(kind, key, name);
        self.keys.entry(kind).or_default().push(key.to_owned());
    }

    /// The company's things of a kind (`theme`, `touchpoint`, `stage`, `channel`) in their
    /// order, as (key, name): a page's choices.
    pub(crate) fn choices(&self, kind: &str) -> Vec<(String, String)> {
        let keys = self.keys.get(kind).map_or(&[][..], Vec::as_slice);
        keys.iter()
            .map(|k| (k.clone(), self.of(kind, k).to_owned()))
            .collect()
    }

    /// The key of a touchpoint or channel by its id.
    pub(crate) fn key_of(&self, kind: &'static str, id: i64) -> Option<&str> {
        self.ids.get(&(kind, id)).map(String::as_str)
    }

    /// The name of a touchpoint or channel by its id.
    pub(crate) fn of_id(&self, kind: &'static str, id: i64) -> Option<&str> {
        self.key_of(kind, id).map(|key| self.of(kind, key))
    }

    /// The name of a value of a kind (`touchpoint`, `theme`, `segment`, `department`, …); the
    /// value itself where it has none.
    pub(crate) fn of<'a>(&'a self, kind: &str, value: &'a str) -> &'a str {
        self.names
            .get(&(kind.to_owned(), value.to_owned()))
            .map_or(value, String::as_str)
    }

    /// A team's name: the department of that key, or else the company's name for the team.
    pub(crate) fn team<'a>(&'a self, key: &'a str) -> &'a str {
        match self.of("department", key) {
            same if same == key => self.of("team", key),
            department => department,
        }
    }

    /// Each of `values` named, joined with ", ".
    pub(crate) fn list(&self, kind: &str, values: &[String]) -> String {
        let names: Vec<&str> = values.iter().map(|v| self.of(kind, v)).collect();
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every source and emotion the product gives a record is one of its words, so no raw key
    /// of them reaches a page.
    #[test]
    fn the_products_own_keys_have_words() {
        let has = |kind: &str, key: &str| WORDS.iter().any(|(k, v, _)| *k == kind && *v == key);
        for s in dosvid_domain::FeedbackSource::ALL {
            assert!(has("source", s.as_str()), "{}", s.as_str());
        }
        for e in dosvid_text::EMOTIONS {
            assert!(has("emotion", e), "{e}");
        }
        for i in dosvid_domain::IdentityKind::ALL {
            assert!(has("identity", i.as_str()), "{}", i.as_str());
        }
        for t in dosvid_domain::TransactionKind::ALL {
            assert!(has("transaction_kind", t.as_str()), "{}", t.as_str());
        }
    }
}
