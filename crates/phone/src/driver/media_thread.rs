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
        // The runtime is built and dropped on its own thread: dropping one
        // inside the engine's async context would panic.
        let (handle_tx, handle_rx) = std::sync::mpsc::sync_channel(1);
        let spawned = std::thread::Builder::new()
            .name("media".into())
            .spawn(move || {
                // Sockets and timers only: the process and signal drivers
                // would look for exited children on every wake-up.
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .enable_time()
                    .build();
                let runtime = match runtime {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = handle_tx.send(Err(e));
                        return;
                    }
                };
                let _ = handle_tx.send(Ok(runtime.handle().clone()));
                runtime.block_on(async move {
                    let _ = stopped.await;
                    // Nothing is ever sent: `recv` ends when every task's
                    // clone is dropped.
                    let _ = tokio::time::timeout(FINISH, all_done.recv()).await;
                });
            });
        let started = spawned.and_then(|thread| match handle_rx.recv() {
            Ok(Ok(handle)) => Ok((handle, thread)),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(std::io::Error::other("the media thread ended at once")),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Started and dropped inside the engine's async context (as the driver
    /// does), the thread lets a task still running finish first: a call's
    /// recording gets its header before the phone exits.
    #[tokio::test]
    async fn a_task_running_at_the_end_finishes_before_the_thread_goes() {
        let thread = MediaThread::start();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        thread.spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = done_tx.send("finished");
        });
        drop(thread);
        assert_eq!(done_rx.try_recv(), Ok("finished"));
    }
}
