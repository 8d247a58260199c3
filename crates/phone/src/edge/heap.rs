//! Gives memory back to the system once a burst of work is over. glibc keeps
//! what its per-thread arenas had at their largest: after a flood of 3,000
//! INVITEs the phone held 25 MB more than before, 1.7 MB of it in use
//! (`malloc_stats`), for good. `malloc_trim(0)` returns the free pages (28.2
//! -> 6.3 MB of the process's own memory, measured with the soak's flood).
//! It runs once per burst: when the work that made the burst (transactions
//! open, connections peers opened) has come back down.

/// Transactions and connections open at once that make a burst.
const BURST: usize = 256;
/// ...and few enough to say it is over.
const QUIET: usize = 32;

#[derive(Debug, Default)]
pub struct HeapReturn {
    /// The most work open at once since the last trim.
    peak: usize,
    /// Times memory was given back.
    pub trims: u64,
}

impl HeapReturn {
    /// After each turn of the loop with `open` transactions and connections:
    /// trims once a burst has passed. Returns whether it did.
    pub fn after_turn(&mut self, open: usize) -> bool {
        self.peak = self.peak.max(open);
        if self.peak < BURST || open > QUIET {
            return false;
        }
        self.peak = open;
        self.trims += 1;
        trim();
        true
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only walks glibc's own arenas.
    let released = unsafe { libc::malloc_trim(0) };
    tracing::debug!(released = released != 0, "memory given back after a burst");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_once_per_burst_when_it_is_over() {
        let mut h = HeapReturn::default();
        // An ordinary day: never.
        for open in [0, 3, 10, 40, 2, 0] {
            assert!(!h.after_turn(open));
        }
        // A burst: not while it lasts, once when it is over, not again.
        for open in [100, 900, 3000, 1200, 300, 40] {
            assert!(!h.after_turn(open), "{open}");
        }
        assert!(h.after_turn(20));
        assert!(!h.after_turn(5));
        assert!(!h.after_turn(0));
        assert_eq!(h.trims, 1);
        // The next burst gets its own.
        assert!(!h.after_turn(500));
        assert!(h.after_turn(0));
        assert_eq!(h.trims, 2);
    }
}
