//! The bootstrap the models share: replicates that draw a sample's blocks (customers, so that
//! one customer's records stay together) with replacement, run on a few threads, reproducible
//! from a seed.

/// A small, fast generator for the bootstrap (SplitMix64): reproducible from its seed.
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `replicates` bootstrap replicates of `blocks` blocks: for each, how many times each block
/// was drawn (as many draws as blocks), given to `each`; the answers in replicate order, the
/// same for the same `seed`.
pub(crate) fn replicate<R: Send>(
    seed: u64,
    replicates: u32,
    blocks: usize,
    each: impl Fn(&[u32]) -> R + Sync,
) -> Vec<R> {
    if blocks == 0 {
        return Vec::new();
    }
    let seeds: Vec<u64> = {
        let mut rng = SplitMix(seed);
        (0..replicates).map(|_| rng.next()).collect()
    };
    let one = |seed: u64| {
        let mut rng = SplitMix(seed);
        let mut counts = vec![0u32; blocks];
        for _ in 0..blocks {
            counts[rng.below(blocks)] += 1;
        }
        each(&counts)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let per_thread = seeds.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let one = &one;
        let handles: Vec<_> = seeds
            .chunks(per_thread)
            .map(|chunk| s.spawn(move || chunk.iter().map(|&seed| one(seed)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a bootstrap thread panicked"))
            .collect()
    })
}

/// The value at quantile `q` of sorted values (nearest rank).
pub(crate) fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = (q * (sorted.len() - 1) as f64).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}
