//! CPU-heavy work, off the async workers.
//!
//! Validating a 100 000-vertex polygon, testing thousands of rows against it
//! or building a large FeatureCollection holds a core for tens of
//! milliseconds to seconds. On a tokio worker it also holds every other
//! request that worker serves, `/healthz` included: two such requests froze a
//! two-core server for most of a minute. Such work runs here instead, on
//! tokio's blocking threads, while the request awaits it.
//!
//! A job cannot be cancelled once running, so each gets a `stop` flag, set
//! as soon as its caller stops waiting (the time budget cut the request, or
//! the client went away); the job's loops read it and give up early.

use std::sync::Arc;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Semaphore;

/// Positions from which a geometry's checks are worth a blocking thread;
/// below, they take well under a millisecond.
pub const HEAVY_VERTICES: usize = 1_000;

/// Features from which building a FeatureCollection is worth a blocking thread.
pub const HEAVY_FEATURES: usize = 1_000;

/// Heavy jobs running at once: one per core. More would only share the
/// cores with the async workers; the extra ones wait (without holding a
/// thread) and their requests' time budgets still run.
static SLOTS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

/// A job that ended without an answer: it panicked, or the runtime is
/// shutting down.
#[derive(Debug, thiserror::Error)]
#[error("a background computation failed: {0}")]
pub struct Failed(String);

/// Runs `work` on a blocking thread, at most one such job per core at a time.
///
/// `work` gets the flag that is set once nobody awaits its result any more;
/// long loops should read it (`stop.load(Ordering::Relaxed)`) and return early.
pub async fn heavy<T: Send + 'static>(work: impl FnOnce(&AtomicBool) -> T + Send + 'static) -> Result<T, Failed> {
    let slot = SLOTS.acquire().await.map_err(|e| Failed(e.to_string()))?;
    run(Some(slot), work).await
}

/// Runs `work` on a blocking thread, without waiting for a slot: for work
/// that is usually short (a chunk of rows) but must not hold an async worker
/// when it is not.
pub async fn light<T: Send + 'static>(work: impl FnOnce(&AtomicBool) -> T + Send + 'static) -> Result<T, Failed> {
    run(None, work).await
}

async fn run<T: Send + 'static>(
    slot: Option<tokio::sync::SemaphorePermit<'static>>,
    work: impl FnOnce(&AtomicBool) -> T + Send + 'static,
) -> Result<T, Failed> {
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_when_dropped = StopOnDrop(stop.clone());
    let job = tokio::task::spawn_blocking(move || {
        // The slot is released when the work ends, not when the caller
        // leaves: an abandoned job still holds its core until it notices.
        let _slot = slot;
        work(&stop)
    });
    job.await.map_err(|e| match e.try_into_panic() {
        Ok(panic) => Failed(panic_message(&panic)),
        Err(e) => Failed(e.to_string()),
    })
}

/// Sets the job's stop flag when the future awaiting the job is dropped
/// (and, harmlessly, when the job is over).
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panicked".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_job_returns_its_result() {
        assert_eq!(heavy(|_| 6 * 7).await.unwrap(), 42);
        assert_eq!(light(|_| "ok").await.unwrap(), "ok");
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_not_a_crash() {
        let err = heavy(|_| -> u8 { panic!("boom") }).await.unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");
    }

    #[tokio::test]
    async fn an_abandoned_job_is_told_to_stop() {
        let (seen_tx, seen_rx) = std::sync::mpsc::channel();
        let job = heavy(move |stop| {
            // Spins until told to stop, as a validation loop would.
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
            }
            seen_tx.send(()).unwrap();
        });
        assert!(tokio::time::timeout(Duration::from_millis(50), job).await.is_err(), "the job cannot end by itself");
        let stopped = tokio::task::spawn_blocking(move || seen_rx.recv_timeout(Duration::from_secs(10))).await.unwrap();
        assert!(stopped.is_ok(), "the job never saw its stop flag");
    }
}
