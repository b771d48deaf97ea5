//! One customer's data, for the API and the pages alike: everything Dosvid holds about them, as
//! JSON or as a ZIP of CSV files; erasure (the store removes every text by or about them; the
//! analytics index is rebuilt so nothing read from those texts stays); and merging two profiles
//! of one person, and undoing it.

use chrono::{DateTime, Utc};
use dosvid_domain::audit::{AuditEntry, AuditFilter};
use dosvid_domain::case::{Case, CaseEvent};
use dosvid_domain::survey::SurveyResponse;
use dosvid_domain::{Customer, CustomerMerge, Feedback, Interaction, OrgId, Transaction};
use dosvid_store::{CaseFilter, Filter, Store, StoreError, all_pages};
use serde::Serialize;
use utoipa::ToSchema;

use crate::analytics::Analytics;
use crate::download::spreadsheet_safe;

/// A case with its log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseWithLog {
    #[serde(flatten)]
    pub case: Case,
    pub log: Vec<CaseEvent>,
}

/// Everything held about one customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerExport {
    pub exported_at: DateTime<Utc>,
    /// The profile with identities and attributes.
    pub customer: Customer,
    pub feedback: Vec<Feedback>,
    pub interactions: Vec<Interaction>,
    pub transactions: Vec<Transaction>,
    pub survey_responses: Vec<SurveyResponse>,
    pub cases: Vec<CaseWithLog>,
    /// Consents given and withdrawn, newest first.
    pub consents: Vec<dosvid_domain::Consent>,
    /// Who looked at or exported this customer's data (the audit log).
    pub views: Vec<AuditEntry>,
}

pub fn export(store: &dyn Store, org: OrgId, id: i64) -> Result<CustomerExport, StoreError> {
    let customer = store.get_customer(org, id)?;
    let theirs = Filter {
        customer_id: Some(id),
        ..Default::default()
    };
    let mut survey_responses = Vec::new();
    for survey in all_pages(|p| store.list_surveys(org, p))? {
        survey_responses.extend(all_pages(|p| {
            store.list_responses(org, survey.id, &theirs, false, p)
        })?);
    }
    let case_filter = CaseFilter {
        customer_id: Some(id),
        ..Default::default()
    };
    let cases = all_pages(|p| store.list_cases(org, &case_filter, p))?
        .into_iter()
        .map(|case| {
            Ok(CaseWithLog {
                log: store.case_events(org, case.id)?,
                case,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let views_filter = AuditFilter {
        text: Some(format!("/customers/{id}")),
        ..Default::default()
    };
    let views = all_pages(|p| store.list_audit(org, &views_filter, p))?
        .into_iter()
        // `/customers/1` must not find `/customers/17`.
        .filter(|e| {
            e.object.as_deref().is_some_and(|o| {
                o.split('/')
                    .skip_while(|s| *s != "customers")
                    .nth(1)
                    .is_some_and(|s| s == id.to_string())
            })
        })
        .collect();
    Ok(CustomerExport {
        exported_at: Utc::now(),
        customer,
        feedback: all_pages(|p| store.list_feedback(org, &theirs, p))?,
        interactions: all_pages(|p| store.list_interactions(org, &theirs, p))?,
        transactions: all_pages(|p| store.list_transactions(org, &theirs, p))?,
        survey_responses,
        cases,
        consents: store.consents(org, id)?,
        views,
    })
}

/// Erases a customer and rebuilds the index, so that nothing read from their texts stays in it.
pub fn erase(
    store: &dyn Store,
    analytics: &Analytics,
    org: OrgId,
    id: i64,
) -> Result<(), StoreError> {
    store.erase_customer(org, id)?;
    analytics.records_rewritten(org);
    Ok(())
}

/// Joins `merged` into `survivor`; the index follows the records that changed hands.
pub fn merge(
    store: &dyn Store,
    analytics: &Analytics,
    org: OrgId,
    survivor: i64,
    merged: i64,
) -> Result<CustomerMerge, StoreError> {
    let merge = store.merge_customers(org, survivor, merged, Utc::now())?;
    analytics.records_rewritten(org);
    Ok(merge)
}

/// Undoes a merge; the index follows.
pub fn undo_merge(
    store: &dyn Store,
    analytics: &Analytics,
    org: OrgId,
    id: i64,
) -> Result<CustomerMerge, StoreError> {
    let merge = store.undo_merge(org, id, Utc::now())?;
    analytics.records_rewritten(org);
    Ok(merge)
}

/// A list of records as CSV: one column per field (nested values as JSON), in the order the
/// fields first appear.
fn table<T: Serialize>(rows: &[T]) -> Result<Vec<u8>, StoreError> {
    let values: Vec<serde_json::Map<String, serde_json::Value>> = rows
        .iter()
        .map(|r| match serde_json::to_value(r) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            Ok(other) => Ok([("value".to_owned(), other)].into_iter().collect()),
            Err(e) => Err(StoreError::backend(e)),
        })
        .collect::<Result<_, _>>()?;
    let mut columns: Vec<String> = Vec::new();
    for row in &values {
        for key in row.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&columns).map_err(StoreError::backend)?;
    for row in &values {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match row.get(c) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => spreadsheet_safe(s).into_owned(),
                Some(other) => other.to_string(),
            })
            .collect();
        out.write_record(&cells).map_err(StoreError::backend)?;
    }
    out.into_inner().map_err(StoreError::backend)
}

/// The export as a ZIP of CSV files, one per kind of record.
pub fn zip(export: &CustomerExport) -> Result<Vec<u8>, StoreError> {
    let case_log: Vec<&CaseEvent> = export.cases.iter().flat_map(|c| &c.log).collect();
    let cases: Vec<&Case> = export.cases.iter().map(|c| &c.case).collect();
    let files = [
        (
            "customer.csv",
            table(std::slice::from_ref(&export.customer))?,
        ),
        ("feedback.csv", table(&export.feedback)?),
        ("interactions.csv", table(&export.interactions)?),
        ("transactions.csv", table(&export.transactions)?),
        ("survey_responses.csv", table(&export.survey_responses)?),
        ("cases.csv", table(&cases)?),
        ("case_log.csv", table(&case_log)?),
        ("consents.csv", table(&export.consents)?),
        ("views.csv", table(&export.views)?),
    ];
    Ok(stored_zip(&files))
}

/// CRC-32 (IEEE), as ZIP files carry it.
fn crc32(data: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, entry) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *entry = c;
    }
    !data.iter().fold(!0u32, |c, &b| {
        table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8)
    })
}

