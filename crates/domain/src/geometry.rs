//! Grid boundaries: GeoJSON Polygon/MultiPolygon in WGS84, checked before they are stored
//! (closed rings, real coordinates, no self-intersection), always kept as a MultiPolygon.

use crate::FieldError;
use geo::Validation;
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use geojson::{Geometry, PolygonType, Value};

/// More vertices than any hand-drawn grid needs; keeps one bad upload from stalling the server.
pub const MAX_VERTICES: usize = 100_000;

fn ring(
    field: &str,
    poly: usize,
    r: usize,
    positions: &[Vec<f64>],
    budget: &mut usize,
) -> Result<LineString<f64>, FieldError> {
    let at = |m: String| {
        FieldError::new(field, format!("第{}个多边形第{}个环 / polygon {poly} ring {r}: {m}", poly + 1, r + 1))
    };
    if positions.len() < 4 {
        return Err(at("环至少需要4个坐标（首尾相同）/ a ring needs at least 4 positions, first = last".into()));
    }
    *budget = budget.saturating_sub(positions.len());
    if *budget == 0 {
        return Err(FieldError::new(
            field,
            format!("顶点过多（上限 {MAX_VERTICES}）/ more than {MAX_VERTICES} vertices"),
        ));
    }
    let mut coords = Vec::with_capacity(positions.len());
    for (i, p) in positions.iter().enumerate() {
        let (Some(&lon), Some(&lat)) = (p.first(), p.get(1)) else {
            return Err(at(format!("第{}个坐标不完整 / position {i} needs longitude and latitude", i + 1)));
        };
        if !lon.is_finite() || !lat.is_finite() || !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(at(format!(
                "第{}个坐标超出经纬度范围 / position {i} is not a WGS84 longitude/latitude: [{lon}, {lat}]",
                i + 1
            )));
        }
        coords.push(Coord { x: lon, y: lat });
    }
    if coords.first() != coords.last() {
        return Err(at("环未闭合（首尾坐标应相同）/ the ring is not closed (first and last positions differ)".into()));
    }
    Ok(LineString::new(coords))
}

fn polygon(field: &str, index: usize, rings: &PolygonType, budget: &mut usize) -> Result<Polygon<f64>, FieldError> {
    let Some((outer, inner)) = rings.split_first() else {
        return Err(FieldError::new(field, format!("第{}个多边形没有坐标 / polygon {index} is empty", index + 1)));
    };
    let exterior = ring(field, index, 0, outer, budget)?;
    let interiors =
        inner.iter().enumerate().map(|(i, r)| ring(field, index, i + 1, r, budget)).collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

/// Checks a GeoJSON geometry and returns it as a valid MultiPolygon; errors name `field`.
pub fn parse_boundary(field: &str, geom: &Geometry) -> Result<MultiPolygon<f64>, FieldError> {
    let mut budget = MAX_VERTICES + 1;
    let polys = match &geom.value {
        Value::Polygon(rings) => vec![polygon(field, 0, rings, &mut budget)?],
        Value::MultiPolygon(ps) if !ps.is_empty() => {
            ps.iter().enumerate().map(|(i, p)| polygon(field, i, p, &mut budget)).collect::<Result<Vec<_>, _>>()?
        }
        Value::MultiPolygon(_) => return Err(FieldError::new(field, "MultiPolygon 为空 / the MultiPolygon is empty")),
        other => {
            return Err(FieldError::new(
                field,
                format!(
                    "边界应为 Polygon 或 MultiPolygon / a boundary must be a Polygon or MultiPolygon, not {}",
                    other.type_name()
                ),
            ));
        }
    };
    let mp = MultiPolygon::new(polys);
    if let Err(e) = mp.check_validation() {
        return Err(FieldError::new(field, format!("边界无效（自相交或环重叠）/ invalid boundary: {e}")));
    }
    Ok(mp)
}

/// Parses stored or uploaded GeoJSON geometry text.
pub fn parse_boundary_json(field: &str, text: &str) -> Result<MultiPolygon<f64>, FieldError> {
    let geom: Geometry = text
        .parse::<geojson::GeoJson>()
        .map_err(|e| FieldError::new(field, format!("不是有效的 GeoJSON / not GeoJSON: {e}")))
        .and_then(|g| match g {
            geojson::GeoJson::Geometry(g) => Ok(g),
            geojson::GeoJson::Feature(f) => {
                f.geometry.ok_or_else(|| FieldError::new(field, "Feature 没有几何 / the feature has no geometry"))
            }
            geojson::GeoJson::FeatureCollection(_) => Err(FieldError::new(
                field,
                "应为单个几何而非 FeatureCollection / expected one geometry, not a FeatureCollection",
            )),
        })?;
    parse_boundary(field, &geom)
}

/// The GeoJSON geometry object of a boundary.
pub fn to_geojson(mp: &MultiPolygon<f64>) -> serde_json::Value {
    serde_json::to_value(Geometry::new(Value::from(mp))).unwrap_or(serde_json::Value::Null)
}

/// An axis-aligned rectangle as a boundary (demo data, tests).
pub fn rect(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> MultiPolygon<f64> {
    let ring = LineString::from(vec![
        (min_lon, min_lat),
        (max_lon, min_lat),
        (max_lon, max_lat),
        (min_lon, max_lat),
        (min_lon, min_lat),
    ]);
    MultiPolygon::new(vec![Polygon::new(ring, vec![])])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn geom(v: serde_json::Value) -> Geometry {
        Geometry::from_json_value(v).unwrap()
    }

    #[test]
    fn a_square_is_kept_as_multipolygon() {
        let g = geom(
            json!({"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.01], [120.0, 30.0]]]}),
        );
        let mp = parse_boundary("boundary", &g).unwrap();
        assert_eq!(mp.0.len(), 1);
        assert_eq!(to_geojson(&mp)["type"], "MultiPolygon");
        assert_eq!(parse_boundary_json("b", &to_geojson(&mp).to_string()).unwrap(), mp);
    }

    #[test]
    fn unclosed_ring_is_rejected() {
        let g = geom(
            json!({"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.01]]]}),
        );
        let e = parse_boundary("geometry", &g).unwrap_err();
        assert_eq!(e.field, "geometry");
        let g = geom(
            json!({"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.01], [120.0, 30.001]]]}),
        );
        assert!(parse_boundary("geometry", &g).unwrap_err().message.contains("not closed"));
    }

    #[test]
    fn self_intersecting_bow_tie_is_rejected() {
        let g = geom(
            json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]}),
        );
        let e = parse_boundary("boundary", &g).unwrap_err();
        assert!(e.message.contains("self-intersection"), "{}", e.message);
    }

    #[test]
    fn points_lines_and_out_of_range_coordinates_are_rejected() {
        assert!(parse_boundary("b", &geom(json!({"type": "Point", "coordinates": [120.0, 30.0]}))).is_err());
        let g = geom(json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [200.0, 0.0], [200.0, 1.0], [0.0, 0.0]]]}));
        assert!(parse_boundary("b", &g).unwrap_err().message.contains("WGS84"));
        assert!(parse_boundary_json("b", "{not json").is_err());
        assert!(parse_boundary("b", &geom(json!({"type": "MultiPolygon", "coordinates": []}))).is_err());
    }
}
