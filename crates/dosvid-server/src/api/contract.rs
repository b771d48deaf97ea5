//! The OpenAPI document made exact: what the derive macros cannot say about the server is
//! added here, once, for every operation and schema —
//!
//! - the answers every operation may give besides its own (a request that does not parse, no
//!   key, a key not allowed, an invalid field, not found, a body too large, a server failure),
//!   each in the one error shape;
//! - a record that extends another (`#[serde(flatten)]`, written as `allOf`) as one object with
//!   every property, since a schema that forbids unknown properties would otherwise forbid the
//!   extension's;
//! - the query parameters every list and question shares, as the server reads them: `cursor`
//!   (a cursor this API returned), `limit` (1–1000), `from` and `to` (a time or a date), and
//!   record ids; an empty value is no value, as everywhere in the query string;
//! - the rule every kept text obeys: no NUL character, in values and in keys;
//! - an unsigned 64-bit number as what it is (up to 2⁶⁴ − 1), not as a signed one.
//!
//! CI checks the server against the served document with schemathesis (`.ci/contract`).

use serde_json::{Map, Value, json};

/// The served document.
pub fn exact(doc: utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    let schemas = doc["components"]["schemas"].clone();
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            add_common_errors(path, item);
            describe_shared_parameters(item);
        }
    }
    merge_extensions(&mut doc, &schemas);
    forbid_nul(&mut doc);
    widen_unsigned(&mut doc);
    doc
}

fn add_common_errors(path: &str, item: &mut Value) {
    let Some(item) = item.as_object_mut() else {
        return;
    };
    for (method, operation) in item.iter_mut() {
        if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
            continue;
        }
        let mut common = vec![
            (
                "400",
                "The query string, body or address does not parse (`invalid_query`, `invalid_json`, `invalid_request`).",
            ),
            ("401", "No valid API key (`unauthorized`)."),
            (
                "403",
                "The key's scope or unit does not allow this (`forbidden`).",
            ),
            (
                "422",
                "A field is invalid; `field` names it (`invalid_field`).",
            ),
            (
                "500",
                "The server failed; the failure is logged, not described (`internal`).",
            ),
        ];
        if path.contains('{') {
            common.push((
                "404",
                "No such record, or none the key may see (`not_found`).",
            ));
        }
        if operation.get("requestBody").is_some() {
            common.push(("413", "The body is over 32 MiB (`payload_too_large`)."));
        }
        let responses = operation["responses"]
            .as_object_mut()
            .expect("every operation has responses");
        for (status, description) in common {
            responses.entry(status).or_insert_with(|| {
                json!({
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
                })
            });
        }
        for response in responses.values_mut() {
            if response["description"] == "" {
                response["description"] = json!("The answer.");
            }
        }
    }
}

fn describe_shared_parameters(item: &mut Value) {
    let Some(item) = item.as_object_mut() else {
        return;
    };
    for operation in item.values_mut() {
        let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for parameter in parameters {
            if parameter["in"] != "query" || parameter["schema"]["type"] != "string" {
                continue;
            }
            let name = parameter["name"].as_str().unwrap_or_default();
            let schema = match name {
                "cursor" => json!({"type": "string", "pattern": "^(c[0-9a-z]{1,12})?$"}),
                "limit" => json!({"type": "string", "pattern": "^([1-9][0-9]{0,2}|1000)?$"}),
                "from" | "to" => json!({"anyOf": [
                    {"type": "string", "format": "date-time"},
                    {"type": "string", "format": "date"},
                    {"type": "string", "maxLength": 0}
                ]}),
                _ if name.ends_with("_id") => {
                    json!({"type": "string", "pattern": "^(-?[0-9]{1,18})?$"})
                }
                _ => continue,
            };
            parameter["schema"] = schema;
        }
    }
}

/// Replaces every `allOf` of a referenced record and an object of further properties by one
/// object holding them all (recursively: an extension of an extension is whole too).
fn merge_extensions(value: &mut Value, schemas: &Value) {
    match value {
        Value::Object(fields) => {
            if let Some(merged) = fields.get("allOf").and_then(|parts| merged(parts, schemas)) {
                fields.remove("allOf");
                for (key, value) in merged {
                    fields.insert(key, value);
                }
            }
            for child in fields.values_mut() {
                merge_extensions(child, schemas);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| merge_extensions(item, schemas)),
        _ => {}
    }
}

/// The one object `parts` describe, or `None` when a part is not an object.
fn merged(parts: &Value, schemas: &Value) -> Option<Map<String, Value>> {
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    let mut closed = false;
    for part in parts.as_array()? {
        let part = match part.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.strip_prefix("#/components/schemas/")?;
                let mut target = schemas.get(name)?.clone();
                merge_extensions(&mut target, schemas);
                target
            }
            None => part.clone(),
        };
        if part.get("type").and_then(Value::as_str) != Some("object") {
            return None;
        }
        closed |= part.get("additionalProperties") == Some(&Value::Bool(false));
        if let Some(own) = part.get("properties").and_then(Value::as_object) {
            properties.extend(own.clone());
        }
        for name in part["required"].as_array().into_iter().flatten() {
            if !required.contains(name) {
                required.push(name.clone());
            }
        }
    }
    let mut object = Map::new();
    object.insert("type".into(), json!("object"));
    object.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        object.insert("required".into(), Value::Array(required));
    }
    if closed {
        object.insert("additionalProperties".into(), json!(false));
    }
    Some(object)
}

/// Every string and every key of a map: no NUL character.
fn forbid_nul(value: &mut Value) {
    const NO_NUL: &str = "^[^\\u0000]*$";
    match value {
        Value::Object(fields) => {
            let is = |kind: &str| match fields.get("type") {
                Some(Value::String(t)) => t == kind,
                Some(Value::Array(types)) => types.iter().any(|t| t == kind),
                _ => false,
            };
            let text =
                is("string") && !fields.contains_key("pattern") && !fields.contains_key("enum");
            let map = is("object")
                && fields
                    .get("additionalProperties")
                    .is_some_and(Value::is_object);
            if text {
                fields.insert("pattern".into(), json!(NO_NUL));
            }
            if map && !fields.contains_key("propertyNames") {
                fields.insert("propertyNames".into(), json!({ "pattern": NO_NUL }));
            }
            for child in fields.values_mut() {
                forbid_nul(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_nul),
        _ => {}
    }
}

/// `u64` comes out of the derive as `int64` from 0, which caps it at 2⁶³ − 1; the server reads
/// up to 2⁶⁴ − 1.
fn widen_unsigned(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            let unsigned = fields.get("format") == Some(&json!("int64"))
                && fields.get("minimum") == Some(&json!(0))
                && !fields.contains_key("maximum");
            if unsigned {
                fields.remove("format");
                fields.insert("maximum".into(), json!(u64::MAX));
            }
            for child in fields.values_mut() {
                widen_unsigned(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(widen_unsigned),
        _ => {}
    }
}
