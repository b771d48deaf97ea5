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
    /// Comments with a sentiment, and the sum and sum of squares of their scaled scores (kept
    /// only when a scan asks for them; integers, so that every order of adding gives one answer).
    pub(crate) sentiment: Moments,
}

/// Count, sum and sum of squares of scaled sentiment scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Moments {
    pub(crate) n: u64,
    pub(crate) sum: i64,
    pub(crate) squares: i64,
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
        self.sentiment.n += other.sentiment.n;
        self.sentiment.sum += other.sentiment.sum;
        self.sentiment.squares += other.sentiment.squares;
    }

    /// These counts less those of a part of them (the records of a group that are not in a
    /// sub-group).
    pub(crate) fn minus(&self, part: &Histograms) -> Histograms {
        let mut out = *self;
        let pairs = out.nps.iter_mut().zip(&part.nps);
        let pairs = pairs.chain(out.csat.iter_mut().zip(&part.csat));
        for (a, b) in pairs.chain(out.ces.iter_mut().zip(&part.ces)) {
            *a -= b;
        }
        out.sentiment.n -= part.sentiment.n;
        out.sentiment.sum -= part.sentiment.sum;
        out.sentiment.squares -= part.sentiment.squares;
        out
    }
}

/// A row filter, with its accepted codes as a mask over the dimension's codes.
#[derive(Debug, Clone)]
pub(crate) enum Filter {
    Touchpoint(Vec<bool>),
    Channel(Vec<bool>),
    Agent(Vec<bool>),
    Team(Vec<bool>),
    Source([bool; 5]),
    Language(Vec<bool>),
    Comment(bool),
    Sentiment([bool; 4]),
    /// Rows mentioning any of these themes (bits; a sub-theme's rows carry its parent's bit).
    Theme(u64),
    /// Rows showing any of these emotions (bits).
    Emotion(u8),
    Customer {
        column: String,
        accept: Vec<bool>,
    },
    /// One customer's rows, by slot.
    CustomerSlot(u32),
}

/// The NPS group code of each NPS column value (11 is "not answered").
const NPS_GROUPS: [u32; 16] = [1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 0, 0, 0, 0, 0];

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
    /// The NPS answer's group: 0 none, then detractor, passive, promoter.
    NpsGroup,
    Agent,
    Team,
    /// Local day − `first` → bucket code.
    Time {
        first: i32,
        buckets: Vec<u32>,
    },
    Customer(String),
    /// A row counts in the group of each theme it mentions (code `i + 1` for theme bit `i`),
    /// or in code 0 when it mentions none.
    Theme,
    /// Likewise for each emotion shown.
    Emotion,
    /// A per-row code computed for the question (e.g. what the customer did afterwards).
    Derived(std::sync::Arc<Vec<u8>>),
}

impl Key {
    /// Whether one row may count in several groups of this dimension.
    fn many(&self) -> bool {
        matches!(self, Key::Theme | Key::Emotion)
    }
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
    /// Sum the sentiment scores of the comments.
    pub(crate) sentiment: bool,
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

