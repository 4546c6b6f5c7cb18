//! Mutations of seed files: the byte-level moves of a havoc stage (bit
//! flips, interesting values, inserts, deletes, duplicated ranges,
//! truncation, splicing two seeds, dictionary tokens) and, where cheap,
//! moves that know the format: numbers, nesting, long strings and duplicate
//! keys in text; members of ZIP archives mutated and re-zipped (so that
//! their CRCs hold and the reader behind the archive is reached); TIFF
//! directory entries and GeoKeys; the geometry blobs and CRS definitions
//! inside a GeoPackage, overwritten in place so that SQLite's pages stay
//! readable.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::io::{Cursor, Read, Write};

/// How a seed's bytes are shaped, which decides the structure-aware moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Json,
    Xml,
    Csv,
    /// An SQLite database: lengths must not change, or every page after is garbage.
    Sqlite,
    Tiff,
    /// A ZIP whose members are mutated as `Shape::of_member` says.
    Zip,
    Binary,
}

impl Shape {
    fn is_text(self) -> bool {
        matches!(self, Shape::Json | Shape::Xml | Shape::Csv)
    }

    /// The shape of a ZIP member, from its name.
    fn of_member(name: &str) -> Shape {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".kml") {
            Shape::Xml
        } else if lower.ends_with(".prj") || lower.ends_with(".cpg") {
            Shape::Csv
        } else {
            Shape::Binary
        }
    }
}

/// Files grow at most to this by insertions (a long string may reach it once).
const MAX_LEN: usize = 4 << 20;

/// Integers that break parsers: boundaries of every width, signed and not.
const INTERESTING: &[u64] = &[
    0,
    1,
    2,
    3,
    7,
    8,
    16,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x3fff,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX,
];

/// Floats as their bits: NaN, infinities, extremes, negative zero.
fn interesting_f64(rng: &mut StdRng) -> f64 {
    *[
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        5e-324,
        -0.0,
        1e300,
        181.0,
        -91.0,
    ]
    .choose(rng)
    .expect("non-empty")
}

/// Numbers as text that break number parsing and range checks.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1e308",
    "1e309",
    "-1e999",
    "1e-400",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "9007199254740993",
    "18446744073709551616",
    "-9223372036854775809",
    "123456789012345678901234567890.5",
    "0.000000000000000000000000000000000001",
    "1.7976931348623157e308",
    "4.9e-324",
    "1e",
    "--1",
    "0x10",
    "1_000",
    "\u{661}\u{662}",
    "+5",
    ".5",
    "5.",
    "1,5",
    "181",
    "-90.0000001",
    "99999999999999999999999999999999999999999999999999999999999999999999",
];

