//! Rules of grid workers' field work (走访, 巡查, the phone's offline outbox): when a person is due a visit,
//! how a phone's clock is corrected, which track points are GPS jumps, and what a visit records.

use crate::FieldError;
use chrono::{Datelike, NaiveDate};

/// How a visit went. Stable codes stored in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Situation {
    Normal,
    Attention,
    Difficulty,
}

impl Situation {
    pub fn parse(field: &str, s: &str) -> Result<Situation, FieldError> {
        match s {
            "normal" => Ok(Situation::Normal),
            "attention" => Ok(Situation::Attention),
            "difficulty" => Ok(Situation::Difficulty),
            _ => Err(FieldError::new(
                field,
                "应为 normal、attention 或 difficulty / must be normal, attention or difficulty",
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Situation::Normal => "normal",
            Situation::Attention => "attention",
            Situation::Difficulty => "difficulty",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Situation::Normal => "正常",
            Situation::Attention => "需关注",
            Situation::Difficulty => "有困难",
        }
    }
}

/// Whether the person's risk changed since the last visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskChange {
    Same,
    Up,
    Down,
}

impl RiskChange {
    pub fn parse(field: &str, s: &str) -> Result<RiskChange, FieldError> {
        match s {
            "same" | "" => Ok(RiskChange::Same),
            "up" => Ok(RiskChange::Up),
            "down" => Ok(RiskChange::Down),
            _ => Err(FieldError::new(field, "应为 same、up 或 down / must be same, up or down")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            RiskChange::Same => "same",
            RiskChange::Up => "up",
            RiskChange::Down => "down",
        }
    }
}

/// The day a person is next due a visit: `visit_days` after the last one that counts, or today when never
/// visited (a new 四必访 person is visited at once, not a month later).
pub fn due_on(last_visit: Option<NaiveDate>, visit_days: i64, today: NaiveDate) -> NaiveDate {
    match last_visit {
        Some(d) => d + chrono::Duration::days(visit_days.max(1)),
        None => today,
    }
}

/// Whether a due day belongs on today's list: overdue, or due within `horizon_days`.
pub fn on_today_list(due: NaiveDate, today: NaiveDate, horizon_days: i64) -> bool {
    due <= today + chrono::Duration::days(horizon_days.max(0))
}

/// Days past due (0 when not overdue).
pub fn overdue_days(due: NaiveDate, today: NaiveDate) -> i64 {
    (today - due).num_days().max(0)
}

/// How many visits a rule asks for in a month: 30-day rules one, weekly rules about four, quarterly a third
/// (summed over people and rounded by the caller, so a month's due count is a fact, not a quota to game).
pub fn visits_required_in_month(visit_days: i64, month_start: NaiveDate) -> f64 {
    let next = if month_start.month() == 12 {
        NaiveDate::from_ymd_opt(month_start.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(month_start.year(), month_start.month() + 1, 1)
    };
    let days = next.map(|n| (n - month_start).num_days()).unwrap_or(30) as f64;
    // A monthly rule (visit_days 28–31) is exactly one visit whatever the month's length.
    if (28..=31).contains(&visit_days) { 1.0 } else { days / visit_days.max(1) as f64 }
}

/// A phone clock more than this far from the server's is treated as wrong, and its times are shifted.
pub const CLOCK_TOLERANCE_MS: i64 = 2 * 60 * 1000;
/// Offline work older than this is refused (the community enters such old work by hand).
pub const MAX_AGE_MS: i64 = 35 * 24 * 3600 * 1000;

/// When something done on the phone at `at` (phone clock) happened on the server's clock. The phone sends its
/// clock (`client_now`) with every batch; a skew beyond [`CLOCK_TOLERANCE_MS`] shifts every time by it, so the
/// order of the work survives a wrong clock. A time still in the future becomes now.
pub fn corrected_time(at: i64, client_now: i64, server_now: i64) -> Result<i64, FieldError> {
    check_clock(client_now)?;
    let skew = server_now.saturating_sub(client_now);
    let at = if skew.abs() > CLOCK_TOLERANCE_MS { at.saturating_add(skew) } else { at };
    let at = at.min(server_now);
    if server_now.saturating_sub(at) > MAX_AGE_MS {
        return Err(FieldError::new(
            "at",
            "超过35天的离线记录不能同步，请联系社区补录 / offline work older than 35 days cannot be synced; ask the community to enter it",
        ));
    }
    Ok(at)
}

/// A phone's clock (`client_now`, ms since 1970) must be a time a phone can show: 2000–2100. Anything else is a
/// broken client, refused by name rather than shifting every time it sends by centuries.
pub fn check_clock(client_now: i64) -> Result<(), FieldError> {
    const Y2000: i64 = 946_684_800_000;
    const Y2100: i64 = 4_102_444_800_000;
    if (Y2000..Y2100).contains(&client_now) {
        Ok(())
    } else {
        Err(FieldError::new("client_now", "手机时间无效 / the phone's clock is not a valid time"))
    }
}

/// An outbox item's key: 8–48 of `A-Za-z0-9_-` (a UUID is 36).
pub fn check_key(key: &str) -> Result<(), FieldError> {
    let ok = (8..=48).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(FieldError::new("key", "应为8到48位字母、数字、-或_ / 8 to 48 letters, digits, - or _"))
    }
}

/// Great-circle distance in metres (WGS84 sphere; plenty for patrol tracks and check-in radii).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().asin()
}

/// Faster than this between two fixes is a GPS jump, not a walk or a patrol car (180 km/h).
pub const MAX_SPEED_M_S: f64 = 50.0;

/// One fix of a track: time (ms), latitude, longitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    pub at: i64,
    pub lat: f64,
    pub lon: f64,
}

