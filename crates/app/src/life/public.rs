//! What the public portal of a community may show, without login: published meetings with their resolutions and
//! progress, upcoming volunteer activities with places left, co-building units with this year's commitments and
//! their completion, 共建日 events, party organizations and their public activities.
//!
//! These views are built field by field from what may be published: never a participant, a volunteer, a party
//! member, a 身份证号, a phone, a contact person or a staff username — only the names of officials, units and
//! departments that the records themselves state (a resolution's owner, a branch's secretary, a unit's name).

use super::fmt;
use crate::people::today;
use crate::{App, AppError, Result};
use chrono::Datelike;
use serde::Serialize;
use std::collections::HashMap;
use wangge_domain::life::{self as rules, CommitmentKind, MeetingKind, PartyActivityKind, PartyOrgKind, UnitKind};
use wangge_domain::region::RegionLevel;
use wangge_store::life::meetings::MeetingFilter;

/// How much a public list shows at most.
const PUBLIC_LIMIT: i64 = 50;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicCommunity {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicProgress {
    pub at: String,
    pub status: String,
    pub status_name: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicResolution {
    pub content: String,
    /// The department, unit or official responsible, as the resolution names them.
    pub owner: String,
    pub due_on: Option<String>,
    pub status: String,
    pub status_name: String,
    pub overdue: bool,
    pub done_at: Option<String>,
    pub progress: Vec<PublicProgress>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicMeeting {
    pub id: i64,
    pub kind: String,
    pub kind_name: String,
    pub topic: String,
    pub starts_at: String,
    pub place: String,
    pub published_at: Option<String>,
    pub resolutions: Vec<PublicResolution>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicMeetings {
    pub community: PublicCommunity,
    pub items: Vec<PublicMeeting>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicActivity {
    pub id: i64,
    pub title: String,
    pub needs: String,
    pub place: String,
    pub starts_at: String,
    pub ends_at: String,
    pub team: Option<String>,
    pub capacity: i64,
    pub places_left: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicActivities {
    pub community: PublicCommunity,
    pub items: Vec<PublicActivity>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicCommitment {
    pub kind: String,
    pub kind_name: String,
    pub title: String,
    pub target: f64,
    pub done: f64,
    pub unit: String,
    /// 0–1.
    pub completion: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicUnit {
    pub name: String,
    pub kind_name: String,
    pub paired_on: Option<String>,
    /// This year's commitments.
    pub commitments: Vec<PublicCommitment>,
    pub completion: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicDay {
    pub held_on: String,
    pub theme: String,
    pub content: String,
    pub problems: Vec<String>,
    pub units: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicCoBuilding {
    pub community: PublicCommunity,
    pub year: i64,
    pub units: Vec<PublicUnit>,
    pub days: Vec<PublicDay>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicPartyOrg {
    pub name: String,
    pub kind_name: String,
    pub secretary: String,
    /// Active members (a count only).
    pub members: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicPartyActivity {
    pub org_name: String,
    pub kind_name: String,
    pub title: String,
    pub held_at: String,
    pub place: String,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicParty {
    pub community: PublicCommunity,
    pub organizations: Vec<PublicPartyOrg>,
    /// Activities marked public over the last year, newest first.
    pub activities: Vec<PublicPartyActivity>,
}

impl App {
    /// The community a portal shows: 404 for any code that is not a community.
    pub async fn public_community(&self, code: &str) -> Result<PublicCommunity> {
        let code = code.trim();
        let not_found = || AppError::not_found(&format!("community {code}"));
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_found());
        }
        let r = self
            .store
            .region(code)
            .await?
            .filter(|r| r.region.level == RegionLevel::Community)
            .ok_or_else(not_found)?;
        Ok(PublicCommunity { code: r.region.code, name: r.region.name })
    }

    /// Published meetings of the community with their resolutions and progress, newest first.
    pub async fn public_meetings(&self, code: &str) -> Result<PublicMeetings> {
        let community = self.public_community(code).await?;
        let filter = MeetingFilter { region_code: Some(community.code.clone()), published: true, ..Default::default() };
        let (rows, _) = self.store.meetings(&filter, None, PUBLIC_LIMIT).await?;
        let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
        let resolutions = self.store.resolutions_of(&ids).await?;
        let rids: Vec<i64> = resolutions.iter().map(|r| r.id).collect();
        let mut progress: HashMap<i64, Vec<PublicProgress>> = HashMap::new();
        for p in self.store.resolution_progress(&rids).await? {
            let status_name = rules::ResolutionStatus::parse("status", &p.status).map(|s| s.label_zh()).unwrap_or("");
            progress.entry(p.resolution_id).or_default().push(PublicProgress {
                at: fmt(p.at),
                status_name: status_name.into(),
                status: p.status,
                note: p.note,
            });
        }
        let on = today();
        let items = rows
            .into_iter()
            .map(|m| PublicMeeting {
                id: m.id,
                kind_name: MeetingKind::parse("kind", &m.kind).map(|k| k.label_zh()).unwrap_or("").into(),
                kind: m.kind,
                topic: m.topic,
                starts_at: fmt(m.starts_at),
                place: m.place,
                published_at: m.published_at.map(fmt),
                resolutions: resolutions
                    .iter()
                    .filter(|r| r.meeting_id == m.id)
                    .map(|r| {
                        let v = super::meetings::resolution_view(r, Vec::new(), on);
                        PublicResolution {
                            content: v.content,
                            owner: v.owner,
                            due_on: v.due_on,
                            status: v.status,
                            status_name: v.status_name,
                            overdue: v.overdue,
                            done_at: v.done_at,
                            progress: progress.remove(&r.id).unwrap_or_default(),
                        }
                    })
                    .collect(),
            })
            .collect();
        Ok(PublicMeetings { community, items })
    }

    /// Upcoming public volunteer activities of the community with places left, soonest first.
    pub async fn public_activities(&self, code: &str) -> Result<PublicActivities> {
        let community = self.public_community(code).await?;
        let rows = self.public_activity_rows(&community.code, PUBLIC_LIMIT).await?;
        let items = self
            .activity_views(&rows)
            .await?
            .into_iter()
            .map(|a| PublicActivity {
                id: a.id,
                title: a.title,
                needs: a.needs,
                place: a.place,
                starts_at: a.starts_at,
                ends_at: a.ends_at,
                team: a.team.map(|t| t.name),
                capacity: a.capacity,
                places_left: a.places_left,
            })
            .collect();
        Ok(PublicActivities { community, items })
    }

    /// The community's active co-building units with this year's commitments, and its recent 共建日.
    pub async fn public_co_building(&self, code: &str) -> Result<PublicCoBuilding> {
        let community = self.public_community(code).await?;
        let year = i64::from(today().year());
        let (units, _) = self.store.units(&None, Some(&community.code), 0, 200).await?;
        let units: Vec<_> = units.into_iter().filter(|u| u.active != 0).collect();
        let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
        let commitments = self.store.commitments_of(&ids, Some(year)).await?;
        let units = units
            .iter()
            .map(|u| {
                let mine: Vec<PublicCommitment> = commitments
                    .iter()
                    .filter(|c| c.unit_id == u.id)
                    .map(|c| {
                        let kind = CommitmentKind::parse("kind", &c.kind).unwrap_or(CommitmentKind::Project);
                        PublicCommitment {
                            kind: c.kind.clone(),
                            kind_name: kind.label_zh().into(),
                            title: c.title.clone(),
                            target: c.target_x100 as f64 / 100.0,
                            done: c.done_x100 as f64 / 100.0,
                            unit: kind.unit_zh().into(),
                            completion: rules::completion(c.done_x100, c.target_x100),
                        }
                    })
                    .collect();
                let rates: Vec<f64> = mine.iter().filter_map(|c| c.completion).collect();
                PublicUnit {
                    name: u.name.clone(),
                    kind_name: UnitKind::parse("kind", &u.kind).map(|k| k.label_zh()).unwrap_or("").into(),
                    paired_on: u.paired_on.clone(),
                    completion: (!rates.is_empty()).then(|| rates.iter().sum::<f64>() / rates.len() as f64),
                    commitments: mine,
                }
            })
            .collect();
        let (days, _) = self.store.co_building_days(&None, Some(&community.code), 0, 24).await?;
        let days = self
            .day_views(days)
            .await?
            .into_iter()
            .map(|d| PublicDay {
                held_on: d.held_on,
                theme: d.theme,
                content: d.content,
                problems: d.problems,
                units: d.units.into_iter().map(|u| u.name).collect(),
            })
            .collect();
        Ok(PublicCoBuilding { community, year, units, days })
    }

    /// The community's party organizations (with member counts, never member lists) and their public activities
    /// of the last year.
    pub async fn public_party(&self, code: &str) -> Result<PublicParty> {
        let community = self.public_community(code).await?;
        let orgs = self.store.party_orgs(&None, Some(&community.code)).await?;
        let views = self.party_org_views(None, &orgs).await?;
        let ids: Vec<i64> = orgs.iter().map(|o| o.id).collect();
        let now = wangge_store::now_ms();
        let rows =
            self.store.party_activities(&ids, now - 366 * 86_400_000, now + 86_400_000, true, PUBLIC_LIMIT).await?;
        let names: HashMap<i64, String> = orgs.iter().map(|o| (o.id, o.name.clone())).collect();
        Ok(PublicParty {
            organizations: views
                .into_iter()
                .map(|o| PublicPartyOrg {
                    kind_name: PartyOrgKind::parse("kind", &o.kind).map(|k| k.label_zh()).unwrap_or("").into(),
                    name: o.name,
                    secretary: o.secretary,
                    members: o.members,
                })
                .collect(),
            activities: rows
                .into_iter()
                .map(|a| PublicPartyActivity {
                    org_name: names.get(&a.org_id).cloned().unwrap_or_default(),
                    kind_name: PartyActivityKind::parse("kind", &a.kind).map(|k| k.label_zh()).unwrap_or("").into(),
                    title: a.title,
                    held_at: fmt(a.held_at),
                    place: a.place,
                    summary: a.summary,
                })
                .collect(),
            community,
        })
    }
}
