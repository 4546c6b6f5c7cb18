//! One case: a file read as the server reads an upload, on a thread of
//! its own with a watchdog, panics caught.

use geo::CoordsIter;
use odg::import::{self, Crs, ImportError, ImportLimits};
use odg::spatial::thinning::Planner;
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// What an import of the file came to.
#[derive(Debug)]
pub enum Outcome {
    Imported { features: u64, warnings: u64 },
    Refused(ImportError),
}

/// How a case ended.
#[derive(Debug)]
pub enum End {
    Done(Outcome),
    /// The message and place of the first panic.
    Panicked(String),
    /// Still running at the time bound; the thread is left behind.
    Hung,
}

/// Panics of every thread, in order (the hook below records them), so that
/// a panic on a thread a reader starts (a driver's worker) is seen too.
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records every panic; those of case threads are not printed (a finding is
/// reported once, with its seed), other threads' as usual.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current().name().unwrap_or("").to_owned();
            if let Ok(mut panics) = PANICS.lock() {
                panics.push(format!("thread '{thread}' {info}"));
            }
            if !thread.starts_with("fuzz-case") {
                default(info);
            }
        }));
    });
}

fn panic_count() -> usize {
    PANICS.lock().map(|p| p.len()).unwrap_or(0)
}

/// The stack of tokio's blocking threads, where the server runs readers:
/// a recursion that overflows there overflows here.
const READER_STACK: usize = 2 << 20;

/// Runs one import of `path` (uploaded as `file_name`) within `bound`.
pub fn run(path: &Path, file_name: &str, crs: Option<&str>, bound: Duration) -> (End, Duration) {
    let before = panic_count();
    let (tx, rx) = mpsc::channel();
    let (path, name, crs) = (path.to_path_buf(), file_name.to_owned(), crs.map(str::to_owned));
    let started = Instant::now();
    let worker = std::thread::Builder::new().name("fuzz-case".into()).stack_size(READER_STACK).spawn(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            import_like_the_server(&path, &name, crs.as_deref())
        }));
        let _ = tx.send(result.ok());
    });
    let worker = match worker {
        Ok(w) => w,
        Err(e) => panic!("cannot start a case thread: {e}"),
    };
    let end = match rx.recv_timeout(bound) {
        Ok(outcome) => {
            let _ = worker.join();
            let elapsed = started.elapsed();
            let panics = PANICS.lock().map(|p| p[before.min(p.len())..].to_vec()).unwrap_or_default();
            match (outcome, panics.first()) {
                (_, Some(first)) => return (End::Panicked(first.clone()), elapsed),
                (Some(outcome), None) => return (End::Done(outcome), elapsed),
                (None, None) => return (End::Panicked("a panic (not recorded)".into()), elapsed),
            }
        }
        Err(RecvTimeoutError::Timeout) => End::Hung,
        Err(RecvTimeoutError::Disconnected) => End::Panicked("the case thread ended without an answer".into()),
    };
    (end, started.elapsed())
}

/// What `Catalog::import_file` does with an upload before it writes: open
/// by format detection, scan (reproject, check, summarise) with the
/// default limits, plan the tile thinning from the boxes, and take the
/// raster description; each kept feature is checked and encoded as the
/// storage seam encodes it (ISO WKB, little-endian).
pub fn import_like_the_server(path: &Path, file_name: &str, crs: Option<&str>) -> Outcome {
    let limits = ImportLimits::default();
    let crs = match crs.map(Crs::parse).transpose() {
        Ok(crs) => crs,
        Err(e) => panic!("the harness's CRS {crs:?} does not parse: {e}"),
    };
    let mut reader = match import::open(path, file_name, &limits) {
        Ok(r) => r,
        Err(e) => return refused(e, file_name),
    };
    let _ = reader.format().name();
    let mut planner = Planner::default();
    let scanned = import::scan(reader.as_mut(), file_name, crs.as_ref(), &limits, &mut |f| {
        for c in f.geometry.coords_iter() {
            assert!(
                c.x.is_finite() && c.y.is_finite() && (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y),
                "a kept feature has the position ({}, {})",
                c.x,
                c.y
            );
        }
        assert!(f.bbox.min_lon <= f.bbox.max_lon && f.bbox.min_lat <= f.bbox.max_lat, "bbox {:?}", f.bbox);
        let mut wkb = Vec::new();
        let options = wkb::writer::WriteOptions { endianness: wkb::Endianness::LittleEndian };
        wkb::writer::write_geometry(&mut wkb, &f.geometry, &options).expect("WKB encoding into memory");
        serde_json::to_string(&f.properties).expect("properties are JSON");
        planner.push(&f.bbox);
        Ok(())
    });
    match scanned {
        Ok((summary, _crs)) => {
            assert!(summary.features_kept > 0, "a successful scan keeps a feature");
            if let Some(raster) = reader.raster() {
                serde_json::to_string(&raster.description).expect("the raster description is JSON");
            }
            let plan = planner.finish();
            assert_eq!(plan.min_zoom.len() as u64, summary.features_kept);
            Outcome::Imported { features: summary.features_kept, warnings: summary.warning_count }
        }
        Err(e) => refused(e, file_name),
    }
}

/// A clean refusal names the file and says something.
fn refused(e: ImportError, file_name: &str) -> Outcome {
    assert_eq!(e.file, file_name, "the error names the upload");
    assert!(!e.message.trim().is_empty(), "the error says why");
    Outcome::Refused(e)
}
