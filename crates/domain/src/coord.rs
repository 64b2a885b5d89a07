//! Coordinate systems that points arrive in (DESIGN.md §2): WGS84 (GPS), GCJ-02 (高德/腾讯, the national
//! obfuscation) and BD-09 (百度). Everything is stored and matched in WGS84.

use crate::FieldError;
use std::f64::consts::PI;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    Wgs84,
    Gcj02,
    Bd09,
}

impl Crs {
    /// Case-insensitive, without allocating (it runs on every located point).
    pub fn parse(s: &str) -> Option<Crs> {
        const NAMES: [(&str, Crs); 8] = [
            ("wgs84", Crs::Wgs84),
            ("wgs-84", Crs::Wgs84),
            ("epsg:4326", Crs::Wgs84),
            ("gcj02", Crs::Gcj02),
            ("gcj-02", Crs::Gcj02),
            ("bd09", Crs::Bd09),
            ("bd-09", Crs::Bd09),
            ("bd09ll", Crs::Bd09),
        ];
        let s = s.trim();
        NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)).map(|(_, c)| *c)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }
}

/// Latitude in [-90, 90] and longitude in [-180, 180], finite; the error names `lat` or `lon`.
pub fn validate_lon_lat(lon: f64, lat: f64) -> Result<(), FieldError> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(FieldError::new(
            "lat",
            format!("纬度应在 -90 到 90 之间 / latitude must be within -90..90: {lat}"),
        ));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(FieldError::new(
            "lon",
            format!("经度应在 -180 到 180 之间 / longitude must be within -180..180: {lon}"),
        ));
    }
    Ok(())
}

const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;
const X_PI: f64 = PI * 3000.0 / 180.0;

/// GCJ-02 applies only inside China's bounding box; elsewhere it equals WGS84.
fn out_of_china(lon: f64, lat: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let mut dlat = transform_lat(lon - 105.0, lat - 35.0);
    let mut dlon = transform_lon(lon - 105.0, lat - 35.0);
    let radlat = lat / 180.0 * PI;
    let magic = 1.0 - EE * radlat.sin() * radlat.sin();
    let sqrt_magic = magic.sqrt();
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    dlon = (dlon * 180.0) / (A / sqrt_magic * radlat.cos() * PI);
    (lon + dlon, lat + dlat)
}

/// The inverse has no closed form; a few fixed-point steps bring the error under a millimetre.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let (mut x, mut y) = (lon, lat);
    for _ in 0..8 {
        let (gx, gy) = wgs84_to_gcj02(x, y);
        x += lon - gx;
        y += lat - gy;
    }
    (x, y)
}

pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 0.0065, lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    (z * theta.cos(), z * theta.sin())
}

pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// Converts a point given in `crs` to WGS84 (lon, lat).
pub fn to_wgs84(crs: Crs, lon: f64, lat: f64) -> (f64, f64) {
    match crs {
        Crs::Wgs84 => (lon, lat),
        Crs::Gcj02 => gcj02_to_wgs84(lon, lat),
        Crs::Bd09 => {
            let (x, y) = bd09_to_gcj02(lon, lat);
            gcj02_to_wgs84(x, y)
        }
    }
}

/// Converts a WGS84 point to `crs` (for tests, demo data and map clients that draw in GCJ-02).
pub fn from_wgs84(crs: Crs, lon: f64, lat: f64) -> (f64, f64) {
    match crs {
        Crs::Wgs84 => (lon, lat),
        Crs::Gcj02 => wgs84_to_gcj02(lon, lat),
        Crs::Bd09 => {
            let (x, y) = wgs84_to_gcj02(lon, lat);
            gcj02_to_bd09(x, y)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Rough metres between two nearby points.
    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        let dy = (a.1 - b.1) * 111_320.0;
        let dx = (a.0 - b.0) * 111_320.0 * (a.1.to_radians()).cos();
        (dx * dx + dy * dy).sqrt()
    }

    #[test]
    fn gcj_offset_in_hangzhou_is_a_few_hundred_metres() {
        let wgs = (120.1551, 30.2741);
        let gcj = wgs84_to_gcj02(wgs.0, wgs.1);
        let d = metres(wgs, gcj);
        assert!((200.0..800.0).contains(&d), "offset {d} m");
        // 高德 shifts east and north in eastern China.
        assert!(gcj.0 > wgs.0 && gcj.1 < wgs.1 + 0.01);
        let bd = from_wgs84(Crs::Bd09, wgs.0, wgs.1);
        assert!(metres(gcj, bd) > 500.0, "BD-09 adds its own offset");
    }

    #[test]
    fn outside_china_nothing_moves() {
        assert_eq!(wgs84_to_gcj02(2.35, 48.85), (2.35, 48.85));
        assert_eq!(to_wgs84(Crs::Gcj02, 2.35, 48.85), (2.35, 48.85));
    }

    #[test]
    fn bad_coordinates_name_the_field() {
        assert_eq!(validate_lon_lat(120.0, 91.0).unwrap_err().field, "lat");
        assert_eq!(validate_lon_lat(181.0, 30.0).unwrap_err().field, "lon");
        assert_eq!(validate_lon_lat(f64::NAN, 30.0).unwrap_err().field, "lon");
        assert!(validate_lon_lat(120.0, 30.0).is_ok());
        assert_eq!(Crs::parse("GCJ02"), Some(Crs::Gcj02));
        assert_eq!(Crs::parse("mercator"), None);
    }

    proptest! {
        #[test]
        fn round_trips_closely(lon in 73.0f64..135.0, lat in 18.0f64..53.0) {
            // GCJ-02 is inverted by iteration (sub-centimetre); Baidu's published BD-09 pair is itself
            // approximate, to about a metre, which is far inside any grid.
            for (crs, tolerance) in [(Crs::Gcj02, 0.01), (Crs::Bd09, 2.0)] {
                let (x, y) = from_wgs84(crs, lon, lat);
                let back = to_wgs84(crs, x, y);
                let d = metres((lon, lat), back);
                prop_assert!(d < tolerance, "{:?} {} {}: {} m", crs, lon, lat, d);
            }
        }
    }
}
