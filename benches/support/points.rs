//! Generated GeoJSON over Gabon for the import and tile benchmarks and the
//! bounded-memory import test (included with `#[path]`), and the peak
//! resident memory of a process.

use std::io::Write;

/// What each generated feature is.
#[derive(Clone, Copy)]
#[allow(dead_code)] // Each includer uses some of the shapes.
pub enum Shape {
    /// A point with `id`, `n`, `teneur` and `nom`.
    NamedPoint,
    /// A point with `n` and `teneur`.
    Point,
    /// A square of about 100–300 m with `n` and `teneur`.
    Square,
}

/// Writes a FeatureCollection of `count` features spread deterministically
/// over Gabon (no random-number crate); returns the file's size.
pub fn write_features(path: &std::path::Path, count: u64, shape: Shape) -> u64 {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n").expect("write");
    let mut seed = match shape {
        Shape::Square => 0x9e37_79b9_7f4a_7c15u64,
        _ => 0x2545_f491_4f6c_dd1du64,
    };
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..count {
        if i > 0 {
            out.write_all(b",\n").expect("write");
        }
        let (lon, lat) = (8.7 + next() * 5.6, -3.9 + next() * 6.2);
        match shape {
            Shape::NamedPoint => write!(
                out,
                "{{\"type\":\"Feature\",\"id\":{i},\"properties\":{{\"n\":{i},\"teneur\":{:.2},\"nom\":\"pt-{i}\"}},\
                 \"geometry\":{{\"type\":\"Point\",\"coordinates\":[{lon:.6},{lat:.6}]}}}}",
                next() * 60.0
            ),
            Shape::Point => write!(
                out,
                "{{\"type\":\"Feature\",\"properties\":{{\"n\":{i},\"teneur\":{:.2}}},\
                 \"geometry\":{{\"type\":\"Point\",\"coordinates\":[{lon:.6},{lat:.6}]}}}}",
                next() * 60.0
            ),
            Shape::Square => {
                let d = 0.001 + next() * 0.002;
                write!(
                    out,
                    "{{\"type\":\"Feature\",\"properties\":{{\"n\":{i},\"teneur\":{:.2}}},\"geometry\":{{\"type\":\"Polygon\",\
                     \"coordinates\":[[[{lon:.6},{lat:.6}],[{:.6},{lat:.6}],[{:.6},{:.6}],[{lon:.6},{:.6}],[{lon:.6},{lat:.6}]]]}}}}",
                    next() * 60.0,
                    lon + d,
                    lon + d,
                    lat + d,
                    lat + d
                )
            }
        }
        .expect("write");
    }
    out.write_all(b"\n]}\n").expect("write");
    out.flush().expect("flush");
    std::fs::metadata(path).expect("metadata").len()
}

/// Peak resident memory of a running process, in kB (`VmHWM`).
#[allow(dead_code)]
pub fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}
