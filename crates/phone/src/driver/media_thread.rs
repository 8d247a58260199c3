//! The thread every call's media runs on: a single-threaded tokio runtime of
//! its own, beside the engine's. A frame's work (one timer, a datagram out,
//! what came in) then wakes this one thread and nothing else; on the engine's
//! two-worker runtime each frame also woke the other worker through its
//! eventfd, which cost about as much as the frame itself (D96).
//!
//! When the engine goes, the thread lets the running tasks finish (a
//! recording's header, the RTCP BYE) for up to `FINISH`, then ends.

use std::future::Future;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};

/// How long the tasks still running at the end get to finish.
const FINISH: Duration = Duration::from_secs(2);

pub struct MediaThread {
    /// The media runtime; `None` if its thread could not start (the tasks
    /// then run on the engine's runtime, as they did before).
    handle: Option<Handle>,
    /// Each task holds a clone; the channel closes when the last is gone.
    alive: Option<mpsc::Sender<()>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MediaThread {
    pub fn start() -> MediaThread {
        let (alive, mut all_done) = mpsc::channel::<()>(1);
        let (stop, stopped) = oneshot::channel::<()>();
        // Sockets and timers only: the process and signal drivers would
        // look for exited children on every wake-up.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build();
        let started = runtime.and_then(|runtime| {
            let handle = runtime.handle().clone();
            let thread = std::thread::Builder::new()
                .name("media".into())
                .spawn(move || {
                    runtime.block_on(async move {
                        let _ = stopped.await;
                        // Nothing is ever sent: `recv` ends when every
                        // task's clone is dropped.
                        let _ = tokio::time::timeout(FINISH, all_done.recv()).await;
                    });
                })?;
            Ok((handle, thread))
        });
        match started {
            Ok((handle, thread)) => MediaThread {
                handle: Some(handle),
                alive: Some(alive),
                stop: Some(stop),
                thread: Some(thread),
            },
            Err(e) => {
                tracing::warn!("no media thread ({e}): media runs on the engine's threads");
                MediaThread {
                    handle: None,
                    alive: Some(alive),
                    stop: None,
                    thread: None,
                }
            }
        }
    }

    /// Runs a call's media task on the media thread.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let alive = self.alive.clone();
        let task = async move {
            task.await;
            drop(alive);
        };
        match &self.handle {
            Some(h) => drop(h.spawn(task)),
            None => drop(tokio::spawn(task)),
        }
    }
}

impl Drop for MediaThread {
    fn drop(&mut self) {
        self.alive = None;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
