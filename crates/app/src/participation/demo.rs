//! The demo district's 居务公开: for every community a handful of notices (and a pinned one from its street), a
//! year of co-building fund entries (approved by the street, one reversed, one awaiting approval, one rejected), a
//! closed survey with its results and an open one, and two rounds of the happiness survey whose weakest dimension
//! improves in the second. Deterministic: fixed texts, a seeded generator, dates counted back from today.

use super::polls::LoadedBallot;
use crate::people::today;
use crate::{App, Result};
use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use wangge_demo::DemoData;
use wangge_domain::event::calendar::cst_day_start_ms;
use wangge_domain::participation::{self as rules, BallotChannel, PollKind, PollStatus};
use wangge_domain::region::RegionLevel;
use wangge_store::audit::NewAudit;
use wangge_store::participation::{NewLedgerEntry, NoticeRow, PollRow};
use wangge_store::{Store, StoreError, now_ms};

const DAY_MS: i64 = 86_400_000;

/// (category, title, body) of each community's notices; `{c}` is the community's name.
const NOTICES: &[(&str, &str, &str)] = &[
    (
        "party",
        "{c}党委2026年度党员发展对象公示",
        "经党支部研究，拟将2名同志列为发展对象，现予公示。\n公示期：7天。\n对公示对象有意见的，可向社区党委或街道党工委组织科反映。",
    ),
    (
        "residents",
        "关于小区停车位重新划线的通知",
        "经居民代表会议讨论通过，桂花新村、丹桂苑两个小区将于本月下旬重新施划停车位，新增车位36个。\n施工期间请按现场指引停放车辆，给您带来不便敬请谅解。",
    ),
    (
        "residents",
        "垃圾分类定时定点投放调整",
        "自下月起，各小区生活垃圾投放时间调整为早7:00–9:00、晚18:00–20:00，其余时间请投放至集中收集点。",
    ),
    (
        "finance",
        "{c}2026年上半年共建资金收支公示",
        "上半年共收到共建单位出资、街道公益金和社会捐赠，主要用于敬老活动、楼道照明维修和困难家庭慰问。\n明细见本页“共建资金”栏目，欢迎居民监督。",
    ),
    (
        "service",
        "社区卫生服务站服务时间",
        "周一至周五 8:00–17:00，周六上午 8:00–12:00。\n家庭医生签约、慢病随访、老年人免费体检请携带医保卡。",
    ),
    (
        "service",
        "“四点半课堂”暑期报名",
        "面向辖区小学生，每周一至周五下午开放，志愿者辅导作业。\n报名请到社区服务站一楼。",
    ),
];

/// A street's notice, pinned on each of its communities' portals.
const STREET_NOTICE: (&str, &str, &str) = (
    "service",
    "{c}便民服务中心周六延时服务",
    "即日起，街道便民服务中心每周六上午9:00–12:00开放，办理社保、居住证、老年优待证等事项。",
);

