//! A process watched from outside: its RSS, open descriptors, threads and
//! CPU time sampled from /proc every 250 ms on a thread of the watcher's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One look at the process.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Seconds since the watch began.
    pub at: f64,
    pub rss_mb: f64,
    /// Of the RSS: the process's own memory (heap, stacks), and pages of
    /// files mapped (its code, libraries), which grow as more of the code
    /// runs and are shared with the page cache.
    pub anon_mb: f64,
    pub file_mb: f64,
    pub fds: usize,
    pub threads: usize,
    /// CPU time used so far, in seconds (all threads).
    pub cpu_s: f64,
}

impl Sample {
    /// Reads `pid`'s figures now; none once it has gone.
    pub fn of(pid: u32, at: f64) -> Option<Sample> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        };
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
        let mut cpu_ns = 0u64;
        for t in std::fs::read_dir(format!("/proc/{pid}/task"))
            .ok()?
            .flatten()
        {
            cpu_ns += std::fs::read_to_string(t.path().join("schedstat"))
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
                .unwrap_or(0);
        }
        Some(Sample {
            at,
            rss_mb: field("VmRSS:")? / 1024.0,
            anon_mb: field("RssAnon:")? / 1024.0,
            file_mb: field("RssFile:")? / 1024.0,
            fds,
            threads: field("Threads:")? as usize,
            cpu_s: cpu_ns as f64 / 1e9,
        })
    }
}

/// Samples a process until dropped.
pub struct Watch {
    pid: u32,
    began: Instant,
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

const EVERY: Duration = Duration::from_millis(250);

impl Watch {
    pub fn start(pid: u32) -> Watch {
        let began = Instant::now();
        let samples = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (samples, stop) = (samples.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(s) = Sample::of(pid, began.elapsed().as_secs_f64()) {
                        samples.lock().unwrap_or_else(|e| e.into_inner()).push(s);
                    }
                    std::thread::sleep(EVERY);
                }
            })
        };
        Watch {
            pid,
            began,
            samples,
            stop,
            thread: Some(thread),
        }
    }

    /// Seconds since the watch began.
    pub fn now(&self) -> f64 {
        self.began.elapsed().as_secs_f64()
    }

    /// A sample taken now.
    pub fn sample(&self) -> Option<Sample> {
        Sample::of(self.pid, self.now())
    }

    /// Waits up to `limit` for the process's descriptors to be `fds` again
    /// (a call's sockets close a moment after it ends): the count last seen.
    pub fn fds_back_to(&self, fds: usize, limit: Duration) -> usize {
        let mut now = 0;
        super::wait_for(limit, || {
            now = self.sample().map_or(0, |s| s.fds);
            now == fds
        });
        now
    }

    /// The samples taken between `from` and `to` (seconds of the watch).
    pub fn between(&self, from: f64, to: f64) -> Vec<Sample> {
        self.samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|s| (from..=to).contains(&s.at))
            .copied()
            .collect()
    }

    /// CPU used between `from` and `to`, as a share of one core.
    pub fn cpu_share(&self, from: f64, to: f64) -> f64 {
        let s = self.between(from, to);
        match (s.first(), s.last()) {
            (Some(a), Some(b)) if b.at > a.at => (b.cpu_s - a.cpu_s) / (b.at - a.at),
            _ => 0.0,
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