/// Tokens of each text format, inserted or written over what is there.
fn dictionary(shape: Shape) -> &'static [&'static str] {
    match shape {
        Shape::Json => &[
            "\"type\"",
            "\"Feature\"",
            "\"FeatureCollection\"",
            "\"features\"",
            "\"geometry\"",
            "\"geometries\"",
            "\"coordinates\"",
            "\"properties\"",
            "\"crs\"",
            "\"id\"",
            "\"bbox\"",
            "\"Point\"",
            "\"MultiPoint\"",
            "\"LineString\"",
            "\"MultiLineString\"",
            "\"Polygon\"",
            "\"MultiPolygon\"",
            "\"GeometryCollection\"",
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "null",
            "true",
            "\"",
            "\"\\u0000\"",
            "\"\\ud800\"",
            "\u{1e}",
            "\n",
            "{\"type\":\"name\",\"properties\":{\"name\":\"EPSG:32633\"}}",
            "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::4326\"}},",
            "\"urn:ogc:def:crs:OGC:1.3:CRS84\"",
            "\"EPSG:999999\"",
            "[[[0,0],[1,0],[1,1],[0,0]]]",
            "[]",
            "[[]]",
            "[1e999,0]",
            "{\"type\":\"GeometryCollection\",\"geometries\":[]}",
            "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]},\"properties\":{}}\n",
        ],
        Shape::Xml => &[
            "<kml>",
            "</kml>",
            "<Placemark>",
            "</Placemark>",
            "<Point>",
            "</Point>",
            "<coordinates>",
            "</coordinates>",
            "<Polygon>",
            "</Polygon>",
            "<outerBoundaryIs>",
            "<innerBoundaryIs>",
            "<LinearRing>",
            "</LinearRing>",
            "<MultiGeometry>",
            "<LineString>",
            "<Folder>",
            "</Folder>",
            "<name>",
            "</name>",
            "<ExtendedData>",
            "<Data name=\"x\">",
            "<value>",
            "<SimpleData name=\"y\">",
            "<SimpleData name=\"z\"/>",
            "<![CDATA[",
            "]]>",
            "&amp;",
            "&lt;",
            "&#0;",
            "&#x110000;",
            "&unknown;",
            "<!DOCTYPE kml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>",
            "&b;",
            "<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
            "<!-- -->",
            "xmlns:gx=\"x\" ",
            "<gpx version=\"1.1\">",
            "<wpt lat=\"0\" lon=\"0\">",
            "</wpt>",
            "<trk>",
            "<trkseg>",
            "</trkseg>",
            "<trkpt lat=\"1e999\" lon=\"NaN\">",
            "<rte>",
            "<rtept lat=\"-91\" lon=\"181\"/>",
            "<ele>",
            "<time>2024-13-45T25:61:61Z</time>",
            "<extensions>",
            "<link href=\"http://x\">",
            "<email id=\"a\" domain=\"b\"/>",
            "<bounds minlat=\"1\" minlon=\"1\" maxlat=\"0\" maxlon=\"0\"/>",
            "<",
            ">",
            "/>",
            "\"",
            "=",
            " ",
            ",",
        ],
        _ => &[
            ";",
            ",",
            "\t",
            "|",
            "\"",
            "\"\"",
            "\n",
            "\r\n",
            "\r",
            "#",
            "lon",
            "lat",
            "WKT",
            "POINT(0 0)",
            "POINT EMPTY",
            "POLYGON((0 0,1 0,1 1,0 0))",
            "POLYGON((0 0,1 1,1 0,0 1,0 0))",
            "GEOMETRYCOLLECTION(",
            "MULTIPOLYGON(((",
            "LINESTRING(",
            "POINT ZM (1 2 3 4)",
            "TRIANGLE((0 0,1 0,0 1,0 0))",
            "SRID=4326;POINT(1 2)",
            "(",
            ")",
            "PROJCS[",
            "GEOGCS[",
            "PARAMETER[\"false_easting\",1e999]",
            "UNIT[\"metre\",0]",
            "]",
            "UTF-8",
            "65001",
            "\u{feff}",
        ],
    }
}

/// Byte sequences around which binary formats keep what ODG parses itself.
fn markers(shape: Shape) -> &'static [&'static [u8]] {
    match shape {
        // GeoPackage binary headers, CRS definitions, the schema.
        Shape::Sqlite => &[b"GP\0", b"PROJCS[", b"GEOGCS[", b"EPSG", b"CREATE TABLE", b"features", b"gpkg_"],
        _ => &[],
    }
}

/// Offsets of the seed's markers (searched once per seed: a search per
/// move would cost more than the case in a debug build).
pub fn marks(shape: Shape, data: &[u8]) -> Vec<usize> {
    let mut marks: Vec<usize> = markers(shape)
        .iter()
        .flat_map(|m| data.windows(m.len()).enumerate().filter(move |(_, w)| w == m).map(|(i, _)| i))
        .collect();
    marks.sort_unstable();
    marks
}

/// One mutant of `seed`: 1 to 4 moves stacked (more rarely up to 12).
/// `marks` are the seed's markers ([`marks`]).
pub fn mutate(rng: &mut StdRng, seed: &[u8], marks: &[usize], shape: Shape, others: &[&[u8]]) -> Vec<u8> {
    if shape == Shape::Zip
        && rng.gen_bool(0.8)
        && let Some(out) = mutate_zip(rng, seed, others)
    {
        return out;
    }
    let mut data = seed.to_vec();
    let moves = if rng.gen_bool(0.1) { rng.gen_range(4..=12) } else { rng.gen_range(1..=4) };
    for _ in 0..moves {
        one_move(rng, &mut data, marks, shape, others);
    }
    data
}