/// A ZIP archive whose files are stored uncompressed (readable by every unzip tool).
fn stored_zip(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    // 1980-01-01 00:00, the earliest time a ZIP can say.
    const DATE: u16 = 0x0021;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let (crc, size, offset) = (crc32(data), data.len() as u32, out.len() as u32);
        let name = name.as_bytes();
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend(sig.to_le_bytes());
            if central {
                h.extend(20u16.to_le_bytes()); // made by
            }
            h.extend(20u16.to_le_bytes()); // needed
            h.extend(0x0800u16.to_le_bytes()); // UTF-8 names
            h.extend(0u16.to_le_bytes()); // stored
            h.extend(0u16.to_le_bytes()); // time
            h.extend(DATE.to_le_bytes());
            h.extend(crc.to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central {
                h.extend(0u16.to_le_bytes()); // comment
                h.extend(0u16.to_le_bytes()); // disk
                h.extend(0u16.to_le_bytes()); // internal attributes
                h.extend(0u32.to_le_bytes()); // external attributes
                h.extend(offset.to_le_bytes());
            }
            h.extend(name);
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend(data);
        central.extend(header(0x0201_4b50, true));
    }
    let (central_offset, central_size) = (out.len() as u32, central.len() as u32);
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]); // disks
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((files.len() as u16).to_le_bytes());
    out.extend(central_size.to_le_bytes());
    out.extend(central_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zip_holds_each_file_whole_with_its_checksum() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let zip = stored_zip(&[("a.csv", b"x,y\n1,2\n".to_vec()), ("b.csv", Vec::new())]);
        assert_eq!(&zip[..4], &0x0403_4b50u32.to_le_bytes());
        let end = zip.len() - 22;
        assert_eq!(&zip[end..end + 4], &0x0605_4b50u32.to_le_bytes());
        assert_eq!(u16::from_le_bytes([zip[end + 10], zip[end + 11]]), 2);
        let central = u32::from_le_bytes(zip[end + 16..end + 20].try_into().unwrap()) as usize;
        assert_eq!(&zip[central..central + 4], &0x0201_4b50u32.to_le_bytes());
        assert!(zip.windows(8).any(|w| w == b"x,y\n1,2\n"));
    }
}
