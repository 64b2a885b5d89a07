//! The demo district's resident services: every station's opening hours with 错时 evenings and Saturday
//! mornings, an admission list per department with its document and funding, a month of applications in every
//! state (on time and late, rated, a few overdue and escalated), notifications for the demo community account,
//! tasks pushed onto communities (some refused), and appointments in the days ahead. Deterministic for a day.

use crate::service_catalogue::item_materials;
use crate::{App, Result};
use chrono::{Duration, NaiveDate, TimeZone};
use serde_json::json;
use wangge_demo::DemoData;
use wangge_domain::event::calendar::{cst, cst_day};
use wangge_domain::region::RegionLevel;
use wangge_domain::service::{self as rules, ApplicationStatus, default_hours};
use wangge_store::services::{AdmissionRow, ApplicationRow, AppointmentRow, HoursDbRow, StepRow, TaskRow};
use wangge_store::{Any, Store, StoreError, Transaction, now_ms};

/// (department, code, 名称, yuan per community per year, how it is paid).
const ADMISSION: &[(&str, &str, &str, i64, &str)] = &[
    ("minzheng", "MZ-ZR-01", "最低生活保障对象入户调查和张榜公示", 20_000, "区财政按社区拨付，年初预拨70%"),
    ("minzheng", "MZ-ZR-02", "高龄津贴、困难群众救助对象年度复核", 8_000, "随民政专项经费拨付"),
    ("minzheng", "MZ-ZR-03", "居民委员会换届选举组织协助", 15_000, "换届当年拨付"),
    ("renshe", "RS-ZR-01", "城乡居民养老保险待遇领取资格认证协助", 6_000, "按认证人数每人10元核拨"),
    ("renshe", "RS-ZR-02", "辖区就业失业状况动态调查", 10_000, "季度调查完成后拨付"),
    ("weijian", "WJ-ZR-01", "爱国卫生运动和病媒生物防制组织", 12_000, "区爱卫办专项经费"),
    ("weijian", "WJ-ZR-02", "流动人口计划生育服务信息采集", 5_000, "按年度考核结果拨付"),
    ("chengguan", "CG-ZR-01", "生活垃圾分类宣传和桶边督导", 30_000, "按督导点位数核拨"),
    ("gongan", "GA-ZR-01", "流动人口和出租房屋信息采集", 18_000, "按采集量核拨，每季度结算"),
    ("canlian", "CL-ZR-01", "残疾人基本服务状况和需求专项调查", 6_000, "调查结束后一次性拨付"),
    ("zhujian", "ZJ-ZR-01", "住宅小区物业服务监督和业主委员会组建指导", 10_000, "区住建局专项经费"),
];

/// Items asked for most at a station come up more often.
const POPULAR: &[&str] = &[
    "ZM01", "ZM01", "ZM04", "SB01", "SB02", "SB02", "SB04", "LL02", "LL02", "LL01", "LL04", "JY01", "JY02", "WJ04",
    "WJ01", "MZ01", "MZ03", "MZ05", "CL02", "CL03", "ZM02", "SB03", "JY03", "CL01", "MZ02", "WJ03", "ZM05", "SB06",
];

const STAFF: &[&str] = &["王静", "李娜", "赵磊", "孙婷", "周强", "吴敏"];

const DAY_MS: i64 = 86_400_000;

/// A small deterministic generator (the demo must be the same on every load of the same day).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

fn at(d: NaiveDate, h: u32, m: u32) -> i64 {
    cst()
        .from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap_or_default())
        .single()
        .map(|t| t.timestamp_millis())
        .unwrap_or(0)
}

#[allow(clippy::too_many_arguments)]
async fn step(
    tx: &mut Transaction<'static, Any>,
    id: i64,
    action: &str,
    from: &str,
    to: &str,
    actor: &str,
    at: i64,
    note: &str,
    data: serde_json::Value,
) -> Result<()> {
    let s = StepRow {
        id: 0,
        action: action.into(),
        from_status: from.into(),
        to_status: to.into(),
        actor: actor.into(),
        at,
        note: note.into(),
        data: data.to_string(),
    };
    Store::insert_service_step(tx, id, &s).await?;
    Ok(())
}