fn one_move(rng: &mut StdRng, data: &mut Vec<u8>, marks: &[usize], shape: Shape, others: &[&[u8]]) {
    match shape {
        Shape::Sqlite => return in_place(rng, data, marks),
        // A TIFF move, or a byte move when the header is unreadable.
        Shape::Tiff if rng.gen_bool(0.6) && tiff_move(rng, data) => return,
        _ if shape.is_text() && rng.gen_bool(0.5) => return text_move(rng, data, shape),
        _ => {}
    }
    byte_move(rng, data, others)
}

/// Same-length overwrites, most of them shortly after a marker.
fn in_place(rng: &mut StdRng, data: &mut [u8], marks: &[usize]) {
    if data.is_empty() {
        return;
    }
    let near = marks.choose(rng).map(|m| m + rng.gen_range(0..64)).filter(|at| *at < data.len());
    let at = match near {
        Some(at) if rng.gen_bool(0.6) => at,
        _ => rng.gen_range(0..data.len()),
    };
    match rng.gen_range(0..4) {
        0 => data[at] ^= 1 << rng.gen_range(0..8),
        1 => data[at] = rng.r#gen(),
        2 => {
            let bytes = interesting_bytes(rng);
            let end = (at + bytes.len()).min(data.len());
            data[at..end].copy_from_slice(&bytes[..end - at]);
        }
        _ => {
            // A digit for a digit: numbers inside text change, lengths do not.
            let end = (at + 32).min(data.len());
            if let Some(d) = data[at..end].iter().position(u8::is_ascii_digit) {
                data[at + d] = b'0' + rng.gen_range(0..10);
            }
        }
    }
}

/// An interesting integer or float, in 1, 2, 4 or 8 bytes, either byte order.
fn interesting_bytes(rng: &mut StdRng) -> Vec<u8> {
    let big = rng.gen_bool(0.5);
    if rng.gen_bool(0.2) {
        let f = interesting_f64(rng);
        return if big { f.to_be_bytes().to_vec() } else { f.to_le_bytes().to_vec() };
    }
    let mut v = *INTERESTING.choose(rng).expect("non-empty");
    if rng.gen_bool(0.2) {
        v = v.wrapping_neg();
    }
    let width = *[1usize, 2, 4, 8].choose(rng).expect("non-empty");
    if big { v.to_be_bytes()[8 - width..].to_vec() } else { v.to_le_bytes()[..width].to_vec() }
}

