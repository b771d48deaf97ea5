//! The company's names for the keys analyses answer with — themes and touchpoints by key,
//! stages by name, channels by key — in the reader's language, read once per page.

use std::collections::HashMap;

use dosvid_domain::OrgId;
use dosvid_store::{Filter, Store, StoreError, all_pages};

use super::Lang;

#[derive(Default)]
pub(crate) struct Naming {
    names: HashMap<(Kind, String), String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Theme,
    Touchpoint,
    Stage,
    Channel,
}

impl Kind {
    /// The kind of a factor or dimension of the analyses (`theme`, `touchpoint`, …).
    pub(crate) fn of(factor: &str) -> Option<Kind> {
        match factor {
            "theme" => Some(Kind::Theme),
            "touchpoint" => Some(Kind::Touchpoint),
            "stage" => Some(Kind::Stage),
            "channel" => Some(Kind::Channel),
            _ => None,
        }
    }
}

impl Naming {
    pub(crate) fn read(store: &dyn Store, org: OrgId, lang: Lang) -> Result<Naming, StoreError> {
        let code = lang.code();
        let mut names = HashMap::new();
        for t in store.taxonomy(org)?.themes {
            let name = t.names.get(code).or_else(|| t.names.values().next());
            if let Some(name) = name.cloned() {
                names.insert((Kind::Theme, t.key), name);
            }
        }
        for t in all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))? {
            names.insert(
                (Kind::Touchpoint, t.key),
                t.names.or(code, &t.name).to_owned(),
            );
        }
        for j in all_pages(|p| store.list_journeys(org, p))? {
            for s in j.stages {
                let name = s.names.or(code, &s.name).to_owned();
                names.insert((Kind::Stage, s.name), name);
            }
        }
        for c in all_pages(|p| store.list_channels(org, p))? {
            names.insert((Kind::Channel, c.key), c.names.or(code, &c.name).to_owned());
        }
        Ok(Naming { names })
    }

    /// The name of `key` of a kind; the key itself where there is none.
    pub(crate) fn of<'a>(&'a self, kind: Kind, key: &'a str) -> &'a str {
        self.names
            .get(&(kind, key.to_owned()))
            .map_or(key, String::as_str)
    }

    /// The name of a value of a factor or dimension (`touchpoint`, `theme`, …).
    pub(crate) fn value<'a>(&'a self, factor: &str, value: &'a str) -> &'a str {
        Kind::of(factor).map_or(value, |kind| self.of(kind, value))
    }
}
