//! Coordinates from phones and maps: any two numbers are refused or, when valid, converted between WGS-84,
//! GCJ-02 and BD-09 to finite numbers that come back within a few metres.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wangge_domain::coord::{Crs, bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, validate_lon_lat, wgs84_to_gcj02};

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        if let Ok(s) = std::str::from_utf8(data) {
            let _ = Crs::parse(s);
        }
        return;
    }
    let lon = f64::from_le_bytes(data[0..8].try_into().unwrap());
    let lat = f64::from_le_bytes(data[8..16].try_into().unwrap());
    if validate_lon_lat(lon, lat).is_err() {
        return;
    }
    let (gx, gy) = wgs84_to_gcj02(lon, lat);
    assert!(gx.is_finite() && gy.is_finite(), "({lon}, {lat})");
    let (wx, wy) = gcj02_to_wgs84(gx, gy);
    assert!((wx - lon).abs() < 1e-4 && (wy - lat).abs() < 1e-4, "({lon}, {lat}) → ({wx}, {wy})");
    let (bx, by) = gcj02_to_bd09(gx, gy);
    let (hx, hy) = bd09_to_gcj02(bx, by);
    assert!((hx - gx).abs() < 1e-4 && (hy - gy).abs() < 1e-4, "({gx}, {gy}) → ({hx}, {hy})");
});