fn byte_move(rng: &mut StdRng, data: &mut Vec<u8>, others: &[&[u8]]) {
    if data.is_empty() {
        data.push(rng.r#gen());
        return;
    }
    let len = data.len();
    let at = rng.gen_range(0..len);
    match rng.gen_range(0..10) {
        0 => {
            for _ in 0..rng.gen_range(1..=8) {
                let i = rng.gen_range(0..len);
                data[i] ^= 1 << rng.gen_range(0..8);
            }
        }
        1 => data[at] = rng.r#gen(),
        2 => {
            let bytes = interesting_bytes(rng);
            let end = (at + bytes.len()).min(len);
            data[at..end].copy_from_slice(&bytes[..end - at]);
        }
        3 if len < MAX_LEN => {
            let bytes: Vec<u8> = (0..rng.gen_range(1..=32)).map(|_| rng.r#gen()).collect();
            data.splice(at..at, bytes);
        }
        4 => {
            let most = if rng.gen_bool(0.9) { 16 } else { 4096 };
            let n = rng.gen_range(1..=(len - at).min(most));
            data.drain(at..at + n);
        }
        5 if len < MAX_LEN => {
            // A range copied elsewhere, or repeated in place (duplicated members, keys, records).
            let n = rng.gen_range(1..=(len - at).min(256));
            let piece = data[at..at + n].to_vec();
            let to = if rng.gen_bool(0.5) { at + n } else { rng.gen_range(0..=len) };
            let times = if rng.gen_bool(0.9) { 1 } else { rng.gen_range(2..64) };
            for _ in 0..times {
                data.splice(to..to, piece.iter().copied());
            }
        }
        6 => data.truncate(at),
        7 => {
            // Splice: this seed's head, another's tail.
            if let Some(other) = others.choose(rng).filter(|o| !o.is_empty()) {
                let from = rng.gen_range(0..other.len());
                data.truncate(at);
                data.extend_from_slice(&other[from..]);
            }
        }
        _ => {
            // Overwrite a range with bytes of the same file (moves structures around).
            let n = rng.gen_range(1..=(len - at).min(64));
            let from = rng.gen_range(0..len - n + 1);
            let piece = data[from..from + n].to_vec();
            data[at..at + n].copy_from_slice(&piece);
        }
    }
}

fn text_move(rng: &mut StdRng, data: &mut Vec<u8>, shape: Shape) {
    let at = if data.is_empty() { 0 } else { rng.gen_range(0..=data.len()) };
    match rng.gen_range(0..11) {
        9 if data.len() < MAX_LEN && !data.is_empty() => {
            // Amplification: a short piece repeated thousands of times (positions, rows, elements).
            let start = rng.gen_range(0..data.len());
            let piece = data[start..(start + rng.gen_range(2..=40)).min(data.len())].to_vec();
            let times = (*[1000usize, 10_000, 50_000].choose(rng).expect("x")).min(MAX_LEN / piece.len());
            data.splice(start..start, piece.repeat(times));
        }
        10 if data.len() < MAX_LEN => {
            // Floods of distinct names: attributes or namespaces on an element, keys in an object.
            let n = *[1000usize, 5000, 30_000].choose(rng).expect("x");
            let (after, item): (u8, fn(usize) -> String) = match shape {
                Shape::Json => (b'{', |i| format!("\"k{i}\":1,")),
                Shape::Xml if rng.gen_bool(0.5) => (b'<', |i| format!("a{i}=\"1\" ")),
                Shape::Xml => (b'<', |i| format!("xmlns:n{i}=\"urn:n{i}\" ")),
                _ => (b'\n', |i| format!("c{i};")),
            };
            let spots: Vec<usize> = data.iter().enumerate().filter(|(_, b)| **b == after).map(|(i, _)| i).collect();
            if let Some(&spot) = spots.choose(rng) {
                // After an element's name, or just after the brace or newline.
                let at = match shape {
                    Shape::Xml => {
                        spot + 1
                            + data[spot + 1..].iter().position(|b| b.is_ascii_whitespace() || *b == b'>').unwrap_or(0)
                    }
                    _ => spot + 1,
                };
                let flood: String = (0..n).map(item).collect();
                let flood = if shape == Shape::Xml { format!(" {flood}") } else { flood };
                data.splice(at..at, flood.into_bytes());
            }
        }
        0 | 1 => {
            // A dictionary token, inserted or written over what is there.
            let token = dictionary(shape).choose(rng).expect("non-empty").as_bytes();
            if rng.gen_bool(0.5) || at + token.len() > data.len() {
                data.splice(at..at, token.iter().copied());
            } else {
                data[at..at + token.len()].copy_from_slice(token);
            }
        }
        2 | 3 => {
            // A number replaced by one that breaks parsers or ranges.
            let numbers = number_spans(data);
            let replacement = NUMBERS.choose(rng).expect("non-empty").as_bytes();
            match numbers.choose(rng) {
                Some(&(start, end)) => {
                    data.splice(start..end, replacement.iter().copied());
                }
                None => {
                    data.splice(at..at, replacement.iter().copied());
                }
            }
        }
        4 if data.len() < MAX_LEN => {
            // Deep nesting.
            let depth = *[64usize, 200, 1000, 10_000, 100_000].choose(rng).expect("non-empty");
            let (open, close): (&str, &str) = match shape {
                Shape::Json => *[("[", "]"), ("{\"a\":", "}"), ("{\"geometries\":[", "]}")].choose(rng).expect("x"),
                Shape::Xml => *[("<Folder>", "</Folder>"), ("<a>", "</a>"), ("<MultiGeometry>", "</MultiGeometry>")]
                    .choose(rng)
                    .expect("x"),
                _ => *[("GEOMETRYCOLLECTION(", ")"), ("(", ")"), ("POLYGON((", "))")].choose(rng).expect("x"),
            };
            let closed = rng.gen_bool(0.5);
            let mut nest = open.repeat(depth);
            if closed {
                nest.push_str(&close.repeat(depth));
            }
            data.splice(at..at, nest.into_bytes());
        }
        5 if data.len() < MAX_LEN => {
            // A long string, preferably inside a value.
            let n = *[300usize, 5000, 70_000, 1 << 20].choose(rng).expect("non-empty");
            let fill = *[b'a', b' ', b'9', b',', b'\\', b'\xc3'].choose(rng).expect("non-empty");
            let quote = match shape {
                Shape::Json => b'"',
                Shape::Xml => b'>',
                _ => b';',
            };
            let at = data.iter().enumerate().filter(|(_, b)| **b == quote).map(|(i, _)| i + 1).collect::<Vec<_>>();
            let at = at.choose(rng).copied().unwrap_or(0);
            data.splice(at..at, std::iter::repeat_n(fill, n));
        }
        6 => {
            // A line duplicated, dropped or swapped with another.
            let lines: Vec<(usize, usize)> = line_spans(data);
            if lines.len() >= 2 {
                let a = *lines.choose(rng).expect("non-empty");
                let b = *lines.choose(rng).expect("non-empty");
                let (la, lb) = (data[a.0..a.1].to_vec(), data[b.0..b.1].to_vec());
                match rng.gen_range(0..3) {
                    0 => {
                        data.splice(a.0..a.0, la);
                    }
                    1 => {
                        data.drain(a.0..a.1);
                    }
                    _ if a.0 < b.0 && a.1 <= b.0 => {
                        data.splice(b.0..b.1, la);
                        data.splice(a.0..a.1, lb);
                    }
                    _ => {}
                }
            }
        }
        7 if shape == Shape::Json => {
            // A key repeated with another value: `"k": v, "k": <token>`.
            let keys: Vec<usize> =
                data.windows(2).enumerate().filter(|(_, w)| w == b"\":").map(|(i, _)| i + 2).collect();
            if let Some(&after) = keys.choose(rng) {
                let start = data[..after - 2].iter().rposition(|b| *b == b'"').unwrap_or(0);
                let key = data[start..after].to_vec();
                let value = *["null", "1", "\"x\"", "[]", "{}", "\"Point\"", "[1e999,1]"].choose(rng).expect("x");
                let mut pair = key;
                pair.extend_from_slice(value.as_bytes());
                pair.push(b',');
                data.splice(start..start, pair);
            }
        }
        _ => {
            // Bytes that are not UTF-8, byte order marks, control characters.
            let bytes: &[u8] = [
                b"\xff".as_slice(),
                b"\xc3",
                b"\xef\xbb\xbf",
                b"\xff\xfe",
                b"\xed\xa0\x80",
                b"\0",
                b"\x1b[31m",
                b"\xf4\x90\x80\x80",
            ]
            .choose(rng)
            .expect("non-empty");
            data.splice(at..at, bytes.iter().copied());
        }
    }
}

/// Runs of digits, with a leading minus and a fraction, as (start, end).
fn number_spans(data: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i].is_ascii_digit() {
            let start = if i > 0 && data[i - 1] == b'-' { i - 1 } else { i };
            while i < data.len() && (data[i].is_ascii_digit() || matches!(data[i], b'.' | b'e' | b'E')) {
                i += 1;
            }
            spans.push((start, i));
        }
        i += 1;
    }
    spans
}

