//! `dosvid export`: every record of a kind as CSV or JSONL, page by page so memory stays flat.
//! Rows carry the API's fields plus the keys of their touchpoint and channel, which is what an
//! analyst joining the file with others needs.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use dosvid_domain::RecordKind;
use dosvid_store::{Filter, PageRequest, Store, all_pages};
use serde_json::{Map, Value};

use crate::Format;

fn columns(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Customers => &[
            "id",
            "external_id",
            "name",
            "email",
            "phone",
            "language",
            "segment",
            "region",
            "plan",
            "attributes",
            "created_at",
        ],
        RecordKind::Feedback => &[
            "id",
            "external_id",
            "customer_id",
            "touchpoint",
            "touchpoint_id",
            "channel",
            "channel_id",
            "source",
            "occurred_at",
            "nps",
            "csat",
            "ces",
            "rating",
            "rating_scale",
            "comment",
            "language",
            "interaction_id",
            "agent",
            "team",
            "attributes",
            "created_at",
        ],
        RecordKind::Interactions => &[
            "id",
            "external_id",
            "customer_id",
            "touchpoint",
            "touchpoint_id",
            "channel",
            "channel_id",
            "kind",
            "occurred_at",
            "duration_seconds",
            "outcome",
            "agent",
            "team",
            "attributes",
            "created_at",
        ],
        RecordKind::Transactions => &[
            "id",
            "external_id",
            "customer_id",
            "occurred_at",
            "amount_minor",
            "currency",
            "kind",
            "product",
            "attributes",
            "created_at",
        ],
    }
}

/// One page of records as JSON objects, and the cursor of the next page.
fn page(
    store: &dyn Store,
    org: i64,
    kind: RecordKind,
    page: PageRequest,
) -> anyhow::Result<(Vec<Value>, Option<String>)> {
    let filter = Filter::default();
    match kind {
        RecordKind::Customers => {
            let p = store.list_customers(org, &filter, page)?;
            let items = p
                .items
                .into_iter()
                .map(|c| {
                    let first = |kind| {
                        c.identities
                            .iter()
                            .find(|i| i.kind == kind)
                            .map(|i| i.value.clone())
                    };
                    let email = first(dosvid_domain::IdentityKind::Email);
                    let phone = first(dosvid_domain::IdentityKind::Phone);
                    let mut v = serde_json::to_value(&c).expect("serialisable");
                    v["email"] = email.into();
                    v["phone"] = phone.into();
                    v
                })
                .collect();
            Ok((items, p.next_cursor))
        }
        RecordKind::Feedback => Ok(json_page(store.list_feedback(org, &filter, page)?)),
        RecordKind::Interactions => Ok(json_page(store.list_interactions(org, &filter, page)?)),
        RecordKind::Transactions => Ok(json_page(store.list_transactions(org, &filter, page)?)),
    }
}

fn json_page<T: serde::Serialize>(page: dosvid_store::Page<T>) -> (Vec<Value>, Option<String>) {
    let items = page
        .items
        .iter()
        .map(|item| serde_json::to_value(item).expect("records serialise"))
        .collect();
    (items, page.next_cursor)
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) if o.is_empty() => String::new(),
        Some(other) => other.to_string(),
    }
}

pub fn run(
    store: &dyn Store,
    kind: RecordKind,
    format: Format,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    let org = store.default_org()?;
    let mut keys: HashMap<(&str, i64), String> = HashMap::new();
    for t in all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))? {
        keys.insert(("touchpoint", t.id), t.key);
    }
    for c in all_pages(|p| store.list_channels(org, p))? {
        keys.insert(("channel", c.id), c.key);
    }
    let out: Box<dyn Write> = match output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let columns = columns(kind);
    let mut sink = match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(columns)?;
            Sink::Csv(Box::new(w))
        }
        Format::Jsonl => Sink::Jsonl(std::io::BufWriter::new(out)),
    };
    let mut request = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let (items, next) = page(store, org, kind, request)?;
        for mut item in items {
            let object: &mut Map<String, Value> =
                item.as_object_mut().expect("records are objects");
            for reference in ["touchpoint", "channel"] {
                if let Some(id) = object
                    .get(&format!("{reference}_id"))
                    .and_then(Value::as_i64)
                {
                    object.insert(
                        reference.to_owned(),
                        keys.get(&(reference, id)).cloned().into(),
                    );
                }
            }
            match &mut sink {
                Sink::Csv(w) => w.write_record(columns.iter().map(|c| cell(object.get(*c))))?,
                Sink::Jsonl(w) => writeln!(w, "{item}")?,
            }
        }
        match next {
            Some(cursor) => request.after = Some(PageRequest::parse_cursor(&cursor)?),
            None => break,
        }
    }
    match sink {
        Sink::Csv(mut w) => w.flush()?,
        Sink::Jsonl(mut w) => w.flush()?,
    }
    Ok(())
}

enum Sink {
    Csv(Box<csv::Writer<Box<dyn Write>>>),
    Jsonl(std::io::BufWriter<Box<dyn Write>>),
}
