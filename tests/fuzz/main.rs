//! The importers' fuzz harness, on the stable toolchain: seeds of every
//! format (`tests/fixtures/<format>/`, see its README) are mutated with a
//! seeded RNG (`mutate.rs`) and each mutant is read as the server reads an
//! upload (`case.rs`), on a thread with a time bound, panics caught. Every
//! case must end, within the bound, in an import or a clean refusal.
//!
//! `cargo test` runs a short, deterministic campaign (150 cases a format,
//! a few seconds). The long run, documented in docs/testing.md:
//!
//! ```sh
//! ODG_FUZZ_SECONDS_PER_FORMAT=600 cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! Settings (environment): `ODG_FUZZ_SECONDS_PER_FORMAT` (time-bounded run,
//! seed from the clock unless given), `ODG_FUZZ_CASES` (cases a format,
//! default 150), `ODG_FUZZ_SEED`, `ODG_FUZZ_FORMATS` (e.g. `kml,gpx`),
//! `ODG_FUZZ_JOBS` (formats at once, default 1), `ODG_FUZZ_CASE_SECONDS`
//! (the time bound, default 10), `ODG_FUZZ_FINDINGS` (where failing inputs
//! are saved), `ODG_FUZZ_REPLAY=<format>:<case seed>` (run one case again),
//! `ODG_FUZZ_FILE=<path>` (run one file, uploaded under its name, with
//! `ODG_FUZZ_CRS` if set).
//!
//! Each format runs in a child process (this test binary, run again), so
//! that an abort (a stack overflow, a failed allocation) is a finding of
//! that format, with its input saved, rather than the end of the run.

mod case;
mod mutate;

use case::{End, Outcome};
use mutate::Shape;
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A format, its seed directory and how its files are shaped.
struct Target {
    name: &'static str,
    shape: Shape,
}

const TARGETS: &[Target] = &[
    Target { name: "geojson", shape: Shape::Json },
    Target { name: "geojsonseq", shape: Shape::Json },
    Target { name: "shapefile", shape: Shape::Zip },
    Target { name: "kml", shape: Shape::Xml },
    Target { name: "kmz", shape: Shape::Zip },
    Target { name: "csv", shape: Shape::Csv },
    Target { name: "gpx", shape: Shape::Xml },
    Target { name: "gpkg", shape: Shape::Sqlite },
    Target { name: "geotiff", shape: Shape::Tiff },
];

const SHORT_CASES: u64 = 150;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A seed file: its name (the upload's name), bytes, and where its markers are.
struct Seed {
    name: String,
    bytes: Vec<u8>,
    marks: Vec<usize>,
}

/// The files directly in `dir`, by name.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn seeds(target: &Target) -> Vec<Seed> {
    let seeds: Vec<Seed> = files_in(&fixtures().join(target.name))
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("readable fixture");
            Seed {
                name: p.file_name().and_then(|n| n.to_str()).expect("UTF-8 fixture name").to_owned(),
                marks: mutate::marks(target.shape, &bytes),
                bytes,
            }
        })
        .collect();
    assert!(!seeds.is_empty(), "no seeds in tests/fixtures/{}", target.name);
    seeds
}

fn target(name: &str) -> &'static Target {
    TARGETS.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no format `{name}` to fuzz"))
}

struct Settings {
    /// Cases a format, or seconds a format.
    cases: u64,
    seconds: Option<u64>,
    seed: u64,
    bound: Duration,
    findings: PathBuf,
    work: PathBuf,
}

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={text} is not a number")))
}

impl Settings {
    fn from_env() -> Settings {
        let seconds = env_u64("ODG_FUZZ_SECONDS_PER_FORMAT");
        // A short run is the same every time; a long one explores.
        let seed = env_u64("ODG_FUZZ_SEED").unwrap_or_else(|| match seconds {
            None => 0x0D6_F022,
            Some(_) => {
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
            }
        });
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        Settings {
            cases: env_u64("ODG_FUZZ_CASES").unwrap_or(if seconds.is_some() { u64::MAX } else { SHORT_CASES }),
            seconds,
            seed,
            bound: Duration::from_secs(env_u64("ODG_FUZZ_CASE_SECONDS").unwrap_or(10)),
            findings: std::env::var_os("ODG_FUZZ_FINDINGS")
                .map(PathBuf::from)
                .unwrap_or_else(|| tmp.join("fuzz-findings")),
            work: tmp.join("fuzz-work"),
        }
    }
}