/// Lines with their newline, as (start, end).
fn line_spans(data: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, b) in data.iter().enumerate() {
        if *b == b'\n' {
            spans.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < data.len() {
        spans.push((start, data.len()));
    }
    spans
}

/// A ZIP rebuilt from mutated members: one member's content mutated,
/// members dropped, renamed, added or swapped. `None` when the seed is
/// not a readable ZIP.
fn mutate_zip(rng: &mut StdRng, seed: &[u8], others: &[&[u8]]) -> Option<Vec<u8>> {
    let mut members = unzip(seed)?;
    if members.is_empty() {
        return None;
    }
    let i = rng.gen_range(0..members.len());
    match rng.gen_range(0..10) {
        0 => {
            members.remove(i);
        }
        1 => {
            let (name, _) = &mut members[i];
            let renamed = match rng.gen_range(0..6) {
                0 => name.to_ascii_uppercase(),
                1 => format!("sub/{name}"),
                2 => format!("../{name}"),
                3 => format!("__MACOSX/{name}"),
                4 => format!("{name}.bak"),
                _ => format!("C:{name}"),
            };
            *name = renamed;
        }
        2 => {
            // A second member of the same kind (a second .shp, a second .kml).
            let (name, data) = members[i].clone();
            members.push((format!("copy-{name}"), data));
        }
        3 if members.len() >= 2 => {
            let j = rng.gen_range(0..members.len());
            let (a, b) = (members[i].1.clone(), members[j].1.clone());
            members[i].1 = b;
            members[j].1 = a;
        }
        _ => {
            // Mutated content, spliced with the same member of another seed where there is one.
            let (name, data) = &members[i];
            let shape = Shape::of_member(name);
            let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
            let same_kind: Vec<Vec<u8>> = others
                .iter()
                .filter_map(|o| unzip(o))
                .flat_map(|m| m.into_iter())
                .filter(|(n, _)| n.to_ascii_lowercase().ends_with(&format!(".{ext}")))
                .map(|(_, d)| d)
                .collect();
            let refs: Vec<&[u8]> = same_kind.iter().map(Vec::as_slice).collect();
            let mutated = mutate(rng, data, &[], shape, &refs);
            members[i].1 = mutated;
        }
    }
    let deflate = rng.gen_bool(0.5);
    let mut out = Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let method = if deflate { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in &members {
        zip.start_file(name.as_str(), options).ok()?;
        zip.write_all(data).ok()?;
    }
    zip.finish().ok()?;
    let mut bytes = out.into_inner();
    // Now and then the archive itself too.
    if rng.gen_bool(0.15) {
        byte_move(rng, &mut bytes, &[]);
    }
    Some(bytes)
}

/// Every file member of a ZIP, in order.
pub fn unzip(bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut members = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).ok()?;
        if entry.is_dir() {
            continue;
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).ok()?;
        members.push((entry.name().to_owned(), data));
    }
    Some(members)
}

