//! The analytics index: an in-memory, column-per-field copy of every feedback record, built from
//! the store at start and appended on every write. Dimensions are dictionary-encoded (code 0 is
//! "none"), scores are one byte each, rows are sorted by time at build and carry per-chunk time
//! ranges, so a query over a month skips the other eleven without looking at them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use dosvid_domain::{
    Channel, CustomerFact, FeedbackFact, FeedbackSource, InteractionFact, Journey, Stage,
    Touchpoint, TransactionFact, TransactionKind,
};

use dosvid_text::Label;

use crate::calendar::Zone;

/// Rows per chunk: the unit of time skipping and of the scan's selection vectors.
pub(crate) const CHUNK: usize = 4096;
pub(crate) const NO_CUSTOMER: u32 = u32::MAX;
/// An NPS column value meaning "not answered" (answers are 0–10).
pub(crate) const NPS_NONE: u8 = 11;
/// The CSAT and CES column value meaning "not answered" (answers start at 1).
pub(crate) const SCORE_NONE: u8 = 0;

pub(crate) const SOURCES: [FeedbackSource; 5] = FeedbackSource::ALL;

/// Sentiment scores are kept as integers: score × this (exact sums; 1e-4 is finer than any
/// difference a reader can see).
pub(crate) const SENTIMENT_SCALE: f64 = 10_000.0;

/// Sentiment labels in the order of their codes (after 0, none).
pub(crate) const SENTIMENTS: [Label; 3] = [Label::Negative, Label::Neutral, Label::Positive];

/// The customer attributes every customer has a column for; custom ones are `attr.NAME`.
pub const STANDARD_ATTRIBUTES: [&str; 3] = ["segment", "region", "plan"];

/// A multiply-rotate hash (as in rustc's FxHash): the index's keys are ids and short strings
/// from our own store, not attacker-chosen, and SipHash would be a third of a build's time.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_i64(&mut self, n: i64) {
        self.add(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Channels, journeys with their stages, and touchpoints: what filters and groups are named by.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub channels: Vec<Channel>,
    pub journeys: Vec<Journey>,
    pub touchpoints: Vec<Touchpoint>,
    /// The theme keys of the organisation's taxonomy, in its order (bit `i` of a row's themes).
    pub themes: Vec<String>,
}

impl Directory {
    pub fn touchpoint(&self, id: i64) -> Option<&Touchpoint> {
        self.touchpoints.iter().find(|t| t.id == id)
    }

    pub fn stage(&self, id: i64) -> Option<&Stage> {
        self.journeys
            .iter()
            .flat_map(|j| &j.stages)
            .find(|s| s.id == id)
    }

    pub fn channel(&self, id: i64) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id)
    }

    /// The bits of a theme and of every theme above it (`time.queue` is under `time`).
    pub(crate) fn theme_bits(&self, key: &str) -> Option<u64> {
        let bit = |k: &str| self.themes.iter().position(|t| t == k).map(|i| 1u64 << i);
        let mut bits = bit(key)?;
        let mut rest = key;
        while let Some((parent, _)) = rest.rsplit_once('.') {
            bits |= bit(parent).unwrap_or(0);
            rest = parent;
        }
        Some(bits)
    }

    /// The department owning a touchpoint: its own owner, else the nearest one above it.
    pub fn owner_department(&self, id: i64) -> Option<&str> {
        let mut at = self.touchpoint(id);
        // A touchpoint tree is shallow; the bound only guards against a cycle.
        for _ in 0..64 {
            let t = at?;
            if let Some(d) = t.owner_department.as_deref() {
                return Some(d);
            }
            at = t.parent_id.and_then(|p| self.touchpoint(p));
        }
        None
    }

    /// The touchpoint and every touchpoint below it.
    pub fn subtree(&self, root: i64) -> Vec<i64> {
        let mut out = vec![root];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i];
            out.extend(
                self.touchpoints
                    .iter()
                    .filter(|t| t.parent_id == Some(parent))
                    .map(|t| t.id),
            );
            i += 1;
        }
        out
    }
}