/// A track's distance and the fixes left out of it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrackSummary {
    pub distance_m: f64,
    /// Times of fixes that jump faster than [`MAX_SPEED_M_S`] from the last good fix.
    pub flagged: Vec<i64>,
    pub first_at: Option<i64>,
    pub last_at: Option<i64>,
}

/// Walks the fixes in time order (batches arrive in any order) and sums the distance between good fixes.
/// A fix that jumps is flagged and skipped, so one bad fix 100 km away costs nothing; the next good fix is
/// measured from the last good one. The walk starts from the first pair of fixes that agree with each other,
/// so a bad first fix does not make every later one look like a jump.
pub fn summarize_track(fixes: &[Fix]) -> TrackSummary {
    let mut sorted: Vec<Fix> = fixes.to_vec();
    sorted.sort_by_key(|f| f.at);
    let mut s = TrackSummary {
        first_at: sorted.first().map(|f| f.at),
        last_at: sorted.last().map(|f| f.at),
        ..Default::default()
    };
    let plausible = |a: &Fix, b: &Fix| {
        let d = distance_m(a.lat, a.lon, b.lat, b.lon);
        let secs = ((b.at - a.at).abs() as f64 / 1000.0).max(1.0);
        (d / secs <= MAX_SPEED_M_S).then_some(d)
    };
    let anchor =
        (0..sorted.len().saturating_sub(1)).find(|&i| plausible(&sorted[i], &sorted[i + 1]).is_some()).unwrap_or(0);
    // Backwards from the anchor, then forwards: each fix is measured from the last good one on its side.
    for range in [(0..anchor).rev().collect::<Vec<_>>(), (anchor + 1..sorted.len()).collect()] {
        let mut last = anchor;
        for i in range {
            match sorted.get(last).and_then(|l| plausible(l, &sorted[i])) {
                Some(d) => {
                    s.distance_m += d;
                    last = i;
                }
                None => s.flagged.push(sorted[i].at),
            }
        }
    }
    s.flagged.sort_unstable();
    s
}