impl App {
    pub(crate) async fn load_demo_services(&self, data: &DemoData) -> Result<()> {
        let Some(district) = data.regions.first() else { return Ok(()) };
        let communities: Vec<_> = data.regions.iter().filter(|r| r.level == RegionLevel::Community).collect();
        let c = self.catalogue().await?;
        let cal = self.event_reference().await?.calendar.clone();
        let now = now_ms();
        let today = cst_day(now);
        let community_user = self.store.user_by_name("demo_community").await?;
        let leader_user = self.store.user_by_name("demo_grid_leader").await?;
        let minzheng_user = self.store.user_by_name("demo_minzheng").await?;
        let mut rnd = Lcg(u64::from(today.format("%Y%m%d").to_string().parse::<u32>().unwrap_or(1)));

        let mut tx = self.store.begin().await?;
        // Opening hours: weekdays, 错时 evenings on Tuesday and Thursday, Saturday mornings.
        let hours: Vec<HoursDbRow> = default_hours()
            .iter()
            .map(|r| HoursDbRow {
                weekday: i64::from(r.weekday),
                start_time: r.start.format("%H:%M").to_string(),
                end_time: r.end.format("%H:%M").to_string(),
                kind: r.kind.as_str().into(),
                slot_minutes: i64::from(r.slot_minutes),
                capacity: i64::from(r.capacity),
            })
            .collect();
        for cm in &communities {
            Store::replace_service_hours(&mut tx, &cm.code, &hours).await?;
        }

        // The admission list, approved by the district in March; one entry withdrawn (enforcement is not
        // community work).
        let basis = "《关于印发社区工作事项准入清单的通知》（区委办〔2026〕12号）".to_string();
        let mut admitted: Vec<(String, String, i64)> = Vec::new();
        for (dept, code, name, funding, note) in ADMISSION {
            let row = AdmissionRow {
                department_code: (*dept).into(),
                code: (*code).into(),
                name: (*name).into(),
                region_code: district.code.clone(),
                basis: basis.clone(),
                approved_on: "2026-03-01".into(),
                funding_fen: Some(funding * 100),
                funding_note: (*note).into(),
                active: true,
                created_by: "demo".into(),
                ..Default::default()
            };
            let id = Store::insert_admission_item(&mut tx, &row).await?;
            admitted.push(((*dept).into(), (*code).into(), id));
        }
        let revoked = AdmissionRow {
            department_code: "chengguan".into(),
            code: "CG-ZR-09".into(),
            name: "占道经营巡查劝离".into(),
            region_code: district.code.clone(),
            basis: basis.clone(),
            approved_on: "2026-03-01".into(),
            funding_fen: Some(500_000),
            funding_note: "2026年7月撤销：属行政执法事项，不得下派社区".into(),
            active: false,
            created_by: "demo".into(),
            ..Default::default()
        };
        Store::insert_admission_item(&mut tx, &revoked).await?;

        // Tasks pushed within the list, and pushes refused.
        let tasks: &[(&str, &str, &str, i64, &str)] = &[
            ("minzheng", "MZ-ZR-02", "2026年度高龄津贴对象资格复核", 40, "completed"),
            ("renshe", "RS-ZR-01", "第四季度养老金领取资格认证协助", 20, "accepted"),
            ("chengguan", "CG-ZR-01", "垃圾分类桶边督导（12月）", 6, "pushed"),
            ("gongan", "GA-ZR-01", "冬季出租房屋信息集中采集", 12, "accepted"),
            ("chengguan", "CG-ZR-07", "违法建设拆除前入户劝导", 9, "refused"),
            ("weijian", "WJ-ZR-09", "辖区餐饮单位卫生检查", 3, "refused"),
        ];
        for cm in communities.iter().take(2) {
            for (i, (dept, code, title, days_ago, status)) in tasks.iter().enumerate() {
                let pushed = now - days_ago * DAY_MS - (i as i64) * 3_600_000;
                let entry = admitted.iter().find(|(d, c, _)| d == dept && c == code).map(|x| x.2);
                let mut t = TaskRow {
                    kind: "task".into(),
                    department_code: (*dept).into(),
                    item_code: (*code).into(),
                    admission_item_id: entry,
                    title: (*title).into(),
                    description: "请按通知要求组织实施，完成后在系统中填报完成情况。".into(),
                    community_code: cm.code.clone(),
                    due_on: Some((today + Duration::days(30 - days_ago)).format("%Y-%m-%d").to_string()),
                    status: (*status).into(),
                    refusal: if *status == "refused" {
                        "不在该部门的社区准入事项清单内".into()
                    } else {
                        String::new()
                    },
                    pushed_by: format!("{dept}_demo"),
                    pushed_at: pushed,
                    ..Default::default()
                };
                let id = Store::insert_community_task(&mut tx, &t).await?;
                if matches!(*status, "accepted" | "completed") {
                    t.id = id;
                    t.version = 1;
                    t.accepted_by = "demo_community".into();
                    t.accepted_at = Some(pushed + DAY_MS);
                    if *status == "completed" {
                        t.completed_by = "demo_community".into();
                        t.completed_at = Some(pushed + 12 * DAY_MS);
                        t.result = "已完成入户复核126户，复核结果已报街道民政科。".into();
                    }
                    Store::save_community_task(&mut tx, &t).await?;
                }
            }
        }

        // A month of applications at every station (not for the demo resident, whose page starts clean).
        let resident_person = match self.store.user_by_name("demo_resident").await? {
            Some(u) => self.store.person_of_user(u.id).await?,
            None => None,
        };
        let mut notes_for_staff = 0;
        for (ci, cm) in communities.iter().enumerate() {
            let mut people = self.store.residents_of(&cm.code, 400).await?;
            people.retain(|p| Some(p.0) != resident_person);
            if people.is_empty() {
                continue;
            }
            let per_station = 42;
            for k in 0..per_station {
                let days_ago = (k * 31 / per_station) as i64;
                // The latest opening day at or before then, and a slot of it already begun.
                let mut day = today - Duration::days(days_ago);
                let slot_ms = |d: NaiveDate, t: chrono::NaiveDateTime| {
                    at(d, 0, 0) + (t - d.and_hms_opt(0, 0, 0).unwrap_or_default()).num_milliseconds()
                };
                let mut slots: Vec<_> = Vec::new();
                for _ in 0..30 {
                    slots = rules::slots_on(&default_hours(), &cal, day)
                        .into_iter()
                        .filter(|s| slot_ms(day, s.end) <= now)
                        .collect();
                    if !slots.is_empty() {
                        break;
                    }
                    day -= Duration::days(1);
                }
                if slots.is_empty() {
                    continue;
                }
                let slot = &slots[rnd.next(slots.len() as u64) as usize];
                let submitted = slot_ms(day, slot.start) + rnd.next(25) as i64 * 60_000;
                // The newest few are what the station's desk has in hand now: certificates and registrations it
                // does itself, and online applications waiting for 预审.
                let fresh = k < 5;
                let code = if fresh {
                    ["ZM01", "LL02", "ZM02", "ZM04", "LL04"][k % 5]
                } else {
                    POPULAR[rnd.next(POPULAR.len() as u64) as usize]
                };
                let Some(item) = c.item(code) else { continue };
                let (pid, pname, grid) = &people[(k * 7 + ci * 13 + rnd.next(5) as usize) % people.len()];
                let online = item.online && (rnd.next(10) < 3 || (fresh && k % 2 == 0));
                let (first_id, first_name) = match (ci, k % 3) {
                    (0, 0 | 1) => community_user.as_ref().map(|u| (Some(u.id), u.display_name.clone())),
                    (0, _) => leader_user.as_ref().map(|u| (Some(u.id), u.display_name.clone())),
                    _ => None,
                }
                .unwrap_or_else(|| (None, STAFF[(ci * 2 + k % 2) % STAFF.len()].to_string()));
                let first_username = match (ci, k % 3) {
                    (0, 0 | 1) => "demo_community".to_string(),
                    (0, _) => "demo_grid_leader".to_string(),
                    _ => format!("station_{}", cm.code),
                };
                let accepted =
                    if online { cal.add_working_minutes(submitted, 90).unwrap_or(submitted) } else { submitted };
                let days = item.time_limit_days as u32;
                let due = rules::due_after(&cal, accepted, days).unwrap_or(accepted + DAY_MS);
                let r = rnd.next(100);
                let status = if fresh && online {
                    ApplicationStatus::Submitted
                } else if fresh {
                    ApplicationStatus::Accepted
                } else if due < now {
                    match r {
                        0..=77 => ApplicationStatus::Completed,
                        78..=84 if item.department_code.is_some() => ApplicationStatus::Rejected,
                        78..=88 => ApplicationStatus::Withdrawn,
                        _ if item.department_code.is_some() => ApplicationStatus::Processing,
                        _ => ApplicationStatus::Completed,
                    }
                } else {
                    match r {
                        0..=24 => ApplicationStatus::Accepted,
                        25..=54 if item.department_code.is_some() => ApplicationStatus::Processing,
                        55..=64 => ApplicationStatus::Supplement,
                        65..=74 if item.department_code.is_some() => ApplicationStatus::Approved,
                        _ => ApplicationStatus::Completed,
                    }
                };
                let specs = item_materials(item);
                let materials: Vec<serde_json::Value> = specs
                    .iter()
                    .map(|m| {
                        json!({ "name": m.name, "required": m.required, "note": m.note,
                            "received": status != ApplicationStatus::Submitted && (m.required || r.is_multiple_of(2)), "attachments": [] })
                    })
                    .collect();
                let seq =
                    Store::next_tracking_seq(&mut tx, &rules::tracking_prefix(&cm.code, cst_day(submitted))).await?;
                let mut row = ApplicationRow {
                    tracking_no: rules::tracking_number(&cm.code, cst_day(submitted), seq),
                    item_code: item.code.clone(),
                    department_code: item.department_code.clone(),
                    person_id: *pid,
                    applicant_name: pname.clone(),
                    grid_code: grid.clone(),
                    community_code: cm.code.clone(),
                    channel: if online { "online" } else { "window" }.into(),
                    window_label: if online { String::new() } else { format!("{}号窗口", 1 + k % 3) },
                    status: ApplicationStatus::Accepted.as_str().into(),
                    materials: serde_json::Value::Array(materials).to_string(),
                    note: String::new(),
                    first_user_id: first_id,
                    first_username: first_username.clone(),
                    first_name: first_name.clone(),
                    submitted_at: submitted,
                    accepted_at: Some(accepted),
                    due_at: due,
                    ..Default::default()
                };
                if status == ApplicationStatus::Submitted {
                    row.status = status.as_str().into();
                    row.accepted_at = None;
                    row.first_user_id = None;
                    row.first_username = String::new();
                    row.first_name = String::new();
                    row.due_at =
                        rules::due_after(&cal, submitted, rules::ACCEPT_WITHIN_DAYS).unwrap_or(submitted + DAY_MS);
                }
                let id = Store::insert_application(&mut tx, &row).await?;
                row.id = id;
                row.version = 1;
                if online {
                    step(&mut tx, id, "submit", "", "submitted", pname, submitted, "", json!({ "channel": "online" }))
                        .await?;
                }
                if status == ApplicationStatus::Submitted {
                    continue;
                }
                let from = if online { "submitted" } else { "" };
                step(
                    &mut tx,
                    id,
                    "accept",
                    from,
                    "accepted",
                    &first_name,
                    accepted,
                    "",
                    json!({ "tracking_no": row.tracking_no }),
                )
                .await?;
                let dept_actor = match item.department_code.as_deref() {
                    Some("minzheng") => minzheng_user.as_ref().map(|u| u.display_name.clone()).unwrap_or_default(),
                    Some(d) => c.department_name(d).map(|n| format!("{n} 窗口")).unwrap_or_default(),
                    None => first_name.clone(),
                };
                let handler = match item.department_code.as_deref() {
                    Some("minzheng") => "demo_minzheng".to_string(),
                    Some(_) => String::new(),
                    None => first_username.clone(),
                };
                // How far through its time limit this one got: most in time, one in eight late.
                let span = cal.working_minutes_between(accepted, due).max(60);
                let late = r % 8 == 3;
                let done_at = if late {
                    cal.add_working_minutes(due, 240).unwrap_or(due + DAY_MS)
                } else {
                    cal.add_working_minutes(accepted, span * (30 + r as i64 % 60) / 100).unwrap_or(accepted)
                };
                let handled_at = cal.add_working_minutes(accepted, span / 5).unwrap_or(accepted).min(now);
                let first = row.first_user_id;
                let mut pending: Vec<(Option<i64>, String)> = Vec::new();
                match status {
                    ApplicationStatus::Accepted => {}
                    ApplicationStatus::Supplement => {
                        let what = format!("请补交{}", specs.last().map(|m| m.name.as_str()).unwrap_or("材料"));
                        step(
                            &mut tx,
                            id,
                            "supplement",
                            "accepted",
                            "supplement",
                            &dept_actor,
                            handled_at,
                            &what,
                            json!({}),
                        )
                        .await?;
                        row.resume_to = Some("accepted".into());
                        row.paused_at = Some(handled_at);
                        pending.push((
                            first,
                            format!(
                                "办件 {} {}（{}）：{dept_actor} 补正告知：{what}",
                                row.tracking_no, item.name, pname
                            ),
                        ));
                    }
                    ApplicationStatus::Withdrawn => {
                        step(
                            &mut tx,
                            id,
                            "withdraw",
                            "accepted",
                            "withdrawn",
                            pname,
                            handled_at,
                            "申请人已通过其他渠道办理",
                            json!({}),
                        )
                        .await?;
                        row.finished_at = Some(handled_at);
                        row.result = "申请人已通过其他渠道办理".into();
                    }
                    _ => {
                        step(&mut tx, id, "handle", "accepted", "processing", &dept_actor, handled_at, "", json!({}))
                            .await?;
                        row.handler = handler.clone();
                        if status == ApplicationStatus::Processing {
                            if due < now {
                                row.escalated_at = Some(due + 3_600_000);
                                row.warned_at = Some(due - 3_600_000);
                                step(
                                    &mut tx,
                                    id,
                                    "escalate",
                                    "processing",
                                    "processing",
                                    "system",
                                    due + 3_600_000,
                                    "超过办理时限，自动督办 / overdue, escalated automatically",
                                    json!({ "automatic": true }),
                                )
                                .await?;
                                pending.push((
                                    first,
                                    format!(
                                        "超期督办：办件 {} {}（{}）已超过办理时限",
                                        row.tracking_no, item.name, pname
                                    ),
                                ));
                            }
                        } else if status == ApplicationStatus::Rejected {
                            let why = "经入户核查，家庭人均收入高于当地标准，不符合条件";
                            step(
                                &mut tx,
                                id,
                                "reject",
                                "processing",
                                "rejected",
                                &dept_actor,
                                done_at.min(now),
                                why,
                                json!({}),
                            )
                            .await?;
                            row.decided_at = Some(done_at.min(now));
                            row.finished_at = Some(done_at.min(now));
                            row.result = why.into();
                            pending.push((
                                first,
                                format!(
                                    "办件 {} {}（{}）：{dept_actor} 不予批准：{why}",
                                    row.tracking_no, item.name, pname
                                ),
                            ));
                        } else {
                            let needs_approval = item.department_code.is_some() && item.time_limit_days >= 10;
                            if needs_approval {
                                let approved =
                                    cal.add_working_minutes(handled_at, span / 3).unwrap_or(handled_at).min(now);
                                step(
                                    &mut tx,
                                    id,
                                    "approve",
                                    "processing",
                                    "approved",
                                    &dept_actor,
                                    approved,
                                    "",
                                    json!({}),
                                )
                                .await?;
                                row.decided_at = Some(approved);
                                if status == ApplicationStatus::Approved {
                                    pending.push((
                                        first,
                                        format!(
                                            "办件 {} {}（{}）：{dept_actor} 审批通过",
                                            row.tracking_no, item.name, pname
                                        ),
                                    ));
                                }
                            }
                            if status == ApplicationStatus::Completed {
                                let result = if item.department_code.is_none() {
                                    "证明已出具，申请人当场领取"
                                } else {
                                    "已办结，结果已告知申请人"
                                };
                                let from = if needs_approval { "approved" } else { "processing" };
                                let done = done_at.min(now);
                                step(&mut tx, id, "finish", from, "completed", &dept_actor, done, result, json!({}))
                                    .await?;
                                row.finished_at = Some(done);
                                row.result = result.into();
                                if rnd.next(10) < 7 {
                                    let s = match rnd.next(100) {
                                        0..=54 => 5,
                                        55..=84 => 4,
                                        85..=94 => 3,
                                        _ => 2,
                                    };
                                    let rated = done + 2 * 3_600_000;
                                    step(
                                        &mut tx,
                                        id,
                                        "rate",
                                        "completed",
                                        "completed",
                                        pname,
                                        rated,
                                        "",
                                        json!({ "satisfaction": s }),
                                    )
                                    .await?;
                                    row.satisfaction = Some(s);
                                    row.rated_at = Some(rated);
                                }
                            }
                        }
                    }
                }
                row.status = status.as_str().into();
                Store::save_application(&mut tx, &row, !status.is_final()).await?;
                for (user, body) in pending {
                    notes_for_staff += 1;
                    if notes_for_staff <= 40 {
                        crate::services::notify(&mut tx, user, &body, &format!("/services/applications/{id}")).await?;
                    }
                }
            }
        }

        // Appointments in the next days at the first station, the demo resident's among them.
        if let Some(cm) = communities.first() {
            let people = self.store.residents_of(&cm.code, 40).await?;
            let resident = resident_person;
            let mut booked = 0;
            for d in 1..=7 {
                let day = today + Duration::days(d);
                for (i, s) in
                    rules::slots_on(&default_hours(), &cal, day).iter().enumerate().filter(|(i, _)| i % 4 == 1)
                {
                    let person = if booked == 0 {
                        resident
                    } else {
                        people.get((booked * 3) % people.len().max(1)).map(|p| p.0)
                    };
                    let Some(person) = person else { continue };
                    let start =
                        at(day, 0, 0) + (s.start - day.and_hms_opt(0, 0, 0).unwrap_or_default()).num_milliseconds();
                    if !Store::take_slot(&mut tx, &cm.code, start, i64::from(s.capacity)).await? {
                        continue;
                    }
                    let a = AppointmentRow {
                        region_code: cm.code.clone(),
                        item_code: Some(POPULAR[(i + booked) % POPULAR.len()].to_string()),
                        person_id: person,
                        booked_by: "demo".into(),
                        slot_start: start,
                        slot_end: start + (s.end - s.start).num_milliseconds(),
                        kind: s.kind.as_str().into(),
                        status: "booked".into(),
                        ..Default::default()
                    };
                    match Store::insert_appointment(&mut tx, &a).await {
                        Ok(_) => booked += 1,
                        Err(StoreError::Conflict(_)) => Store::release_slot(&mut tx, &cm.code, start).await?,
                        Err(e) => return Err(e.into()),
                    }
                    if booked >= 12 {
                        break;
                    }
                }
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