/// Codes for the distinct values of one dimension, in order of first appearance; code 0 is
/// "none", and values past the 65,535th share it (such a dimension is an identifier, not a slice).
#[derive(Debug, Clone)]
pub(crate) struct Dict<K> {
    keys: Vec<K>,
    codes: FastMap<K, u16>,
}

impl<K: Hash + Eq + Clone> Dict<K> {
    fn new() -> Self {
        Dict {
            keys: Vec::new(),
            codes: FastMap::default(),
        }
    }

    fn code(&mut self, key: &K) -> u16 {
        if let Some(&code) = self.codes.get(key) {
            return code;
        }
        if self.keys.len() >= usize::from(u16::MAX) {
            return 0;
        }
        self.keys.push(key.clone());
        let code = self.keys.len() as u16;
        self.codes.insert(key.clone(), code);
        code
    }

    /// The code of a value, if the value occurs.
    pub(crate) fn code_of(&self, key: &K) -> Option<u16> {
        self.codes.get(key).copied()
    }

    pub(crate) fn key(&self, code: u16) -> Option<&K> {
        code.checked_sub(1).map(|i| &self.keys[usize::from(i)])
    }

    /// The number of codes, "none" included.
    pub(crate) fn cardinality(&self) -> usize {
        self.keys.len() + 1
    }

    /// A mask over codes: which ones pass `keep`.
    pub(crate) fn mask(&self, keep: impl Fn(Option<&K>) -> bool) -> Vec<bool> {
        (0..self.cardinality())
            .map(|code| keep(self.key(code as u16)))
            .collect()
    }
}

/// One customer attribute as a column over customer slots.
#[derive(Debug, Clone)]
pub(crate) struct AttributeColumn {
    pub(crate) dict: Dict<String>,
    pub(crate) values: Vec<u16>,
}

/// Customers by dense slot, with one column per attribute.
#[derive(Debug, Clone)]
pub(crate) struct Customers {
    slots: FastMap<i64, u32>,
    len: usize,
    pub(crate) columns: BTreeMap<String, AttributeColumn>,
}

