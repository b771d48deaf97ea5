//! The scan: filter, group and count over the index's columns, a chunk at a time, on every core.
//! Each chunk is first narrowed to a selection of rows (time range, then each filter in turn),
//! then each grouping dimension folds its code into the rows' group keys, then the score
//! histograms of the groups are counted. Every step is a tight loop over one or two columns.

use std::ops::Range;

use crate::index::{CHUNK, Columns, Index, NO_CUSTOMER};

/// Score histograms of one group: `nps[0..=10]` answers, `nps[11]` no answer; `csat[1..=5]`,
/// `ces[1..=7]` answers, index 0 no answer. The arrays are padded to powers of two so that the
/// counting loop indexes with a mask instead of a bounds check, and the counters are 32-bit so
/// that a group's histograms fill two cache lines (a group would need four billion records to
/// overflow one, a hundred gigabytes of index).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Histograms {
    pub(crate) nps: [u32; 16],
    pub(crate) csat: [u32; 8],
    pub(crate) ces: [u32; 8],
}

impl Histograms {
    /// Records in the group, answered or not.
    pub(crate) fn n(&self) -> u64 {
        self.nps.iter().map(|&c| u64::from(c)).sum()
    }

    pub(crate) fn merge(&mut self, other: &Histograms) {
        let pairs = self.nps.iter_mut().zip(&other.nps);
        let pairs = pairs.chain(self.csat.iter_mut().zip(&other.csat));
        for (a, b) in pairs.chain(self.ces.iter_mut().zip(&other.ces)) {
            *a += b;
        }
    }
}

/// A row filter, with its accepted codes as a mask over the dimension's codes.
#[derive(Debug, Clone)]
pub(crate) enum Filter {
    Touchpoint(Vec<bool>),
    Channel(Vec<bool>),
    Source([bool; 5]),
    Language(Vec<bool>),
    Comment(bool),
    Sentiment([bool; 4]),
    Customer { column: String, accept: Vec<bool> },
}

/// How a grouping dimension gives a row its code.
#[derive(Debug, Clone)]
pub(crate) enum Key {
    Touchpoint,
    /// Touchpoint code → stage code.
    Stage(Vec<u32>),
    Channel,
    Source,
    Language,
    Comment,
    Sentiment,
    /// Local day − `first` → bucket code.
    Time {
        first: i32,
        buckets: Vec<u32>,
    },
    Customer(String),
}

/// What to count: the rows in `[from, to)` passing every filter, by the product of the keys.
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    pub(crate) from: i64,
    pub(crate) to: i64,
    pub(crate) filters: Vec<Filter>,
    /// Each key with the number of its codes.
    pub(crate) keys: Vec<(Key, usize)>,
    pub(crate) reach: bool,
    /// Scan the interactions rather than the feedback records.
    pub(crate) interactions: bool,
}

/// The answer of a scan: histograms by group and, when asked, distinct customers by group.
#[derive(Debug, Clone)]
pub(crate) struct Counts {
    pub(crate) groups: Vec<Histograms>,
    pub(crate) reach: Vec<u64>,
}

/// Distinct customers by group: a bitmap per group while that fits in memory, else a list of
/// (group, customer) pairs deduplicated at the end.
enum Reach {
    None,
    Bits { words: usize, bits: Vec<u64> },
    Pairs(Vec<u64>),
}

/// The largest bitmap one thread keeps for reach, in 64-bit words (64 MB).
const MAX_REACH_WORDS: usize = 8 << 20;

impl Scan {
    pub(crate) fn groups(&self) -> usize {
        self.keys.iter().map(|(_, n)| n).product()
    }