    /// The rows of chunk `chunk` in `[from, to)` passing every filter, into `selection`.
    fn select(&self, index: &Index, rows: &Columns, chunk: usize, selection: &mut Vec<u32>) {
        let customer_column = |name: &str| &index.customers.columns[name].values;
        selection.clear();
        let (first, last) = rows.zones[chunk];
        if last < self.from || first >= self.to {
            return;
        }
        let rows_of_chunk = chunk * CHUNK..((chunk + 1) * CHUNK).min(rows.len());
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
            match filter {
                Filter::Touchpoint(accept) => {
                    selection.retain(|&r| accept[usize::from(rows.touchpoint[r as usize])])
                }
                Filter::Channel(accept) => {
                    selection.retain(|&r| accept[usize::from(rows.channel[r as usize])])
                }
                Filter::Agent(accept) => {
                    selection.retain(|&r| accept[usize::from(rows.agent[r as usize])])
                }
                Filter::Team(accept) => {
                    selection.retain(|&r| accept[usize::from(rows.team[r as usize])])
                }
                Filter::Source(accept) => {
                    selection.retain(|&r| accept[usize::from(rows.source[r as usize])])
                }
                Filter::Language(accept) => {
                    selection.retain(|&r| accept[usize::from(rows.language[r as usize])])
                }
                Filter::Comment(want) => selection.retain(|&r| rows.comment[r as usize] == *want),
                Filter::Sentiment(accept) => {
                    selection.retain(|&r| accept[usize::from(rows.sentiment[r as usize] & 3)])
                }
                Filter::Theme(bits) => selection.retain(|&r| rows.themes[r as usize] & bits != 0),
                Filter::Emotion(bits) => {
                    selection.retain(|&r| rows.emotions[r as usize] & bits != 0)
                }
                Filter::CustomerSlot(slot) => {
                    selection.retain(|&r| rows.customer[r as usize] == *slot)
                }
                Filter::Customer { column, accept } => {
                    let values = customer_column(column);
                    selection.retain(|&r| {
                        let c = rows.customer[r as usize];
                        c != NO_CUSTOMER && accept[usize::from(values[c as usize])]
                    })
                }
            }
        }
    }

    /// Calls `each` with every row that passes, in row order.
    pub(crate) fn for_each_row(&self, index: &Index, mut each: impl FnMut(usize)) {
        let rows = self.columns(index);
        let mut selection = Vec::with_capacity(CHUNK);
        for chunk in 0..rows.zones.len() {
            self.select(index, rows, chunk, &mut selection);
            selection.iter().for_each(|&r| each(r as usize));
        }
    }

    /// How many rows pass, and `take` of them newest first after skipping `skip` (rows are in
    /// time order; rows appended since the build come last, so they count as the newest).
    pub(crate) fn rows_newest_first(
        &self,
        index: &Index,
        skip: usize,
        take: usize,
    ) -> (u64, Vec<u32>) {
        let rows = self.columns(index);
        let mut selection = Vec::with_capacity(CHUNK);
        let (mut total, mut page) = (0u64, Vec::with_capacity(take));
        for chunk in (0..rows.zones.len()).rev() {
            self.select(index, rows, chunk, &mut selection);
            for &r in selection.iter().rev() {
                if total as usize >= skip && page.len() < take {
                    page.push(r);
                }
                total += 1;
            }
        }
        (total, page)
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
        let mut spare: (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
        for chunk in chunks {
            self.select(index, rows, chunk, &mut selection);
            if selection.is_empty() {
                continue;
            }
            keys.clear();
            keys.resize(selection.len(), 0);
            for (key, cardinality) in &self.keys {
                if key.many() {
                    let bits = |r: usize| match key {
                        Key::Theme => rows.themes[r],
                        _ => u64::from(rows.emotions[r]),
                    };
                    expand(
                        &mut selection,
                        &mut keys,
                        &mut spare,
                        *cardinality as u32,
                        bits,
                    );
                    continue;
                }
                let (n, sel, keys) = (*cardinality as u32, &selection, &mut keys);
                match key {
                    Key::Theme | Key::Emotion => unreachable!("expanded above"),
                    Key::Derived(codes) => fold(keys, sel, n, |r| u32::from(codes[r])),
                    Key::Touchpoint => fold(keys, sel, n, |r| u32::from(rows.touchpoint[r])),
                    Key::Stage(of) => fold(keys, sel, n, |r| of[usize::from(rows.touchpoint[r])]),
                    Key::Channel => fold(keys, sel, n, |r| u32::from(rows.channel[r])),
                    Key::Source => fold(keys, sel, n, |r| u32::from(rows.source[r])),
                    Key::Language => fold(keys, sel, n, |r| u32::from(rows.language[r])),
                    Key::Comment => fold(keys, sel, n, |r| u32::from(rows.comment[r])),
                    Key::Sentiment => fold(keys, sel, n, |r| u32::from(rows.sentiment[r])),
                    Key::NpsGroup => {
                        fold(keys, sel, n, |r| NPS_GROUPS[usize::from(rows.nps[r]) & 15])
                    }
                    Key::Agent => fold(keys, sel, n, |r| u32::from(rows.agent[r])),
                    Key::Team => fold(keys, sel, n, |r| u32::from(rows.team[r])),
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
            if self.sentiment {
                for (&r, &k) in selection.iter().zip(&keys) {
                    if rows.sentiment[r as usize] != 0 {
                        let score = i64::from(rows.sentiment_score[r as usize]);
                        let m = &mut counts[k as usize].sentiment;
                        m.n += 1;
                        m.sum += score;
                        m.squares += score * score;
                    }
                }
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

/// Folds a many-valued dimension into the group keys: each selected row is repeated once per
/// bit it has set (code `bit + 1`), or kept once with code 0 when it has none.
fn expand(
    selection: &mut Vec<u32>,
    keys: &mut Vec<u32>,
    spare: &mut (Vec<u32>, Vec<u32>),
    cardinality: u32,
    bits: impl Fn(usize) -> u64,
) {
    let (rows, codes) = spare;
    rows.clear();
    codes.clear();
    for (&r, &k) in selection.iter().zip(keys.iter()) {
        let mut set = bits(r as usize);
        if set == 0 {
            rows.push(r);
            codes.push(k * cardinality);
        }
        while set != 0 {
            let bit = set.trailing_zeros();
            set &= set - 1;
            if bit + 1 < cardinality {
                rows.push(r);
                codes.push(k * cardinality + bit + 1);
            }
        }
    }
    std::mem::swap(selection, rows);
    std::mem::swap(keys, codes);
}