impl Customers {
    fn new() -> Self {
        let columns = STANDARD_ATTRIBUTES
            .iter()
            .map(|name| {
                let column = AttributeColumn {
                    dict: Dict::new(),
                    values: Vec::new(),
                };
                (name.to_string(), column)
            })
            .collect();
        Customers {
            slots: FastMap::default(),
            len: 0,
            columns,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn slot(&mut self, id: i64) -> u32 {
        if let Some(&slot) = self.slots.get(&id) {
            return slot;
        }
        let slot = self.len as u32;
        self.slots.insert(id, slot);
        self.len += 1;
        for column in self.columns.values_mut() {
            column.values.push(0);
        }
        slot
    }

    fn upsert(&mut self, fact: &CustomerFact) {
        let slot = self.slot(fact.id) as usize;
        for key in fact.attributes.keys() {
            let len = self.len;
            self.columns
                .entry(format!("attr.{key}"))
                .or_insert_with(|| AttributeColumn {
                    dict: Dict::new(),
                    values: vec![0; len],
                });
        }
        for (name, column) in &mut self.columns {
            let value = match name.as_str() {
                "segment" => fact.segment.clone(),
                "region" => fact.region.clone(),
                "plan" => fact.plan.clone(),
                _ => name
                    .strip_prefix("attr.")
                    .and_then(|key| fact.attributes.get(key))
                    .and_then(|value| match value {
                        serde_json::Value::String(s) => Some(s.clone()),
                        serde_json::Value::Null => None,
                        other => Some(other.to_string()),
                    }),
            };
            column.values[slot] = value.map_or(0, |v| column.dict.code(&v));
        }
    }

    /// Each slot's customer id (none for a customer erased since).
    pub(crate) fn ids_by_slot(&self) -> Vec<Option<i64>> {
        let mut ids = vec![None; self.len];
        for (&id, &slot) in &self.slots {
            ids[slot as usize] = Some(id);
        }
        ids
    }

    pub(crate) fn slot_of(&self, id: i64) -> Option<u32> {
        self.slots.get(&id).copied()
    }

    fn remove(&mut self, id: i64) -> Option<u32> {
        let slot = self.slots.remove(&id)?;
        for column in self.columns.values_mut() {
            column.values[slot as usize] = 0;
        }
        Some(slot)
    }
}

/// Where and when a record happened, as the index codes it.
#[derive(Debug, Clone, Copy)]
struct Located {
    second: i64,
    day: i32,
    customer: u32,
    touchpoint: u16,
    channel: u16,
}

/// The feedback records, one vector per field, row `i` of each being record `i`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Columns {
    /// The record's id in the store, to fetch what the index does not keep (the comment).
    pub(crate) id: Vec<i64>,
    pub(crate) second: Vec<i64>,
    /// The local day (in the organisation's zone) of `second`.
    pub(crate) day: Vec<i32>,
    pub(crate) customer: Vec<u32>,
    pub(crate) touchpoint: Vec<u16>,
    pub(crate) channel: Vec<u16>,
    pub(crate) source: Vec<u8>,
    pub(crate) language: Vec<u16>,
    pub(crate) nps: Vec<u8>,
    pub(crate) csat: Vec<u8>,
    pub(crate) ces: Vec<u8>,
    pub(crate) comment: Vec<bool>,
    /// The comment's sentiment label: 0 none (no comment, or garbage), then [`SENTIMENTS`].
    pub(crate) sentiment: Vec<u8>,
    /// The comment's sentiment score × [`SENTIMENT_SCALE`] (0 when there is none).
    pub(crate) sentiment_score: Vec<i16>,
    /// The themes the comment mentions and their parents, bit `i` for `Directory::themes[i]`.
    pub(crate) themes: Vec<u64>,
    /// The emotions the comment shows, as bits (see [`dosvid_text::EMOTIONS`]).
    pub(crate) emotions: Vec<u8>,
    /// Who served the customer: codes of [`Index::agents`] and [`Index::teams`] (0 none).
    pub(crate) agent: Vec<u16>,
    pub(crate) team: Vec<u16>,
    /// The first and last second of each chunk of rows.
    pub(crate) zones: Vec<(i64, i64)>,
}

impl Columns {
    pub(crate) fn len(&self) -> usize {
        self.second.len()
    }

    /// The first and last second of the rows, from the chunks' ranges.
    pub(crate) fn span(&self) -> Option<(i64, i64)> {
        self.zones
            .iter()
            .copied()
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
    }

    fn push(&mut self, at: Located) {
        self.second.push(at.second);
        self.day.push(at.day);
        self.customer.push(at.customer);
        self.touchpoint.push(at.touchpoint);
        self.channel.push(at.channel);
    }

    /// The rows `keep` marks, in their order.
    fn select(&self, keep: &[bool]) -> Columns {
        fn pick<T: Copy>(column: &[T], keep: &[bool]) -> Vec<T> {
            column
                .iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(v, _)| *v)
                .collect()
        }
        let mut out = Columns {
            id: pick(&self.id, keep),
            second: pick(&self.second, keep),
            day: pick(&self.day, keep),
            customer: pick(&self.customer, keep),
            touchpoint: pick(&self.touchpoint, keep),
            channel: pick(&self.channel, keep),
            source: pick(&self.source, keep),
            language: pick(&self.language, keep),
            nps: pick(&self.nps, keep),
            csat: pick(&self.csat, keep),
            ces: pick(&self.ces, keep),
            comment: pick(&self.comment, keep),
            sentiment: pick(&self.sentiment, keep),
            sentiment_score: pick(&self.sentiment_score, keep),
            themes: pick(&self.themes, keep),
            emotions: pick(&self.emotions, keep),
            agent: pick(&self.agent, keep),
            team: pick(&self.team, keep),
            zones: Vec::new(),
        };
        out.rebuild_zones();
        out
    }