/// SplitMix64: case seeds from the run's seed, the format and the case number.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn case_seed(run_seed: u64, target: &Target, index: u64) -> u64 {
    let format = target.name.bytes().fold(0u64, |h, b| mix(h ^ u64::from(b)));
    mix(mix(run_seed ^ format) ^ index)
}

/// One mutant: the upload's name, its bytes and the CRS the uploader declares.
struct Mutant {
    name: String,
    bytes: Vec<u8>,
    crs: Option<&'static str>,
}

fn mutant(target: &Target, seeds: &[Seed], case_seed: u64) -> Mutant {
    let mut rng = StdRng::seed_from_u64(case_seed);
    let i = rng.gen_range(0..seeds.len());
    let others: Vec<&[u8]> =
        seeds.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, s)| s.bytes.as_slice()).collect();
    let bytes = mutate::mutate(&mut rng, &seeds[i].bytes, &seeds[i].marks, target.shape, &others);
    // Now and then a name without a known extension: the format is sniffed from the bytes.
    let name = if rng.gen_bool(0.1) { "upload".to_owned() } else { seeds[i].name.clone() };
    // Now and then a CRS declared by the uploader, which wins over the file's.
    let crs = if rng.gen_bool(0.2) {
        Some(*["EPSG:4326", "EPSG:32632", "EPSG:2154"].choose(&mut rng).expect("x"))
    } else {
        None
    };
    Mutant { name, bytes, crs }
}

/// What a campaign on one format found.
#[derive(Default)]
struct Figures {
    cases: u64,
    imported: u64,
    /// Imports that skipped features (with warnings).
    partial: u64,
    refused: u64,
    panics: u64,
    hangs: u64,
    total: Duration,
    max: Duration,
    slowest: u64,
    /// Refusals by their message, numbers blanked: how deep the mutants reach.
    reasons: HashMap<String, u64>,
}

impl Figures {
    fn line(&self, format: &str) -> String {
        let mean = if self.cases == 0 { 0.0 } else { self.total.as_secs_f64() * 1e3 / self.cases as f64 };
        format!(
            "fuzz-figures format={format} cases={} imported={} (partly {}) refused={} panics={} hangs={} \
             seconds={:.1} mean_ms={mean:.2} max_ms={:.1} slowest_case={:#018x}",
            self.cases,
            self.imported,
            self.partial,
            self.refused,
            self.panics,
            self.hangs,
            self.total.as_secs_f64(),
            self.max.as_secs_f64() * 1e3,
            self.slowest
        )
    }
}

/// `Bad coordinate 12 at line 3` → `Bad coordinate # at line #`, cut at 90 characters.
fn reason_kind(message: &str) -> String {
    let mut out = String::new();
    let mut in_digits = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out.chars().take(90).collect()
}

/// Keeps a failing input where it can be found again.
fn save(settings: &Settings, format: &str, seed: u64, mutant: &Mutant) -> PathBuf {
    std::fs::create_dir_all(&settings.findings).expect("findings directory");
    let path = settings.findings.join(format!("{format}-{seed:016x}-{}", mutant.name));
    std::fs::write(&path, &mutant.bytes).expect("finding saved");
    path
}

