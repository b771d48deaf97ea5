//! The analytics indexes the server answers questions from: one per organisation, built from the
//! store at start (or on the organisation's first question) and kept current by the write
//! handlers, which append what they stored before answering — a write is visible to the next
//! query.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use dosvid_analytics::{Directory, Index, Zone};
use dosvid_domain::{FactScan, OrgId, RecordKind};
use dosvid_store::{Filter, Store, all_pages};
use dosvid_text::{Taxonomy, Themes};

/// Facts read per statement while building.
const PAGE: usize = 50_000;

/// An organisation's index, and whether its copy of the journeys and channels is stale.
struct Entry {
    index: Arc<RwLock<Index>>,
    directory_stale: bool,
}

#[derive(Default)]
pub struct Analytics {
    orgs: Mutex<HashMap<OrgId, Entry>>,
    /// Each organisation's taxonomy as last read, compiled (with its sentiment model when
    /// that is in use).
    themes: Mutex<HashMap<OrgId, (Taxonomy, Arc<Themes>)>>,
    /// Each organisation's sentiment model, as last fitted (`crate::reading`).
    models: Mutex<HashMap<OrgId, SentimentModel>>,
}

type SentimentModel = (
    crate::reading::ModelCard,
    Option<Arc<dosvid_text::learn::Reader>>,
);

/// What a build did, for the operator.
#[derive(Debug, Clone, Copy)]
pub struct BuildReport {
    pub records: usize,
    pub customers: usize,
    pub elapsed: Duration,
    pub bytes: usize,
}

/// One built index's size.
pub struct IndexSize {
    pub records: usize,
    pub interactions: usize,
    pub bytes: usize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn read_index(index: &RwLock<Index>) -> std::sync::RwLockReadGuard<'_, Index> {
    index
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write(index: &RwLock<Index>) -> std::sync::RwLockWriteGuard<'_, Index> {
    index
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn directory(store: &dyn Store, org: OrgId) -> dosvid_store::Result<Directory> {
    Ok(Directory {
        channels: all_pages(|p| store.list_channels(org, p))?,
        journeys: all_pages(|p| store.list_journeys(org, p))?,
        touchpoints: all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))?,
        themes: store
            .taxonomy(org)?
            .themes
            .into_iter()
            .map(|t| t.key)
            .collect(),
    })
}

fn zone(name: &str) -> Zone {
    Zone::new(name).unwrap_or_else(|_| {
        tracing::warn!("unknown time zone {name:?}; counting days in UTC");
        Zone::utc()
    })
}

/// Reads all of an organisation's facts of one kind, on every core: the id range is cut into
/// one part per reader, each reads its part a page at a time, and `consume` takes the pages on
/// the calling thread as they come (in no particular order).
fn read_all<T: Send>(
    store: &dyn Store,
    org: OrgId,
    kind: RecordKind,
    read: impl Fn(FactScan) -> dosvid_store::Result<Vec<T>> + Sync,
    id: fn(&T) -> i64,
    mut consume: impl FnMut(Vec<T>),
) -> dosvid_store::Result<()> {
    let Some(last) = store.last_id(org, kind)? else {
        return Ok(());
    };
    let readers = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4)) as i64;
    let part = last / readers + 1;
    std::thread::scope(|s| {
        let (pages, arrivals) = std::sync::mpsc::sync_channel(readers as usize * 2);
        let read = &read;
        for r in 0..readers {
            let pages = pages.clone();
            s.spawn(move || {
                let (mut after, through) = (r * part, ((r + 1) * part).min(last));
                while after < through {
                    let page = read(FactScan::Page {
                        after,
                        through,
                        limit: PAGE,
                    });
                    let next = match &page {
                        Ok(facts) if facts.len() == PAGE => facts.last().map_or(through, id),
                        _ => through,
                    };
                    let stop = page.is_err();
                    if pages.send(page).is_err() || stop {
                        return;
                    }
                    after = next;
                }
            });
        }
        drop(pages);
        for page in arrivals {
            consume(page?);
        }
        Ok(())
    })
}

/// Reads an organisation's facts from the store into a new index. Comments stored before
/// themes existed are tagged first (found while reading, then the build starts again).
pub fn build(store: &dyn Store, org: OrgId) -> dosvid_store::Result<(Index, BuildReport)> {
    let (index, report, untagged) = build_once(store, org)?;
    if untagged == 0 {
        return Ok((index, report));
    }
    drop(index);
    let tagged = store.tag_untagged(org, &store.themes(org)?)?;
    tracing::info!("tagged {tagged} comments of organisation {org} stored before themes existed");
    let (index, report, _) = build_once(store, org)?;
    Ok((index, report))
}