    fn permute(&mut self, order: &[u32]) {
        fn apply<T: Copy>(column: &mut Vec<T>, order: &[u32]) {
            *column = order.iter().map(|&i| column[i as usize]).collect();
        }
        apply(&mut self.id, order);
        apply(&mut self.second, order);
        apply(&mut self.day, order);
        apply(&mut self.customer, order);
        apply(&mut self.touchpoint, order);
        apply(&mut self.channel, order);
        apply(&mut self.source, order);
        apply(&mut self.language, order);
        apply(&mut self.nps, order);
        apply(&mut self.csat, order);
        apply(&mut self.ces, order);
        apply(&mut self.comment, order);
        apply(&mut self.sentiment, order);
        apply(&mut self.sentiment_score, order);
        apply(&mut self.themes, order);
        apply(&mut self.emotions, order);
        apply(&mut self.agent, order);
        apply(&mut self.team, order);
    }

    /// Sorts the rows by time, so that time filters skip whole chunks.
    fn sort_by_time(&mut self) {
        let seconds = &self.second;
        if !seconds.is_sorted() {
            let n = seconds.len();
            // Pack (second, row) into one u64 so that the sort moves plain integers: seconds
            // fit in 34 bits until the year 2514, rows in 30.
            let order: Vec<u32> =
                if n < 1 << 30 && seconds.iter().all(|&s| (0..1 << 34).contains(&s)) {
                    let mut keys: Vec<u64> = seconds
                        .iter()
                        .enumerate()
                        .map(|(i, &s)| (s as u64) << 30 | i as u64)
                        .collect();
                    keys.sort_unstable();
                    keys.into_iter()
                        .map(|k| (k & ((1 << 30) - 1)) as u32)
                        .collect()
                } else {
                    let mut order: Vec<u32> = (0..n as u32).collect();
                    order.sort_by_key(|&i| seconds[i as usize]);
                    order
                };
            self.permute(&order);
        }
        self.rebuild_zones();
        self.shrink();
    }

    fn shrink(&mut self) {
        self.second.shrink_to_fit();
        self.day.shrink_to_fit();
        self.customer.shrink_to_fit();
        self.touchpoint.shrink_to_fit();
        self.channel.shrink_to_fit();
        self.source.shrink_to_fit();
        self.language.shrink_to_fit();
        self.nps.shrink_to_fit();
        self.csat.shrink_to_fit();
        self.ces.shrink_to_fit();
        self.comment.shrink_to_fit();
        self.sentiment.shrink_to_fit();
        self.sentiment_score.shrink_to_fit();
        self.themes.shrink_to_fit();
        self.emotions.shrink_to_fit();
        self.agent.shrink_to_fit();
        self.team.shrink_to_fit();
    }

    fn heap_bytes(&self) -> usize {
        self.second.capacity() * 8
            + self.day.capacity() * 4
            + self.customer.capacity() * 4
            + (self.touchpoint.capacity() + self.channel.capacity() + self.language.capacity()) * 2
            + self.source.capacity()
            + self.nps.capacity()
            + self.csat.capacity()
            + self.ces.capacity()
            + self.comment.capacity()
            + self.sentiment.capacity()
            + self.sentiment_score.capacity() * 2
            + self.themes.capacity() * 8
            + self.emotions.capacity()
            + (self.agent.capacity() + self.team.capacity()) * 2
    }

    fn rebuild_zones(&mut self) {
        self.zones = self
            .second
            .chunks(CHUNK)
            .map(|chunk| {
                let min = chunk.iter().copied().min().unwrap_or(i64::MAX);
                let max = chunk.iter().copied().max().unwrap_or(i64::MIN);
                (min, max)
            })
            .collect();
    }

