//! Event rules that need a clock or the file store, through the app layer on SQLite and PostgreSQL: the
//! overdue sweep escalates once, a suspension does not eat the deadline, public reporters follow and rate
//! their report by token only, and attachments are private to whoever may see their event.

use std::sync::Arc;
use wangge_app::events::{ActionInput, ReportInput, Reporter};
use wangge_app::{App, Config, system_actor};
use wangge_testkit::TestDb;

const GRID1: &str = "33019900100101";

async fn open(db: &TestDb) -> Arc<App> {
    let app = App::open(Config::new(db.data_dir()), &db.url).await.expect("open app");
    app.load_demo(&system_actor("t"), wangge_demo::Scale::Small, 1, Some("demo-pass-123")).await.expect("load demo");
    app
}

fn report(category: &str) -> ReportInput {
    ReportInput {
        category: category.into(),
        description: "路灯不亮".into(),
        grid_code: Some(GRID1.into()),
        ..ReportInput::default()
    }
}

fn action(a: &str) -> ActionInput {
    ActionInput { action: a.into(), note: "说明".into(), ..ActionInput::default() }
}

async fn set_due(app: &App, id: i64, ms: i64) {
    sqlx::query("UPDATE events SET stage_due_at = $1 WHERE id = $2")
        .bind(ms)
        .bind(id)
        .execute(app.store.pool())
        .await
        .unwrap();
}

async fn overdue_and_suspension(db: TestDb) {
    let app = open(&db).await;
    let admin = system_actor("t");
    let r = app.report_event(Reporter::User(&admin), report("B0103")).await.unwrap();
    let before = app.event_detail(&admin, r.id).await.unwrap().event;
    assert!(before.stage_due_at_ms.unwrap() > before.reported_at_ms, "{}", db.backend);

    // Past its stage deadline: one sweep raises it a level and says so on the timeline; the next leaves it.
    set_due(&app, r.id, 1).await;
    assert_eq!(app.escalate_overdue().await.unwrap(), 1, "{}", db.backend);
    assert_eq!(app.escalate_overdue().await.unwrap(), 0, "{}: escalated twice", db.backend);
    let d = app.event_detail(&admin, r.id).await.unwrap();
    assert_ne!(d.event.level, before.level);
    let last = d.timeline.last().unwrap();
    assert_eq!((last.action.as_str(), last.actor.as_str()), ("escalate", "system"));
    assert!(d.event.overdue);

    // Suspended for a while: resuming shifts the deadline by the working time parked, never earlier.
    for a in ["accept", "register", "dispatch"] {
        app.act_on_event(&admin, r.id, action(a)).await.unwrap();
    }
    let due = app.event_detail(&admin, r.id).await.unwrap().event.due_at_ms.unwrap();
    app.act_on_event(&admin, r.id, action("suspend")).await.unwrap();
    // Pretend it was parked three days ago.
    sqlx::query("UPDATE events SET suspended_at = suspended_at - 259200000 WHERE id = $1")
        .bind(r.id)
        .execute(app.store.pool())
        .await
        .unwrap();
    let d = app.act_on_event(&admin, r.id, action("resume")).await.unwrap();
    assert_eq!(d.event.status, "dispatched");
    let shifted = d.timeline.last().unwrap().data["shifted_minutes"].as_i64().unwrap();
    assert!(shifted > 0, "{}: three days parked hold some working time", db.backend);
    assert!(d.event.due_at_ms.unwrap() > due, "{}", db.backend);
    db.cleanup().await;
}

async fn public_reporter_and_attachments(db: TestDb) {
    let app = open(&db).await;
    let admin = system_actor("t");
    // A photo from the public: stored re-encoded, tied to the report that names it.
    let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8, y as u8, 200]));
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut png, image::ImageFormat::Png).unwrap();
    let browser = wangge_app::attachments::public_uploader_key("browser-one-secret-0123456789abcdef");
    let photo = app.save_attachment(&browser, true, "photo.png", png.into_inner()).await.unwrap();
    assert_eq!(photo.content_type, "image/jpeg", "public images are re-encoded");
    assert!(photo.thumb_url.is_some());
    assert!(app.save_attachment(&browser, true, "x.exe", b"MZ\x90\x00".to_vec()).await.is_err());

    // Another browser (or a signed-in user) cannot attach this upload by naming its id.
    let other = wangge_app::attachments::public_uploader_key("browser-two-secret-0123456789abcdef");
    let mut stolen = report("E0102");
    stolen.attachments = vec![photo.id];
    let thief = Reporter::Public {
        name: String::new(),
        contact: String::new(),
        anonymous: true,
        uploader: other,
        account: None,
    };
    let e = app.report_event(thief, stolen.clone()).await.unwrap_err();
    assert_eq!(e.details.as_ref().unwrap()["field"], "attachments", "{}: {e:?}", db.backend);
    assert!(app.report_event(Reporter::User(&admin), stolen).await.is_err(), "{}", db.backend);

    let who = Reporter::Public {
        name: "王先生".into(),
        contact: "13800138000".into(),
        anonymous: false,
        uploader: browser.clone(),
        account: None,
    };
    let mut input = report("E0102");
    input.attachments = vec![photo.id];
    let r = app.report_event(who, input).await.unwrap();
    let token = r.token.clone().expect("public reports get a tracking token");
    // The same photo cannot be claimed twice.
    let mut again = report("E0102");
    again.attachments = vec![photo.id];
    let who = Reporter::Public {
        name: String::new(),
        contact: String::new(),
        anonymous: true,
        uploader: browser,
        account: None,
    };
    assert!(app.report_event(who, again).await.is_err());

    // The tracking page: status, timeline without staff names, the photo; nothing with a wrong token.
    let t = app.event_by_token(&token).await.unwrap();
    assert_eq!(t.event.id, r.id);
    assert_eq!(t.event.reporter, None, "the public view does not name the reporter");
    assert_eq!(t.event.reporter_contact, None);
    assert!(app.event_by_token(&"0".repeat(32)).await.is_err());
    assert!(app.event_by_token("../../etc").await.is_err());
    let (ct, bytes) = app.attachment_by_token(&token, photo.id, true).await.unwrap();
    assert_eq!(ct, "image/jpeg");
    assert!(!bytes.is_empty());
    // Staff see the reporter masked.
    let staff = app.event_detail(&admin, r.id).await.unwrap().event;
    assert_eq!(staff.reporter_contact.as_deref(), Some("138****8000"));

    // Rating before closing is refused; after closing the reporter rates or reopens by token.
    assert!(app.public_feedback(&token, Some(5), false, "").await.is_err());
    app.act_on_event(
        &admin,
        r.id,
        ActionInput { action: "self_handle".into(), note: "已清理".into(), ..ActionInput::default() },
    )
    .await
    .unwrap();
    let t = app.public_feedback(&token, None, true, "还没清理干净").await.unwrap();
    assert_eq!((t.event.status.as_str(), t.event.rework_count), ("dispatched", 1), "{}", db.backend);
    assert_eq!(t.timeline.last().unwrap().actor, "居民");
    db.cleanup().await;
}

