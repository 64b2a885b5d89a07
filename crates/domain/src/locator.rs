//! Point → grid: an R-tree over grid bounding boxes narrows the candidates, an exact
//! point-in-polygon test decides. Built once from all grids and swapped whole when grids change.

use geo::BoundingRect;
use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo_types::{Coord, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

pub struct GridLocator {
    tree: RTree<Entry>,
    grids: Vec<(String, MultiPolygon<f64>)>,
}

impl GridLocator {
    /// `grids` are (grid code, WGS84 boundary). Grids are ordered by code, so a point on a shared edge
    /// always goes to the same grid.
    pub fn new(mut grids: Vec<(String, MultiPolygon<f64>)>) -> GridLocator {
        grids.sort_by(|a, b| a.0.cmp(&b.0));
        let entries = grids
            .iter()
            .enumerate()
            .filter_map(|(i, (_, mp))| {
                let r = mp.bounding_rect()?;
                Some(GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i))
            })
            .collect();
        GridLocator { tree: RTree::bulk_load(entries), grids }
    }

    pub fn len(&self) -> usize {
        self.grids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.grids.is_empty()
    }

    /// A point inside the grid (an interior point of its boundary) as (lon, lat): where an event reported by
    /// grid code alone is drawn.
    pub fn centre(&self, code: &str) -> Option<(f64, f64)> {
        use geo::InteriorPoint;
        let i = self.grids.binary_search_by(|g| g.0.as_str().cmp(code)).ok()?;
        let p = self.grids[i].1.interior_point()?;
        Some((p.x(), p.y()))
    }

    /// The code of the grid containing (lon, lat) in WGS84, boundary inclusive.
    ///
    /// Grids do not overlap, so a point strictly inside one grid ends the search at once (no need to walk the
    /// rest of the tree). Only a point on a shared edge or corner keeps looking, and the lowest code wins.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<&str> {
        let c = Coord { x: lon, y: lat };
        let mut on_edge: Option<usize> = None;
        for e in self.tree.locate_in_envelope_intersecting(&AABB::from_point([lon, lat])) {
            match self.grids[e.data].1.coordinate_position(&c) {
                CoordPos::Inside => return Some(self.grids[e.data].0.as_str()),
                CoordPos::OnBoundary => on_edge = Some(on_edge.map_or(e.data, |i| i.min(e.data))),
                CoordPos::Outside => {}
            }
        }
        on_edge.map(|i| self.grids[i].0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::rect;

    #[test]
    fn finds_the_right_grid_and_nothing_outside() {
        let loc = GridLocator::new(vec![
            ("33010600100102".into(), rect(120.01, 30.0, 120.02, 30.01)),
            ("33010600100101".into(), rect(120.0, 30.0, 120.01, 30.01)),
        ]);
        assert_eq!(loc.locate(120.005, 30.005), Some("33010600100101"));
        assert_eq!(loc.locate(120.015, 30.005), Some("33010600100102"));
        assert_eq!(loc.locate(120.03, 30.005), None);
        // On the shared edge the lower code wins, every time.
        assert_eq!(loc.locate(120.01, 30.005), Some("33010600100101"));
        assert_eq!(loc.len(), 2);
    }

    #[test]
    fn holes_and_concave_shapes_use_the_exact_outline() {
        use geo_types::{LineString, Polygon};
        // An L-shape: its bounding box covers the empty corner.
        let l = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (1.0, 2.0), (0.0, 2.0), (0.0, 0.0)]),
            vec![],
        );
        let loc = GridLocator::new(vec![("g".into(), MultiPolygon::new(vec![l]))]);
        assert_eq!(loc.locate(0.5, 1.5), Some("g"));
        assert_eq!(loc.locate(1.5, 1.5), None);
    }
}
