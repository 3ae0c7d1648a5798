//! The memory a run may use: what the operating system reports as available. Every refusal of
//! a size compares an estimate with it.

/// Memory the operating system reports as available (MemAvailable), if it can be read.
pub fn available_memory() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