/// A list over more events than anyone pages through stops counting at the cap and says so; a narrow one
/// is counted exactly.
async fn big_lists_count_up_to_a_cap(db: TestDb) {
    use wangge_store::register::{Val, insert_batch};
    let app = open(&db).await;
    let admin = system_actor("t");
    let cap = wangge_store::events::COUNT_CAP;
    let cols = [
        "grid_code",
        "category_code",
        "description",
        "lat",
        "lon",
        "source",
        "status",
        "triage",
        "level",
        "reported_at",
        "updated_at",
    ];
    let rows: Vec<Vec<Val>> = (0..cap + 50)
        .map(|i| {
            vec![
                Val::from(GRID1),
                Val::from("E0102"),
                Val::from("积存事件"),
                Val::Real(Some(30.27)),
                Val::Real(Some(120.15)),
                Val::from("grid_worker"),
                Val::from(if i < 7 { "handled" } else { "closed" }),
                Val::from("general"),
                Val::from("community"),
                Val::Int(1_767_225_600_000 + i),
                Val::Int(1_767_225_600_000 + i),
            ]
        })
        .collect();
    let mut tx = app.store.begin().await.unwrap();
    for chunk in rows.chunks(2_000) {
        insert_batch(&mut tx, "events", &cols, chunk).await.unwrap();
    }
    tx.commit().await.unwrap();

    let q = wangge_app::events::EventQuery { region: Some(GRID1), limit: Some(20), ..Default::default() };
    let page = app.list_events(&admin, q).await.unwrap();
    assert_eq!((page.total, page.total_is_lower_bound), (cap, true), "{}", db.backend);
    assert_eq!(page.items.len(), 20);
    let json = serde_json::to_value(&page).unwrap();
    assert_eq!(json["total_is_lower_bound"], true, "{}: {json}", db.backend);

    let q = wangge_app::events::EventQuery { region: Some(GRID1), status: Some("handled"), ..Default::default() };
    let page = app.list_events(&admin, q).await.unwrap();
    assert_eq!((page.total, page.total_is_lower_bound), (7, false), "{}", db.backend);
    assert!(serde_json::to_value(&page).unwrap().get("total_is_lower_bound").is_none(), "absent when exact");
    db.cleanup().await;
}

/// Many reports at once (on SQLite they share transactions and statements): each caller's id is its own
/// event, with its timeline entry, audit record and rollup count.
async fn concurrent_reports_each_get_their_own_event(db: TestDb) {
    let app = open(&db).await;
    let admin = system_actor("t");
    let before = app.indicators(&admin, None, None, None).await.unwrap().reported;
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let mut r = report("E0102");
                r.description = format!("并发上报第{i}条");
                (i, app.report_event(Reporter::User(&system_actor("t")), r).await.unwrap().id)
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        let (i, id) = t.await.unwrap();
        let d = app.event_detail(&admin, id).await.unwrap();
        assert_eq!(d.event.description, format!("并发上报第{i}条"), "{}: id {id} is someone else's event", db.backend);
        assert_eq!(d.timeline.len(), 1, "{}", db.backend);
        assert_eq!(d.timeline[0].action, "report");
        ids.push(id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 60, "{}: 60 distinct events", db.backend);
    let after = app.indicators(&admin, None, None, None).await.unwrap().reported;
    assert_eq!(after - before, 60, "{}: every report counted once", db.backend);
    let (audits,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'event.report'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(audits, 60, "{}", db.backend);
    db.cleanup().await;
}

macro_rules! both {
    ($($name:ident),*) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() { super::$name(wangge_testkit::sqlite()).await; }
            #[tokio::test]
            async fn postgres() { super::$name(wangge_testkit::postgres().await).await; }
        }
    )*};
}

both!(
    overdue_and_suspension,
    public_reporter_and_attachments,
    big_lists_count_up_to_a_cap,
    concurrent_reports_each_get_their_own_event
);