    fn columns<'i>(&self, index: &'i Index) -> &'i Columns {
        if self.interactions {
            &index.interactions
        } else {
            &index.rows
        }
    }

    pub(crate) fn run(&self, index: &Index) -> Counts {
        let chunks = self.columns(index).zones.len();
        let threads = if self.columns(index).len() < 16 * CHUNK {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
        };
        let per_thread = chunks.div_ceil(threads.max(1)).max(1);
        let mut parts: Vec<(Vec<Histograms>, Reach)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..chunks)
                .step_by(per_thread)
                .skip(1)
                .map(|start| {
                    let range = start..(start + per_thread).min(chunks);
                    s.spawn(move || self.scan(index, range))
                })
                .collect();
            let mut parts = vec![self.scan(index, 0..per_thread.min(chunks))];
            parts.extend(handles.into_iter().map(|h| h.join().expect("scan thread")));
            parts
        });
        let (mut groups, mut reach) = parts.remove(0);
        for (other_groups, other_reach) in parts {
            for (a, b) in groups.iter_mut().zip(&other_groups) {
                a.merge(b);
            }
            match (&mut reach, other_reach) {
                (Reach::Bits { bits, .. }, Reach::Bits { bits: other, .. }) => {
                    for (a, b) in bits.iter_mut().zip(other) {
                        *a |= b;
                    }
                }
                (Reach::Pairs(pairs), Reach::Pairs(other)) => pairs.extend(other),
                _ => {}
            }
        }
        let reach = match reach {
            Reach::None => Vec::new(),
            Reach::Bits { words, bits } => bits
                .chunks(words.max(1))
                .map(|group| group.iter().map(|w| u64::from(w.count_ones())).sum())
                .chain(std::iter::repeat(0))
                .take(groups.len())
                .collect(),
            Reach::Pairs(mut pairs) => {
                pairs.sort_unstable();
                pairs.dedup();
                let mut counts = vec![0; groups.len()];
                for pair in pairs {
                    counts[(pair >> 32) as usize] += 1;
                }
                counts
            }
        };
        Counts { groups, reach }
    }

    fn scan(&self, index: &Index, chunks: Range<usize>) -> (Vec<Histograms>, Reach) {
        let rows = self.columns(index);
        let groups = self.groups();
        let mut counts = vec![Histograms::default(); groups];
        let words = index.customers.len().div_ceil(64);
        let mut reach = match self.reach {
            false => Reach::None,
            true if groups.saturating_mul(words) <= MAX_REACH_WORDS => Reach::Bits {
                words,
                bits: vec![0; groups * words],
            },
            true => Reach::Pairs(Vec::new()),
        };
        let customer_column = |name: &str| &index.customers.columns[name].values;
        let mut selection: Vec<u32> = Vec::with_capacity(CHUNK);
        let mut keys: Vec<u32> = Vec::with_capacity(CHUNK);
        for chunk in chunks {
            let (first, last) = rows.zones[chunk];
            if last < self.from || first >= self.to {
                continue;
            }
            let rows_of_chunk = chunk * CHUNK..((chunk + 1) * CHUNK).min(rows.len());
            selection.clear();
            if first >= self.from && last < self.to {
                selection.extend(rows_of_chunk.start as u32..rows_of_chunk.end as u32);
            } else {
                let seconds = &rows.second;
                selection.extend(
                    rows_of_chunk
                        .filter(|&r| self.from <= seconds[r] && seconds[r] < self.to)
                        .map(|r| r as u32),
                );
            }
            for filter in &self.filters {
                let sel = &mut selection;
                match filter {
                    Filter::Touchpoint(accept) => {
                        sel.retain(|&r| accept[usize::from(rows.touchpoint[r as usize])])
                    }
                    Filter::Channel(accept) => {
                        sel.retain(|&r| accept[usize::from(rows.channel[r as usize])])
                    }
                    Filter::Source(accept) => {
                        sel.retain(|&r| accept[usize::from(rows.source[r as usize])])
                    }
                    Filter::Language(accept) => {
                        sel.retain(|&r| accept[usize::from(rows.language[r as usize])])
                    }
                    Filter::Comment(want) => sel.retain(|&r| rows.comment[r as usize] == *want),
                    Filter::Sentiment(accept) => {
                        sel.retain(|&r| accept[usize::from(rows.sentiment[r as usize] & 3)])
                    }
                    Filter::Customer { column, accept } => {
                        let values = customer_column(column);
                        sel.retain(|&r| {
                            let c = rows.customer[r as usize];
                            c != NO_CUSTOMER && accept[usize::from(values[c as usize])]
                        })
                    }
                }
            }
            if selection.is_empty() {
                continue;
            }
            keys.clear();
            keys.resize(selection.len(), 0);
            for (key, cardinality) in &self.keys {
                let (n, sel, keys) = (*cardinality as u32, &selection, &mut keys);
                match key {
                    Key::Touchpoint => fold(keys, sel, n, |r| u32::from(rows.touchpoint[r])),
                    Key::Stage(of) => fold(keys, sel, n, |r| of[usize::from(rows.touchpoint[r])]),
                    Key::Channel => fold(keys, sel, n, |r| u32::from(rows.channel[r])),
                    Key::Source => fold(keys, sel, n, |r| u32::from(rows.source[r])),
                    Key::Language => fold(keys, sel, n, |r| u32::from(rows.language[r])),
                    Key::Comment => fold(keys, sel, n, |r| u32::from(rows.comment[r])),
                    Key::Sentiment => fold(keys, sel, n, |r| u32::from(rows.sentiment[r])),
                    Key::Time { first, buckets } => {
                        fold(keys, sel, n, |r| buckets[(rows.day[r] - first) as usize])
                    }
                    Key::Customer(column) => {
                        let values = customer_column(column);
                        fold(keys, sel, n, |r| match rows.customer[r] {
                            NO_CUSTOMER => 0,
                            c => u32::from(values[c as usize]),
                        })
                    }
                }
            }
            for (&r, &k) in selection.iter().zip(&keys) {
                let (r, h) = (r as usize, &mut counts[k as usize]);
                h.nps[usize::from(rows.nps[r]) & 15] += 1;
                h.csat[usize::from(rows.csat[r]) & 7] += 1;
                h.ces[usize::from(rows.ces[r]) & 7] += 1;
            }
            match &mut reach {
                Reach::None => {}
                Reach::Bits { words, bits } => {
                    for (&r, &k) in selection.iter().zip(&keys) {
                        let c = rows.customer[r as usize];
                        if c != NO_CUSTOMER {
                            let word = k as usize * *words + c as usize / 64;
                            bits[word] |= 1 << (c % 64);
                        }
                    }
                }
                Reach::Pairs(pairs) => pairs.extend(
                    selection
                        .iter()
                        .zip(&keys)
                        .map(|(&r, &k)| (u64::from(k) << 32, rows.customer[r as usize]))
                        .filter(|&(_, c)| c != NO_CUSTOMER)
                        .map(|(k, c)| k | u64::from(c)),
                ),
            }
        }
        (counts, reach)
    }
}

/// Folds one dimension's code into the group keys of the selected rows.
#[inline(always)]
fn fold(keys: &mut [u32], selection: &[u32], cardinality: u32, code: impl Fn(usize) -> u32) {
    for (k, &r) in keys.iter_mut().zip(selection) {
        *k = *k * cardinality + code(r as usize);
    }
}