/// Runs the cases of one format in this process; hangs stop it.
fn campaign(target: &Target, settings: &Settings) -> Figures {
    let seeds = seeds(target);
    let work = settings.work.join(target.name);
    std::fs::create_dir_all(&work).expect("work directory");
    let input = work.join("current");
    let note = work.join("current.txt");
    let started = Instant::now();
    let mut last_progress = Instant::now();
    let mut figures = Figures::default();
    for index in 0..settings.cases {
        if settings.seconds.is_some_and(|s| started.elapsed() >= Duration::from_secs(s)) {
            break;
        }
        let seed = case_seed(settings.seed, target, index);
        let mutant = mutant(target, &seeds, seed);
        // On disk before it runs: if the process dies, the parent keeps it.
        std::fs::write(&input, &mutant.bytes).expect("case written");
        std::fs::write(&note, format!("{seed:#018x} {} {}\n", mutant.name, mutant.crs.unwrap_or("-")))
            .expect("case note written");
        let (end, took) = case::run(&input, &mutant.name, mutant.crs, settings.bound);
        figures.cases += 1;
        figures.total += took;
        if took > figures.max {
            figures.max = took;
            figures.slowest = seed;
        }
        match end {
            End::Done(Outcome::Imported { warnings, .. }) => {
                figures.imported += 1;
                figures.partial += u64::from(warnings > 0);
            }
            End::Done(Outcome::Refused(e)) => {
                figures.refused += 1;
                *figures.reasons.entry(reason_kind(&e.message)).or_default() += 1;
            }
            End::Panicked(message) => {
                figures.panics += 1;
                let saved = save(settings, target.name, seed, &mutant);
                println!(
                    "fuzz-finding PANIC format={} case={seed:#018x} name={} crs={:?} input={}\n  {}",
                    target.name,
                    mutant.name,
                    mutant.crs,
                    saved.display(),
                    message.replace('\n', " | ")
                );
            }
            End::Hung => {
                figures.hangs += 1;
                let saved = save(settings, target.name, seed, &mutant);
                println!(
                    "fuzz-finding HANG format={} case={seed:#018x} name={} crs={:?} input={} (still running after {:?})",
                    target.name,
                    mutant.name,
                    mutant.crs,
                    saved.display(),
                    settings.bound
                );
                // The case's thread cannot be stopped: the campaign ends here.
                break;
            }
        }
        if settings.seconds.is_some() && last_progress.elapsed() >= Duration::from_secs(60) {
            last_progress = Instant::now();
            println!("fuzz-progress {}", figures.line(target.name));
        }
    }
    figures
}

fn print_reasons(figures: &Figures) {
    let mut reasons: Vec<(&String, &u64)> = figures.reasons.iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!("fuzz-reasons {} kinds of refusal; the most frequent:", reasons.len());
    for (reason, n) in reasons.iter().take(12) {
        println!("  {n:>7}  {reason}");
    }
}

#[test]
fn importers_survive_mutated_files() {
    case::install_panic_hook();
    let settings = Settings::from_env();
    if let Ok(format) = std::env::var("ODG_FUZZ_CHILD") {
        let figures = campaign(target(&format), &settings);
        if settings.seconds.is_some() {
            print_reasons(&figures);
        }
        println!("{}", figures.line(&format));
        assert!(figures.panics == 0 && figures.hangs == 0, "{format}: panics or hangs (see above)");
        return;
    }
    if let Ok(replay) = std::env::var("ODG_FUZZ_REPLAY") {
        return replay_one(&replay, &settings);
    }
    if let Some(file) = std::env::var_os("ODG_FUZZ_FILE") {
        let path = PathBuf::from(file);
        let name = path.file_name().and_then(|n| n.to_str()).expect("a UTF-8 file name").to_owned();
        let crs = std::env::var("ODG_FUZZ_CRS").ok();
        let (end, took) = case::run(&path, &name, crs.as_deref(), settings.bound);
        println!("{name}: {end:?} in {took:?}");
        assert!(matches!(end, End::Done(_)), "{name} does not end cleanly");
        return;
    }
    let formats: Vec<&'static Target> = match std::env::var("ODG_FUZZ_FORMATS") {
        Ok(list) => list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(target).collect(),
        Err(_) => TARGETS.iter().collect(),
    };
    let jobs = env_u64("ODG_FUZZ_JOBS").unwrap_or(1).max(1) as usize;
    match settings.seconds {
        Some(s) => println!("fuzz: {s} s a format, run seed {:#x}, case bound {:?}", settings.seed, settings.bound),
        None => println!(
            "fuzz: {} cases a format, run seed {:#x}, case bound {:?}",
            settings.cases, settings.seed, settings.bound
        ),
    }
    let mut results: Vec<(&str, Result<String, String>)> = Vec::new();
    for chunk in formats.chunks(jobs) {
        let done: Vec<(&str, Result<String, String>)> = std::thread::scope(|scope| {
            let running: Vec<_> = chunk.iter().map(|t| (t.name, scope.spawn(|| run_child(t, &settings)))).collect();
            running.into_iter().map(|(name, handle)| (name, handle.join().expect("child runner"))).collect()
        });
        results.extend(done);
    }
    println!("fuzz: summary (run seed {:#x})", settings.seed);
    let mut failed = Vec::new();
    for (name, result) in &results {
        match result {
            Ok(line) => println!("  {line}"),
            Err(why) => {
                println!("  {name}: FAILED: {why}");
                failed.push(*name);
            }
        }
    }
    assert!(failed.is_empty(), "importers that panicked, hung or crashed: {failed:?} (inputs saved, see above)");
}

