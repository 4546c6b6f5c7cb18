//! Whether segments meet where they must not: a Shamos–Hoey sweep line.
//!
//! Testing every pair of segments costs the square of their number: a
//! 60 000-vertex ring is 1.8 billion pairs, half a minute of one core. A
//! line swept from west to east only tests segments that become neighbours
//! in its south-to-north order, which finds the westernmost forbidden
//! contact if there is one (Shamos and Hoey, 1976): O(n log n) whatever the
//! shape. The `geo` crate's sweep (`geo::algorithm::sweep::Intersections`)
//! tests every pair of segments that overlap in longitude instead, which
//! stays quadratic for stars, combs and spirals, the shapes an attacker sends.
//!
//! Every predicate is exact (`robust` orientation tests and comparisons of
//! input coordinates; nothing is computed), so the order kept by the sweep
//! is the true one and the answer does not depend on rounding.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo_types::Coord;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering as Relaxed};

/// One segment of a ring: `ring` numbers the ring, `index` the segment in it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    pub start: Coord<f64>,
    pub end: Coord<f64>,
    pub ring: usize,
    pub index: usize,
}

/// The caller stopped waiting (see [`first_conflict`]'s `stop`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interrupted;

/// Events between two looks at the `stop` flag: a few hundred microseconds.
const EVENTS_PER_STOP_CHECK: usize = 4096;

/// The first pair of segments, west to east, for which `conflict` holds,
/// among pairs that share at least one point.
///
/// `conflict` is asked only about pairs that may touch; it must be true for
/// every pair that crosses (the sweep's order is exact only while no two
/// segments west of it cross). A `None` answer means no such pair exists.
/// `stop` is read every few thousand events; once it is set the sweep gives
/// up with [`Interrupted`].
///
/// # Assumptions
/// Coordinates are finite; no segment has zero length.
pub fn first_conflict(
    segments: &[Segment],
    conflict: impl Fn(&Segment, &Segment) -> bool,
    stop: &AtomicBool,
) -> Result<Option<(Segment, Segment)>, Interrupted> {
    let keys: Vec<Key> = segments.iter().enumerate().map(|(id, s)| Key::new(s, id)).collect();
    let mut events: Vec<(Coord<f64>, Event, usize)> = Vec::with_capacity(2 * keys.len());
    for (id, key) in keys.iter().enumerate() {
        events.push((key.left, Event::Insert, id));
        events.push((key.right, Event::Remove, id));
    }
    // West to east, south to north at equal longitude; at one point, the
    // segments that start there go in before those that end there leave, so
    // that rings meeting only at a shared vertex are seen side by side.
    events.sort_unstable_by(|a, b| lexicographic(a.0, b.0).then(a.1.cmp(&b.1)));
    let mut status: BTreeSet<Key> = BTreeSet::new();
    let tested =
        |a: &Key, b: &Key| conflict(&segments[a.id], &segments[b.id]).then(|| (segments[a.id], segments[b.id]));
    for (n, (_, event, id)) in events.iter().enumerate() {
        if n % EVENTS_PER_STOP_CHECK == 0 && stop.load(Relaxed::Relaxed) {
            return Err(Interrupted);
        }
        let key = keys[*id];
        let below = status.range(..key).next_back().copied();
        let above = status.range((Bound::Excluded(key), Bound::Unbounded)).next().copied();
        match event {
            Event::Insert => {
                // Neighbours found before the insertion are the new ones after it.
                status.insert(key);
                for other in [below, above].iter().flatten() {
                    if let Some(pair) = tested(&key, other) {
                        return Ok(Some(pair));
                    }
                }
            }
            Event::Remove => {
                if !status.remove(&key) {
                    // Only possible when two segments west of here cross
                    // unseen, which the sweep rules out; answer "conflict"
                    // rather than "none" so that a mistake refuses an input
                    // instead of letting an invalid one through.
                    debug_assert!(false, "sweep order lost at {key:?}");
                    return Ok(Some((segments[key.id], segments[key.id])));
                }
                if let (Some(b), Some(a)) = (below, above)
                    && let Some(pair) = tested(&b, &a)
                {
                    return Ok(Some(pair));
                }
            }
        }
    }
    Ok(None)
}