/// Co-building units that pay into the fund, and what the fund pays for.
const UNITS: &[&str] = &["清河供电所", "翠苑小学", "中国银行翠苑支行", "绿城物业服务中心", "湖畔卫生院"];
const INCOMES: &[(&str, &str)] = &[
    ("co_building_unit", "共建单位年度共建经费"),
    ("government", "街道拨付社区公益金"),
    ("donation", "爱心企业捐赠（助老活动）"),
];
const EXPENSES: &[(&str, &str, &str)] = &[
    ("activities", "重阳节敬老活动物资", "清河百货商店"),
    ("facilities", "楼道声控灯更换", "翠苑电器维修部"),
    ("assistance", "困难家庭节日慰问", "社区居委会"),
    ("environment", "背街小巷环境整治", "清河保洁服务公司"),
    ("volunteers", "志愿者意外保险", "人保财险清河支公司"),
    ("office", "居务公开栏更新", "清河广告制作部"),
];

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl App {
    pub(crate) async fn load_demo_participation(&self, data: &DemoData) -> Result<()> {
        let on = today();
        let mut rng = StdRng::seed_from_u64(9);
        let communities: Vec<&wangge_demo::DemoRegion> =
            data.regions.iter().filter(|r| r.level == RegionLevel::Community).collect();
        let streets: Vec<&wangge_demo::DemoRegion> =
            data.regions.iter().filter(|r| r.level == RegionLevel::Street).collect();
        let now = now_ms();
        let mut tx = self.store.begin().await?;

        // Notices: the street's pinned one, each community's six (one still a draft, one expired).
        let notice = |region: &str, name: &str, (category, title, body): (&str, &str, &str), age_days: i64| {
            let at = now - age_days * DAY_MS;
            NoticeRow {
                region_code: region.into(),
                category: category.into(),
                title: title.replace("{c}", name),
                body: body.replace("{c}", name),
                status: "published".into(),
                attachments: "[]".into(),
                published_at: Some(at),
                created_by: "demo_community".into(),
                created_at: at,
                ..Default::default()
            }
        };
        let mut rows = Vec::new();
        for s in &streets {
            let mut n = notice(&s.code, &s.name, STREET_NOTICE, 3);
            n.pinned = true;
            n.created_by = "demo_street".into();
            rows.push(n);
        }
        for c in &communities {
            for (i, t) in NOTICES.iter().enumerate() {
                let mut n = notice(&c.code, &c.name, *t, 40 - 6 * i as i64);
                match i {
                    2 => n.expires_on = Some(ymd(on - Duration::days(5))),
                    5 => {
                        n.status = "draft".into();
                        n.published_at = None;
                    }
                    _ => {}
                }
                rows.push(n);
            }
        }
        for n in &mut rows {
            n.id = Store::insert_notice(&mut tx, n).await?;
            Store::insert_notice_revision(&mut tx, n, &n.created_by, "create").await?;
            if n.status == "published" {
                Store::insert_notice_revision(&mut tx, n, &n.created_by, "publish").await?;
            }
        }

        // A year of the fund: income in spring and autumn, spending most months; all approved by the street but
        // the last two (one awaiting approval, one rejected); one expense reversed.
        for (ci, c) in communities.iter().enumerate() {
            let mut entries: Vec<(NewLedgerEntry, Option<&str>)> = Vec::new();
            let entry =
                |direction: &str, category: &str, fen: i64, day: NaiveDate, who: &str, summary: &str| NewLedgerEntry {
                    region_code: c.code.clone(),
                    direction: direction.into(),
                    category: category.into(),
                    amount_fen: fen,
                    occurred_on: ymd(day),
                    year: i64::from(day.year()),
                    counterparty: who.into(),
                    summary: summary.into(),
                    reverses_id: None,
                    reversal_key: None,
                    entered_by: "demo_community".into(),
                };
            // Fourteen months back, so the portal shows last year's balance carried over.
            for m in (0..14).rev() {
                let day = on - Duration::days(m * 30 + 3 + (ci as i64 % 5));
                if m % 6 == 5 {
                    for (k, (cat, what)) in INCOMES.iter().enumerate() {
                        let unit = UNITS[(ci + k + m as usize) % UNITS.len()];
                        let who = if *cat == "government" { "翠苑街道办事处" } else { unit };
                        let fen = rng.gen_range(8..40) * 100_000 / if *cat == "donation" { 4 } else { 1 };
                        entries.push((entry("income", cat, fen, day, who, what), Some("approve")));
                    }
                }
                let (cat, what, who) = EXPENSES[(m as usize + ci) % EXPENSES.len()];
                let fen = rng.gen_range(5..60) * 10_000 + rng.gen_range(0..100) * 100;
                entries.push((entry("expense", cat, fen, day, who, what), Some("approve")));
            }
            let last = on - Duration::days(1);
            entries.push((entry("expense", "facilities", 186_000, last, "翠苑电器维修部", "单元门禁维修"), None));
            entries.push((
                entry("expense", "office", 52_000, last, "清河广告制作部", "宣传横幅（重复报销）"),
                Some("reject"),
            ));
            let mut ids = Vec::new();
            for (e, decision) in &entries {
                let id = Store::insert_ledger_entry(&mut tx, e).await?;
                if let Some(d) = decision {
                    let note =
                        if *d == "reject" { "与第一季度已报销票据重复" } else { "凭证齐全，同意" };
                    Store::insert_ledger_decision(&mut tx, id, d, "demo_street", note).await?;
                }
                ids.push((id, e.clone()));
            }
            // The second expense was entered twice by mistake: reversed, and the reversal approved.
            if let Some((id, e)) = ids.iter().filter(|(_, e)| e.direction == "expense").nth(1) {
                let mut r = e.clone();
                r.amount_fen = -e.amount_fen;
                if let Ok(d) = NaiveDate::parse_from_str(&e.occurred_on, "%Y-%m-%d") {
                    let d = (d + Duration::days(20)).min(on);
                    r.occurred_on = ymd(d);
                    r.year = i64::from(d.year());
                }
                r.summary = format!("冲销第{id}号：与上月账目重复录入");
                r.reverses_id = Some(*id);
                r.reversal_key = Some(format!("{id}:0"));
                let rid = Store::insert_ledger_entry(&mut tx, &r).await?;
                Store::insert_ledger_decision(&mut tx, rid, "approve", "demo_street", "").await?;
            }
        }
        Store::audit(
            &mut tx,
            NewAudit {
                actor: "demo",
                action: "demo",
                object: "participation",
                reason: None,
                region_code: data.regions.first().map(|r| r.code.as_str()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;

        self.load_demo_polls(data, &mut rng).await
    }

    async fn demo_poll(&self, p: PollRow, opened_days_ago: i64, closed_days_ago: Option<i64>) -> Result<PollRow> {
        let mut p = p;
        let mut tx = self.store.begin().await?;
        p.id = Store::insert_poll(&mut tx, &p).await?;
        p.version = 1;
        p.status = if closed_days_ago.is_some() { PollStatus::Closed } else { PollStatus::Open }.as_str().into();
        p.opened_at = Some(now_ms() - opened_days_ago * DAY_MS);
        p.closed_at = closed_days_ago.map(|d| now_ms() - d * DAY_MS);
        Store::save_poll(&mut tx, &p).await?;
        tx.commit().await.map_err(StoreError::from)?;
        p.version += 1;
        Ok(p)
    }

    async fn load_demo_polls(&self, data: &DemoData, rng: &mut StdRng) -> Result<()> {
        let on = today();
        let born_by = ymd(on - Duration::days(18 * 366));
        // The demo resident has not voted anywhere: their page shows a poll to answer.
        let resident = self.store.user_by_name("demo_resident").await?;
        let resident_person = match resident {
            Some(u) => self.store.person_of_user(u.id).await?,
            None => None,
        };
        let base =
            |region: &str, kind: PollKind, title: &str, description: &str, questions: &[rules::Question]| PollRow {
                region_code: region.into(),
                kind: kind.as_str().into(),
                title: title.into(),
                description: description.into(),
                questions: serde_json::to_string(questions).unwrap_or_else(|_| "[]".into()),
                status: PollStatus::Draft.as_str().into(),
                results_public: true,
                created_by: "demo_community".into(),
                created_at: now_ms() - 200 * DAY_MS,
                ..Default::default()
            };
        let survey = rules::parse_questions(&serde_json::from_value::<Vec<rules::Question>>(json!([
            { "kind": "single", "text": "您是否同意本单元加装电梯？", "options": ["同意", "不同意", "无所谓"] },
            { "kind": "multiple", "text": "您最关心的问题（最多选两项）", "options": ["费用分摊", "采光通风", "施工噪音", "后期维护"], "max_choices": 2 },
            { "kind": "scale", "text": "您对目前上下楼的便利程度打分", "min_label": "很不方便", "max_label": "很方便" },
            { "kind": "text", "text": "其他意见和建议" }
        ])).unwrap_or_default())?;
        let parking = rules::parse_questions(&serde_json::from_value::<Vec<rules::Question>>(json!([
            { "kind": "single", "text": "您支持哪种停车管理方案？", "options": ["业主固定车位", "先到先停", "错时共享"] },
            { "kind": "scale", "text": "您对目前小区停车秩序的满意度", "min_label": "很不满意", "max_label": "很满意" },
            { "kind": "text", "text": "对停车管理的其他建议" }
        ])).unwrap_or_default())?;
        let comments = ["希望电梯费用按楼层分摊", "施工期间注意安全", "低楼层住户也请考虑", "尽快推进，老人上下楼太难"];
        let happiness = rules::happiness_questions();
        let streets: Vec<&wangge_demo::DemoRegion> =
            data.regions.iter().filter(|r| r.level == RegionLevel::Street).collect();
        let communities: Vec<&wangge_demo::DemoRegion> =
            data.regions.iter().filter(|r| r.level == RegionLevel::Community).collect();

        for c in &communities {
            let people: Vec<(i64, String)> = self
                .store
                .adults_in(&c.code, &born_by)
                .await?
                .into_iter()
                .filter(|(id, _)| Some(*id) != resident_person)
                .collect();
            // A closed survey with results (a third on paper), and an open one.
            let p = base(
                &c.code,
                PollKind::Survey,
                "加装电梯意见征询",
                "为推进老旧小区加装电梯，征求本社区居民意见。",
                &survey,
            );
            let mut p = self.demo_poll(p, 90, Some(60)).await?;
            p.closes_at = p.closed_at;
            let ballots: Vec<LoadedBallot> = people
                .iter()
                .step_by(2)
                .take(60)
                .enumerate()
                .map(|(k, (id, _))| LoadedBallot {
                    person_id: *id,
                    community_code: c.code.clone(),
                    answers: vec![
                        json!(if rng.gen_bool(0.68) {
                            0
                        } else if rng.gen_bool(0.7) {
                            1
                        } else {
                            2
                        }),
                        json!([rng.gen_range(0..2), rng.gen_range(2..4)]),
                        json!(rng.gen_range(1..=4)),
                        if k % 4 == 0 { json!(comments[k / 4 % comments.len()]) } else { Value::Null },
                    ],
                    channel: if k % 3 == 0 { BallotChannel::Paper } else { BallotChannel::Online },
                })
                .collect();
            self.load_ballots(p.id, &ballots).await?;
            let mut tx = self.store.begin().await?;
            Store::save_poll(&mut tx, &p).await?;
            tx.commit().await.map_err(StoreError::from)?;
            let mut open = base(
                &c.code,
                PollKind::Survey,
                "小区停车管理方案意见征集",
                "物业拟调整小区停车管理，请居民选择支持的方案。",
                &parking,
            );
            open.closes_at = Some(cst_day_start_ms(on + Duration::days(15)));
            let open = self.demo_poll(open, 5, None).await?;
            let ballots: Vec<LoadedBallot> = people
                .iter()
                .skip(1)
                .step_by(3)
                .take(25)
                .map(|(id, _)| LoadedBallot {
                    person_id: *id,
                    community_code: c.code.clone(),
                    answers: vec![json!(rng.gen_range(0..3)), json!(rng.gen_range(2..=5)), Value::Null],
                    channel: BallotChannel::Online,
                })
                .collect();
            self.load_ballots(open.id, &ballots).await?;
        }

        // Two happiness rounds per street: half a year ago and last month; each community has its weak spot, which
        // the second round finds improved.
        for s in &streets {
            let mut rounds = Vec::new();
            for (title, opened, closed) in
                [("2026年上半年居民幸福指数调查", 200, 180), ("2026年下半年居民幸福指数调查", 40, 20)]
            {
                let mut p = base(
                    &s.code,
                    PollKind::Happiness,
                    title,
                    "安全、救助、就业、健康、人居、教育、文化七个方面，请按满意程度打分。",
                    &happiness,
                );
                p.created_by = "demo_street".into();
                let mut p = self.demo_poll(p, opened, Some(closed)).await?;
                p.closes_at = p.closed_at;
                rounds.push(p);
            }
            for (ci, c) in communities.iter().filter(|c| c.parent_code.as_deref() == Some(&s.code)).enumerate() {
                let weak = [2usize, 4, 5, 0][ci % 4];
                let people = self.store.adults_in(&c.code, &born_by).await?;
                for (r, p) in rounds.iter().enumerate() {
                    let ballots: Vec<LoadedBallot> = people
                        .iter()
                        .filter(|(id, _)| Some(*id) != resident_person)
                        .skip(r)
                        .step_by(2)
                        .take(40)
                        .map(|(id, _)| {
                            let mut answers: Vec<Value> = (0..7)
                                .map(|d| {
                                    let centre = if d == weak { 2 + r as i64 } else { 4 };
                                    json!((centre + rng.gen_range(-1..=1)).clamp(1, 5))
                                })
                                .collect();
                            answers.push(Value::Null);
                            LoadedBallot {
                                person_id: *id,
                                community_code: c.code.clone(),
                                answers,
                                channel: if rng.gen_bool(0.3) { BallotChannel::Paper } else { BallotChannel::Online },
                            }
                        })
                        .collect();
                    self.load_ballots(p.id, &ballots).await?;
                }
            }
            for p in &rounds {
                let mut tx = self.store.begin().await?;
                Store::save_poll(&mut tx, p).await?;
                tx.commit().await.map_err(StoreError::from)?;
            }
        }
        Ok(())
    }
}