    fn extend_zones(&mut self, from_row: usize) {
        for row in from_row..self.len() {
            let chunk = row / CHUNK;
            if chunk == self.zones.len() {
                self.zones.push((i64::MAX, i64::MIN));
            }
            let zone = &mut self.zones[chunk];
            zone.0 = zone.0.min(self.second[row]);
            zone.1 = zone.1.max(self.second[row]);
        }
    }
}

/// The index of one organisation.
#[derive(Debug, Clone)]
pub struct Index {
    pub(crate) zone: Zone,
    pub(crate) directory: Directory,
    /// Each theme key's bits with its parents', from the directory.
    theme_bits: FastMap<String, u64>,
    pub(crate) rows: Columns,
    /// Interactions in the same columns: no scores, source, language or comment.
    pub(crate) interactions: Columns,
    pub(crate) customers: Customers,
    pub(crate) touchpoints: Dict<i64>,
    pub(crate) channels: Dict<i64>,
    pub(crate) languages: Dict<String>,
    pub(crate) agents: Dict<String>,
    pub(crate) teams: Dict<String>,
    /// The range of `rows.day`, for the time bucket tables.
    pub(crate) days: Option<(i32, i32)>,
    feedback_seen: Seen,
    interactions_seen: Seen,
    pub(crate) transactions: Vec<TransactionRow>,
    pub(crate) currencies: Dict<String>,
    transactions_seen: Seen,
    building: bool,
    /// Whether each feedback record's customer was active afterwards (see `cx.rs`), computed
    /// on the first question that needs it after a change.
    pub(crate) retained: std::sync::OnceLock<std::sync::Arc<Vec<u8>>>,
    /// Answers kept until the index changes (see [`Index::remember`]).
    memo: Memo,
    /// A part of an organisation's index (`Index::restricted`): its customers are those a
    /// principal may see.
    part: bool,
}

/// Answers kept by name until the index changes; a copy of the index starts without them.
#[derive(Default)]
struct Memo(std::sync::Mutex<HashMap<String, std::sync::Arc<dyn std::any::Any + Send + Sync>>>);

impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo::default()
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl Memo {
    fn forget(&mut self) {
        self.0.get_mut().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

fn theme_bits(directory: &Directory) -> FastMap<String, u64> {
    directory
        .themes
        .iter()
        .filter_map(|key| Some((key.clone(), directory.theme_bits(key)?)))
        .collect()
}

/// Which records of a kind are in the index: during the build, all up to the highest id read;
/// after it, also those appended since — so that a record reported twice (a duplicate in a
/// later batch) counts once.
#[derive(Debug, Clone)]
struct Seen {
    built_through: i64,
    appended: HashSet<i64>,
}

impl Seen {
    fn new() -> Self {
        Seen {
            built_through: i64::MIN,
            appended: HashSet::new(),
        }
    }

    /// Whether a record is new to the index (and from now on, known).
    fn admit(&mut self, id: i64, building: bool) -> bool {
        if building {
            self.built_through = self.built_through.max(id);
            true
        } else {
            id > self.built_through && self.appended.insert(id)
        }
    }
}

/// A transaction: whose, when (Unix second), how much of which currency, what kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TransactionRow {
    pub(crate) customer: u32,
    pub(crate) second: i64,
    pub(crate) amount_minor: i64,
    pub(crate) currency: u16,
    pub(crate) kind: TransactionKind,
}

impl Index {
    pub fn new(zone: Zone, directory: Directory) -> Self {
        Index {
            zone,
            theme_bits: theme_bits(&directory),
            directory,
            rows: Columns::default(),
            interactions: Columns::default(),
            customers: Customers::new(),
            touchpoints: Dict::new(),
            channels: Dict::new(),
            languages: Dict::new(),
            agents: Dict::new(),
            teams: Dict::new(),
            days: None,
            feedback_seen: Seen::new(),
            interactions_seen: Seen::new(),
            transactions: Vec::new(),
            currencies: Dict::new(),
            transactions_seen: Seen::new(),
            building: true,
            retained: std::sync::OnceLock::new(),
            memo: Memo::default(),
            part: false,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// `work` run on each of a few ranges of customer slots, in parallel: for passes over all
    /// events that keep per-customer state, so that the state each thread touches at random
    /// stays in its share of the cache. The results are in slot order.
    pub(crate) fn by_customer_range<T: Send>(
        &self,
        work: impl Fn(std::ops::Range<usize>) -> T + Sync,
    ) -> Vec<T> {
        let slots = self.customers.len();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get().min(8))
            .min(slots.div_ceil(65_536).max(1));
        if threads == 1 {
            return vec![work(0..slots)];
        }
        let share = slots.div_ceil(threads);
        std::thread::scope(|scope| {
            let work = &work;
            let handles: Vec<_> = (0..threads)
                .map(|t| scope.spawn(move || work(t * share..((t + 1) * share).min(slots))))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a thread of a customer pass panicked"))
                .collect()
        })
    }

    /// The answer `compute` gives, kept under `key` until the index changes: for the heavy
    /// questions a page asks on every visit (the insights page's models). Two threads asking at
    /// once may both compute it; the answer is the same.
    pub fn remember<T: Send + Sync + 'static>(
        &self,
        key: &str,
        compute: impl FnOnce(&Index) -> T,
    ) -> std::sync::Arc<T> {
        let lock = || self.memo.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(kept) = lock().get(key).cloned()
            && let Ok(kept) = kept.downcast::<T>()
        {
            return kept;
        }
        let answer = std::sync::Arc::new(compute(self));
        lock().insert(key.to_owned(), answer.clone());
        answer
    }

    /// Interactions held.
    pub fn interactions(&self) -> usize {
        self.interactions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.len() == 0
    }

    /// The values a customer attribute takes (`region`, `segment`, `attr.NAME`…), sorted.
    /// The values customers have of an attribute (of the customers this index holds: a
    /// restricted index names only its customers' values).
    pub fn attribute_values(&self, name: &str) -> Vec<String> {
        let Some(column) = self.customers.columns.get(name) else {
            return Vec::new();
        };
        let mut used = vec![false; column.dict.cardinality()];
        for &code in &column.values {
            used[usize::from(code)] = true;
        }
        let mut values: Vec<String> = (1..used.len())
            .filter(|&code| used[code])
            .filter_map(|code| column.dict.key(code as u16).cloned())
            .collect();
        values.sort();
        values
    }

    /// The currency most transactions are in.
    pub fn main_currency_name(&self) -> Option<String> {
        self.main_currency()
            .and_then(|c| self.currencies.key(c).cloned())
    }

    /// The time of the latest feedback record, interaction or transaction held.
    pub fn latest(&self) -> Option<i64> {
        let spans = [self.rows.span(), self.interactions.span()];
        spans
            .into_iter()
            .flatten()
            .map(|s| s.1)
            .chain(self.transactions.iter().map(|t| t.second))
            .max()
    }

    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Replaces the channels, journeys and touchpoints after any of them changed.
    pub fn set_directory(&mut self, directory: Directory) {
        self.memo.forget();
        self.theme_bits = theme_bits(&directory);
        self.directory = directory;
    }

    /// Counts days in another time zone from now on; every row's day is recomputed.
    pub fn set_zone(&mut self, zone: Zone) {
        self.memo.forget();
        for columns in [&mut self.rows, &mut self.interactions] {
            columns.day = columns.second.iter().map(|&s| zone.day(s)).collect();
        }
        let days = || self.rows.day.iter().chain(&self.interactions.day).copied();
        self.days = days().min().zip(days().max());
        self.zone = zone;
    }

    /// Whether a customer id is known to the index.
    pub fn has_customer(&self, id: i64) -> bool {
        self.customers.slots.contains_key(&id)
    }

    /// Whether a record of this customer (or of none) is within the index: every record for an
    /// organisation's index, those of its customers for a part of one (`Index::restricted`) —
    /// for the records answers read from the store beside the index (cases).
    pub fn covers(&self, customer: Option<i64>) -> bool {
        !self.part || customer.is_some_and(|id| self.has_customer(id))
    }

    pub fn upsert_customers(&mut self, facts: &[CustomerFact]) {
        self.memo.forget();
        for fact in facts {
            self.customers.upsert(fact);
        }
    }

    /// Forgets a customer who was erased: their records stay, without the link to them.
    pub fn remove_customer(&mut self, id: i64) {
        self.memo.forget();
        self.retained.take();
        if let Some(slot) = self.customers.remove(id) {
            let transactions = self.transactions.iter_mut().map(|t| &mut t.customer);
            let rows = self.rows.customer.iter_mut();
            for customer in rows
                .chain(&mut self.interactions.customer)
                .chain(transactions)
            {
                if *customer == slot {
                    *customer = NO_CUSTOMER;
                }
            }
        }
    }

    /// A copy holding only the feedback rows, interactions and customers (by slot) marked, with
    /// the transactions of those customers; dictionaries, slots and the directory stay the same,
    /// so that a filter or group means the same in the copy.
    pub(crate) fn subset(&self, rows: &[bool], interactions: &[bool], customers: &[bool]) -> Index {
        let mut kept = self.customers.clone();
        for (&id, &slot) in &self.customers.slots {
            if !customers.get(slot as usize).copied().unwrap_or(false) {
                kept.remove(id);
            }
        }
        let rows = self.rows.select(rows);
        let interactions = self.interactions.select(interactions);
        let day_range = |c: &Columns| c.day.iter().copied().min().zip(c.day.iter().copied().max());
        let days = match (day_range(&rows), day_range(&interactions)) {
            (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        };
        Index {
            zone: self.zone.clone(),
            directory: self.directory.clone(),
            theme_bits: self.theme_bits.clone(),
            rows,
            interactions,
            customers: kept,
            touchpoints: self.touchpoints.clone(),
            channels: self.channels.clone(),
            languages: self.languages.clone(),
            agents: self.agents.clone(),
            teams: self.teams.clone(),
            days,
            feedback_seen: Seen::new(),
            interactions_seen: Seen::new(),
            transactions: self
                .transactions
                .iter()
                .filter(|t| customers.get(t.customer as usize).copied().unwrap_or(false))
                .copied()
                .collect(),
            currencies: self.currencies.clone(),
            transactions_seen: Seen::new(),
            building: false,
            retained: std::sync::OnceLock::new(),
            memo: Memo::default(),
            part: true,
        }
    }

    /// Appends records (a page of the build, or new writes); their customers should have been
    /// upserted first, or they are known only by id. Records already in the index are skipped.
    pub fn append_feedback(&mut self, facts: &[FeedbackFact]) {
        self.memo.forget();
        self.retained.take();
        let first = self.rows.len();
        for fact in facts {
            if !self.feedback_seen.admit(fact.id, self.building) {
                continue;
            }
            let at = self.locate(
                fact.occurred_at,
                fact.customer_id,
                fact.touchpoint_id,
                fact.channel_id,
            );
            let language = fact.language.as_ref().map_or(0, |l| self.languages.code(l));
            let source = SOURCES.iter().position(|&s| s == fact.source);
            let rows = &mut self.rows;
            rows.push(at);
            rows.id.push(fact.id);
            rows.source
                .push(source.expect("every source is in SOURCES") as u8);
            rows.language.push(language);
            rows.nps
                .push(fact.nps.filter(|&s| s <= 10).unwrap_or(NPS_NONE));
            rows.csat.push(fact.csat.unwrap_or(SCORE_NONE));
            rows.ces.push(fact.ces.unwrap_or(SCORE_NONE));
            rows.comment.push(fact.has_comment);
            rows.sentiment.push(fact.sentiment.map_or(0, |score| {
                let label = Label::of(score);
                1 + SENTIMENTS.iter().position(|&l| l == label).unwrap_or(0) as u8
            }));
            rows.sentiment_score.push(fact.sentiment.map_or(0, |score| {
                (score.clamp(-1.0, 1.0) * SENTIMENT_SCALE).round() as i16
            }));
            let themes = fact.themes.as_deref().unwrap_or("");
            let masks = &self.theme_bits;
            rows.themes.push(
                themes
                    .split_whitespace()
                    .filter_map(|key| masks.get(key))
                    .fold(0, |bits, b| bits | b),
            );
            rows.emotions.push(fact.emotions);
            let agent = fact.agent.as_ref().map_or(0, |a| self.agents.code(a));
            let team = fact.team.as_ref().map_or(0, |t| self.teams.code(t));
            self.rows.agent.push(agent);
            self.rows.team.push(team);
        }
        self.rows.extend_zones(first);
    }

    /// Appends interactions, like [`Index::append_feedback`].
    pub fn append_interactions(&mut self, facts: &[InteractionFact]) {
        self.memo.forget();
        let first = self.interactions.len();
        for fact in facts {
            if !self.interactions_seen.admit(fact.id, self.building) {
                continue;
            }
            let at = self.locate(
                fact.occurred_at,
                fact.customer_id,
                fact.touchpoint_id,
                Some(fact.channel_id),
            );
            let rows = &mut self.interactions;
            rows.push(at);
            rows.id.push(fact.id);
            rows.source.push(0);
            rows.language.push(0);
            rows.nps.push(NPS_NONE);
            rows.csat.push(SCORE_NONE);
            rows.ces.push(SCORE_NONE);
            rows.comment.push(false);
            rows.sentiment.push(0);
            rows.sentiment_score.push(0);
            rows.themes.push(0);
            rows.emotions.push(0);
            rows.agent.push(0);
            rows.team.push(0);
        }
        self.interactions.extend_zones(first);
    }

    /// The where and when of a record as codes of this index.
    fn locate(
        &mut self,
        occurred_at: i64,
        customer: Option<i64>,
        touchpoint: Option<i64>,
        channel: Option<i64>,
    ) -> Located {
        let second = occurred_at.div_euclid(1_000_000);
        let day = self.zone.day(second);
        self.days = Some(match self.days {
            None => (day, day),
            Some((lo, hi)) => (lo.min(day), hi.max(day)),
        });
        Located {
            second,
            day,
            customer: customer.map_or(NO_CUSTOMER, |id| self.customers.slot(id)),
            touchpoint: touchpoint.map_or(0, |id| self.touchpoints.code(&id)),
            channel: channel.map_or(0, |id| self.channels.code(&id)),
        }
    }

    /// Appends transactions (a page of the build, or new writes); known ones are skipped.
    pub fn append_transactions(&mut self, facts: &[TransactionFact]) {
        self.memo.forget();
        self.retained.take();
        for fact in facts {
            if !self.transactions_seen.admit(fact.id, self.building) {
                continue;
            }
            let customer = fact
                .customer_id
                .map_or(NO_CUSTOMER, |id| self.customers.slot(id));
            self.transactions.push(TransactionRow {
                customer,
                second: fact.occurred_at.div_euclid(1_000_000),
                amount_minor: fact.amount_minor,
                currency: self.currencies.code(&fact.currency),
                kind: fact.kind,
            });
        }
    }

    /// Ends the build from the store: sorts the rows by time, so that time filters skip whole
    /// chunks, and releases spare capacity. Rows appended later go to the end.
    pub fn finish_build(&mut self) {
        self.memo.forget();
        self.retained.take();
        self.building = false;
        self.rows.sort_by_time();
        self.interactions.sort_by_time();
    }

    /// Bytes held by the index's columns, for the operator's figures.
    pub fn heap_bytes(&self) -> usize {
        self.rows.heap_bytes()
            + self.interactions.heap_bytes()
            + self.transactions.capacity() * std::mem::size_of::<TransactionRow>()
            + self
                .customers
                .columns
                .values()
                .map(|c| c.values.capacity() * 2)
                .sum::<usize>()
    }
}