fn build_once(store: &dyn Store, org: OrgId) -> dosvid_store::Result<(Index, BuildReport, usize)> {
    let started = Instant::now();
    let organisation = store.organisation(org)?;
    let mut index = Index::new(zone(&organisation.time_zone), directory(store, org)?);
    let (mut customers, mut untagged) = (0, 0);
    let read_customers = |scan: FactScan<'_>| store.customer_facts(org, scan);
    read_all(
        store,
        org,
        RecordKind::Customers,
        read_customers,
        |c| c.id,
        |page| {
            customers += page.len();
            index.upsert_customers(&page);
        },
    )?;
    let read_feedback = |scan: FactScan<'_>| store.feedback_facts(org, scan);
    read_all(
        store,
        org,
        RecordKind::Feedback,
        read_feedback,
        |f| f.id,
        |page| {
            untagged += page
                .iter()
                .filter(|f| f.has_comment && f.sentiment.is_some() && f.themes.is_none())
                .count();
            index.append_feedback(&page)
        },
    )?;
    let read_interactions = |scan: FactScan<'_>| store.interaction_facts(org, scan);
    read_all(
        store,
        org,
        RecordKind::Interactions,
        read_interactions,
        |i| i.id,
        |page| index.append_interactions(&page),
    )?;
    let read_transactions = |scan: FactScan<'_>| store.transaction_facts(org, scan);
    read_all(
        store,
        org,
        RecordKind::Transactions,
        read_transactions,
        |t| t.id,
        |page| index.append_transactions(&page),
    )?;
    index.finish_build();
    crate::telemetry::index_built(started.elapsed());
    let report = BuildReport {
        records: index.len(),
        customers,
        elapsed: started.elapsed(),
        bytes: index.heap_bytes(),
    };
    Ok((index, report, untagged))
}

impl Analytics {
    /// The organisation's compiled taxonomy, read from the store on every call (one row) so
    /// that several servers sharing a database agree; compiled again only when it changed.
    pub fn themes(&self, store: &dyn Store, org: OrgId) -> dosvid_store::Result<Arc<Themes>> {
        let taxonomy = store.taxonomy(org)?;
        if let Some((known, themes)) = lock(&self.themes).get(&org)
            && *known == taxonomy
        {
            return Ok(themes.clone());
        }
        let mut themes = dosvid_store::compile_stored(&taxonomy)?;
        if let Some((_, Some(reader))) = lock(&self.models).get(&org) {
            themes.set_reader(reader.clone());
        }
        let themes = Arc::new(themes);
        lock(&self.themes).insert(org, (taxonomy, themes.clone()));
        Ok(themes)
    }

    /// The organisation's sentiment model was fitted again: comments are read with it from
    /// now on when it is in use, with the lexicon when not.
    pub fn model_fitted(
        &self,
        org: OrgId,
        card: crate::reading::ModelCard,
        reader: Option<Arc<dosvid_text::learn::Reader>>,
    ) {
        lock(&self.models).insert(org, (card, reader));
        lock(&self.themes).remove(&org);
    }

    /// The card of the organisation's sentiment model, if one was fitted.
    pub fn model_card(&self, org: OrgId) -> Option<crate::reading::ModelCard> {
        lock(&self.models).get(&org).map(|(card, _)| card.clone())
    }

    /// The taxonomy changed and every comment was tagged again: the index is built afresh on
    /// the next question.
    pub fn taxonomy_changed(&self, org: OrgId) {
        self.records_rewritten(org);
        lock(&self.themes).remove(&org);
    }

    /// Stored records changed in ways an append cannot follow (a customer erased, two profiles
    /// merged): the index is built afresh on the next question.
    pub fn records_rewritten(&self, org: OrgId) {
        lock(&self.orgs).remove(&org);
    }

    /// Builds (again) the index of an organisation.
    pub fn load(&self, store: &dyn Store, org: OrgId) -> dosvid_store::Result<BuildReport> {
        let (index, report) = build(store, org)?;
        let entry = Entry {
            index: Arc::new(RwLock::new(index)),
            directory_stale: false,
        };
        lock(&self.orgs).insert(org, entry);
        Ok(report)
    }

