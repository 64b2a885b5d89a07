//! Point → grid: an R-tree of grid boundaries (rebuilt whenever grids change) plus an exact test.

use crate::{App, AppError, Result};
use std::sync::Arc;
use wangge_domain::coord::{Crs, to_wgs84, validate_lon_lat};
use wangge_domain::locator::GridLocator;
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;

impl App {
    /// Rebuilds the index when grids changed since it was built, e.g. through another server process on the
    /// same PostgreSQL or a CLI import while serving. `serve` calls this every few seconds.
    pub async fn refresh_locator_if_changed(&self) -> Result<bool> {
        let now = self.store.grid_fingerprint().await?;
        let seen = *self.locator_fingerprint.lock().unwrap_or_else(|p| p.into_inner());
        if seen == Some(now) {
            return Ok(false);
        }
        self.rebuild_locator().await?;
        Ok(true)
    }

    /// Rebuilds the index from every stored grid boundary and swaps it in atomically.
    pub async fn rebuild_locator(&self) -> Result<usize> {
        // Taken before reading, so a change during the rebuild is picked up by the next refresh.
        let fingerprint = self.store.grid_fingerprint().await?;
        let rows = self.store.all_grid_boundaries().await?;
        let mut grids = Vec::with_capacity(rows.len());
        for (code, text) in rows {
            match wangge_domain::geometry::parse_boundary_json("boundary", &text) {
                Ok(mp) => grids.push((code, mp)),
                // A stored boundary was validated on the way in; if one is damaged, skip it rather than fail start-up.
                Err(e) => tracing::warn!(grid = %code, error = %e, "skipping unreadable grid boundary"),
            }
        }
        let n = grids.len();
        let loc = Arc::new(GridLocator::new(grids));
        *self.locator.write().unwrap_or_else(|p| p.into_inner()) = loc;
        *self.locator_fingerprint.lock().unwrap_or_else(|p| p.into_inner()) = Some(fingerprint);
        Ok(n)
    }

    pub fn locator(&self) -> Arc<GridLocator> {
        self.locator.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Which grid holds the point, converted from `crs` to WGS84 first. Grids outside the caller's scope
    /// are answered like no grid at all.
    pub fn locate(&self, actor: &Actor, lat: f64, lon: f64, crs: Option<&str>) -> Result<String> {
        let crs = match crs.filter(|c| !c.is_empty()) {
            None => Crs::Wgs84,
            Some(c) => Crs::parse(c)
                .ok_or_else(|| AppError::field("crs", "应为 wgs84、gcj02 或 bd09 / must be wgs84, gcj02 or bd09"))?,
        };
        validate_lon_lat(lon, lat)?;
        let (x, y) = to_wgs84(crs, lon, lat);
        // Read under the lock without cloning the Arc: a lookup is a few hundred nanoseconds, so every atomic counts.
        let loc = self.locator.read().unwrap_or_else(|p| p.into_inner());
        let code = loc.locate(x, y).ok_or_else(|| AppError::not_found("grid at this point"))?;
        if !actor.may(Permission::ReadRegions, code) {
            return Err(AppError::not_found("grid at this point"));
        }
        Ok(code.to_string())
    }
}
