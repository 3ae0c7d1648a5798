//! The memory a run may use: what the operating system reports as available. Every refusal of
//! a size compares an estimate with it.

/// Memory the operating system reports as available (MemAvailable), if it can be read.
pub fn available_memory() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Memory a run's measurements hold at an output time besides the propagator's vectors:
/// `vectors` state-sized vectors (a fraction where the images they form are smaller than the
/// state), `per_count_pair` bytes for each pair of counts (k_A, k_B) (the tables of π and of
/// (2.25), (N₁ + 1)(N₂ + 1) rows a time) and `fixed_bytes` that do not grow with the state (the
/// figures drawn at the end, the linear-algebra library's work buffers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeasurementMemory {
    /// State-sized vectors (16·D bytes each).
    pub vectors: f64,
    /// Bytes for each of the (N₁ + 1)(N₂ + 1) pairs of counts.
    pub per_count_pair: usize,
    /// Bytes independent of D.
    pub fixed_bytes: usize,
}

impl MeasurementMemory {
    /// The dynamics' measurements: the indicators, computed on the fly.
    pub const NONE: MeasurementMemory = MeasurementMemory {
        vectors: 0.0,
        per_count_pair: 0,
        fixed_bytes: 0,
    };

    /// Bytes at a state dimension D with `count_pairs` = (N₁ + 1)(N₂ + 1).
    pub fn bytes(&self, dimension: usize, count_pairs: usize) -> f64 {
        self.vectors * 16.0 * dimension as f64
            + self.per_count_pair as f64 * count_pairs as f64
            + self.fixed_bytes as f64
    }
}

/// Bytes of any run besides its tables and vectors: the program, its libraries and the threads'
/// stacks (measured: 7–11 MiB over the vectors of a `dynamics` run).
pub const PROCESS_BYTES: usize = 16 << 20;

/// Bytes per column of Ψ (D_B) and per thread for the scratch of the tasks of H's passes and of
/// the indicators, which lay the rows of a tile side by side (128 and 256 bytes per column a
/// task, several tasks alive at once, their memory kept by the allocator between passes).
/// How much stays depends on the allocator; measured on 2 threads, over what the estimate
/// counted without it: about 24 MiB at N₁ = N₂ = 40 (D_B = 12,341: the estimate had fallen 0.2%
/// under the peak of 9.12 GiB), 1.1 KiB per column at N₁ = 3, N₂ = 60 (D_B = 39,711: 105 MiB,
/// where the estimate counted 63 without it and now 141 — a small run of many columns is
/// over-estimated, which refuses nothing that fits).
pub const SCRATCH_BYTES_PER_COLUMN_AND_THREAD: usize = 1 << 10;

/// [`SCRATCH_BYTES_PER_COLUMN_AND_THREAD`] for rows of `columns` entries on this process's
/// threads.
pub fn scratch_bytes(columns: usize) -> f64 {
    (SCRATCH_BYTES_PER_COLUMN_AND_THREAD * rayon::current_num_threads()) as f64 * columns as f64
}
