//! Community life of the demo district: meetings with resolutions (done, running, overdue) and publication,
//! volunteers with a time-bank history and a star award, teams and activities past and coming, co-building units
//! with this year's commitments and monthly 共建日, social organizations in incubation, and party building
//! (street committees, community branches, members of every kind, 三会一课, in-service members' service). Dates are
//! relative to the day the demo is loaded; everything else is fixed.
//!
//! Written straight into the store in one transaction (the demo is fixed data, and thousands of small
//! transactions made every test's demo load seconds slower on PostgreSQL).

use super::ymd;
use crate::people::{PeopleQuery, today};
use crate::{App, AppError, Result};
use chrono::Datelike;
use wangge_domain::event::calendar::cst_day_start_ms;
use wangge_domain::life::LedgerKind;
use wangge_domain::region::RegionLevel;
use wangge_store::life::co_building::{CommitmentRow, DayRow, ServiceRow, UnitRow};
use wangge_store::life::meetings::{MeetingRow, ParticipantRow, ProgressRow, ResolutionRow};
use wangge_store::life::party::{MemberRow, PartyActivityRow, PartyOrgRow, ServiceRecordRow};
use wangge_store::life::volunteers::{ActivityRow, HonourRow, SignupRow, TeamRow, VolunteerRow};
use wangge_store::{Any, Backend, Store, StoreError, Transaction, now_ms};

/// Communities that get the whole set (a `street`-scale district has many; the first ones show every page).
const FULL_COMMUNITIES: usize = 6;
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
const BY: &str = "cli:demo";

type Tx = Transaction<'static, Any>;

/// `days` from today (negative: ago) at `hour` o'clock, China time, in Unix ms.
fn at(days: i64, hour: i64) -> i64 {
    cst_day_start_ms(today()) + days * DAY + hour * HOUR
}

fn day(days: i64) -> String {
    ymd(today() + chrono::Duration::days(days))
}

fn demo_err(e: StoreError) -> AppError {
    AppError::internal(format!("demo community life: {e}"))
}

struct Ctx<'a> {
    app: &'a App,
    postgres: bool,
}

impl App {
    pub(crate) async fn load_demo_life(&self, data: &wangge_demo::DemoData) -> Result<()> {
        let a = crate::system_actor("demo");
        // Who lives in each community (read before writing).
        let mut communities = Vec::new();
        for c in data.regions.iter().filter(|r| r.level == RegionLevel::Community).take(FULL_COMMUNITIES) {
            let q =
                PeopleQuery { region: Some(&c.code), q: None, tag: None, status: None, limit: Some(40), cursor: None };
            let people: Vec<(i64, String)> =
                self.list_people(&a, q).await?.items.into_iter().map(|p| (p.id, p.name)).collect();
            let social: Vec<i64> = self
                .store
                .social_orgs(&Some(vec![c.code.clone()]), None, None, 10)
                .await?
                .0
                .into_iter()
                .map(|o| o.id)
                .collect();
            if people.len() >= 28 {
                communities.push((c, people, social));
            }
        }
        let cx = Ctx { app: self, postgres: self.store.backend() == Backend::Postgres };
        let mut tx = self.store.begin().await?;
        let mut committees = std::collections::HashMap::new();
        for street in data.regions.iter().filter(|r| r.level == RegionLevel::Street) {
            let short = street.name.trim_end_matches("街道").trim_end_matches('镇');
            let id = Store::insert_party_org(
                &mut tx,
                &PartyOrgRow {
                    region_code: street.code.clone(),
                    kind: "committee".into(),
                    name: format!("{short}街道党工委"),
                    secretary: "郑国华".into(),
                    founded_on: Some("2003-07-01".into()),
                    created_at: now_ms(),
                    ..Default::default()
                },
            )
            .await?;
            committees.insert(street.code.clone(), id);
            cx.street_meeting(&mut tx, &street.code, short).await.map_err(demo_err)?;
        }
        for (c, people, social) in &communities {
            let short = c.name.trim_end_matches("社区").trim_end_matches('村');
            cx.meetings(&mut tx, &c.code, short, people).await.map_err(demo_err)?;
            cx.volunteers(&mut tx, &c.code, short, people, c.code == communities[0].0.code).await.map_err(demo_err)?;
            cx.co_building(&mut tx, &c.code, short, social).await.map_err(demo_err)?;
            let parent = committees.get(&c.code[..9]).copied();
            cx.party(&mut tx, &c.code, short, people, parent).await.map_err(demo_err)?;
        }
        let district = data.regions.first().map(|r| r.code.clone()).unwrap_or_default();
        super::audit(&mut tx, &a, "demo", "community_life", None, &district).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}

/// A resolution as it went: (content, owner, due in days, progress notes with the status after each).
type DemoResolution<'a> = (&'a str, String, i64, Vec<(&'a str, &'a str)>);

