//! Settings an administrator changes at run time, stored in the database so every server process
//! sees the same value. The map tile source is the first: without one the map draws grids on a plain
//! background (offline government networks); with one (e.g. 天地图 with a key) it draws tiles beneath.

use crate::{App, AppError, Result};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::{Store, StoreError};

pub const TILE_URL: &str = "map.tile_url";
pub const TILE_ATTRIBUTION: &str = "map.tile_attribution";

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct MapSettings {
    /// Leaflet URL template with {z}, {x}, {y} (and optionally {s}); empty = no tiles.
    pub tile_url: String,
    pub tile_attribution: String,
}

/// A tile URL must be an http(s) or same-site template with {z}/{x}/{y}; empty turns tiles off.
pub fn check_tile_url(url: &str) -> Result<String> {
    let url = url.trim();
    if url.is_empty() {
        return Ok(String::new());
    }
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/');
    let has_xyz = ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p));
    if !scheme_ok || !has_xyz || url.len() > 1000 || url.chars().any(|c| c.is_whitespace() || c == '"' || c == '<') {
        return Err(AppError::field(
            "tile_url",
            "应为含 {z}/{x}/{y} 的 http(s) 地址模板 / must be an http(s) URL template containing {z}, {x} and {y}",
        ));
    }
    Ok(url.to_string())
}

impl App {
    /// The tile source: the stored setting, else the operator's environment default.
    pub async fn map_settings(&self) -> Result<MapSettings> {
        let url = self.store.setting(TILE_URL).await?;
        let attribution = self.store.setting(TILE_ATTRIBUTION).await?;
        Ok(MapSettings {
            tile_url: url.or_else(|| self.config.tile_url.clone()).unwrap_or_default(),
            tile_attribution: attribution.or_else(|| self.config.tile_attribution.clone()).unwrap_or_default(),
        })
    }

    pub async fn set_map_settings(&self, actor: &Actor, tile_url: &str, attribution: &str) -> Result<MapSettings> {
        self.authorize_anywhere(actor, Permission::ManageSettings)?;
        let url = check_tile_url(tile_url)?;
        let attribution = attribution.trim();
        if attribution.chars().count() > 200 {
            return Err(AppError::field("tile_attribution", "不能超过200字 / at most 200 characters"));
        }
        let mut tx = self.store.begin().await?;
        Store::set_setting(&mut tx, TILE_URL, &url).await?;
        Store::set_setting(&mut tx, TILE_ATTRIBUTION, attribution).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "update",
                object: "settings:map",
                reason: Some(&url),
                region_code: None,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.map_settings().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_urls_need_a_template() {
        assert!(
            check_tile_url("https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=K")
                .is_ok()
        );
        assert_eq!(check_tile_url("  ").unwrap(), "");
        for bad in [
            "javascript:alert(1)//{z}{x}{y}",
            "https://tiles.example/{z}/{x}",
            "ftp://x/{z}/{x}/{y}",
            "https://x/{z}/{x}/{y}\" onload=\"",
        ] {
            assert_eq!(check_tile_url(bad).unwrap_err().field_name(), Some("tile_url"), "{bad}");
        }
    }
}
