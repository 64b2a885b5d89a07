//! Events (事件): the closed loop from report to evaluation, its working calendar, categories with their
//! time limits and routing, and the GB/T 30428.4 indicators.

pub mod calendar;
pub mod category;
pub mod indicators;
pub mod workflow;

pub use calendar::{Limit, WorkCalendar};
pub use category::{Limits, Route, RoutingRule, Triage};
pub use indicators::{Counts, Indicators, PersonCounts, PersonIndicators};
pub use workflow::{Action, Card, Level, MergeRefusal, Plan, Refusal, Relation, Source, Stage, Status};

/// Great-circle distance in metres between two WGS-84 points (haversine; plenty for "within 50 m").
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().asin()
}

/// A bounding box around a point, for the index query that finds duplicate candidates before the exact
/// distance check: (min_lat, max_lat, min_lon, max_lon).
pub fn bbox(lat: f64, lon: f64, metres: f64) -> (f64, f64, f64, f64) {
    let dlat = metres / 111_320.0;
    let dlon = metres / (111_320.0 * lat.to_radians().cos().max(0.01));
    (lat - dlat, lat + dlat, lon - dlon, lon + dlon)
}

/// Validates a description: not blank, at most 2,000 characters.
pub fn check_description(s: &str) -> Result<String, crate::FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(crate::FieldError::new("description", "请描述问题 / describe the problem"));
    }
    if t.chars().count() > 2000 {
        return Err(crate::FieldError::new("description", "描述不能超过2000字 / at most 2,000 characters"));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_boxes() {
        // 0.001° of latitude is about 111 m.
        let d = distance_m(30.0, 120.0, 30.001, 120.0);
        assert!((d - 111.2).abs() < 0.5, "{d}");
        let (a, b, c, e) = bbox(30.0, 120.0, 50.0);
        assert!(distance_m(30.0, 120.0, b, 120.0) >= 49.9 && distance_m(30.0, 120.0, 30.0, e) >= 49.9);
        assert!(a < 30.0 && c < 120.0);
        assert!(check_description("  ").is_err());
        assert_eq!(check_description(" 井盖缺失 ").unwrap(), "井盖缺失");
        assert!(check_description(&"字".repeat(2001)).is_err());
    }
}
