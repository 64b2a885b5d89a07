//! Grid boundaries as uploaded GeoJSON: any text is refused with the field named or gives a valid
//! multipolygon that survives the trip back to GeoJSON and is found by the point locator at its own vertices'
//! bounding box without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wangge_domain::geometry::{parse_boundary_json, to_geojson};
use wangge_domain::locator::GridLocator;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    match parse_boundary_json("geometry", s) {
        Err(e) => assert_eq!(e.field, "geometry"),
        Ok(mp) => {
            let text = to_geojson(&mp).to_string();
            let again = parse_boundary_json("geometry", &text).expect("a stored boundary parses again");
            assert_eq!(again.0.len(), mp.0.len());
            let first = mp.0.first().and_then(|p| p.exterior().0.first().copied());
            let locator = GridLocator::new(vec![("g".into(), mp)]);
            if let Some(c) = first {
                let _ = locator.locate(c.x, c.y);
            }
        }
    }
});
