//! Map geometry of the demo district.
//!
//! Every boundary is cut from one shared lattice of cells: the lattice is warped by a gentle wave and each
//! vertex jittered a little, so lines look hand-drawn rather than ruled, and every region is a rectangle of
//! cells (in lattice coordinates). Neighbouring regions therefore share the very same vertices, which makes
//! the tiling exact (no gaps, no overlaps) at every level, and the bounds on warp and jitter keep every cell a
//! strictly convex quadrilateral, so each region's outline is a simple ring.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rand::Rng;
use std::f64::consts::TAU;

/// South-west corner of the district (WGS84), west of Hangzhou's West Lake.
const LON0: f64 = 120.132;
const LAT0: f64 = 30.256;
/// Metres per degree at latitude ~30.27°N (WGS84 ellipsoid).
const M_PER_DEG_LON: f64 = 96_230.0;
const M_PER_DEG_LAT: f64 = 110_853.0;
/// Wavelength of the warp, in cells.
const WAVE: f64 = 34.0;
/// Largest warp amplitude, in cells: slope = amplitude·2π/WAVE ≤ 0.24.
const MAX_AMPLITUDE: f64 = 1.3;
/// Largest per-vertex jitter, in cells. Cells stay strictly convex while slope + 4·jitter < 1.
const JITTER: f64 = 0.12;

/// A rectangle of lattice cells: columns `c0..c1`, rows `r0..r1` (row 0 is the south edge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Block {
    pub c0: u32,
    pub r0: u32,
    pub c1: u32,
    pub r1: u32,
}

impl Block {
    pub fn new(cols: u32, rows: u32) -> Block {
        Block { c0: 0, r0: 0, c1: cols, r1: rows }
    }

    pub fn width(&self) -> u32 {
        self.c1 - self.c0
    }

    pub fn height(&self) -> u32 {
        self.r1 - self.r0
    }
}

/// The warped, jittered lattice: `(cols + 1) × (rows + 1)` vertices in WGS84.
pub(crate) struct Lattice {
    cols: u32,
    rows: u32,
    pts: Vec<Coord<f64>>,
}

impl Lattice {
    /// `cell_m` is the side of an undistorted cell in metres.
    pub fn new(cols: u32, rows: u32, cell_m: f64, rng: &mut impl Rng) -> Lattice {
        let ax = rng.gen_range(0.7..MAX_AMPLITUDE);
        let ay = rng.gen_range(0.7..MAX_AMPLITUDE);
        let px = rng.gen_range(0.0..TAU);
        let py = rng.gen_range(0.0..TAU);
        let mut pts = Vec::with_capacity(((cols + 1) * (rows + 1)) as usize);
        for r in 0..=rows {
            for c in 0..=cols {
                // x is shifted by a function of the row and y by a function of the column: a shear-like warp
                // that keeps areas almost unchanged.
                let x = f64::from(c) + ax * (TAU * f64::from(r) / WAVE + px).sin() + rng.gen_range(-JITTER..JITTER);
                let y = f64::from(r) + ay * (TAU * f64::from(c) / WAVE + py).sin() + rng.gen_range(-JITTER..JITTER);
                pts.push(Coord { x: LON0 + x * cell_m / M_PER_DEG_LON, y: LAT0 + y * cell_m / M_PER_DEG_LAT });
            }
        }
        Lattice { cols, rows, pts }
    }

    fn at(&self, c: u32, r: u32) -> Coord<f64> {
        self.pts[(r * (self.cols + 1) + c) as usize]
    }

    /// The outline of a block, counter-clockwise through every lattice vertex on its edge.
    pub fn polygon(&self, b: Block) -> MultiPolygon<f64> {
        let mut ring = Vec::with_capacity(2 * (b.width() + b.height()) as usize + 1);
        ring.extend((b.c0..b.c1).map(|c| self.at(c, b.r0)));
        ring.extend((b.r0..b.r1).map(|r| self.at(b.c1, r)));
        ring.extend((b.c0 + 1..=b.c1).rev().map(|c| self.at(c, b.r1)));
        ring.extend((b.r0 + 1..=b.r1).rev().map(|r| self.at(b.c0, r)));
        ring.push(ring[0]);
        MultiPolygon(vec![Polygon::new(LineString(ring), vec![])])
    }

    /// Maps lattice coordinates (fractional column, row) to WGS84 (lon, lat) by bilinear interpolation in
    /// the containing cell; a point strictly inside a block lands strictly inside its polygon.
    pub fn point(&self, x: f64, y: f64) -> (f64, f64) {
        let c = (x.floor().max(0.0) as u32).min(self.cols - 1);
        let r = (y.floor().max(0.0) as u32).min(self.rows - 1);
        let (u, v) = (x - f64::from(c), y - f64::from(r));
        let (p00, p10, p11, p01) = (self.at(c, r), self.at(c + 1, r), self.at(c + 1, r + 1), self.at(c, r + 1));
        let lon = (1.0 - u) * (1.0 - v) * p00.x + u * (1.0 - v) * p10.x + u * v * p11.x + (1.0 - u) * v * p01.x;
        let lat = (1.0 - u) * (1.0 - v) * p00.y + u * (1.0 - v) * p10.y + u * v * p11.y + (1.0 - u) * v * p01.y;
        (lon, lat)
    }
}

/// Cuts `b` into `weights.len()` blocks with areas roughly proportional to the weights (a k-d style
/// guillotine cut across the longer side), appended to `out` in the order of `weights`.
///
/// Panics when the block has too few cells for the pieces; the plans in this crate leave plenty.
pub(crate) fn split(b: Block, weights: &[f64], out: &mut Vec<Block>) {
    let n = weights.len();
    if n <= 1 {
        out.extend(weights.iter().map(|_| b));
        return;
    }
    let total: f64 = weights.iter().sum();
    let (mut m, mut acc, mut best) = (1, 0.0, f64::INFINITY);
    for (i, w) in weights[..n - 1].iter().enumerate() {
        acc += w;
        let d = (acc - total / 2.0).abs();
        if d < best {
            (m, best) = (i + 1, d);
        }
    }
    let left: f64 = weights[..m].iter().sum();
    let across_columns = b.width() >= b.height();
    let (len, other) = if across_columns { (b.width(), b.height()) } else { (b.height(), b.width()) };
    let lo = (m as u32).div_ceil(other).max(1);
    let hi = len.saturating_sub(((n - m) as u32).div_ceil(other));
    assert!(lo <= hi && hi >= 1, "block {b:?} is too small for {n} pieces");
    let k = ((f64::from(len) * left / total).round() as u32).clamp(lo, hi);
    let (first, second) = if across_columns {
        (Block { c1: b.c0 + k, ..b }, Block { c0: b.c0 + k, ..b })
    } else {
        (Block { r1: b.r0 + k, ..b }, Block { r0: b.r0 + k, ..b })
    };
    split(first, &weights[..m], out);
    split(second, &weights[m..], out);
}
