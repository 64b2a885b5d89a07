//! The region tree and the map: what each caller may see of districts, streets, communities and grids.

use crate::paging::{self, Page};
use crate::{App, AppError, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wangge_domain::region::{RegionLevel, validate_new_region};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::regions::{Counts, RegionRow};
use wangge_store::{Store, StoreError};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionSummary {
    pub code: String,
    pub name: String,
    #[schema(value_type = String)]
    pub level: RegionLevel,
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChildRegion {
    pub code: String,
    pub name: String,
    #[schema(value_type = String)]
    pub level: RegionLevel,
    pub households: i64,
    pub residents: i64,
    pub grids: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionDetail {
    pub code: String,
    pub name: String,
    #[schema(value_type = String)]
    pub level: RegionLevel,
    pub parent_code: Option<String>,
    pub households: i64,
    pub residents: i64,
    pub grids: i64,
    pub children: Vec<ChildRegion>,
    /// Ancestors the caller may see, from the top down (for breadcrumbs).
    pub path: Vec<RegionSummary>,
    /// GeoJSON geometry of the region's own boundary, if drawn.
    #[schema(value_type = Option<Object>)]
    pub boundary: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegion {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub parent_code: Option<String>,
    /// GeoJSON Polygon or MultiPolygon (WGS84).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub boundary: Option<Value>,
}

fn summary(r: &RegionRow) -> RegionSummary {
    RegionSummary {
        code: r.region.code.clone(),
        name: r.region.name.clone(),
        level: r.region.level,
        parent_code: r.region.parent_code.clone(),
    }
}

impl App {
    /// The top regions of the caller's scope: districts for admins, otherwise the roots of their grants.
    pub async fn top_regions(
        &self,
        actor: &Actor,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Page<RegionSummary>> {
        self.authorize_anywhere(actor, Permission::ReadRegions)?;
        let limit = paging::limit(limit)?;
        let cursor = cursor.filter(|c| !c.is_empty());
        match actor.roots(Permission::ReadRegions) {
            None => {
                let rows = self.store.top_regions(cursor, limit).await?;
                let total = self.store.count_top_regions().await?;
                Ok(paging::page(rows.iter().map(summary).collect(), limit, total, |r| r.code.clone()))
            }
            Some(roots) => {
                let mut all = Vec::new();
                for code in &roots {
                    if let Some(r) = self.store.region(code).await? {
                        all.push(summary(&r));
                    }
                }
                let total = all.len() as i64;
                let items: Vec<_> = all
                    .into_iter()
                    .filter(|r| cursor.is_none_or(|c| r.code.as_str() > c))
                    .take(limit as usize)
                    .collect();
                Ok(paging::page(items, limit, total, |r| r.code.clone()))
            }
        }
    }

    /// Where a user lands: their first top region.
    pub async fn home_region(&self, actor: &Actor) -> Result<Option<String>> {
        Ok(self.top_regions(actor, Some(1), None).await.ok().and_then(|p| p.items.into_iter().next()).map(|r| r.code))
    }

    pub async fn region_detail(&self, actor: &Actor, code: &str) -> Result<RegionDetail> {
        self.authorize(actor, Permission::ReadRegions, code)?;
        let r = self.store.region(code).await?.ok_or_else(|| AppError::not_found(code))?;
        let counts = self.store.region_counts(code).await?;
        let children = self.store.region_children(code).await?;
        let child_counts: std::collections::HashMap<String, Counts> = match children.first() {
            Some(c) => self.store.child_counts(code, c.region.code.len()).await?.into_iter().collect(),
            None => Default::default(),
        };
        let children = children
            .iter()
            .map(|c| {
                let k = child_counts.get(&c.region.code).copied().unwrap_or_default();
                ChildRegion {
                    code: c.region.code.clone(),
                    name: c.region.name.clone(),
                    level: c.region.level,
                    households: k.households,
                    residents: k.residents,
                    grids: k.grids,
                }
            })
            .collect();
        let mut path = Vec::new();
        let mut parent = r.region.parent_code.clone();
        while let Some(p) = parent {
            if !actor.may(Permission::ReadRegions, &p) {
                break;
            }
            match self.store.region(&p).await? {
                Some(pr) => {
                    parent = pr.region.parent_code.clone();
                    path.push(summary(&pr));
                }
                None => break,
            }
        }
        path.reverse();
        Ok(RegionDetail {
            code: r.region.code,
            name: r.region.name,
            level: r.region.level,
            parent_code: r.region.parent_code,
            households: counts.households,
            residents: counts.residents,
            grids: counts.grids,
            children,
            path,
            boundary: r.boundary.as_deref().and_then(|b| serde_json::from_str(b).ok()),
        })
    }

    /// The grids of a subtree as a GeoJSON FeatureCollection (a grid's own code gives just that grid).
    pub async fn grids_geojson(&self, actor: &Actor, code: &str) -> Result<Value> {
        self.authorize(actor, Permission::ReadRegions, code)?;
        if self.store.region(code).await?.is_none() {
            return Err(AppError::not_found(code));
        }
        let grids = self.store.grids_in(code).await?;
        let features: Vec<Value> = grids
            .iter()
            .filter_map(|g| {
                let geom: Value = serde_json::from_str(g.boundary.as_deref()?).ok()?;
                Some(json!({
                    "type": "Feature",
                    "geometry": geom,
                    "properties": { "code": g.region.code, "name": g.region.name },
                }))
            })
            .collect();
        Ok(json!({ "type": "FeatureCollection", "features": features }))
    }

    /// The direct children of a region with their boundaries and counts, as a FeatureCollection: the map's
    /// drill-down layer (click a street, then a community, then a grid).
    pub async fn children_geojson(&self, actor: &Actor, code: &str) -> Result<Value> {
        self.authorize(actor, Permission::ReadRegions, code)?;
        if self.store.region(code).await?.is_none() {
            return Err(AppError::not_found(code));
        }
        let children = self.store.region_children(code).await?;
        let counts: std::collections::HashMap<String, Counts> = match children.first() {
            Some(c) => self.store.child_counts(code, c.region.code.len()).await?.into_iter().collect(),
            None => Default::default(),
        };
        let features: Vec<Value> = children
            .iter()
            .filter_map(|c| {
                let geom: Value = serde_json::from_str(c.boundary.as_deref()?).ok()?;
                let k = counts.get(&c.region.code).copied().unwrap_or_default();
                Some(json!({
                    "type": "Feature",
                    "geometry": geom,
                    "properties": {
                        "code": c.region.code, "name": c.region.name, "level": c.region.level.as_str(),
                        "households": k.households, "residents": k.residents, "grids": k.grids,
                    },
                }))
            })
            .collect();
        Ok(json!({ "type": "FeatureCollection", "features": features }))
    }

    /// Every region the caller may see, parents before children (for the tree page).
    pub async fn region_tree(&self, actor: &Actor) -> Result<Vec<RegionSummary>> {
        self.authorize_anywhere(actor, Permission::ReadRegions)?;
        let roots = match actor.roots(Permission::ReadRegions) {
            Some(r) => r,
            None => self.store.top_regions(None, 10_000).await?.into_iter().map(|r| r.region.code).collect(),
        };
        let mut out = Vec::new();
        for root in roots {
            out.extend(self.store.region_subtree(&root).await?.iter().map(summary));
        }
        Ok(out)
    }

    pub async fn create_region(&self, actor: &Actor, input: NewRegion) -> Result<RegionDetail> {
        let region =
            validate_new_region(&self.config.code_rules, &input.code, &input.name, input.parent_code.as_deref())?;
        match &region.parent_code {
            Some(p) => self.authorize(actor, Permission::ManageRegions, p)?,
            // A new district is outside every subtree but an admin's.
            None if actor.is_admin() => {}
            None => return Err(AppError::forbidden()),
        }
        if let Some(p) = &region.parent_code
            && self.store.region(p).await?.is_none()
        {
            return Err(AppError::field("parent_code", format!("上级区域不存在 / parent region does not exist: {p}")));
        }
        let boundary = match &input.boundary {
            None | Some(Value::Null) => None,
            Some(v) => {
                let geom = geojson::Geometry::from_json_value(v.clone()).map_err(|e| {
                    AppError::field("boundary", format!("不是有效的 GeoJSON 几何 / not a GeoJSON geometry: {e}"))
                })?;
                let mp = wangge_domain::geometry::parse_boundary("boundary", &geom)?;
                Some(wangge_domain::geometry::to_geojson(&mp).to_string())
            }
        };
        let mut tx = self.store.begin().await?;
        Store::insert_region(&mut tx, &region, boundary.as_deref()).await.map_err(|e| match e {
            StoreError::Conflict(_) => {
                AppError::conflict(format!("区域编码已存在 / region code already exists: {}", region.code))
            }
            other => other.into(),
        })?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "create",
                object: &format!("region:{}", region.code),
                reason: None,
                region_code: Some(&region.code),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        if region.level == RegionLevel::Grid && boundary.is_some() {
            self.rebuild_locator().await?;
        }
        self.region_detail(actor, &region.code).await
    }
}