/// Runs one format's campaign in a child process; `Ok` is its figures line.
fn run_child(target: &Target, settings: &Settings) -> Result<String, String> {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args(["importers_survive_mutated_files", "--exact", "--nocapture", "--test-threads=1", "-q"])
        .env("ODG_FUZZ_CHILD", target.name)
        .env("ODG_FUZZ_SEED", settings.seed.to_string())
        .env_remove("ODG_FUZZ_REPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the test binary runs again");
    let stderr = child.stderr.take().expect("piped");
    let errors = std::thread::spawn(move || {
        let mut tail: Vec<String> = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            tail.push(line);
            if tail.len() > 40 {
                tail.remove(0);
            }
        }
        tail
    });
    let mut figures = None;
    for line in BufReader::new(child.stdout.take().expect("piped")).lines().map_while(Result::ok) {
        if line.starts_with("fuzz-") || line.starts_with("  ") {
            println!("[{}] {line}", target.name);
        }
        if line.starts_with("fuzz-figures") {
            figures = Some(line);
        }
    }
    let status = child.wait().expect("child status");
    let stderr_tail = errors.join().unwrap_or_default();
    match (status.success(), figures) {
        (true, Some(line)) => Ok(line),
        (false, Some(line)) => Err(line),
        (_, None) => {
            // The process died in a case: its input is still where the case wrote it.
            let work = settings.work.join(target.name);
            let note = std::fs::read_to_string(work.join("current.txt")).unwrap_or_default();
            let mut parts = note.split_whitespace();
            let (seed, name) = (parts.next().unwrap_or("0x0"), parts.next().unwrap_or("upload"));
            std::fs::create_dir_all(&settings.findings).expect("findings directory");
            let saved = settings.findings.join(format!("{}-{}-{name}", target.name, seed.trim_start_matches("0x")));
            let _ = std::fs::copy(work.join("current"), &saved);
            for line in &stderr_tail {
                println!("[{}] stderr: {line}", target.name);
            }
            Err(format!("the process died ({status}) in case {seed} ({note:?}); input saved at {}", saved.display()))
        }
    }
}

/// `ODG_FUZZ_REPLAY=<format>:<case seed>`: that case again, its input saved.
fn replay_one(replay: &str, settings: &Settings) {
    let (format, seed) = replay.split_once(':').expect("ODG_FUZZ_REPLAY=<format>:<case seed>");
    let seed = seed.trim();
    let seed = match seed.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => seed.parse(),
    }
    .expect("a case seed");
    let target = target(format);
    let mutant = mutant(target, &seeds(target), seed);
    let saved = save(settings, format, seed, &mutant);
    println!(
        "replay {format} {seed:#018x}: {} ({} bytes, crs {:?}) saved at {}",
        mutant.name,
        mutant.bytes.len(),
        mutant.crs,
        saved.display()
    );
    let (end, took) = case::run(&saved, &mutant.name, mutant.crs, settings.bound);
    println!("replay: {end:?} in {took:?}");
    assert!(matches!(end, End::Done(_)), "the case still fails");
}

#[test]
fn every_seed_imports_as_the_server_imports_it() {
    case::install_panic_hook();
    for target in TARGETS {
        for seed in seeds(target) {
            let path = fixtures().join(target.name).join(&seed.name);
            match case::import_like_the_server(&path, &seed.name, None) {
                Outcome::Imported { features, .. } => assert!(features > 0, "{}", seed.name),
                Outcome::Refused(e) => panic!("the seed {}/{} is refused: {e}", target.name, seed.name),
            }
        }
    }
}

/// Inputs the harness once found failing, kept in `tests/fixtures/<format>/regressions/`.
#[test]
fn inputs_that_once_failed_now_end_cleanly() {
    case::install_panic_hook();
    for target in TARGETS {
        for path in files_in(&fixtures().join(target.name).join("regressions")) {
            let name = path.file_name().and_then(|n| n.to_str()).expect("UTF-8 name").to_owned();
            let (end, took) = case::run(&path, &name, None, Duration::from_secs(30));
            assert!(matches!(end, End::Done(_)), "{}/regressions/{name}: {end:?} after {took:?}", target.name);
        }
    }
}