/// A move on a TIFF's structure: an IFD entry's tag, type, count or value
/// rewritten, a GeoKey changed, or the IFD chain looped. `false` when the
/// file has no readable header (the caller makes a byte move instead).
fn tiff_move(rng: &mut StdRng, data: &mut [u8]) -> bool {
    let Some(layout) = TiffLayout::of(data) else { return false };
    if layout.entries.is_empty() {
        return false;
    }
    let &entry = layout.entries.choose(rng).expect("non-empty");
    let (count_width, value_width) = if layout.big { (8, 8) } else { (4, 4) };
    match rng.gen_range(0..6) {
        0 => {
            // Another tag ODG or the decoder reads.
            let tags: [u16; 17] =
                [254, 256, 257, 258, 273, 277, 279, 322, 323, 324, 325, 339, 33550, 33922, 34264, 34735, 42113];
            layout.put(data, entry, &u64::from(*tags.choose(rng).expect("x")).to_le_bytes()[..2], 2);
        }
        1 => layout.put(data, entry + 2, &u64::from(rng.gen_range(0u16..20)).to_le_bytes()[..2], 2),
        2 => {
            let v = *INTERESTING.choose(rng).expect("x");
            layout.put(data, entry + 4, &v.to_le_bytes()[..count_width], count_width);
        }
        3 => {
            let v = if rng.gen_bool(0.5) {
                *INTERESTING.choose(rng).expect("x")
            } else {
                rng.gen_range(0..data.len() as u64 + 16)
            };
            layout.put(data, entry + 4 + count_width, &v.to_le_bytes()[..value_width], value_width);
        }
        4 => {
            // The next-IFD pointer back to the first IFD, or anywhere.
            if let Some(&next) = layout.next_pointers.choose(rng) {
                let to = if rng.gen_bool(0.5) { layout.first_ifd } else { rng.gen_range(0..data.len() as u64) };
                layout.put(data, next, &to.to_le_bytes()[..value_width], value_width);
            }
        }
        _ => {
            // A GeoKey's value, count or key id.
            let Some(keys) = layout.geo_keys else { return false };
            let shorts = (data.len().saturating_sub(keys)) / 2;
            if shorts == 0 {
                return false;
            }
            let i = rng.gen_range(0..shorts.min(64));
            let v = *[0u16, 1, 2, 3, 1024, 1025, 2048, 3072, 4326, 32633, 32767, 65535, 9999].choose(rng).expect("x");
            layout.put(data, keys + 2 * i, &u64::from(v).to_le_bytes()[..2], 2);
        }
    }
    true
}