/// Whether two closed segments share at least one point.
pub fn intersects(a: &Segment, b: &Segment) -> bool {
    // Most pairs the sweep tests are far apart: their boxes say so cheaply.
    if a.start.x.max(a.end.x) < b.start.x.min(b.end.x)
        || b.start.x.max(b.end.x) < a.start.x.min(a.end.x)
        || a.start.y.max(a.end.y) < b.start.y.min(b.end.y)
        || b.start.y.max(b.end.y) < a.start.y.min(a.end.y)
    {
        return false;
    }
    let o1 = orient(a.start, a.end, b.start);
    let o2 = orient(a.start, a.end, b.end);
    let o3 = orient(b.start, b.end, a.start);
    let o4 = orient(b.start, b.end, a.end);
    use Orientation::Collinear;
    if o1 == Collinear && within_box(a.start, a.end, b.start)
        || o2 == Collinear && within_box(a.start, a.end, b.end)
        || o3 == Collinear && within_box(b.start, b.end, a.start)
        || o4 == Collinear && within_box(b.start, b.end, a.end)
    {
        return true;
    }
    o1 != Collinear && o2 != Collinear && o1 != o2 && o3 != Collinear && o4 != Collinear && o3 != o4
}

/// Whether two segments that share exactly the vertex between them (in
/// the same ring) also share more: the ring turns back on itself there.
pub fn folds_back(a: &Segment, b: &Segment) -> bool {
    let (vertex, p, q) = if a.end == b.start {
        (a.end, a.start, b.end)
    } else if b.end == a.start {
        (a.start, a.end, b.start)
    } else {
        return intersects(a, b);
    };
    orient(p, vertex, q) == Orientation::Collinear
        && p.x.total_cmp(&vertex.x) == q.x.total_cmp(&vertex.x)
        && p.y.total_cmp(&vertex.y) == q.y.total_cmp(&vertex.y)
}

/// Which way `p → q → r` turns, exactly.
///
/// The `robust` crate's own filter (Ozaki et al. 2016) decides the sign from
/// the plain floating-point determinant whenever its error bound allows,
/// which is nearly always, and only then falls back to `robust`'s exact
/// arithmetic. The filter is repeated here because the generic call chain
/// down to it (`geo` kernel, casts) is what a debug build spends its time on:
/// the sweep asks this question a few times per event.
pub fn orient(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>) -> Orientation {
    const THETA: f64 = 3.330_669_062_177_372_2e-16;
    let left = (p.x - r.x) * (q.y - r.y);
    let right = (p.y - r.y) * (q.x - r.x);
    let det = left - right;
    let bound = THETA * (left + right).abs();
    if det >= bound || -det >= bound {
        return if det > 0.0 {
            Orientation::CounterClockwise
        } else if det < 0.0 {
            Orientation::Clockwise
        } else {
            Orientation::Collinear
        };
    }
    RobustKernel::orient2d(p, q, r)
}

/// Whether `r`, known to be on the line through `p` and `q`, is on the segment.
fn within_box(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>) -> bool {
    p.x.min(q.x) <= r.x && r.x <= p.x.max(q.x) && p.y.min(q.y) <= r.y && r.y <= p.y.max(q.y)
}

fn lexicographic(a: Coord<f64>, b: Coord<f64>) -> Ordering {
    a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Insert,
    Remove,
}

/// A segment as the sweep sees it: west end first.
#[derive(Clone, Copy, Debug)]
struct Key {
    left: Coord<f64>,
    right: Coord<f64>,
    id: usize,
}

impl Key {
    fn new(s: &Segment, id: usize) -> Key {
        let (left, right) =
            if lexicographic(s.start, s.end) == Ordering::Greater { (s.end, s.start) } else { (s.start, s.end) };
        Key { left, right, id }
    }

    /// Where this segment is, south to north, relative to `other`, both
    /// being crossed by the sweep line. Ties (segments that touch where the
    /// line is) are broken by where they go east of it, then by id, so that
    /// the order is total; such segments are neighbours and get tested.
    fn place(&self, other: &Key) -> Ordering {
        // The segment that starts further east has its west end within the
        // other's span: which side of the other's line it lies on says it all.
        let (older, newer, flip) = match lexicographic(self.left, other.left) {
            Ordering::Less => (self, other, true),
            Ordering::Greater => (other, self, false),
            Ordering::Equal => (other, self, false),
        };
        let side = match orient(older.left, older.right, newer.left) {
            Orientation::Collinear => orient(older.left, older.right, newer.right),
            side => side,
        };
        // Left of a segment directed west to east is north of it.
        let newer_vs_older = match side {
            Orientation::CounterClockwise => Ordering::Greater,
            Orientation::Clockwise => Ordering::Less,
            Orientation::Collinear => newer.id.cmp(&older.id),
        };
        if flip { newer_vs_older.reverse() } else { newer_vs_older }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.id == other.id { Ordering::Equal } else { self.place(other) }
    }
}