/// One meeting as it went: participants (those signed in), minutes, resolutions with their progress.
struct Held<'a> {
    kind: &'a str,
    topic: String,
    days: i64,
    hour: i64,
    place: &'a str,
    agenda: &'a [&'a str],
    /// (register person id and name, or a guest's name, affiliation, present)
    participants: Vec<(Option<i64>, String, &'a str, bool)>,
    minutes: &'a str,
    /// (content, owner, due in days, progress notes with the status after each)
    resolutions: Vec<DemoResolution<'a>>,
    published: bool,
}

impl Ctx<'_> {
    async fn meeting(&self, tx: &mut Tx, region: &str, m: Held<'_>) -> std::result::Result<i64, StoreError> {
        let starts = at(m.days, m.hour);
        let mut row = MeetingRow {
            region_code: region.into(),
            kind: m.kind.into(),
            topic: m.topic,
            starts_at: starts,
            ends_at: Some(starts + 2 * HOUR),
            place: m.place.into(),
            agenda: serde_json::to_string(m.agenda).unwrap_or_else(|_| "[]".into()),
            status: "scheduled".into(),
            created_by: BY.into(),
            created_at: starts - 7 * DAY,
            ..Default::default()
        };
        let id = Store::insert_meeting(tx, &row).await?;
        for (person_id, name, affiliation, present) in &m.participants {
            let p = ParticipantRow {
                meeting_id: id,
                kind: if person_id.is_some() { "person" } else { "guest" }.into(),
                person_id: *person_id,
                name: name.clone(),
                affiliation: affiliation.to_string(),
                invited: 1,
                present: i64::from(*present),
                signed_at: present.then_some(starts),
                ..Default::default()
            };
            Store::insert_participant(tx, &p).await?;
        }
        if m.minutes.is_empty() {
            return Ok(id);
        }
        row.id = id;
        row.version = 1;
        row.status = "held".into();
        row.minutes = m.minutes.into();
        row.minutes_by = BY.into();
        row.minutes_at = Some(starts + 3 * HOUR);
        row.published_at = m.published.then_some(starts + DAY);
        Store::save_meeting(tx, &row).await?;
        for (content, owner, due, progress) in m.resolutions {
            let mut r = ResolutionRow {
                meeting_id: id,
                content: content.into(),
                owner,
                due_on: Some(day(due)),
                status: "pending".into(),
                created_at: starts + 3 * HOUR,
                ..Default::default()
            };
            r.id = Store::insert_resolution(tx, &r).await?;
            r.version = 1;
            for (k, (note, status)) in progress.iter().enumerate() {
                let when = (starts + (k as i64 + 2) * 3 * DAY).min(now_ms());
                Store::insert_resolution_progress(
                    tx,
                    &ProgressRow {
                        resolution_id: r.id,
                        at: when,
                        actor: BY.into(),
                        status: status.to_string(),
                        note: note.to_string(),
                        id: 0,
                    },
                )
                .await?;
                r.status = status.to_string();
                if *status == "done" {
                    r.done_at = Some(when);
                }
                Store::save_resolution(tx, &r).await?;
                r.version += 1;
            }
        }
        Ok(id)
    }

    async fn street_meeting(&self, tx: &mut Tx, street: &str, short: &str) -> std::result::Result<(), StoreError> {
        self.meeting(
            tx,
            street,
            Held {
                kind: "coordination",
                topic: format!("{short}背街小巷环境整治民主协调会"),
                days: -12,
                hour: 14,
                place: "街道办事处三楼会议室",
                agenda: &["通报背街小巷占道经营和垃圾堆放情况", "商定商户、物业和城管的分工"],
                participants: vec![(None, "城管中队长".into(), "区城管局", true), (None, "商户代表".into(), "沿街商户", true)],
                minutes: "一、沿街商户实行“门前三包”，每日自查。\n二、城管中队每周联合巡查两次。\n三、环卫增加傍晚一次清运。",
                resolutions: vec![(
                    "城管中队每周联合巡查两次，整治占道经营",
                    "区城管局".into(),
                    30,
                    vec![("已开展联合巡查3次，劝离占道摊点12处", "in_progress")],
                )],
                published: true,
            },
        )
        .await?;
        Ok(())
    }

    async fn meetings(
        &self,
        tx: &mut Tx,
        c: &str,
        short: &str,
        people: &[(i64, String)],
    ) -> std::result::Result<(), StoreError> {
        let resident =
            |i: usize, aff: &'static str, present: bool| (Some(people[i].0), people[i].1.clone(), aff, present);
        let guest = |name: &str, aff: &'static str, present: bool| (None, name.to_string(), aff, present);
        self.meeting(
            tx,
            c,
            Held {
                kind: "council",
                topic: format!("{short}老旧小区加装电梯议事会"),
                days: -21,
                hour: 19,
                place: "社区党群服务中心二楼会议室",
                agenda: &["通报加装电梯意向征询结果", "讨论一楼住户补偿方案", "确定设计单位比选办法"],
                participants: vec![
                    resident(0, "居民代表", true),
                    resident(1, "楼道长", true),
                    resident(2, "一楼住户", true),
                    guest("周建明", "物业服务有限公司经理", true),
                    guest("吴晓红", "区人大代表", false),
                ],
                minutes: "一、意向征询：3幢1单元同意加装的住户占比86%，符合启动条件。\n二、一楼住户补偿由出资住户按楼层系数协商，物业协助测量采光影响。\n三、设计单位由业主代表和社区共同比选，结果在楼道公示7天。",
                resolutions: vec![
                    (
                        "组织一楼住户与出资住户协商补偿方案",
                        "物业服务有限公司".into(),
                        -5,
                        vec![("已召开两次协商会，达成初步意向", "in_progress"), ("补偿协议已签订并公示", "done")],
                    ),
                    (
                        "联系区住建局办理加装电梯审批手续",
                        format!("{short}社区居委会"),
                        25,
                        vec![("审批材料已报送区住建局", "in_progress")],
                    ),
                ],
                published: true,
            },
        )
        .await?;
        self.meeting(
            tx,
            c,
            Held {
                kind: "consultation",
                topic: "小区停车难民情恳谈会".into(),
                days: -42,
                hour: 19,
                place: "社区居民活动室",
                agenda: &["听取居民对停车难的意见", "研究错峰停车方案"],
                participants: vec![resident(3, "居民代表", true), resident(4, "居民代表", true), guest("物业客服主管", "物业服务有限公司", true)],
                minutes: "居民反映夜间停车位不足、消防通道被占。会议商定：与周边单位协商错峰共享停车位；物业每晚巡查消防通道。",
                resolutions: vec![(
                    "与周边共建单位协商夜间错峰共享停车位",
                    format!("{short}社区居委会"),
                    -3,
                    vec![("已与一家单位达成意向，另一家尚在协商", "in_progress")],
                )],
                published: true,
            },
        )
        .await?;
        self.meeting(
            tx,
            c,
            Held {
                kind: "hearing",
                topic: "小区停车收费标准调整听证会".into(),
                days: 7,
                hour: 14,
                place: "社区党群服务中心一楼大厅",
                agenda: &["物业说明收费调整依据", "居民代表发表意见"],
                participants: vec![
                    resident(5, "居民代表", false),
                    resident(6, "居民代表", false),
                    guest("业委会主任", "业主委员会", false),
                ],
                minutes: "",
                resolutions: vec![],
                published: false,
            },
        )
        .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn activity(
        &self,
        tx: &mut Tx,
        c: &str,
        team: Option<i64>,
        title: &str,
        needs: &str,
        starts: i64,
        hours: i64,
        capacity: i64,
    ) -> std::result::Result<ActivityRow, StoreError> {
        let mut row = ActivityRow {
            region_code: c.into(),
            team_id: team,
            title: title.into(),
            needs: needs.into(),
            place: "社区党群服务中心".into(),
            starts_at: starts,
            ends_at: starts + hours * HOUR,
            capacity,
            status: "open".into(),
            public: 1,
            organiser: BY.into(),
            created_at: starts - 7 * DAY,
            ..Default::default()
        };
        row.id = Store::insert_activity(tx, &row).await?;
        Ok(row)
    }

    /// A finished service: signed up, checked in and out, the hours credited into the time bank.
    async fn served(
        &self,
        tx: &mut Tx,
        a: &ActivityRow,
        volunteer: i64,
        minutes: i64,
    ) -> std::result::Result<(), StoreError> {
        let sid = Store::insert_signup(tx, self.postgres, a.id, volunteer, a.capacity).await?;
        let s = SignupRow {
            id: sid,
            activity_id: a.id,
            volunteer_id: volunteer,
            status: "checked_out".into(),
            signed_up_at: a.starts_at - DAY,
            checked_in_at: Some(a.starts_at),
            checked_out_at: Some(a.starts_at + minutes * 60_000),
            minutes: Some(minutes),
            version: 1,
        };
        Store::save_signup(tx, &s).await?;
        Store::append_ledger(tx, volunteer, LedgerKind::Earn.as_str(), minutes, Some(sid), &a.title, BY)
            .await?
            .ok_or_else(|| StoreError::Other("demo credit refused".into()))?;
        Ok(())
    }

    async fn volunteers(
        &self,
        tx: &mut Tx,
        c: &str,
        short: &str,
        people: &[(i64, String)],
        with_staff: bool,
    ) -> std::result::Result<(), StoreError> {
        let skills: [&[&str]; 8] = [
            &["理发", "助老"],
            &["家电维修"],
            &["法律咨询"],
            &["医疗护理", "急救"],
            &["文艺表演"],
            &["助老", "陪护"],
            &["心理疏导"],
            &["书法", "助学"],
        ];
        let mut ids = Vec::new();
        for (i, s) in skills.iter().enumerate() {
            let v = VolunteerRow {
                region_code: c.into(),
                person_id: Some(people[8 + i].0),
                name: people[8 + i].1.clone(),
                skills: serde_json::to_string(s).unwrap_or_else(|_| "[]".into()),
                availability: ["周末上午", "工作日晚上", "周六全天", "随叫随到"][i % 4].into(),
                status: "active".into(),
                registered_by: BY.into(),
                registered_at: now_ms() - 300 * DAY,
                ..Default::default()
            };
            ids.push(Store::insert_volunteer(tx, &v).await?);
        }
        if with_staff && let Some(u) = self.app.store.user_by_name("demo_grid_worker").await? {
            let v = VolunteerRow {
                region_code: c.into(),
                user_id: Some(u.id),
                name: u.display_name,
                skills: r#"["急救","政策宣传"]"#.into(),
                availability: "工作日晚上".into(),
                status: "active".into(),
                registered_by: BY.into(),
                registered_at: now_ms() - 60 * DAY,
                ..Default::default()
            };
            Store::insert_volunteer(tx, &v).await?;
        }
        let team = |name: String, description: &str, leader: i64| TeamRow {
            region_code: c.into(),
            name,
            description: description.into(),
            leader_id: Some(leader),
            created_at: now_ms() - 200 * DAY,
            id: 0,
        };
        Store::insert_volunteer_team(
            tx,
            &team(format!("{short}银发志愿服务队"), "为高龄、独居老人提供理发、助餐、陪护", ids[0]),
            &[ids[0], ids[3], ids[5]],
        )
        .await?;
        let services = Store::insert_volunteer_team(
            tx,
            &team(format!("{short}便民服务队"), "家电维修、法律咨询进楼道", ids[1]),
            &[ids[1], ids[2], ids[7]],
        )
        .await?;

        // Past services, each with the hours credited.
        for (title, days, hours, who, minutes) in [
            ("义务理发进社区", -15, 3, vec![0usize, 5], 150),
            ("家电维修便民服务", -22, 3, vec![1, 2], 180),
            ("重阳节敬老助餐", -35, 4, vec![0, 3, 5, 6], 240),
        ] {
            let a = self.activity(tx, c, None, title, "", at(days, 9), hours, 20).await?;
            for i in who {
                self.served(tx, &a, ids[i], minutes).await?;
            }
        }
        // One long-serving volunteer: weeks of help add up to a star, awarded.
        for k in 0..5 {
            let a = self
                .activity(tx, c, None, &format!("暑期托管助学（第{}期）", k + 1), "", at(-200 + k * 14, 8), 10, 20)
                .await?;
            self.served(tx, &a, ids[7], 20 * 60).await?;
        }
        Store::insert_honour(
            tx,
            &HonourRow {
                volunteer_id: ids[7],
                level: 1,
                earned_minutes: 100 * 60,
                awarded_at: now_ms() - 100 * DAY,
                awarded_by: BY.into(),
                note: "年度优秀志愿者".into(),
                id: 0,
            },
        )
        .await?;
        Store::append_ledger(tx, ids[0], LedgerKind::Redeem.as_str(), -90, None, "为家中老人预约上门助浴服务", BY)
            .await?
            .ok_or_else(|| StoreError::Other("demo redeem refused".into()))?;

        // Coming activities, partly signed up.
        let soon = self
            .activity(tx, c, Some(services), "周末便民服务集市", "家电维修、法律咨询、理发各需1–2人", at(3, 9), 2, 8)
            .await?;
        for v in [ids[1], ids[2], ids[0]] {
            Store::insert_signup(tx, self.postgres, soon.id, v, soon.capacity).await?;
        }
        self.activity(tx, c, None, "冬季消防安全入户宣传", "熟悉消防知识，能爬楼", at(10, 14), 3, 6).await?;
        Ok(())
    }

    async fn co_building(
        &self,
        tx: &mut Tx,
        c: &str,
        short: &str,
        social: &[i64],
    ) -> std::result::Result<(), StoreError> {
        let school = format!("{short}小学");
        let units = [
            ("区税务局第一分局", "government", "孙立新", "13905710001"),
            ("国网清河供电所", "state_enterprise", "钱志远", "13905710002"),
            (school.as_str(), "school", "李校长", "13905710003"),
        ];
        let mut ids = Vec::new();
        for (i, (name, kind, contact, phone)) in units.iter().enumerate() {
            let u = UnitRow {
                region_code: c.into(),
                name: name.to_string(),
                kind: kind.to_string(),
                contact_name: contact.to_string(),
                contact_phone_enc: Some(self.app.crypto.encrypt(phone)),
                contact_phone_masked: Some(wangge_domain::phone::mask_phone(phone)),
                paired_on: Some(format!("{}-03-15", 2020 + i)),
                note: "签订年度共建责任书".into(),
                active: 1,
                created_at: now_ms() - 300 * DAY,
                ..Default::default()
            };
            ids.push(Store::insert_unit(tx, &u).await?);
        }
        let year = i64::from(today().year());
        for (u, kind, title, target, done) in [
            (0, "money", "资助社区老年助餐点", 1_200_000, 600_000),
            (0, "volunteer_hours", "党员干部进社区志愿服务", 20_000, 8_600),
            (1, "project", "为社区办一件实事：老旧小区线路改造", 100, 100),
            (1, "resource", "开放单位会议室供居民议事使用", 100, 0),
            (2, "resource", "周末向居民开放学校运动场", 100, 100),
        ] {
            let mut row = CommitmentRow {
                unit_id: ids[u],
                year,
                kind: kind.into(),
                title: title.into(),
                target_x100: target,
                created_at: now_ms() - 200 * DAY,
                ..Default::default()
            };
            row.id = Store::insert_commitment(tx, &row).await?;
            row.version = 1;
            if done > 0 {
                Store::add_commitment_progress(tx, &row, done, "已落实，附照片和凭证", BY).await?;
            }
        }
        for (d, theme, content, problems) in [
            (
                -62,
                "垃圾分类进楼道",
                "共建单位志愿者与社区一起在各楼道开展垃圾分类宣传和桶边督导",
                "楼道垃圾分类混投\n厨余垃圾桶不足",
            ),
            (-33, "关爱高龄独居老人", "走访高龄独居老人，帮助检查燃气和用电安全，留下联系卡", "独居老人用电安全隐患"),
            (-5, "冬季消防安全", "组织消防演练，清理楼道堆物，更换老旧灭火器", "楼道堆物清理\n老旧灭火器更换"),
        ] {
            let row = DayRow {
                region_code: c.into(),
                held_on: day(d),
                theme: theme.into(),
                content: content.into(),
                problems: problems.into(),
                created_by: BY.into(),
                created_at: at(d, 18),
                id: 0,
            };
            Store::insert_co_building_day(tx, &row, &ids).await?;
        }
        // The community's social organizations of the register: in incubation, with services.
        for o in social {
            Store::set_social_org_stage(tx, *o, None, "incubating", "elderly", BY, "入驻社区社会组织孵化基地").await?;
            Store::set_social_org_stage(
                tx,
                *o,
                Some("incubating"),
                "nurturing",
                "elderly",
                BY,
                "完成规范化培训，承接首个服务项目",
            )
            .await?;
            for (name, target, description) in [
                ("老年助餐送餐", "高龄独居老人", "每周三次上门送餐"),
                ("助浴服务", "失能半失能老人", "每月一次上门助浴"),
            ] {
                let s = ServiceRow {
                    organization_id: *o,
                    name: name.into(),
                    target: target.into(),
                    description: description.into(),
                    created_at: now_ms(),
                    id: 0,
                };
                Store::insert_social_org_service(tx, &s).await?;
            }
        }
        Ok(())
    }

    async fn party(
        &self,
        tx: &mut Tx,
        c: &str,
        short: &str,
        people: &[(i64, String)],
        parent: Option<i64>,
    ) -> std::result::Result<(), StoreError> {
        let org = Store::insert_party_org(
            tx,
            &PartyOrgRow {
                region_code: c.into(),
                parent_id: parent,
                kind: "branch".into(),
                name: format!("{short}社区第一党支部"),
                secretary: "张红".into(),
                founded_on: Some("2008-07-01".into()),
                created_at: now_ms(),
                ..Default::default()
            },
        )
        .await?;
        let member = |i: usize| MemberRow {
            person_id: people[i].0,
            region_code: c.into(),
            status: "full".into(),
            active: 1,
            created_at: now_ms() - 400 * DAY,
            ..Default::default()
        };
        let mut members = Vec::new();
        for (i, joined) in ["1976-07-01", "1985-10-12", "1998-06-20", "2012-05-04"].iter().enumerate() {
            let m = MemberRow {
                org_id: Some(org),
                kind: "regular".into(),
                status: if i == 3 { "probationary" } else { "full" }.into(),
                joined_on: Some(joined.to_string()),
                ..member(20 + i)
            };
            members.push(Store::insert_party_member(tx, &m).await?);
        }
        let floating = MemberRow {
            kind: "floating".into(),
            home_org: "安徽省六安市某镇党委".into(),
            joined_on: Some("2009-07-01".into()),
            ..member(24)
        };
        Store::insert_party_member(tx, &floating).await?;
        let mut in_service = Vec::new();
        for (i, (employer, employer_org, commitment)) in [
            ("区教育局", "区教育局机关党支部", "每月参加一次楼道清洁和助学辅导"),
            ("区人民医院", "区人民医院第三党支部", "每季度在社区开展一次义诊"),
        ]
        .iter()
        .enumerate()
        {
            let m = MemberRow {
                kind: "in_service".into(),
                employer: employer.to_string(),
                employer_org: employer_org.to_string(),
                commitment: commitment.to_string(),
                reported_on: Some(day(-150)),
                ..member(26 + i)
            };
            in_service.push(Store::insert_party_member(tx, &m).await?);
        }
        // One in-service member has served enough this year, the other not yet.
        let year_start = today().format("%Y-01-01").to_string();
        for (m, served, minutes, content) in [
            (in_service[0], -40, 8 * 60, "暑期助学辅导"),
            (in_service[0], -12, 6 * 60, "楼道清洁"),
            (in_service[1], -20, 3 * 60, "社区义诊"),
        ] {
            let on = day(served);
            if on < year_start {
                continue;
            }
            let r = ServiceRecordRow {
                member_id: m,
                served_on: on,
                minutes,
                content: content.into(),
                recorded_by: BY.into(),
                created_at: now_ms(),
                id: 0,
            };
            Store::insert_service_record(tx, &r).await?;
        }
        // Recent organizational life, then the routine of the earlier months (三会一课; a few 党小组会 missed).
        let mut acts: Vec<(i64, &str, String, bool)> = vec![
            (at(-60, 9), "theme_day", "主题党日：垃圾分类我先行".into(), true),
            (at(-45, 9), "congress", "支部党员大会：学习传达上级会议精神".into(), false),
            (at(-30, 9), "theme_day", "主题党日：走访慰问困难党员".into(), true),
            (at(-25, 9), "committee_meeting", "支委会：研究发展党员工作".into(), false),
            (at(-8, 9), "lecture", "党课：基层治理中的党员作用".into(), false),
            (at(-3, 9), "theme_day", "主题党日：冬季消防安全宣传".into(), true),
        ];
        let now = today();
        for month in 1..now.month().saturating_sub(1) {
            let Some(on) = chrono::NaiveDate::from_ymd_opt(now.year(), month, 15) else { continue };
            let held = cst_day_start_ms(on) + 19 * HOUR;
            acts.push((held, "committee_meeting", format!("{month}月支委会"), false));
            acts.push((held, "theme_day", format!("{month}月主题党日"), true));
            if month % 4 != 2 {
                acts.push((held, "group_meeting", format!("{month}月党小组会"), false));
            }
            if month % 3 == 0 {
                acts.push((held, "congress", format!("第{}季度支部党员大会", month / 3), false));
                acts.push((held, "lecture", format!("第{}季度党课", month / 3), false));
            }
        }
        for (held_at, kind, title, public) in acts {
            let a = PartyActivityRow {
                org_id: org,
                kind: kind.into(),
                title,
                held_at,
                place: "社区党群服务中心".into(),
                summary: "支部党员参加，书记主持。".into(),
                public: i64::from(public),
                created_by: BY.into(),
                created_at: held_at,
                id: 0,
            };
            let id = Store::insert_party_activity(tx, &a).await?;
            let present = if public { &members[..] } else { &members[..3] };
            Store::sign_in_party_members(tx, id, present, held_at).await?;
        }
        Ok(())
    }
}