/// Where a TIFF's directory entries are.
struct TiffLayout {
    big_endian: bool,
    big: bool,
    first_ifd: u64,
    /// Byte offsets of IFD entries.
    entries: Vec<usize>,
    /// Byte offsets of next-IFD pointers.
    next_pointers: Vec<usize>,
    /// Byte offset of the GeoKeyDirectory's SHORTs.
    geo_keys: Option<usize>,
}

impl TiffLayout {
    fn of(data: &[u8]) -> Option<TiffLayout> {
        let big_endian = match data.get(..2)? {
            b"II" => false,
            b"MM" => true,
            _ => return None,
        };
        let read = |at: usize, width: usize| -> Option<u64> {
            let bytes = data.get(at..at + width)?;
            let mut v = 0u64;
            if big_endian {
                for b in bytes {
                    v = (v << 8) | u64::from(*b);
                }
            } else {
                for b in bytes.iter().rev() {
                    v = (v << 8) | u64::from(*b);
                }
            }
            Some(v)
        };
        let big = match read(2, 2)? {
            42 => false,
            43 => true,
            _ => return None,
        };
        let first_ifd = if big { read(8, 8)? } else { read(4, 4)? };
        let (count_width, entry_size) = if big { (8, 20) } else { (2, 12) };
        let mut layout =
            TiffLayout { big_endian, big, first_ifd, entries: Vec::new(), next_pointers: Vec::new(), geo_keys: None };
        let mut ifd = first_ifd;
        for _ in 0..8 {
            let at = usize::try_from(ifd).ok()?;
            let Some(n) = read(at, count_width) else { break };
            let n = usize::try_from(n.min(512)).ok()?;
            for k in 0..n {
                let entry = at + count_width + k * entry_size;
                if entry + entry_size > data.len() {
                    break;
                }
                layout.entries.push(entry);
                if read(entry, 2) == Some(34735) {
                    let value_at = entry + 4 + if big { 8 } else { 4 };
                    let count = read(entry + 4, if big { 8 } else { 4 }).unwrap_or(0);
                    let inline = if big { count <= 4 } else { count <= 2 };
                    layout.geo_keys = if inline {
                        Some(value_at)
                    } else {
                        read(value_at, if big { 8 } else { 4 }).and_then(|v| usize::try_from(v).ok())
                    };
                }
            }
            let next = at + count_width + n * entry_size;
            if next + if big { 8 } else { 4 } > data.len() {
                break;
            }
            layout.next_pointers.push(next);
            ifd = read(next, if big { 8 } else { 4 })?;
            if ifd == 0 {
                break;
            }
        }
        Some(layout)
    }

    /// Writes `width` bytes of the little-endian `le` in the file's byte order.
    fn put(&self, data: &mut [u8], at: usize, le: &[u8], width: usize) {
        let Some(target) = data.get_mut(at..at + width) else { return };
        if self.big_endian {
            for (t, b) in target.iter_mut().zip(le.iter().rev()) {
                *t = *b;
            }
        } else {
            target.copy_from_slice(&le[..width]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn mutants_differ_from_their_seed_and_are_reproducible() {
        let seed = br#"{"type": "Point", "coordinates": [9.45, 0.39]}"#;
        let a: Vec<Vec<u8>> =
            (0..50).map(|i| mutate(&mut StdRng::seed_from_u64(i), seed, &[], Shape::Json, &[])).collect();
        let b: Vec<Vec<u8>> =
            (0..50).map(|i| mutate(&mut StdRng::seed_from_u64(i), seed, &[], Shape::Json, &[])).collect();
        assert_eq!(a, b);
        assert!(a.iter().filter(|m| m.as_slice() != seed).count() > 40);
    }
}