/// A track fix's coordinates are on the Earth (and not the 0,0 a phone reports without a fix).
pub fn check_fix(field: &str, lat: f64, lon: f64) -> Result<(), FieldError> {
    if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
        return Err(FieldError::new(field, "坐标超出范围 / coordinates out of range"));
    }
    if lat == 0.0 && lon == 0.0 {
        return Err(FieldError::new(field, "无效定位(0,0) / no GPS fix (0,0)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn monthly_visits_fall_due_thirty_days_after_the_last_and_never_visited_is_due_today() {
        let today = d("2026-11-25");
        assert_eq!(due_on(Some(d("2026-10-20")), 30, today), d("2026-11-19"));
        assert_eq!(overdue_days(d("2026-11-19"), today), 6);
        assert_eq!(due_on(None, 30, today), today);
        assert_eq!(overdue_days(today, today), 0);
        assert!(on_today_list(d("2026-12-01"), today, 7));
        assert!(!on_today_list(d("2026-12-03"), today, 7));
        assert_eq!(overdue_days(d("2026-12-01"), today), 0);
    }

    #[test]
    fn a_month_asks_one_monthly_visit_and_about_four_weekly_ones() {
        assert_eq!(visits_required_in_month(30, d("2026-02-01")), 1.0);
        assert_eq!(visits_required_in_month(31, d("2026-11-01")), 1.0);
        let weekly = visits_required_in_month(7, d("2026-11-01"));
        assert!((weekly - 30.0 / 7.0).abs() < 1e-9);
        assert!((visits_required_in_month(90, d("2026-12-01")) - 31.0 / 90.0).abs() < 1e-9);
    }

    #[test]
    fn a_wrong_phone_clock_shifts_times_and_keeps_their_order() {
        let now = 1_800_000_000_000;
        // Within tolerance: kept as sent.
        assert_eq!(corrected_time(now - 5_000, now - 1_000, now).unwrap(), now - 5_000);
        // Phone one day behind: shifted forward by a day.
        let day = 86_400_000;
        assert_eq!(corrected_time(now - day - 60_000, now - day, now).unwrap(), now - 60_000);
        // Phone an hour ahead: shifted back, order kept.
        let a = corrected_time(now + 3_600_000 - 20_000, now + 3_600_000, now).unwrap();
        let b = corrected_time(now + 3_600_000 - 10_000, now + 3_600_000, now).unwrap();
        assert!(a < b && b <= now);
        // A time in the future after correction is now.
        assert_eq!(corrected_time(now + 60_000, now, now).unwrap(), now);
        // Too old: refused with the field named.
        assert_eq!(corrected_time(now - 36 * day, now, now).unwrap_err().field, "at");
        // Absurd clocks and times are refused by name, never overflow (found by schemathesis).
        assert_eq!(corrected_time(now, i64::MIN + 1, now).unwrap_err().field, "client_now");
        assert_eq!(corrected_time(now, i64::MAX, now).unwrap_err().field, "client_now");
        assert_eq!(corrected_time(i64::MIN, now, now).unwrap_err().field, "at");
        assert_eq!(corrected_time(i64::MAX, now, now).unwrap(), now);
    }

    #[test]
    fn keys_are_short_safe_tokens() {
        assert!(check_key("3f2b8c1e-6a7d-4e0f-9b1a-2c3d4e5f6a7b").is_ok());
        assert!(check_key("short").is_err());
        assert!(check_key("has space in it").is_err());
        assert!(check_key(&"x".repeat(49)).is_err());
    }

    #[test]
    fn a_fix_a_hundred_km_away_is_flagged_and_costs_no_distance() {
        let base = 1_800_000_000_000;
        let step = 0.0009; // ≈ 100 m of latitude
        let mut fixes: Vec<Fix> =
            (0..10).map(|i| Fix { at: base + i * 60_000, lat: 30.0 + step * i as f64, lon: 120.0 }).collect();
        let clean = summarize_track(&fixes);
        assert!((clean.distance_m - 900.0).abs() < 15.0, "{}", clean.distance_m);
        fixes.push(Fix { at: base + 4 * 60_000 + 30_000, lat: 30.9, lon: 120.0 });
        // Out of order on purpose: batches arrive in any order.
        fixes.reverse();
        let jumped = summarize_track(&fixes);
        assert_eq!(jumped.flagged, vec![base + 4 * 60_000 + 30_000]);
        assert!((jumped.distance_m - clean.distance_m).abs() < 1e-6);
        assert_eq!(jumped.first_at, Some(base));
        assert_eq!(jumped.last_at, Some(base + 9 * 60_000));
    }

    #[test]
    fn a_bad_first_fix_does_not_poison_the_track() {
        let base = 1_800_000_000_000;
        let mut fixes = vec![Fix { at: base, lat: 31.2, lon: 120.0 }];
        fixes.extend((1..6).map(|i| Fix { at: base + i * 60_000, lat: 30.0 + 0.0009 * i as f64, lon: 120.0 }));
        let s = summarize_track(&fixes);
        assert_eq!(s.flagged, vec![base]);
        assert!((s.distance_m - 400.0).abs() < 10.0, "{}", s.distance_m);
        // One fix alone, or none: nothing to measure, nothing flagged.
        assert_eq!(summarize_track(&fixes[..1]).flagged, Vec::<i64>::new());
        assert_eq!(summarize_track(&[]), TrackSummary::default());
    }

    #[test]
    fn distances_match_known_values() {
        // One degree of latitude ≈ 111.2 km.
        assert!((distance_m(30.0, 120.0, 31.0, 120.0) - 111_195.0).abs() < 50.0);
        assert_eq!(distance_m(30.0, 120.0, 30.0, 120.0), 0.0);
    }

    #[test]
    fn codes_parse_with_the_field_named() {
        assert_eq!(Situation::parse("data.situation", "attention").unwrap(), Situation::Attention);
        assert_eq!(Situation::parse("data.situation", "ok").unwrap_err().field, "data.situation");
        assert_eq!(RiskChange::parse("data.risk", "").unwrap(), RiskChange::Same);
        assert!(RiskChange::parse("data.risk", "higher").is_err());
        assert!(check_fix("p", 0.0, 0.0).is_err());
        assert!(check_fix("p", 91.0, 0.0).is_err());
        assert!(check_fix("p", 30.2, 120.1).is_ok());
    }
}