    /// The organisation's index, built on first use, with its directory brought up to date.
    pub fn index(&self, store: &dyn Store, org: OrgId) -> dosvid_store::Result<Arc<RwLock<Index>>> {
        let mut orgs = lock(&self.orgs);
        let entry = match orgs.entry(org) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(Entry {
                index: Arc::new(RwLock::new(build(store, org)?.0)),
                directory_stale: false,
            }),
        };
        if entry.directory_stale {
            write(&entry.index).set_directory(directory(store, org)?);
            entry.directory_stale = false;
        }
        Ok(entry.index.clone())
    }

    /// The size of every index built, for the operator's metrics.
    pub fn sizes(&self) -> Vec<IndexSize> {
        let indexes: Vec<_> = lock(&self.orgs).values().map(|e| e.index.clone()).collect();
        indexes
            .iter()
            .map(|index| {
                let index = read_index(index);
                IndexSize {
                    records: index.len(),
                    interactions: index.interactions(),
                    bytes: index.heap_bytes(),
                }
            })
            .collect()
    }

    fn loaded(&self, org: OrgId) -> Option<Arc<RwLock<Index>>> {
        lock(&self.orgs).get(&org).map(|e| e.index.clone())
    }

    /// Channels, journeys, stages or touchpoints changed: re-read them before the next question.
    pub fn directory_changed(&self, org: OrgId) {
        if let Some(entry) = lock(&self.orgs).get_mut(&org) {
            entry.directory_stale = true;
        }
    }

    pub fn zone_changed(&self, org: OrgId, time_zone: &str) {
        if let Some(index) = self.loaded(org) {
            write(&index).set_zone(zone(time_zone));
        }
    }

    /// Customers were created or changed.
    pub fn customers_written(&self, store: &dyn Store, org: OrgId, ids: &[i64]) {
        if let Some(index) = self.loaded(org) {
            let facts = store.customer_facts(org, FactScan::Ids(ids));
            self.apply(
                org,
                facts.map(|facts| write(&index).upsert_customers(&facts)),
            );
        }
    }

    pub fn customer_removed(&self, org: OrgId, id: i64) {
        if let Some(index) = self.loaded(org) {
            write(&index).remove_customer(id);
        }
    }

    /// Feedback records were stored (or reported as already stored: those are skipped).
    pub fn feedback_written(&self, store: &dyn Store, org: OrgId, ids: &[i64]) {
        self.signals_written(store, org, |store| {
            let facts = store.feedback_facts(org, FactScan::Ids(ids))?;
            let customers = facts.iter().filter_map(|f| f.customer_id).collect();
            Ok((customers, move |index: &mut Index| {
                index.append_feedback(&facts)
            }))
        });
    }

    /// Interactions were stored (or reported as already stored: those are skipped).
    pub fn interactions_written(&self, store: &dyn Store, org: OrgId, ids: &[i64]) {
        self.signals_written(store, org, |store| {
            let facts = store.interaction_facts(org, FactScan::Ids(ids))?;
            let customers = facts.iter().filter_map(|i| i.customer_id).collect();
            Ok((customers, move |index: &mut Index| {
                index.append_interactions(&facts)
            }))
        });
    }

    /// Transactions were stored (or reported as already stored: those are skipped).
    pub fn transactions_written(&self, store: &dyn Store, org: OrgId, ids: &[i64]) {
        self.signals_written(store, org, |store| {
            let facts = store.transaction_facts(org, FactScan::Ids(ids))?;
            let customers = facts.iter().filter_map(|t| t.customer_id).collect();
            Ok((customers, move |index: &mut Index| {
                index.append_transactions(&facts)
            }))
        });
    }

    /// Appends signals read by `read`, after the customers they name that the index does not
    /// know yet (created by the same batch).
    fn signals_written<F: FnOnce(&mut Index)>(
        &self,
        store: &dyn Store,
        org: OrgId,
        read: impl FnOnce(&dyn Store) -> dosvid_store::Result<(Vec<i64>, F)>,
    ) {
        let Some(index) = self.loaded(org) else {
            return;
        };
        let append = || -> dosvid_store::Result<()> {
            let (mut customers, append) = read(store)?;
            customers.retain(|&id| !read_index(&index).has_customer(id));
            customers.sort_unstable();
            customers.dedup();
            let customers = store.customer_facts(org, FactScan::Ids(&customers))?;
            let mut index = write(&index);
            index.upsert_customers(&customers);
            append(&mut index);
            Ok(())
        };
        self.apply(org, append());
    }

    /// The write is stored whatever happens here: if the index could not follow it, the index
    /// is dropped and built again from the store on the next question.
    fn apply(&self, org: OrgId, outcome: dosvid_store::Result<()>) {
        if let Err(e) = outcome {
            tracing::error!(
                "analytics index of organisation {org} dropped after a failed update: {e}"
            );
            lock(&self.orgs).remove(&org);
        }
    }
}
