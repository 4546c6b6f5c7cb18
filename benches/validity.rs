//! Polygon validation benchmark: `odg::spatial::validity::check` against
//! `geo`'s `check_validation` (the former, quadratic one) on a circle, a
//! star whose long spikes all cross the same longitudes, a comb, and a
//! shell with many holes.
//!
//! Run: `cargo bench --bench validity` (optimised), or `cargo test --bench
//! validity` for a debug build. `ODG_BENCH_GEO_MAX` (default 20 000) is the
//! largest vertex count timed with `geo` too: above it, `geo` takes minutes.
//! Prints its figures; it asserts nothing but the verdicts.

use geo::Validation;
use geo_types::{Geometry, LineString, Polygon};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

fn main() {
    let geo_max: usize = std::env::var("ODG_BENCH_GEO_MAX").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let mut cases: Vec<(String, Polygon<f64>)> = Vec::new();
    for n in [10_000, 40_000, 60_000, 100_000] {
        cases.push((format!("circle {n}"), Polygon::new(ring(n, |_| 0.5), vec![])));
    }
    cases.push(("star 60000".into(), Polygon::new(ring(60_000, |i| if i % 2 == 0 { 0.5 } else { 0.001 }), vec![])));
    cases.push(("comb 60000".into(), comb(15_000)));
    cases.push(("shell 40000 + 2000 holes".into(), holed(40_000, 2_000)));
    for (label, polygon) in cases {
        let vertices = polygon.exterior().0.len() + polygon.interiors().iter().map(|r| r.0.len()).sum::<usize>();
        let geometry = Geometry::Polygon(polygon);
        let started = Instant::now();
        let ours = odg::spatial::validity::check(&geometry, &AtomicBool::new(false));
        let ours_ms = started.elapsed().as_secs_f64() * 1000.0;
        assert!(ours.is_ok(), "{label}: {ours:?}");
        let reference = if vertices <= geo_max {
            let started = Instant::now();
            let verdict = geometry.check_validation();
            assert!(verdict.is_ok(), "{label}: {verdict:?}");
            format!("{:.0} ms", started.elapsed().as_secs_f64() * 1000.0)
        } else {
            "not run".into()
        };
        println!("{label:28} vertices={vertices:<7} odg={ours_ms:>8.1} ms  geo={reference}");
    }
}

/// A closed ring of `n` vertices around (13, -1.5), radius `r(i)` degrees.
fn ring(n: usize, r: impl Fn(usize) -> f64) -> LineString<f64> {
    let mut points: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            (13.0 + r(i) * a.cos(), -1.5 + r(i) * a.sin())
        })
        .collect();
    points.push(points[0]);
    points.into()
}

/// `teeth` long horizontal teeth: every tooth spans the same longitudes.
fn comb(teeth: usize) -> Polygon<f64> {
    let mut points = vec![(0.0, 0.0)];
    for t in 0..teeth {
        let y = t as f64 * 2.0;
        points.extend([(10.0, y), (10.0, y + 1.0), (0.5, y + 1.0), (0.5, y + 2.0)]);
    }
    points.extend([(0.0, teeth as f64 * 2.0), (0.0, 0.0)]);
    Polygon::new(points.into(), vec![])
}

/// A circle with `holes` small square holes on a grid inside it.
fn holed(n: usize, holes: usize) -> Polygon<f64> {
    let side = (holes as f64).sqrt().ceil() as usize;
    let step = 0.6 / side as f64;
    let interiors = (0..holes)
        .map(|k| {
            let (x, y) = (12.7 + (k % side) as f64 * step, -1.8 + (k / side) as f64 * step);
            let d = step / 3.0;
            vec![(x, y), (x, y + d), (x + d, y + d), (x + d, y), (x, y)].into()
        })
        .collect();
    Polygon::new(ring(n, |_| 0.5), interiors)
}
