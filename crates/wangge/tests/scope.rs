//! The scope matrix (DESIGN.md §1, §4): every API route × every demo role. Inside a role's subtree it reads;
//! outside, the answer is 404 — never 200, never a name from elsewhere; admin-only routes are 403 for the rest.
//!
//! `ROUTES` must list every route of the API: a test fails when openapi.json documents one it lacks, and the
//! matrix fails when a listed route is not exercised.

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use wangge_testkit::TestDb;

/// Every (method, path) of crates/web/src/api/mod.rs.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/session"),
    ("GET", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    ("GET", "/api/v1/regions"),
    ("POST", "/api/v1/regions"),
    ("GET", "/api/v1/regions/{code}"),
    ("GET", "/api/v1/regions/{code}/grids.geojson"),
    ("GET", "/api/v1/regions/{code}/children.geojson"),
    ("GET", "/api/v1/locate"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("GET", "/api/v1/users/{username}"),
    ("POST", "/api/v1/users/{username}/roles"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/departments"),
    ("GET", "/api/v1/settings/map"),
    ("PUT", "/api/v1/settings/map"),
    ("GET", "/api/v1/people"),
    ("POST", "/api/v1/people"),
    ("GET", "/api/v1/people/{id}"),
    ("PATCH", "/api/v1/people/{id}"),
    ("POST", "/api/v1/people/{id}/reveal"),
    ("POST", "/api/v1/people/{id}/events"),
    ("PUT", "/api/v1/people/{id}/tags/{code}"),
    ("DELETE", "/api/v1/people/{id}/tags/{code}"),
    ("POST", "/api/v1/people/{id}/merge"),
    ("GET", "/api/v1/households/{id}"),
    ("GET", "/api/v1/houses/{id}"),
    ("GET", "/api/v1/buildings/{id}"),
    ("GET", "/api/v1/regions/{code}/rules"),
    ("GET", "/api/v1/tag-kinds"),
    ("PUT", "/api/v1/tag-kinds/{code}"),
    ("GET", "/api/v1/organizations"),
    ("POST", "/api/v1/organizations"),
    ("GET", "/api/v1/organizations/{id}"),
    ("PATCH", "/api/v1/organizations/{id}"),
    ("GET", "/api/v1/events"),
    ("POST", "/api/v1/events"),
    ("GET", "/api/v1/events/{id}"),
    ("POST", "/api/v1/events/{id}/actions"),
    ("GET", "/api/v1/categories"),
    ("GET", "/api/v1/indicators"),
    ("PUT", "/api/v1/categories/{code}"),
    ("GET", "/api/v1/routing-rules"),
    ("POST", "/api/v1/routing-rules"),
    ("DELETE", "/api/v1/routing-rules/{id}"),
    ("GET", "/api/v1/calendar"),
    ("PUT", "/api/v1/calendar"),
    ("PUT", "/api/v1/calendar/{day}"),
    ("POST", "/api/v1/attachments"),
    ("GET", "/api/v1/attachments/{id}"),
    ("GET", "/api/v1/field/today"),
    ("POST", "/api/v1/field/sync"),
    ("GET", "/api/v1/field/log"),
    ("GET", "/api/v1/field/workers"),
    ("POST", "/api/v1/field/reassign"),
    ("POST", "/api/v1/field/routes"),
    ("GET", "/api/v1/people/{id}/visits"),
    ("GET", "/api/v1/disputes"),
    ("POST", "/api/v1/disputes"),
    ("GET", "/api/v1/disputes/{id}"),
    ("POST", "/api/v1/disputes/{id}/actions"),
    ("GET", "/api/v1/dispute-types"),
    ("PUT", "/api/v1/dispute-types/{code}"),
    ("GET", "/api/v1/dispute-stats"),
    ("GET", "/api/v1/key-groups"),
    ("GET", "/api/v1/safety/teams"),
    ("POST", "/api/v1/safety/teams"),
    ("GET", "/api/v1/safety/map"),
    ("PATCH", "/api/v1/users/{username}"),
    ("DELETE", "/api/v1/users/{username}/roles"),
    ("POST", "/api/v1/residents"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/people/{id}/account"),
    ("POST", "/api/v1/people/{id}/account"),
    // Community life (issue #9).
    ("GET", "/api/v1/meetings"),
    ("POST", "/api/v1/meetings"),
    ("GET", "/api/v1/meetings/{id}"),
    ("POST", "/api/v1/meetings/{id}/participants"),
    ("POST", "/api/v1/meetings/{id}/sign-in"),
    ("PUT", "/api/v1/meetings/{id}/minutes"),
    ("POST", "/api/v1/meetings/{id}/resolutions"),
    ("POST", "/api/v1/meetings/{id}/resolutions/{rid}/progress"),
    ("POST", "/api/v1/meetings/{id}/publish"),
    ("POST", "/api/v1/meetings/{id}/cancel"),
    ("GET", "/api/v1/volunteers"),
    ("POST", "/api/v1/volunteers"),
    ("GET", "/api/v1/volunteers/{id}"),
    ("POST", "/api/v1/volunteers/{id}/redeem"),
    ("POST", "/api/v1/volunteers/{id}/honours"),
    ("GET", "/api/v1/volunteer-teams"),
    ("POST", "/api/v1/volunteer-teams"),
    ("GET", "/api/v1/volunteer-activities"),
    ("POST", "/api/v1/volunteer-activities"),
    ("GET", "/api/v1/volunteer-activities/{id}"),
    ("POST", "/api/v1/volunteer-activities/{id}/signups"),
    ("POST", "/api/v1/volunteer-activities/{id}/signups/{sid}/check-in"),
    ("POST", "/api/v1/volunteer-activities/{id}/signups/{sid}/check-out"),
    ("POST", "/api/v1/volunteer-activities/{id}/signups/{sid}/cancel"),
    ("GET", "/api/v1/co-building-units"),
    ("POST", "/api/v1/co-building-units"),
    ("GET", "/api/v1/co-building-units/{id}"),
    ("POST", "/api/v1/co-building-units/{id}/commitments"),
    ("POST", "/api/v1/co-building-commitments/{id}/progress"),
    ("GET", "/api/v1/co-building-days"),
    ("POST", "/api/v1/co-building-days"),
    ("GET", "/api/v1/social-organizations"),
    ("GET", "/api/v1/social-organizations/{id}"),
    ("PUT", "/api/v1/social-organizations/{id}/stage"),
    ("POST", "/api/v1/social-organizations/{id}/services"),
    ("GET", "/api/v1/party-organizations"),
    ("POST", "/api/v1/party-organizations"),
    ("GET", "/api/v1/party-organizations/{id}"),
    ("GET", "/api/v1/party-members"),
    ("POST", "/api/v1/party-members"),
    ("GET", "/api/v1/party-members/{id}"),
    ("POST", "/api/v1/party-members/{id}/service-records"),
    ("GET", "/api/v1/party-service"),
    ("GET", "/api/v1/party-activities"),
    ("POST", "/api/v1/party-activities"),
    ("GET", "/api/v1/party-activities/{id}"),
    ("POST", "/api/v1/party-activities/{id}/sign-in"),
    ("GET", "/api/v1/public/{code}/meetings"),
    ("GET", "/api/v1/public/{code}/volunteer-activities"),
    ("GET", "/api/v1/public/{code}/co-building"),
    ("GET", "/api/v1/public/{code}/party"),
    // Participation and transparency (issue #9).
    ("GET", "/api/v1/notices"),
    ("POST", "/api/v1/notices"),
    ("GET", "/api/v1/notices/{id}"),
    ("PUT", "/api/v1/notices/{id}"),
    ("POST", "/api/v1/notices/{id}/actions"),
    ("GET", "/api/v1/ledger"),
    ("POST", "/api/v1/ledger"),
    ("GET", "/api/v1/ledger/{id}"),
    ("POST", "/api/v1/ledger/{id}/decision"),
    ("POST", "/api/v1/ledger/{id}/reversal"),
    ("GET", "/api/v1/ledger-summary"),
    ("GET", "/api/v1/polls"),
    ("POST", "/api/v1/polls"),
    ("GET", "/api/v1/polls/{id}"),
    ("PUT", "/api/v1/polls/{id}"),
    ("POST", "/api/v1/polls/{id}/actions"),
    ("GET", "/api/v1/polls/{id}/results"),
    ("GET", "/api/v1/polls/{id}/results.xlsx"),
    ("POST", "/api/v1/polls/{id}/ballots"),
    ("POST", "/api/v1/polls/{id}/paper-ballots"),
    ("GET", "/api/v1/me/polls"),
    ("GET", "/api/v1/happiness"),
    ("GET", "/api/v1/public/{code}/notices"),
    ("GET", "/api/v1/public/{code}/notices/{id}"),
    ("GET", "/api/v1/public/{code}/files/{id}"),
    ("GET", "/api/v1/public/{code}/ledger"),
    ("GET", "/api/v1/public/{code}/polls"),
    ("GET", "/api/v1/public/{code}/polls/{id}"),
    ("GET", "/api/v1/public/{code}/happiness"),
    // Resident services (issue #8).
    ("GET", "/api/v1/service-categories"),
    ("PUT", "/api/v1/service-categories/{code}"),
    ("GET", "/api/v1/service-items"),
    ("GET", "/api/v1/service-items/{code}"),
    ("PUT", "/api/v1/service-items/{code}"),
    ("GET", "/api/v1/applications"),
    ("POST", "/api/v1/applications"),
    ("GET", "/api/v1/applications/{id}"),
    ("POST", "/api/v1/applications/{id}/actions"),
    ("GET", "/api/v1/me/applications"),
    ("POST", "/api/v1/service-uploads"),
    ("GET", "/api/v1/service-stats"),
    ("GET", "/api/v1/notifications"),
    ("POST", "/api/v1/notifications/read"),
    ("GET", "/api/v1/service-hours"),
    ("PUT", "/api/v1/service-hours/{community}"),
    ("GET", "/api/v1/service-slots"),
    ("GET", "/api/v1/appointments"),
    ("POST", "/api/v1/appointments"),
    ("POST", "/api/v1/appointments/{id}/actions"),
    ("GET", "/api/v1/admission-items"),
    ("POST", "/api/v1/admission-items"),
    ("PATCH", "/api/v1/admission-items/{id}"),
    ("GET", "/api/v1/community-tasks"),
    ("POST", "/api/v1/community-tasks"),
    ("POST", "/api/v1/community-tasks/{id}/actions"),
    ("GET", "/api/v1/admission-report"),
    // 一表通 data requests (issue #13).
    ("GET", "/api/v1/data-requests"),
    ("POST", "/api/v1/data-requests"),
    ("GET", "/api/v1/data-requests/fields"),
    ("POST", "/api/v1/data-requests/template"),
    ("GET", "/api/v1/data-requests/report"),
    ("GET", "/api/v1/data-requests/{id}"),
    ("GET", "/api/v1/data-requests/{id}/rows"),
    ("GET", "/api/v1/data-requests/{id}/result.xlsx"),
    ("POST", "/api/v1/data-requests/rows/{row_id}/answer"),
    // Command centre (issue #11).
    ("GET", "/api/v1/command/dashboard"),
    ("GET", "/api/v1/command/map"),
    ("GET", "/api/v1/command/layers/{layer}"),
    ("GET", "/api/v1/command/report"),
    ("GET", "/api/v1/feed"),
    // Assessment (issue #10).
    ("GET", "/api/v1/assessment/schemes"),
    ("POST", "/api/v1/assessment/schemes"),
    ("GET", "/api/v1/assessment/workers"),
    ("GET", "/api/v1/assessment/workers/{user_id}"),
    ("GET", "/api/v1/assessment/payroll.xlsx"),
    ("GET", "/api/v1/assessment/departments"),
    ("GET", "/api/v1/assessment/departments/{code}"),
    ("GET", "/api/v1/assessment/stars"),
    ("POST", "/api/v1/assessment/stars"),
    ("GET", "/api/v1/assessment/stars/{id}"),
    ("PUT", "/api/v1/assessment/stars/{id}/scores"),
    ("POST", "/api/v1/assessment/stars/{id}/actions"),
    ("GET", "/api/v1/assessment/property-companies"),
    ("POST", "/api/v1/assessment/property-companies"),
    ("GET", "/api/v1/assessment/property-companies/{id}"),
    ("PATCH", "/api/v1/assessment/property-companies/{id}"),
    ("PUT", "/api/v1/assessment/property-companies/{id}/inspections"),
    ("PUT", "/api/v1/assessment/property-companies/{id}/surveys"),
    ("GET", "/api/v1/assessment/property"),
    ("GET", "/api/v1/assessment/property/{id}"),
];

/// Routes that answer without login.
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/session"),
    ("POST", "/api/v1/residents"),
    // The community portal's data (issue #9): no login, 404 for a code that is not a community.
    ("GET", "/api/v1/public/{code}/meetings"),
    ("GET", "/api/v1/public/{code}/volunteer-activities"),
    ("GET", "/api/v1/public/{code}/co-building"),
    ("GET", "/api/v1/public/{code}/party"),
    ("GET", "/api/v1/public/{code}/notices"),
    ("GET", "/api/v1/public/{code}/notices/{id}"),
    ("GET", "/api/v1/public/{code}/files/{id}"),
    ("GET", "/api/v1/public/{code}/ledger"),
    ("GET", "/api/v1/public/{code}/polls"),
    ("GET", "/api/v1/public/{code}/polls/{id}"),
    ("GET", "/api/v1/public/{code}/happiness"),
];

/// A second district, outside every demo account's scope.
const OTHER_DISTRICT: &str = "330198";
const OTHER_STREET: &str = "330198001";
const OTHER_COMMUNITY: &str = "330198001001";
const OTHER_GRID: &str = "33019800100101";
const OTHER_NAMES: [&str; 4] = ["远山区", "远山街道", "远山社区", "远山第一网格"];
const OTHER_POINT: (f64, f64) = (121.0, 31.0);

struct Case {
    user: &'static str,
    /// Regions the role must read (200).
    inside: Vec<&'static str>,
    /// Regions the role must not see (404, no name).
    outside: Vec<&'static str>,
    /// May create regions under its own region (district staff, admin).
    manages: bool,
    /// Reads the audit log (admin, district).
    audit: bool,
    admin: bool,
    /// A region under which the role tries to create a child inside its scope.
    create_under: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    let district = |user| Case {
        user,
        inside: vec![DISTRICT, STREET1, STREET2, "330199002001", GRID1, "33019900200202"],
        outside: vec![OTHER_DISTRICT, OTHER_STREET, OTHER_COMMUNITY, OTHER_GRID],
        manages: false,
        audit: false,
        admin: false,
        create_under: Some(DISTRICT),
    };
    let street = |user| Case {
        user,
        inside: vec![STREET1, COMMUNITY1, COMMUNITY2, GRID1, "33019900100202"],
        outside: vec![DISTRICT, STREET2, "330199002001", "33019900200101", OTHER_DISTRICT, OTHER_GRID],
        manages: false,
        audit: false,
        admin: false,
        create_under: Some(STREET1),
    };
    let community = |user| Case {
        user,
        inside: vec![COMMUNITY1, GRID1, GRID2],
        outside: vec![DISTRICT, STREET1, COMMUNITY2, "33019900100201", STREET2, "33019900200101", OTHER_GRID],
        manages: false,
        audit: false,
        admin: false,
        create_under: Some(COMMUNITY1),
    };
    vec![
        Case {
            user: "admin",
            inside: vec![DISTRICT, STREET2, GRID1, OTHER_DISTRICT, OTHER_GRID],
            outside: vec![],
            manages: true,
            audit: true,
            admin: true,
            create_under: Some(DISTRICT),
        },
        Case { manages: true, audit: true, ..district("demo_district") },
        district("demo_department"),
        district("demo_leader"),
        street("demo_street"),
        street("demo_mediator"),
        community("demo_community"),
        community("demo_grid_leader"),
        Case {
            user: "demo_grid_worker",
            inside: vec![GRID1],
            outside: vec![
                COMMUNITY1,
                GRID2,
                STREET1,
                "33019900100201",
                DISTRICT,
                STREET2,
                "33019900200202",
                OTHER_GRID,
            ],
            manages: false,
            audit: false,
            admin: false,
            create_under: None,
        },
        Case {
            user: "demo_resident",
            inside: vec![],
            outside: vec![COMMUNITY1, GRID1, STREET1, DISTRICT, STREET2, OTHER_GRID],
            manages: false,
            audit: false,
            admin: false,
            create_under: None,
        },
    ]
}

/// Calls one route, recording which routes the matrix exercised.
struct Matrix {
    covered: BTreeSet<(String, String)>,
}

impl Matrix {
    async fn call(&mut self, c: &Client, method: &str, route: &str, path: &str, body: Option<&Value>) -> Resp {
        assert!(ROUTES.contains(&(method, route)), "{method} {route} is not in ROUTES");
        self.covered.insert((method.to_string(), route.to_string()));
        c.send(method, path, body).await
    }

    /// A streaming GET (the live feed): its status, and the error body when refused; a 200 stream is dropped.
    async fn call_stream(&mut self, c: &Client, route: &str, path: &str) -> Resp {
        assert!(ROUTES.contains(&("GET", route)), "GET {route} is not in ROUTES");
        self.covered.insert(("GET".to_string(), route.to_string()));
        let r = c.request(reqwest::Method::GET, path).send().await.expect("GET stream");
        if r.status().as_u16() == 200 {
            return (200, Value::Null);
        }
        into_resp(r).await
    }
}

/// No response to `who` may carry a name from outside their scope.
#[track_caller]
fn no_leak(who: &str, what: &str, r: &Resp, names: &[String]) {
    let text = r.1.to_string();
    for n in names {
        assert!(!text.contains(n.as_str()), "{who}: {what} leaks {n}: {text}");
    }
}

#[track_caller]
fn expect_status(who: &str, what: &str, r: &Resp, allowed: &[u16]) {
    assert!(allowed.contains(&r.0), "{who}: {what} → {} (expected {allowed:?}): {}", r.0, r.1);
    if r.0 >= 400 {
        assert!(r.1["error"]["code"].is_string(), "{who}: {what}: error shape: {}", r.1);
    }
}

/// One event per grid (the first dispatched to 城管), reported by the admin.
struct Events {
    /// (grid, event id)
    events: Vec<(String, i64)>,
    /// A PDF attached to the other district's event.
    outside_file: i64,
}

impl Events {
    async fn new(admin: &Client) -> Events {
        let mut events = Vec::new();
        for grid in [GRID1, GRID2, "33019900200101", OTHER_GRID] {
            let (s, b) = admin
                .post(
                    "/api/v1/events",
                    &json!({ "category": "E0103", "description": format!("矩阵事件{grid}"), "grid_code": grid }),
                )
                .await;
            assert_eq!(s, 201, "{b}");
            events.push((grid.to_string(), b["id"].as_i64().unwrap()));
        }
        let (s, f) = upload(admin, "报告.pdf", b"%PDF-1.4 matrix").await;
        assert_eq!(s, 201, "{f}");
        let outside_file = f["id"].as_i64().unwrap();
        let (s, b) = admin
            .post(
                "/api/v1/events",
                &json!({ "category": "E0103", "description": "附件事件", "grid_code": OTHER_GRID, "attachments": [outside_file] }),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        let id = events[0].1;
        for a in [
            json!({"action": "accept"}),
            json!({"action": "register"}),
            json!({"action": "dispatch", "department": "chengguan"}),
        ] {
            let (s, b) = admin.post(&format!("/api/v1/events/{id}/actions"), &a).await;
            assert_eq!(s, 200, "{b}");
        }
        Events { events, outside_file }
    }

    async fn check(&self, m: &mut Matrix, c: &Client, case: &Case) {
        let who = case.user;
        let sees = |grid: &str| case.admin || case.inside.iter().any(|i| grid.starts_with(i));
        let dept = who == "demo_department";
        let resident = who == "demo_resident";
        let r = m.call(c, "GET", "/api/v1/categories", "/api/v1/categories", None).await;
        expect_status(who, "GET /categories", &r, &[200]);

        let r = m.call(c, "GET", "/api/v1/events", "/api/v1/events?limit=500", None).await;
        expect_status(who, "GET /events", &r, &[200]);
        let listed: Vec<i64> = r.1["items"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
        for (grid, id) in &self.events {
            let visible = !resident && sees(grid) && (!dept || *id == self.events[0].1);
            assert_eq!(listed.contains(id), visible, "{who}: event {id} in {grid} listed = {}", !visible);
            let path = format!("/api/v1/events/{id}");
            let r = m.call(c, "GET", "/api/v1/events/{id}", &path, None).await;
            expect_status(who, &path, &r, if visible { &[200] } else { &[404] });
            if !visible {
                assert!(!r.1.to_string().contains("矩阵事件"), "{who}: {path} leaks");
                let path = format!("/api/v1/events/{id}/actions");
                let body = json!({ "action": "supervise", "card": "yellow", "note": "矩阵督办" });
                let r = m.call(c, "POST", "/api/v1/events/{id}/actions", &path, Some(&body)).await;
                expect_status(who, &path, &r, &[404]);
            } else if who == "demo_leader" {
                let path = format!("/api/v1/events/{id}/actions");
                let r =
                    m.call(c, "POST", "/api/v1/events/{id}/actions", &path, Some(&json!({ "action": "accept" }))).await;
                expect_status(who, &path, &r, &[403]);
            }
        }
        if !case.admin {
            let body = json!({ "category": "E0103", "description": "越界上报", "grid_code": OTHER_GRID });
            let r = m.call(c, "POST", "/api/v1/events", "/api/v1/events", Some(&body)).await;
            expect_status(who, "POST /events outside", &r, &[400, 403, 404]);
            let path = format!("/api/v1/indicators?region={OTHER_GRID}");
            let r = m.call(c, "GET", "/api/v1/indicators", &path, None).await;
            expect_status(who, &path, &r, &[403, 404]);
        }
        // Event rules: everyone who reads events reads them; only admin and district edit, and a district only
        // for its own subtree.
        let reads = !resident;
        let edits = case.admin || who == "demo_district";
        for route in ["/api/v1/routing-rules", "/api/v1/calendar"] {
            let r = m.call(c, "GET", route, route, None).await;
            expect_status(who, route, &r, if reads { &[200] } else { &[403] });
        }
        let denied: &[u16] = if edits { &[400] } else { &[403] };
        let r = m
            .call(
                c,
                "PUT",
                "/api/v1/categories/{code}",
                "/api/v1/categories/E0102",
                Some(&json!({ "name": "", "triage": "general" })),
            )
            .await;
        expect_status(who, "PUT /categories (blank name)", &r, denied);
        let r =
            m.call(c, "PUT", "/api/v1/calendar", "/api/v1/calendar", Some(&json!({ "periods": "17:00-09:00" }))).await;
        expect_status(who, "PUT /calendar (bad periods)", &r, denied);
        let r = m
            .call(
                c,
                "PUT",
                "/api/v1/calendar/{day}",
                "/api/v1/calendar/2026-02-30",
                Some(&json!({ "kind": "holiday" })),
            )
            .await;
        expect_status(who, "PUT /calendar/day (bad date)", &r, denied);
        let body = json!({ "category_prefix": "E05", "region_prefix": OTHER_GRID, "departments": ["chengguan"], "triage": "general" });
        let r = m.call(c, "POST", "/api/v1/routing-rules", "/api/v1/routing-rules", Some(&body)).await;
        expect_status(
            who,
            "POST /routing-rules (other district)",
            &r,
            if case.admin {
                &[201]
            } else if edits {
                &[404]
            } else {
                &[403]
            },
        );
        if r.0 == 201 {
            let path = format!("/api/v1/routing-rules/{}", r.1["id"]);
            let r = m.call(c, "DELETE", "/api/v1/routing-rules/{id}", &path, None).await;
            expect_status(who, "DELETE /routing-rules", &r, &[204]);
        } else {
            let r = m.call(c, "DELETE", "/api/v1/routing-rules/{id}", "/api/v1/routing-rules/999999", None).await;
            expect_status(who, "DELETE /routing-rules (none)", &r, if edits { &[404] } else { &[403] });
        }
        let path = format!("/api/v1/attachments/{}", self.outside_file);
        let r = m.call(c, "GET", "/api/v1/attachments/{id}", &path, None).await;
        expect_status(who, &path, &r, if case.admin { &[200] } else { &[404] });
        m.covered.insert(("POST".into(), "/api/v1/attachments".into()));
        let r = upload(c, "x.exe", b"MZ\x90\x00").await;
        expect_status(who, "POST /attachments (exe)", &r, if resident { &[403] } else { &[400] });
        let r = m.call(c, "GET", "/api/v1/indicators", "/api/v1/indicators", None).await;
        expect_status(who, "GET /indicators", &r, if resident { &[403] } else { &[200] });
        if r.0 == 200 && !case.admin {
            // The other district's event never counts in anyone else's figures.
            let total = self.events.iter().filter(|(g, _)| sees(g)).count() as i64;
            assert!(r.1["reported"].as_i64().unwrap() <= total, "{who}: {}", r.1);
        }
    }
}

/// A person of the register with where they live, as the admin sees them.
struct Known {
    grid: String,
    id: i64,
    name: String,
    household: i64,
    house: i64,
    house_code: String,
    building: Option<i64>,
    /// An organization on that house.
    org: i64,
}

/// People in three demo grids and one in the other district, for the register part of the matrix.
struct Register {
    people: Vec<Known>,
}

/// A valid 身份证号 for the matrix's registrations.
fn matrix_id_number(n: u32) -> String {
    let first17 = format!("33019919880601{:03}", n % 1000);
    let check = wangge_domain::idcard::check_digit(&first17).unwrap();
    format!("{first17}{check}")
}

impl Register {
    async fn new(admin: &Client) -> Register {
        let (s, b) = admin
            .post(
                "/api/v1/people",
                &json!({ "name": "远山居民", "id_number": matrix_id_number(900), "ethnicity": "汉族",
                    "population_type": "户籍人口", "relation": "户主", "address": "远山路1号", "grid_code": OTHER_GRID }),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        let mut people = Vec::new();
        for grid in [GRID1, GRID2, "33019900200101", OTHER_GRID] {
            let (s, page) = admin.get(&format!("/api/v1/people?region={grid}&limit=1")).await;
            assert_eq!(s, 200, "{page}");
            let p = &page["items"][0];
            let (_, house) = admin.get(&format!("/api/v1/houses/{}", p["house_id"])).await;
            let (s, org) = admin
                .post(
                    "/api/v1/organizations",
                    &json!({ "name": format!("矩阵组织{grid}"), "kind": "enterprise", "house_code": house["code"] }),
                )
                .await;
            assert_eq!(s, 201, "{org}");
            people.push(Known {
                grid: grid.to_string(),
                id: p["id"].as_i64().unwrap(),
                name: p["name"].as_str().unwrap().to_string(),
                household: p["household_id"].as_i64().unwrap(),
                house: p["house_id"].as_i64().unwrap(),
                house_code: house["code"].as_str().unwrap().to_string(),
                building: house["building"]["id"].as_i64(),
                org: org["id"].as_i64().unwrap(),
            });
        }
        Register { people }
    }

    async fn check(&self, m: &mut Matrix, c: &Client, case: &Case, names: &HashMap<String, String>) {
        let who = case.user;
        let reads = matches!(
            who,
            "admin"
                | "demo_district"
                | "demo_street"
                | "demo_community"
                | "demo_grid_leader"
                | "demo_grid_worker"
                | "demo_mediator"
        );
        let manages = reads && who != "demo_mediator";
        let sees = |grid: &str| case.admin || case.inside.iter().any(|i| grid.starts_with(i));
        // Names of regions outside the scope must not show — except ancestors, which postal addresses name
        // (清河区翠苑街道…) — nor names of people outside it.
        let visible: Vec<&String> = case.inside.iter().filter_map(|c| names.get(*c)).collect();
        let mut leak: Vec<String> = case
            .outside
            .iter()
            .filter(|o| !case.inside.iter().any(|i| i.starts_with(**o)))
            .filter_map(|c| names.get(*c))
            .filter(|n| !visible.iter().any(|v| v.contains(n.as_str())))
            .cloned()
            .collect();
        // Demo names repeat across grids, so only the other district's resident is listed; the 404s below check
        // that the demo people outside are not named.
        leak.extend(self.people.iter().filter(|p| !sees(&p.grid) && p.grid == OTHER_GRID).map(|p| p.name.clone()));

        // Lists stay inside the scope.
        let r = m.call(c, "GET", "/api/v1/people", "/api/v1/people?limit=500", None).await;
        if reads {
            expect_status(who, "GET /people", &r, &[200]);
            for p in r.1["items"].as_array().unwrap() {
                assert!(sees(p["grid_code"].as_str().unwrap()), "{who}: lists {p}");
            }
            no_leak(who, "GET /people", &r, &leak);
        } else {
            expect_status(who, "GET /people", &r, &[403, 404]);
        }
        if !case.admin {
            let r = m.call(c, "GET", "/api/v1/people", &format!("/api/v1/people?region={OTHER_GRID}"), None).await;
            expect_status(who, "GET /people outside", &r, &[403, 404]);
            no_leak(who, "GET /people outside", &r, &leak);
        }
        let r = m.call(c, "GET", "/api/v1/organizations", "/api/v1/organizations?limit=500", None).await;
        if reads {
            expect_status(who, "GET /organizations", &r, &[200]);
            for o in r.1["items"].as_array().unwrap() {
                assert!(sees(o["grid_code"].as_str().unwrap()), "{who}: lists {o}");
            }
            no_leak(who, "GET /organizations", &r, &leak);
        } else {
            expect_status(who, "GET /organizations", &r, &[403, 404]);
        }
        if !case.admin {
            let path = format!("/api/v1/organizations?region={OTHER_GRID}");
            let r = m.call(c, "GET", "/api/v1/organizations", &path, None).await;
            expect_status(who, "GET /organizations outside", &r, &[403, 404]);
        }
        let r = m.call(c, "GET", "/api/v1/tag-kinds", "/api/v1/tag-kinds", None).await;
        expect_status(who, "GET /tag-kinds", &r, if who == "demo_resident" { &[403] } else { &[200] });

        // Records: 200 inside for readers, 403 inside for the rest, 404 outside.
        for p in &self.people {
            let inside = sees(&p.grid);
            let expect: &[u16] = match (inside, reads) {
                (true, true) => &[200],
                (true, false) => &[403],
                (false, _) => &[404],
            };
            let mut routes = vec![
                ("/api/v1/people/{id}", format!("/api/v1/people/{}", p.id)),
                ("/api/v1/households/{id}", format!("/api/v1/households/{}", p.household)),
                ("/api/v1/houses/{id}", format!("/api/v1/houses/{}", p.house)),
            ];
            if let Some(b) = p.building {
                routes.push(("/api/v1/buildings/{id}", format!("/api/v1/buildings/{b}")));
            }
            routes.push(("/api/v1/organizations/{id}", format!("/api/v1/organizations/{}", p.org)));
            for (route, path) in routes {
                let r = m.call(c, "GET", route, &path, None).await;
                expect_status(who, &path, &r, expect);
                no_leak(who, &path, &r, &leak);
                if !inside {
                    assert!(!r.1.to_string().contains(&p.name), "{who}: {path} names {}", p.name);
                }
            }
            // A person's resident account: read where the register is read, opened only by those who manage it.
            let path = format!("/api/v1/people/{}/account", p.id);
            let r = m.call(c, "GET", "/api/v1/people/{id}/account", &path, None).await;
            expect_status(who, &path, &r, expect);
            if !(inside && manages) {
                let body = json!({ "username": format!("acct_{}", p.id), "password": "matrix-pass-1" });
                let r = m.call(c, "POST", "/api/v1/people/{id}/account", &path, Some(&body)).await;
                expect_status(who, &format!("POST {path}"), &r, &[403, 404]);
                no_leak(who, &path, &r, &leak);
            }
            // Reveal: only roles that may reveal, inside.
            let path = format!("/api/v1/people/{}/reveal", p.id);
            let r =
                m.call(c, "POST", "/api/v1/people/{id}/reveal", &path, Some(&json!({ "reason": "矩阵测试" }))).await;
            let expect: &[u16] = match (inside, manages) {
                (true, true) => &[200],
                (true, false) => &[403],
                (false, _) => &[404],
            };
            expect_status(who, &path, &r, expect);
            // Writes on someone else's record: refused before anything changes when not allowed.
            if !(inside && manages) {
                let path = format!("/api/v1/people/{}", p.id);
                let r = m.call(c, "PATCH", "/api/v1/people/{id}", &path, Some(&json!({ "health": "越权" }))).await;
                expect_status(who, &format!("PATCH {path}"), &r, &[403, 404]);
                let path = format!("/api/v1/organizations/{}", p.org);
                let r = m.call(c, "PATCH", "/api/v1/organizations/{id}", &path, Some(&json!({ "note": "越权" }))).await;
                expect_status(who, &format!("PATCH {path}"), &r, &[403, 404]);
                no_leak(who, &path, &r, &leak);
                let body = json!({ "name": "越权组织", "kind": "other", "house_code": p.house_code });
                let r = m.call(c, "POST", "/api/v1/organizations", "/api/v1/organizations", Some(&body)).await;
                expect_status(who, "POST /organizations", &r, &[403, 404]);
                no_leak(who, "POST /organizations", &r, &leak);
                for (method, route, path, body) in [
                    (
                        "POST",
                        "/api/v1/people/{id}/events",
                        format!("/api/v1/people/{}/events", p.id),
                        Some(json!({ "kind": "away" })),
                    ),
                    (
                        "PUT",
                        "/api/v1/people/{id}/tags/{code}",
                        format!("/api/v1/people/{}/tags/veteran", p.id),
                        Some(json!({})),
                    ),
                    (
                        "DELETE",
                        "/api/v1/people/{id}/tags/{code}",
                        format!("/api/v1/people/{}/tags/veteran", p.id),
                        None,
                    ),
                    (
                        "POST",
                        "/api/v1/people/{id}/merge",
                        format!("/api/v1/people/{}/merge", p.id),
                        Some(json!({ "duplicate_id": p.id + 1 })),
                    ),
                ] {
                    let r = m.call(c, method, route, &path, body.as_ref()).await;
                    expect_status(who, &format!("{method} {path}"), &r, &[403, 404]);
                    no_leak(who, &path, &r, &leak);
                }
            }
        }

        // Rules: the region's grids and communities, inside only.
        for code in case.inside.iter().take(2) {
            let path = format!("/api/v1/regions/{code}/rules");
            let r = m.call(c, "GET", "/api/v1/regions/{code}/rules", &path, None).await;
            expect_status(who, &path, &r, &[200]);
            for g in r.1["grids"].as_array().unwrap() {
                assert!(g["code"].as_str().unwrap().starts_with(code), "{who}: {path} lists {g}");
            }
            no_leak(who, &path, &r, &leak);
        }
        for code in case.outside.iter().take(2) {
            let path = format!("/api/v1/regions/{code}/rules");
            let r = m.call(c, "GET", "/api/v1/regions/{code}/rules", &path, None).await;
            assert_error(&r, 404, "not_found", None);
            no_leak(who, &path, &r, &leak);
        }

        // Registering: in GRID1 for those who manage it, never outside the scope.
        let serial = matrix_serial(who);
        let body = |n: u32, grid: &str| {
            json!({ "name": "矩阵测试", "id_number": matrix_id_number(n), "ethnicity": "汉族", "population_type": "流动人口",
                "relation": "户主", "address": format!("矩阵路{n}号"), "grid_code": grid })
        };
        if !case.admin {
            let r = m.call(c, "POST", "/api/v1/people", "/api/v1/people", Some(&body(serial + 500, OTHER_GRID))).await;
            expect_status(who, "POST /people outside", &r, &[403, 404]);
            no_leak(who, "POST /people outside", &r, &leak);
        }
        let r = m.call(c, "POST", "/api/v1/people", "/api/v1/people", Some(&body(serial, GRID1))).await;
        if !(manages && sees(GRID1)) {
            expect_status(who, "POST /people", &r, &[403, 404]);
            return;
        }
        expect_status(who, "POST /people", &r, &[201]);
        let id = r.1["id"].as_i64().unwrap();
        let r = m.call(c, "POST", "/api/v1/people", "/api/v1/people", Some(&body(serial + 200, GRID1))).await;
        expect_status(who, "POST /people (duplicate)", &r, &[201]);
        let dup = r.1["id"].as_i64().unwrap();
        let path = format!("/api/v1/people/{id}");
        let r = m.call(c, "PATCH", "/api/v1/people/{id}", &path, Some(&json!({ "health": "良好" }))).await;
        expect_status(who, &format!("PATCH {path}"), &r, &[200]);
        let r = m
            .call(c, "POST", "/api/v1/people/{id}/events", &format!("{path}/events"), Some(&json!({ "kind": "away" })))
            .await;
        expect_status(who, "POST events", &r, &[200]);
        let r = m
            .call(c, "PUT", "/api/v1/people/{id}/tags/{code}", &format!("{path}/tags/veteran"), Some(&json!({})))
            .await;
        expect_status(who, "PUT tag", &r, &[200]);
        let r = m.call(c, "DELETE", "/api/v1/people/{id}/tags/{code}", &format!("{path}/tags/veteran"), None).await;
        expect_status(who, "DELETE tag", &r, &[200]);
        let other = self.people.iter().find(|p| !sees(&p.grid));
        if let Some(o) = other {
            let r = m
                .call(
                    c,
                    "POST",
                    "/api/v1/people/{id}/merge",
                    &format!("{path}/merge"),
                    Some(&json!({ "duplicate_id": o.id })),
                )
                .await;
            assert_error(&r, 404, "not_found", None);
            no_leak(who, "merge outside", &r, &leak);
        }
        let r = m
            .call(
                c,
                "POST",
                "/api/v1/people/{id}/merge",
                &format!("{path}/merge"),
                Some(&json!({ "duplicate_id": dup })),
            )
            .await;
        expect_status(who, "POST merge", &r, &[200]);
        // Organizations on a house of GRID1: registered and changed by those who manage it.
        let house = &self.people.iter().find(|p| p.grid == GRID1).unwrap().house_code;
        let body = json!({ "name": format!("矩阵商店{who}"), "kind": "个体工商户", "house_code": house });
        let r = m.call(c, "POST", "/api/v1/organizations", "/api/v1/organizations", Some(&body)).await;
        expect_status(who, "POST /organizations", &r, &[201]);
        let path = format!("/api/v1/organizations/{}", r.1["id"]);
        let r = m.call(c, "PATCH", "/api/v1/organizations/{id}", &path, Some(&json!({ "status": "停业" }))).await;
        expect_status(who, &format!("PATCH {path}"), &r, &[200]);
    }
}

fn matrix_serial(who: &str) -> u32 {
    let users = ["admin", "demo_district", "demo_street", "demo_community", "demo_grid_leader", "demo_grid_worker"];
    users.iter().position(|u| *u == who).map(|i| i as u32 * 2 + 1).unwrap_or(99)
}

async fn matrix(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;

    // A second district with a drawn grid, which no demo account may see.
    for (code, name, parent, boundary) in [
        (OTHER_DISTRICT, OTHER_NAMES[0], None, None),
        (OTHER_STREET, OTHER_NAMES[1], Some(OTHER_DISTRICT), None),
        (OTHER_COMMUNITY, OTHER_NAMES[2], Some(OTHER_STREET), None),
        (OTHER_GRID, OTHER_NAMES[3], Some(OTHER_COMMUNITY), Some(square(OTHER_POINT.0, OTHER_POINT.1, 0.003))),
    ] {
        let (s, b) = admin
            .post(
                "/api/v1/regions",
                &json!({ "code": code, "name": name, "parent_code": parent, "boundary": boundary }),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }

    // Names of every region, and a point inside every grid, as the admin sees them.
    let mut names: HashMap<String, String> = HashMap::new();
    for root in [DISTRICT, OTHER_DISTRICT] {
        let mut stack = vec![root.to_string()];
        while let Some(code) = stack.pop() {
            let (s, d) = admin.get(&format!("/api/v1/regions/{code}")).await;
            assert_eq!(s, 200);
            names.insert(code.clone(), d["name"].as_str().unwrap().to_string());
            for c in d["children"].as_array().unwrap() {
                stack.push(c["code"].as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(names.len(), 19, "15 demo regions + 4: {names:?}");
    let mut points: HashMap<String, (f64, f64)> = HashMap::new();
    for root in [DISTRICT, OTHER_DISTRICT] {
        let (_, fc) = admin.get(&format!("/api/v1/regions/{root}/grids.geojson")).await;
        points.extend(grid_points(&fc));
    }
    assert_eq!(points.len(), 9);

    let mut m = Matrix { covered: BTreeSet::new() };

    // Without login, everything but the public routes is 401.
    let anon = srv.client();
    for &(method, route) in ROUTES {
        let path = route
            .replace("{code}", DISTRICT)
            .replace("{username}", "demo_street")
            .replace("{id}", "1")
            .replace("{community}", COMMUNITY1);
        let path = if route == "/api/v1/locate" { locate_path(120.13, 30.26, None) } else { path };
        let body = json!({});
        let r = m.call(&anon, method, route, &path, (method != "GET" && method != "DELETE").then_some(&body)).await;
        if PUBLIC.contains(&(method, route)) {
            assert_ne!(r.0, 401, "{method} {route} is public: {}", r.1);
        } else {
            assert_error(&r, 401, "unauthorized", None);
        }
    }
    assert_eq!(anon.get("/api/v1/openapi.json").await.0, 200);

    let mut serial = 0;
    let register = Register::new(&admin).await;
    let events = Events::new(&admin).await;
    let other_dispute = other_district_dispute(&admin, &register).await;
    let life = LifeFixture::new(&admin, &register).await;
    let other_participation = OtherParticipation::new(&admin, &register).await;
    let other_services = OtherServices::new(&admin, &register).await;
    let other_table = OtherDataRequest::new(&admin).await;
    let assessment = AssessmentFixture::new(&admin).await;
    for case in cases() {
        let who = case.user;
        let pw = if who == "admin" { ADMIN_PW } else { DEMO_PW };
        let mut c = srv.client();
        let body = c.login(who, pw).await;
        m.covered.insert(("POST".into(), "/api/v1/session".into()));
        let reads = who != "demo_resident";
        // Names from outside the scope that must never show (unless they are part of a visible name).
        let visible: Vec<&String> = case.inside.iter().filter_map(|c| names.get(*c)).collect();
        let leak: Vec<String> = case
            .outside
            .iter()
            .filter_map(|c| names.get(*c))
            .filter(|n| !visible.iter().any(|v| v.contains(n.as_str())))
            .cloned()
            .collect();
        no_leak(who, "login", &(200, body), &leak);

        let r = m.call(&c, "GET", "/api/v1/session", "/api/v1/session", None).await;
        assert_eq!(r.0, 200, "{who}");
        assert_eq!(r.1["username"], who);

        // Top regions: exactly the roots of the grant (resident: none at all).
        let r = m.call(&c, "GET", "/api/v1/regions", "/api/v1/regions", None).await;
        if reads {
            expect_status(who, "GET /regions", &r, &[200]);
            let top = codes(r.1["items"].as_array().unwrap());
            let expected: Vec<String> = if case.admin {
                vec![OTHER_DISTRICT.into(), DISTRICT.into()]
            } else {
                vec![case.inside[0].to_string()]
            };
            assert_eq!(top, expected, "{who}: top regions");
            assert_eq!(r.1["total"], expected.len(), "{who}");
        } else {
            expect_status(who, "GET /regions", &r, &[403, 404]);
        }
        no_leak(who, "GET /regions", &r, &leak);

        // Inside: the region and its map.
        for code in &case.inside {
            let r = m.call(&c, "GET", "/api/v1/regions/{code}", &format!("/api/v1/regions/{code}"), None).await;
            expect_status(who, &format!("GET /regions/{code}"), &r, &[200]);
            assert_eq!(r.1["code"], *code);
            no_leak(who, &format!("GET /regions/{code}"), &r, &leak);
            for ch in r.1["children"].as_array().unwrap() {
                assert!(ch["code"].as_str().unwrap().starts_with(code), "{who}: child of {code}: {ch}");
            }
            for p in r.1["path"].as_array().unwrap() {
                let pc = p["code"].as_str().unwrap();
                assert!(!case.outside.contains(&pc), "{who}: breadcrumb {pc} is outside the scope");
            }
            let path = format!("/api/v1/regions/{code}/grids.geojson");
            let r = m.call(&c, "GET", "/api/v1/regions/{code}/grids.geojson", &path, None).await;
            expect_status(who, &path, &r, &[200]);
            assert!(!r.1["features"].as_array().unwrap().is_empty(), "{who}: {path} has grids");
            no_leak(who, &path, &r, &leak);
            let path = format!("/api/v1/regions/{code}/children.geojson");
            let r = m.call(&c, "GET", "/api/v1/regions/{code}/children.geojson", &path, None).await;
            expect_status(who, &path, &r, &[200]);
            assert_eq!(r.1["type"], "FeatureCollection");
            for f in r.1["features"].as_array().unwrap() {
                let fc = f["properties"]["code"].as_str().unwrap();
                assert!(fc.starts_with(code) && fc != *code, "{who}: {path} lists {fc}");
            }
            no_leak(who, &path, &r, &leak);
        }
        // Outside: 404, like a region that does not exist.
        for code in &case.outside {
            let path = format!("/api/v1/regions/{code}");
            let r = m.call(&c, "GET", "/api/v1/regions/{code}", &path, None).await;
            assert_error(&r, 404, "not_found", None);
            no_leak(who, &path, &r, &leak);
            let path = format!("/api/v1/regions/{code}/grids.geojson");
            let r = m.call(&c, "GET", "/api/v1/regions/{code}/grids.geojson", &path, None).await;
            assert_error(&r, 404, "not_found", None);
            no_leak(who, &path, &r, &leak);
            let path = format!("/api/v1/regions/{code}/children.geojson");
            let r = m.call(&c, "GET", "/api/v1/regions/{code}/children.geojson", &path, None).await;
            assert_error(&r, 404, "not_found", None);
            no_leak(who, &path, &r, &leak);
        }
        // Out of scope answers exactly like a region that does not exist (no existence oracle).
        if let Some(out) = case.outside.first() {
            let ghost = format!("{}{}", &out[..out.len() - 1], if out.ends_with('7') { '6' } else { '7' });
            assert_eq!(admin.get(&format!("/api/v1/regions/{ghost}")).await.0, 404, "{ghost} does not exist");
            let (_, a) = c.get(&format!("/api/v1/regions/{out}")).await;
            let (_, b) = c.get(&format!("/api/v1/regions/{ghost}")).await;
            assert_eq!(a.to_string().replace(out, "X"), b.to_string().replace(&ghost, "X"), "{who}: {out} vs {ghost}");
        }
        // Locate: grids inside are found; grids outside answer like the sea.
        for (grid, (lon, lat)) in &points {
            let r = m.call(&c, "GET", "/api/v1/locate", &locate_path(*lon, *lat, None), None).await;
            let sees = reads && (case.admin || case.inside.iter().any(|i| grid.starts_with(i)));
            if sees {
                assert_eq!(r, (200, json!({ "grid_code": grid })), "{who}: locate in {grid}");
            } else {
                assert_error(&r, 404, "not_found", None);
                assert!(!r.1.to_string().contains(grid.as_str()), "{who}: locate leaks {grid}");
            }
        }

        // Creating regions: outside the scope 404 (admin excepted), inside 201 for managers, 403 for the rest.
        serial += 1;
        let r = m
            .call(
                &c,
                "POST",
                "/api/v1/regions",
                "/api/v1/regions",
                Some(&json!({ "code": format!("{OTHER_STREET}{:03}", 10 + serial), "name": "越权社区", "parent_code": OTHER_STREET })),
            )
            .await;
        if case.admin {
            expect_status(who, "POST /regions outside", &r, &[201]);
        } else {
            assert_error(&r, 404, "not_found", None);
            no_leak(who, "POST /regions outside", &r, &leak);
            let (s, _) = admin.get(&format!("/api/v1/regions/{OTHER_STREET}{:03}", 10 + serial)).await;
            assert_eq!(s, 404, "{who}: nothing written outside the scope");
        }
        if let Some(parent) = case.create_under {
            let code = match parent.len() {
                6 => format!("{parent}{:03}", 100 + serial),
                9 => format!("{parent}{:03}", 100 + serial),
                _ => format!("{parent}{:02}", 50 + serial),
            };
            let r = m
                .call(
                    &c,
                    "POST",
                    "/api/v1/regions",
                    "/api/v1/regions",
                    Some(&json!({ "code": code, "name": "新区域", "parent_code": parent })),
                )
                .await;
            let written = admin.get(&format!("/api/v1/regions/{code}")).await.0 == 200;
            if case.manages {
                expect_status(who, &format!("POST /regions under {parent}"), &r, &[201]);
                assert!(written);
            } else {
                assert_error(&r, 403, "forbidden", None);
                assert!(!written, "{who}: a refused write wrote {code}");
            }
        }
        if !reads {
            let r = m
                .call(
                    &c,
                    "POST",
                    "/api/v1/regions",
                    "/api/v1/regions",
                    Some(&json!({ "code": "33019900100170", "name": "居民网格", "parent_code": COMMUNITY1 })),
                )
                .await;
            expect_status(who, "POST /regions (resident)", &r, &[403, 404]);
            assert_eq!(admin.get("/api/v1/regions/33019900100170").await.0, 404);
        }

        // The register: people, households, houses, buildings, tags, rules.
        register.check(&mut m, &c, &case, &names).await;
        events.check(&mut m, &c, &case).await;
        check_field(&mut m, &c, &case, &register, &leak).await;
        check_safety(&mut m, &c, &case, &leak).await;
        check_command(&mut m, &c, &case, &leak).await;
        assessment.check(&mut m, &c, &case, &leak).await;
        assessment.check_property(&mut m, &c, &case, &leak).await;
        check_disputes(&mut m, &c, &case, &register, other_dispute, &leak).await;
        check_life(&mut m, &c, &case, &life, &leak).await;

        // Published records name the street and district above (a street's notice, its office paying into a
        // community's fund): only names of regions neither in nor above the scope are leaks here.
        let below: Vec<String> = case
            .outside
            .iter()
            .filter(|o| !case.inside.iter().any(|i| i.starts_with(**o)))
            .filter_map(|c| names.get(*c))
            .filter(|n| !visible.iter().any(|v| v.contains(n.as_str())))
            .cloned()
            .collect();
        other_participation.check(&mut m, &c, &case, &below).await;
        other_services.check(&mut m, &c, &case, &leak).await;
        other_table.check(&mut m, &c, &case, &leak).await;

        // Admin-only routes.
        let new_user = format!("scope_user_{serial}");
        let user_body = json!({ "username": new_user, "password": "scope-pass-123", "roles": [{ "role": "grid_worker", "region_code": GRID2 }] });
        let admin_calls: Vec<(&str, &str, String, Option<Value>)> = vec![
            ("GET", "/api/v1/users", "/api/v1/users".into(), None),
            ("GET", "/api/v1/users", "/api/v1/users?role=street".into(), None),
            ("POST", "/api/v1/users", "/api/v1/users".into(), Some(user_body)),
            ("GET", "/api/v1/users/{username}", "/api/v1/users/demo_street".into(), None),
            ("GET", "/api/v1/users/{username}", format!("/api/v1/users/{who}"), None),
            (
                "POST",
                "/api/v1/users/{username}/roles",
                format!("/api/v1/users/{new_user}/roles"),
                Some(json!({ "role": "mediator", "region_code": STREET1 })),
            ),
            (
                "POST",
                "/api/v1/users/{username}/roles",
                format!("/api/v1/users/{who}/roles"),
                Some(json!({ "role": "district", "region_code": OTHER_DISTRICT })),
            ),
            (
                "DELETE",
                "/api/v1/users/{username}/roles",
                Client::with_query(
                    &format!("/api/v1/users/{new_user}/roles"),
                    &[("role", "mediator"), ("region_code", STREET1)],
                ),
                None,
            ),
            (
                "PATCH",
                "/api/v1/users/{username}",
                format!("/api/v1/users/{new_user}"),
                Some(json!({ "disabled": true })),
            ),
            (
                "PUT",
                "/api/v1/settings/map",
                "/api/v1/settings/map".into(),
                Some(json!({ "tile_url": "", "tile_attribution": who })),
            ),
            (
                "PUT",
                "/api/v1/tag-kinds/{code}",
                format!("/api/v1/tag-kinds/t_{}", who.replace('-', "_")),
                Some(json!({ "name": format!("标签{who}"), "level": "person", "fields": [] })),
            ),
        ];
        for (method, route, path, body) in &admin_calls {
            if case.admin && path.ends_with("/admin/roles") {
                continue; // the admin does not need more roles
            }
            let r = m.call(&c, method, route, path, body.as_ref()).await;
            let what = format!("{method} {path}");
            if case.admin {
                expect_status(who, &what, &r, &[200, 201]);
            } else {
                assert_error(&r, 403, "forbidden", None);
                no_leak(who, &what, &r, &leak);
                assert!(r.1.get("items").is_none(), "{who}: {what}: no data with a 403");
            }
        }
        if !case.admin {
            let (s, _) = admin.get(&format!("/api/v1/users/{new_user}")).await;
            assert_eq!(s, 404, "{who}: a refused user creation wrote nothing");
            let (_, me) = admin.get(&format!("/api/v1/users/{who}")).await;
            assert_eq!(me["roles"].as_array().unwrap().len(), 1, "{who} did not grant themselves a role: {me}");
        }

        // The resident's own record: only accounts tied to a person have one.
        let r = m.call(&c, "GET", "/api/v1/me", "/api/v1/me", None).await;
        expect_status(who, "GET /me", &r, if who == "demo_resident" { &[200] } else { &[404] });
        // Sign-up is public and checks the register, whoever calls it.
        let body = json!({ "username": format!("signup_{serial}"), "password": "matrix-pass-1", "name": "无此人",
            "id_number": matrix_id_number(serial + 900), "phone": "13900000000" });
        let r = m.call(&c, "POST", "/api/v1/residents", "/api/v1/residents", Some(&body)).await;
        // (Ten wrong sign-ups from one address make the next wait: 429.)
        expect_status(who, "POST /residents", &r, &[422, 429]);

        // Reference data and settings every signed-in user reads.
        let r = m.call(&c, "GET", "/api/v1/departments", "/api/v1/departments", None).await;
        expect_status(who, "GET /departments", &r, &[200]);
        assert!(r.1["items"].as_array().unwrap().iter().any(|d| d["code"] == "chengguan"));
        let r = m.call(&c, "GET", "/api/v1/settings/map", "/api/v1/settings/map", None).await;
        expect_status(who, "GET /settings/map", &r, &[200]);
        assert!(r.1["tile_url"].is_string());
        let r = m.call(&c, "GET", "/api/v1/openapi.json", "/api/v1/openapi.json", None).await;
        assert_eq!(r.0, 200);

        // The audit log: admins everything, district staff their district, others nothing.
        let r = m.call(&c, "GET", "/api/v1/audit", "/api/v1/audit?limit=500", None).await;
        if case.audit {
            expect_status(who, "GET /audit", &r, &[200]);
            let items = r.1["items"].as_array().unwrap();
            assert!(!items.is_empty(), "{who}: audit has records");
            if !case.admin {
                for i in items {
                    let text = i.to_string();
                    assert!(!text.contains(OTHER_DISTRICT), "{who}: audit record from another district: {text}");
                    assert!(!(i["action"] == "login" && i["actor"] == "admin"), "{who}: the admin's logins: {text}");
                }
                no_leak(who, "GET /audit", &r, &leak);
                assert!(
                    items.iter().any(|i| i["object"].as_str().is_some_and(|o| o.starts_with("region:330199"))),
                    "{who}: sees the district's own records: {items:?}"
                );
            } else {
                assert!(
                    items.iter().any(|i| i["object"] == format!("region:{OTHER_DISTRICT}")),
                    "admin sees everything"
                );
            }
        } else {
            assert_error(&r, 403, "forbidden", None);
        }

        // Logging out ends the session.
        let r = m.call(&c, "DELETE", "/api/v1/session", "/api/v1/session", None).await;
        assert_eq!(r.0, 204, "{who}: logout");
        assert_error(&c.get("/api/v1/regions").await, 401, "unauthorized", None);
    }

    let all: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let missing: Vec<_> = all.difference(&m.covered).collect();
    assert!(missing.is_empty(), "routes the matrix does not exercise: {missing:?}");

    // Pages follow the same scope: out of scope is a 404 page without the name.
    let (street, _) = page_login(&srv.base, "demo_street", DEMO_PW).await;
    let (s, html) = street.page("/regions/330199001").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains(&names[STREET1]));
    let (s, html) = street.page("/regions/330199002").await;
    assert_eq!(s, 404);
    assert!(!html.contains(&names[STREET2]), "the 404 page names the other street");
    let (s, html) = street.page("/regions/330199").await;
    assert_eq!(s, 404);
    assert!(!html.contains(DISTRICT_NAME));
    let (s, html) = street.page("/regions").await;
    assert_eq!(s, 200);
    assert!(
        html.contains(&names[STREET1]) && !html.contains(&names[STREET2]) && !html.contains(OTHER_NAMES[0]),
        "tree page"
    );
    let (worker, _) = page_login(&srv.base, "demo_grid_worker", DEMO_PW).await;
    let (s, html) = worker.page("/regions/330199").await;
    assert_eq!(s, 404);
    assert!(!html.contains(DISTRICT_NAME));
    let (s, _) = worker.page(&format!("/regions/{GRID2}")).await;
    assert_eq!(s, 404);
    let (s, html) = worker.page(&format!("/regions/{GRID1}")).await;
    assert_eq!(s, 200, "{html}");
    let (s, _) = worker.page("/admin/users").await;
    assert_eq!(s, 403, "admin pages are for admins");
    let (s, _) = worker.page("/admin/settings").await;
    assert_eq!(s, 403);
    let (district, _) = page_login(&srv.base, "demo_district", DEMO_PW).await;
    let (s, html) = district.page(&format!("/regions/{OTHER_DISTRICT}")).await;
    assert_eq!(s, 404);
    assert!(!html.contains(OTHER_NAMES[0]));
    let (s, html) = district.page("/").await;
    assert_eq!(s, 200);
    assert!(html.contains(DISTRICT_NAME) && !html.contains(OTHER_NAMES[0]));

    srv.finish().await;
}

/// Every path openapi.json documents is in ROUTES (so a new route must join the matrix).
async fn routes_are_complete(db: TestDb) {
    let srv = Server::start(db);
    let (s, doc) = srv.client().get("/api/v1/openapi.json").await;
    assert_eq!(s, 200);
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let listed: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let missing: Vec<_> = documented.difference(&listed).collect();
    assert!(missing.is_empty(), "routes in openapi.json missing from the scope matrix: {missing:?}");
    let undocumented: Vec<_> = listed.difference(&documented).filter(|(_, p)| p != "/api/v1/openapi.json").collect();
    assert!(undocumented.is_empty(), "routes in the matrix missing from openapi.json: {undocumented:?}");
    srv.finish().await;
}

both_backends!(matrix, routes_are_complete);

/// Field work (docs/field.md): nobody records, reads or reassigns anything of another district's grid.
async fn check_field(m: &mut Matrix, c: &Client, case: &Case, register: &Register, leak: &[String]) {
    let who = case.user;
    let records = matches!(
        who,
        "admin" | "demo_district" | "demo_street" | "demo_community" | "demo_grid_leader" | "demo_grid_worker"
    );
    let other = register.people.iter().find(|p| p.grid == OTHER_GRID).unwrap();

    // Today of another district's grid: 404 (admin: it is theirs to see).
    let r = m.call(c, "GET", "/api/v1/field/today", &format!("/api/v1/field/today?grid={OTHER_GRID}"), None).await;
    match (case.admin, records) {
        (true, _) => expect_status(who, "today elsewhere", &r, &[200]),
        (false, true) => expect_status(who, "today elsewhere", &r, &[404]),
        (false, false) => expect_status(who, "today elsewhere", &r, &[403, 404]),
    }
    if !case.admin {
        no_leak(who, "today elsewhere", &r, leak);
    }
    // Their own day: grid workers and leaders have grids; others must name one.
    let r = m.call(c, "GET", "/api/v1/field/today", "/api/v1/field/today", None).await;
    match who {
        "demo_grid_worker" | "demo_grid_leader" => expect_status(who, "today", &r, &[200]),
        _ if records => expect_status(who, "today", &r, &[400]),
        _ => expect_status(who, "today", &r, &[403]),
    }

    // A visit to a person of another district is refused item by item as not found (admin: recorded).
    let key = format!("scope-visit-{}", who.replace('_', "-"));
    let body = json!({ "client_now": now_ms(), "items": [{ "key": key, "kind": "visit", "at": now_ms(),
        "data": { "person_id": other.id, "situation": "normal" } }] });
    let r = m.call(c, "POST", "/api/v1/field/sync", "/api/v1/field/sync", Some(&body)).await;
    if records {
        expect_status(who, "sync elsewhere", &r, &[200]);
        let item = &r.1["results"][0];
        if case.admin {
            assert_eq!(item["status"], "created", "{who}: {item}");
        } else {
            assert_eq!(item["status"], "rejected", "{who}: {item}");
            assert_eq!(item["error"]["code"], "not_found", "{who}: {item}");
            assert_eq!(item["error"]["field"], "data.person_id", "{who}: {item}");
            assert!(!item.to_string().contains(&other.name), "{who}: names the person: {item}");
        }
    } else {
        expect_status(who, "sync", &r, &[403]);
    }
    let r = m.call(c, "GET", "/api/v1/field/log", "/api/v1/field/log", None).await;
    expect_status(who, "log", &r, if records { &[200] } else { &[403] });

    // Another person's visits, a month view and a route elsewhere: 404 (resident: 403 or 404).
    let path = format!("/api/v1/people/{}/visits", other.id);
    let r = m.call(c, "GET", "/api/v1/people/{id}/visits", &path, None).await;
    expect_status(who, "visits elsewhere", &r, if case.admin { &[200] } else { &[403, 404] });
    let path = format!("/api/v1/field/workers?region={OTHER_DISTRICT}");
    let r = m.call(c, "GET", "/api/v1/field/workers", &path, None).await;
    expect_status(who, "workers elsewhere", &r, if case.admin { &[200] } else { &[403, 404] });
    let route = json!({ "region_code": OTHER_GRID, "name": "越权路线", "checkpoints": [] });
    let r = m.call(c, "POST", "/api/v1/field/routes", "/api/v1/field/routes", Some(&route)).await;
    expect_status(who, "route elsewhere", &r, if case.admin { &[201] } else { &[403, 404] });
    // Handing over another district's grid: refused as an unknown grid (admin: the worker is not on it).
    let body = json!({ "grid_code": OTHER_GRID, "from_user": "demo_grid_worker", "to_user": "demo_grid_leader" });
    let r = m.call(c, "POST", "/api/v1/field/reassign", "/api/v1/field/reassign", Some(&body)).await;
    expect_status(who, "reassign elsewhere", &r, &[400, 403]);
    if !case.admin {
        no_leak(who, "field", &r, leak);
    }
}

/// 治安防控: key groups (`ReadSensitiveTags`), safety teams and the safety map (`ReadFieldWork`; teams kept by
/// community staff and above) inside the scope, and never another district's.
async fn check_safety(m: &mut Matrix, c: &Client, case: &Case, leak: &[String]) {
    let who = case.user;
    let sensitive = matches!(
        who,
        "admin" | "demo_district" | "demo_street" | "demo_community" | "demo_grid_leader" | "demo_grid_worker"
    );
    let reads_field = matches!(
        who,
        "admin" | "demo_district" | "demo_street" | "demo_community" | "demo_grid_leader" | "demo_leader"
    );
    let manages = matches!(who, "admin" | "demo_district" | "demo_street" | "demo_community");
    let inside = |code: &str| case.admin || case.inside.iter().any(|i| code.starts_with(i));
    // Elsewhere: 404 to those who may read such things, 403 to those who may not read them anywhere.
    let elsewhere = |reads: bool| -> &'static [u16] {
        match (case.admin, reads) {
            (true, _) => &[200],
            (false, true) => &[404],
            (false, false) => &[403],
        }
    };

    let r = m.call(c, "GET", "/api/v1/key-groups", "/api/v1/key-groups", None).await;
    expect_status(who, "key groups", &r, if sensitive { &[200] } else { &[403] });
    if sensitive {
        for i in r.1["items"].as_array().unwrap() {
            assert!(inside(i["grid_code"].as_str().unwrap()), "{who}: key group outside the scope: {i}");
            assert!(i["id_number_masked"].as_str().unwrap().contains('*'), "{who}: {i}");
        }
    }
    let path = format!("/api/v1/key-groups?region={OTHER_DISTRICT}");
    let r = m.call(c, "GET", "/api/v1/key-groups", &path, None).await;
    expect_status(who, "key groups elsewhere", &r, elsewhere(sensitive));
    if !case.admin {
        no_leak(who, "key groups elsewhere", &r, leak);
    }

    let r = m.call(c, "GET", "/api/v1/safety/teams", "/api/v1/safety/teams", None).await;
    expect_status(who, "teams", &r, if reads_field { &[200] } else { &[403] });
    if reads_field && !case.admin {
        for t in r.1["items"].as_array().unwrap() {
            let area = t["region_code"].as_str().unwrap();
            assert!(
                inside(area) || case.inside.iter().any(|i| i.starts_with(area)),
                "{who}: a team neither in nor above the scope: {t}"
            );
        }
    }
    let path = format!("/api/v1/safety/teams?region={OTHER_DISTRICT}");
    let r = m.call(c, "GET", "/api/v1/safety/teams", &path, None).await;
    expect_status(who, "teams elsewhere", &r, elsewhere(reads_field));
    if !case.admin {
        no_leak(who, "teams elsewhere", &r, leak);
    }
    let team = |region: &str| {
        json!({ "kind": "patrol", "name": format!("矩阵巡防队{who}"), "region_code": region,
            "members": [{ "name": "矩阵队员", "phone": "13700001111" }] })
    };
    let r = m.call(c, "POST", "/api/v1/safety/teams", "/api/v1/safety/teams", Some(&team(OTHER_GRID))).await;
    let expected: &[u16] = match (case.admin, manages) {
        (true, _) => &[201],
        (false, true) => &[404],
        (false, false) => &[403],
    };
    expect_status(who, "team elsewhere", &r, expected);
    if let Some(home) = case.inside.first().filter(|_| !case.admin) {
        let r = m.call(c, "POST", "/api/v1/safety/teams", "/api/v1/safety/teams", Some(&team(home))).await;
        expect_status(who, "team inside", &r, if manages { &[201] } else { &[403] });
        if manages {
            assert_eq!(r.1["members"][0]["phone_masked"], "137****1111", "{who}: {}", r.1);
        }
    }

    let r = m.call(c, "GET", "/api/v1/safety/map", "/api/v1/safety/map", None).await;
    expect_status(who, "safety map", &r, if reads_field { &[200] } else { &[403] });
    if reads_field {
        for g in r.1["grids"].as_array().unwrap() {
            assert!(inside(g["code"].as_str().unwrap()), "{who}: a grid outside the scope: {g}");
        }
    }
    let path = format!("/api/v1/safety/map?region={OTHER_DISTRICT}");
    let r = m.call(c, "GET", "/api/v1/safety/map", &path, None).await;
    expect_status(who, "safety map elsewhere", &r, elsewhere(reads_field));
    if !case.admin {
        no_leak(who, "safety map elsewhere", &r, leak);
    }
}

/// 指挥中心 (`ReadCommand`: centres, grid leaders and leaders): the dashboard, map, layers, report and live feed
/// of the caller's subtree, never another district's.
async fn check_command(m: &mut Matrix, c: &Client, case: &Case, leak: &[String]) {
    let who = case.user;
    let reads = matches!(
        who,
        "admin" | "demo_district" | "demo_street" | "demo_community" | "demo_grid_leader" | "demo_leader"
    );
    let inside = |code: &str| case.admin || case.inside.iter().any(|i| code.starts_with(i));
    let elsewhere: &[u16] = match (case.admin, reads) {
        (true, _) => &[200],
        (false, true) => &[404],
        (false, false) => &[403],
    };
    let own: &[u16] = if reads { &[200] } else { &[403] };
    let r = m.call(c, "GET", "/api/v1/command/dashboard", "/api/v1/command/dashboard", None).await;
    expect_status(who, "dashboard", &r, own);
    if reads {
        for ch in r.1["children"].as_array().unwrap() {
            assert!(inside(ch["code"].as_str().unwrap()), "{who}: a child outside the scope: {ch}");
        }
    }
    let r = m.call(c, "GET", "/api/v1/command/map", "/api/v1/command/map", None).await;
    expect_status(who, "command map", &r, own);
    if reads {
        for g in r.1["grids"].as_array().unwrap() {
            assert!(inside(g["code"].as_str().unwrap()), "{who}: a grid outside the scope: {g}");
        }
    }
    let r = m.call(c, "GET", "/api/v1/command/layers/{layer}", "/api/v1/command/layers/register", None).await;
    expect_status(who, "register layer", &r, own);
    let r = m.call(c, "GET", "/api/v1/command/report", "/api/v1/command/report?period=2026-Q4", None).await;
    expect_status(who, "report", &r, own);
    let r = m.call_stream(c, "/api/v1/feed", "/api/v1/feed").await;
    expect_status(who, "feed", &r, own);
    for (route, path) in [
        ("/api/v1/command/dashboard", format!("/api/v1/command/dashboard?region={OTHER_DISTRICT}")),
        ("/api/v1/command/map", format!("/api/v1/command/map?region={OTHER_STREET}")),
        ("/api/v1/command/layers/{layer}", format!("/api/v1/command/layers/hazards?region={OTHER_DISTRICT}")),
        ("/api/v1/command/report", format!("/api/v1/command/report?region={OTHER_DISTRICT}&period=2026-11")),
    ] {
        let r = m.call(c, "GET", route, &path, None).await;
        expect_status(who, &format!("{route} elsewhere"), &r, elsewhere);
        if !case.admin {
            no_leak(who, route, &r, leak);
        }
    }
    let r = m.call_stream(c, "/api/v1/feed", &format!("/api/v1/feed?region={OTHER_DISTRICT}")).await;
    expect_status(who, "feed elsewhere", &r, elsewhere);
}

/// Star assessments in COMMUNITY1 and in the other district, the demo grid worker of GRID1, the worker scheme.
struct AssessmentFixture {
    own_star: i64,
    other_star: i64,
    worker: i64,
    scheme: Value,
    review: String,
    /// Property companies of COMMUNITY1 (serving GRID1) and of the other district.
    own_company: i64,
    other_company: i64,
}

/// (method, route, path, body, expected inside the scope).
type PropertyCall<'a> = (&'a str, &'a str, String, Option<&'a Value>, &'a [u16]);

fn credit_code(first17: &str) -> String {
    format!("{first17}{}", wangge_domain::organization::credit_code_check(first17).unwrap())
}

impl AssessmentFixture {
    async fn new(admin: &Client) -> AssessmentFixture {
        let mut ids = Vec::new();
        for community in [COMMUNITY1, OTHER_COMMUNITY] {
            let (s, b) =
                admin.post("/api/v1/assessment/stars", &json!({ "community_code": community, "year": 2026 })).await;
            assert_eq!(s, 201, "{b}");
            ids.push(b["id"].as_i64().unwrap());
        }
        let (s, star) = admin.get(&format!("/api/v1/assessment/stars/{}", ids[0])).await;
        assert_eq!(s, 200, "{star}");
        let review = star["scheme"]["aspects"][0]["indicators"][0]["code"].as_str().unwrap().to_string();
        let (_, u) = admin.get("/api/v1/users/demo_grid_worker").await;
        let (_, schemes) = admin.get("/api/v1/assessment/schemes").await;
        let scheme =
            schemes.as_array().unwrap().iter().find(|s| s["subject"] == "grid_worker").unwrap()["scheme"].clone();
        let mut companies = Vec::new();
        for (i, (region, area)) in [(COMMUNITY1, GRID1), (OTHER_COMMUNITY, OTHER_GRID)].iter().enumerate() {
            let (s, b) = admin
                .post(
                    "/api/v1/assessment/property-companies",
                    &json!({ "region_code": region, "name": format!("矩阵物业{i}"), "areas": [area],
                             "credit_code": credit_code(&format!("91330199MA2KC000{i}")) }),
                )
                .await;
            assert_eq!(s, 201, "{b}");
            companies.push(b["id"].as_i64().unwrap());
        }
        AssessmentFixture {
            own_star: ids[0],
            other_star: ids[1],
            worker: u["id"].as_i64().unwrap(),
            scheme,
            review,
            own_company: companies[0],
            other_company: companies[1],
        }
    }

    /// 物业服务考评: readers (`ReadAssessment`) read a company of their subtree and its score; community, street,
    /// district (and admin) register, edit and score (`ManagePropertyCompanies`); a grid worker serving the
    /// company's grid, a department or a mediator is refused (403); another district's company is 404.
    async fn check_property(&self, m: &mut Matrix, c: &Client, case: &Case, leak: &[String]) {
        let who = case.user;
        let reads = matches!(
            who,
            "admin" | "demo_district" | "demo_street" | "demo_community" | "demo_grid_leader" | "demo_leader"
        );
        let manages = matches!(who, "admin" | "demo_district" | "demo_street" | "demo_community");
        let refused: &[u16] = if who == "demo_resident" { &[404] } else { &[403] };
        let read: &[u16] = if reads { &[200] } else { refused };
        let manage: &[u16] = if manages { &[200] } else { refused };
        let listed: &[u16] = if reads || manages { &[200] } else { &[403] };
        let quarter = json!({ "period": "2026-Q4", "scores": [{ "indicator_code": "pm_fire", "score": 6, "evidence": "消防通道畅通" }] });
        let unlink = json!({ "period": "2026-Q4", "surveys": [] });
        let patch = json!({ "contact_name": "矩阵联系人" });
        for (id, inside) in [(self.own_company, true), (self.other_company, false)] {
            let calls: [PropertyCall; 6] = [
                (
                    "GET",
                    "/api/v1/assessment/property-companies/{id}",
                    format!("/api/v1/assessment/property-companies/{id}"),
                    None,
                    read,
                ),
                (
                    "PATCH",
                    "/api/v1/assessment/property-companies/{id}",
                    format!("/api/v1/assessment/property-companies/{id}"),
                    Some(&patch),
                    manage,
                ),
                (
                    "PUT",
                    "/api/v1/assessment/property-companies/{id}/inspections",
                    format!("/api/v1/assessment/property-companies/{id}/inspections"),
                    Some(&quarter),
                    manage,
                ),
                (
                    "PUT",
                    "/api/v1/assessment/property-companies/{id}/surveys",
                    format!("/api/v1/assessment/property-companies/{id}/surveys"),
                    Some(&unlink),
                    manage,
                ),
                (
                    "GET",
                    "/api/v1/assessment/property/{id}",
                    format!("/api/v1/assessment/property/{id}?period=2026-Q4"),
                    None,
                    read,
                ),
                ("GET", "/api/v1/assessment/property/{id}", format!("/api/v1/assessment/property/{id}"), None, read),
            ];
            for (method, route, path, body, own) in calls {
                let r = m.call(c, method, route, &path, body).await;
                let expected: &[u16] = if inside || case.admin { own } else { &[404] };
                expect_status(who, &format!("{method} {path}"), &r, expected);
                if !inside && !case.admin {
                    no_leak(who, route, &r, leak);
                }
            }
        }
        for route in ["/api/v1/assessment/property-companies", "/api/v1/assessment/property"] {
            let r = m.call(c, "GET", route, route, None).await;
            expect_status(who, route, &r, listed);
            if r.0 == 200 {
                for row in r.1.as_array().unwrap() {
                    let id = row["id"].as_i64().or(row["company"]["id"].as_i64());
                    assert!(case.admin || id != Some(self.other_company), "{who}: {route} lists {row}");
                }
            }
            let path = format!("{route}?region={OTHER_DISTRICT}");
            let r = m.call(c, "GET", route, &path, None).await;
            let other: &[u16] = match (case.admin, reads || manages) {
                (true, _) => &[200],
                (false, true) => &[404],
                _ => &[403],
            };
            expect_status(who, &format!("{route} elsewhere"), &r, other);
            if !case.admin {
                no_leak(who, route, &r, leak);
            }
        }
        // Registering elsewhere: 404 for all but the admin.
        serial_company(m, c, case, leak).await;
    }

    /// 考核评价: centres, grid leaders and leaders read their subtree's scores (`ReadAssessment`), a grid worker
    /// only their own month; the community scores and declares, the street reviews, the district approves; the
    /// payroll goes to centres and communities. Another district's star is 404 for everyone but the admin.
    async fn check(&self, m: &mut Matrix, c: &Client, case: &Case, leak: &[String]) {
        let who = case.user;
        let reads = matches!(
            who,
            "admin" | "demo_district" | "demo_street" | "demo_community" | "demo_grid_leader" | "demo_leader"
        );
        let pays = matches!(who, "admin" | "demo_district" | "demo_street" | "demo_community");
        let own: &[u16] = if reads { &[200] } else { &[403] };
        let elsewhere: &[u16] = match (case.admin, reads) {
            (true, _) => &[200],
            (false, true) => &[404],
            (false, false) => &[403],
        };
        let r = m.call(c, "GET", "/api/v1/assessment/schemes", "/api/v1/assessment/schemes", None).await;
        expect_status(who, "schemes", &r, own);
        let r = m.call(c, "POST", "/api/v1/assessment/schemes", "/api/v1/assessment/schemes", Some(&self.scheme)).await;
        expect_status(who, "put scheme", &r, if matches!(who, "admin" | "demo_district") { &[200] } else { &[403] });
        for (route, path, ok) in [
            ("/api/v1/assessment/workers", "/api/v1/assessment/workers?period=2026-11".to_string(), own),
            ("/api/v1/assessment/departments", "/api/v1/assessment/departments?period=2026-11".to_string(), own),
            (
                "/api/v1/assessment/departments/{code}",
                "/api/v1/assessment/departments/chengguan?period=2026".to_string(),
                if reads { &[200, 404][..] } else { &[403][..] },
            ),
            (
                "/api/v1/assessment/payroll.xlsx",
                "/api/v1/assessment/payroll.xlsx?period=2026-11".to_string(),
                if pays { &[200][..] } else { &[403][..] },
            ),
        ] {
            let r = m.call(c, "GET", route, &path, None).await;
            expect_status(who, route, &r, ok);
            let sep = if path.contains('?') { '&' } else { '?' };
            let r = m.call(c, "GET", route, &format!("{path}{sep}region={OTHER_DISTRICT}"), None).await;
            let other: &[u16] = if route.ends_with("payroll.xlsx") {
                match (case.admin, pays) {
                    (true, _) => &[200],
                    (false, true) => &[404],
                    _ => &[403],
                }
            } else if route.ends_with("{code}") && case.admin {
                &[200, 404]
            } else {
                elsewhere
            };
            expect_status(who, &format!("{route} elsewhere"), &r, other);
            if !case.admin && r.0 != 200 {
                no_leak(who, route, &r, leak);
            }
        }
        // A grid worker's month: their own, or for those who read the subtree.
        let path = format!("/api/v1/assessment/workers/{}?period=2026-11", self.worker);
        let r = m.call(c, "GET", "/api/v1/assessment/workers/{user_id}", &path, None).await;
        let sees_grid1 = case.admin || case.inside.iter().any(|i| GRID1.starts_with(i));
        let expected: &[u16] = if who == "demo_grid_worker" || (reads && sees_grid1) {
            &[200]
        } else if sees_grid1 {
            &[403]
        } else {
            &[404]
        };
        expect_status(who, "worker month", &r, expected);

        // Stars: list, open, read, score, act.
        let r = m.call(c, "GET", "/api/v1/assessment/stars", "/api/v1/assessment/stars?year=2026", None).await;
        expect_status(who, "stars", &r, own);
        if r.0 == 200 {
            for s in r.1.as_array().unwrap() {
                let code = s["community_code"].as_str().unwrap();
                assert!(case.admin || case.inside.iter().any(|i| code.starts_with(i)), "{who}: star of {code}");
            }
        }
        let sees_c1 = case.admin || case.inside.iter().any(|i| COMMUNITY1.starts_with(i));
        let r = m
            .call(
                c,
                "POST",
                "/api/v1/assessment/stars",
                "/api/v1/assessment/stars",
                Some(&json!({ "community_code": COMMUNITY1, "year": 2026 })),
            )
            .await;
        let expected: &[u16] = if matches!(who, "admin" | "demo_community") {
            &[201]
        } else if sees_c1 && who != "demo_resident" {
            &[403]
        } else {
            &[404]
        };
        expect_status(who, "open star", &r, expected);
        let r = m
            .call(
                c,
                "POST",
                "/api/v1/assessment/stars",
                "/api/v1/assessment/stars",
                Some(&json!({ "community_code": OTHER_COMMUNITY, "year": 2026 })),
            )
            .await;
        expect_status(who, "open star elsewhere", &r, if case.admin { &[201] } else { &[404] });
        no_leak(who, "open star elsewhere", &r, leak);

        let read_c1: &[u16] = if reads && sees_c1 {
            &[200]
        } else if sees_c1 && who != "demo_resident" && who != "demo_grid_worker" {
            &[403]
        } else {
            &[404]
        };
        let path = format!("/api/v1/assessment/stars/{}", self.own_star);
        let r = m.call(c, "GET", "/api/v1/assessment/stars/{id}", &path, None).await;
        expect_status(who, "star", &r, read_c1);
        let path = format!("/api/v1/assessment/stars/{}", self.other_star);
        let r = m.call(c, "GET", "/api/v1/assessment/stars/{id}", &path, None).await;
        expect_status(who, "star elsewhere", &r, if case.admin { &[200] } else { &[404] });
        no_leak(who, "star elsewhere", &r, leak);

        let body = json!({ "scores": [{ "indicator_code": self.review, "score": 8, "evidence": "/life/meetings" }] });
        for (id, inside) in [(self.own_star, true), (self.other_star, false)] {
            let path = format!("/api/v1/assessment/stars/{id}/scores");
            let r = m.call(c, "PUT", "/api/v1/assessment/stars/{id}/scores", &path, Some(&body)).await;
            let expected: &[u16] = if case.admin || (inside && who == "demo_community") {
                &[200]
            } else if !(inside && reads && sees_c1) {
                if inside && sees_c1 && !matches!(who, "demo_resident" | "demo_grid_worker") { &[403] } else { &[404] }
            } else if who == "demo_street" {
                &[409]
            } else {
                &[403]
            };
            expect_status(who, &format!("scores {id}"), &r, expected);
            // The district approves only what the street passed: a draft answers 409 to the district, 403 to others.
            let path = format!("/api/v1/assessment/stars/{id}/actions");
            let act = json!({ "action": "approve" });
            let r = m.call(c, "POST", "/api/v1/assessment/stars/{id}/actions", &path, Some(&act)).await;
            let expected: &[u16] = if case.admin || (inside && who == "demo_district") {
                &[409]
            } else if !(inside && reads && sees_c1) {
                if inside && sees_c1 && !matches!(who, "demo_resident" | "demo_grid_worker") { &[403] } else { &[404] }
            } else {
                &[403]
            };
            expect_status(who, &format!("approve {id}"), &r, expected);
            if !case.admin && !inside {
                no_leak(who, "star action elsewhere", &r, leak);
            }
        }
    }
}

/// A company registered in the other district: the admin may (201, a new credit code per call), nobody else
/// learns the region exists (404).
async fn serial_company(m: &mut Matrix, c: &Client, case: &Case, leak: &[String]) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let body = json!({ "region_code": OTHER_COMMUNITY, "name": "越权物业", "areas": [OTHER_GRID],
                       "credit_code": credit_code(&format!("91330198MA2XC{n:04}")) });
    let route = "/api/v1/assessment/property-companies";
    let r = m.call(c, "POST", route, route, Some(&body)).await;
    expect_status(case.user, "register company elsewhere", &r, if case.admin { &[201] } else { &[404] });
    if !case.admin {
        no_leak(case.user, "register company elsewhere", &r, leak);
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A dispute in the other district, registered by the admin.
async fn other_district_dispute(admin: &Client, register: &Register) -> i64 {
    let other = register.people.iter().find(|p| p.grid == OTHER_GRID).unwrap();
    let body = json!({ "type_code": "neighbour", "title": "远山邻里纠纷", "facts": "远山两户因院墙归属争执",
        "parties": [{ "role": "applicant", "person_id": other.id }, { "role": "respondent", "name": "远山乙" }] });
    let (s, d) = admin.post("/api/v1/disputes", &body).await;
    assert_eq!(s, 201, "{d}");
    d["id"].as_i64().unwrap()
}

/// Disputes: nobody reads, registers, mediates or counts another district's disputes.
async fn check_disputes(m: &mut Matrix, c: &Client, case: &Case, register: &Register, other: i64, leak: &[String]) {
    let who = case.user;
    let reads = matches!(
        who,
        "admin"
            | "demo_district"
            | "demo_street"
            | "demo_community"
            | "demo_grid_leader"
            | "demo_grid_worker"
            | "demo_mediator"
    );
    let other_person = register.people.iter().find(|p| p.grid == OTHER_GRID).unwrap();
    let path = format!("/api/v1/disputes/{other}");
    let r = m.call(c, "GET", "/api/v1/disputes/{id}", &path, None).await;
    expect_status(who, "dispute elsewhere", &r, if case.admin { &[200] } else { &[403, 404] });
    let path = format!("/api/v1/disputes/{other}/actions");
    let r = m
        .call(c, "POST", "/api/v1/disputes/{id}/actions", &path, Some(&json!({ "action": "session", "note": "越权" })))
        .await;
    expect_status(who, "act elsewhere", &r, if case.admin { &[409] } else { &[403, 404] });
    let path = format!("/api/v1/disputes?region={OTHER_DISTRICT}");
    let r = m.call(c, "GET", "/api/v1/disputes", &path, None).await;
    expect_status(who, "disputes elsewhere", &r, if case.admin { &[200] } else { &[403, 404] });
    let r = m.call(c, "GET", "/api/v1/disputes", "/api/v1/disputes", None).await;
    expect_status(who, "own disputes", &r, if reads { &[200] } else { &[403] });
    if reads && !case.admin {
        assert_eq!(r.1["total"], 0, "{who}: sees another district's dispute: {}", r.1);
    }
    let body = json!({ "type_code": "neighbour", "title": "越权登记", "facts": "在别的区登记纠纷",
        "parties": [{ "role": "applicant", "person_id": other_person.id }, { "role": "respondent", "name": "乙" }] });
    let r = m.call(c, "POST", "/api/v1/disputes", "/api/v1/disputes", Some(&body)).await;
    expect_status(who, "register elsewhere", &r, if case.admin { &[201] } else { &[400, 403] });
    if r.0 == 400 {
        assert_eq!(r.1["error"]["details"]["field"], "parties[0].person_id", "{who}: {}", r.1);
    }
    let r = m.call(c, "GET", "/api/v1/dispute-types", "/api/v1/dispute-types", None).await;
    let stats_reader = reads || who == "demo_leader";
    expect_status(who, "dispute types", &r, if stats_reader { &[200] } else { &[403] });
    let r = m
        .call(
            c,
            "PUT",
            "/api/v1/dispute-types/{code}",
            "/api/v1/dispute-types/other",
            Some(&json!({ "name": "其他纠纷" })),
        )
        .await;
    let edits = case.admin || who == "demo_district";
    expect_status(who, "edit dispute type", &r, if edits { &[200] } else { &[403] });
    let path = format!("/api/v1/dispute-stats?region={OTHER_DISTRICT}");
    let r = m.call(c, "GET", "/api/v1/dispute-stats", &path, None).await;
    expect_status(who, "stats elsewhere", &r, if case.admin { &[200] } else { &[403, 404] });
    if !case.admin {
        no_leak(who, "disputes", &r, leak);
    }
}

// ───────────────────────────── community life (issue #9) ─────────────────────────────

/// Records of every kind of community life: in the other district (nobody but the admin may touch them) and a
/// meeting in the first community (read by everyone who reads community life there).
struct LifeFixture {
    meeting: i64,
    participant: i64,
    resolution: i64,
    volunteer: i64,
    activity: i64,
    signup: i64,
    unit: i64,
    commitment: i64,
    social_org: i64,
    party_org: i64,
    member: i64,
    party_activity: i64,
    inside_meeting: i64,
}

impl LifeFixture {
    async fn new(admin: &Client, register: &Register) -> LifeFixture {
        let other = register.people.iter().find(|p| p.grid == OTHER_GRID).unwrap();
        let ok = |r: &Resp, s: u16| assert_eq!(r.0, s, "{}", r.1);
        let r = admin
            .post(
                "/api/v1/meetings",
                &json!({ "region_code": OTHER_COMMUNITY, "kind": "council", "topic": "远山社区议事会", "starts_at": "2026-10-01T19:00",
                    "place": "远山社区会议室", "participants": [{ "person_id": other.id }, { "name": "远山物业代表" }] }),
            )
            .await;
        ok(&r, 201);
        let meeting = r.1["id"].as_i64().unwrap();
        let participant = r.1["participants"][0]["id"].as_i64().unwrap();
        let r = admin
            .send(
                "PUT",
                &format!("/api/v1/meetings/{meeting}/minutes"),
                Some(&json!({ "minutes": "远山社区议事会纪要：同意修缮" })),
            )
            .await;
        ok(&r, 200);
        let r = admin
            .post(
                &format!("/api/v1/meetings/{meeting}/resolutions"),
                &json!({ "content": "远山社区修缮围墙", "owner": "远山社区居委会" }),
            )
            .await;
        ok(&r, 200);
        let resolution = r.1["resolutions_list"][0]["id"].as_i64().unwrap();
        let r =
            admin.post("/api/v1/volunteers", &json!({ "region_code": OTHER_COMMUNITY, "person_id": other.id })).await;
        ok(&r, 201);
        let volunteer = r.1["id"].as_i64().unwrap();
        let r = admin
            .post(
                "/api/v1/volunteer-activities",
                &json!({ "region_code": OTHER_COMMUNITY, "title": "远山社区义诊", "place": "远山广场", "starts_at": "2099-03-01T09:00",
                    "ends_at": "2099-03-01T11:00", "capacity": 10 }),
            )
            .await;
        ok(&r, 201);
        let activity = r.1["id"].as_i64().unwrap();
        let r = admin
            .post(&format!("/api/v1/volunteer-activities/{activity}/signups"), &json!({ "volunteer_id": volunteer }))
            .await;
        ok(&r, 200);
        let signup = r.1["signups"][0]["id"].as_i64().unwrap();
        let r = admin
            .post(
                "/api/v1/co-building-units",
                &json!({ "region_code": OTHER_COMMUNITY, "name": "远山供电所", "kind": "state_enterprise" }),
            )
            .await;
        ok(&r, 201);
        let unit = r.1["id"].as_i64().unwrap();
        let r = admin
            .post(
                &format!("/api/v1/co-building-units/{unit}/commitments"),
                &json!({ "kind": "project", "title": "远山路灯改造", "target": 1 }),
            )
            .await;
        ok(&r, 200);
        let commitment = r.1["commitment_list"][0]["id"].as_i64().unwrap();
        let r = admin
            .post(
                "/api/v1/organizations",
                &json!({ "name": "远山社工服务社", "kind": "social_organization", "house_code": other.house_code }),
            )
            .await;
        ok(&r, 201);
        let social_org = r.1["id"].as_i64().unwrap();
        let r = admin
            .post(
                "/api/v1/party-organizations",
                &json!({ "region_code": OTHER_COMMUNITY, "kind": "branch", "name": "远山社区党支部" }),
            )
            .await;
        ok(&r, 201);
        let party_org = r.1["id"].as_i64().unwrap();
        let r = admin
            .post(
                "/api/v1/party-members",
                &json!({ "person_id": other.id, "kind": "regular", "status": "full", "org_id": party_org }),
            )
            .await;
        ok(&r, 201);
        let member = r.1["id"].as_i64().unwrap();
        let r = admin
            .post(
                "/api/v1/party-activities",
                &json!({ "org_id": party_org, "kind": "lecture", "title": "远山党课", "held_at": "2026-10-10T09:00" }),
            )
            .await;
        ok(&r, 201);
        let party_activity = r.1["id"].as_i64().unwrap();
        let r = admin
            .post(
                "/api/v1/meetings",
                &json!({ "region_code": COMMUNITY1, "kind": "consultation", "topic": "矩阵民情恳谈会", "starts_at": "2026-10-02T19:00", "place": "社区" }),
            )
            .await;
        ok(&r, 201);
        let inside_meeting = r.1["id"].as_i64().unwrap();
        LifeFixture {
            meeting,
            participant,
            resolution,
            volunteer,
            activity,
            signup,
            unit,
            commitment,
            social_org,
            party_org,
            member,
            party_activity,
            inside_meeting,
        }
    }
}

/// (method, route, path, body, statuses allowed)
type LifeCall = (&'static str, &'static str, String, Option<Value>, &'static [u16]);

/// Community life: read by community staff and above, grid staff and leaders (a grid reads its community); kept by
/// community staff and above; party members by those with the party-affairs permission; never another district's.
async fn check_life(m: &mut Matrix, c: &Client, case: &Case, f: &LifeFixture, leak: &[String]) {
    let who = case.user;
    let reads = matches!(
        who,
        "admin"
            | "demo_district"
            | "demo_street"
            | "demo_community"
            | "demo_grid_leader"
            | "demo_grid_worker"
            | "demo_leader"
    );
    let keeps = matches!(who, "admin" | "demo_district" | "demo_street" | "demo_community");
    let party = keeps;
    let admin = case.admin;
    // A list of another district: 404 to those who read such lists, 403 to the rest.
    let elsewhere = |reads: bool| -> &'static [u16] {
        match (admin, reads) {
            (true, _) => &[200],
            (false, true) => &[404],
            (false, false) => &[403],
        }
    };
    // A record of another district: the admin acts (the given statuses), everyone else is told it does not exist.
    let record = |admin_ok: &'static [u16]| -> &'static [u16] { if admin { admin_ok } else { &[404] } };
    // Creating something in the other district: 400 naming the region for those who keep records, else 403.
    let create_elsewhere = |keeps: bool, admin_ok: &'static [u16]| -> &'static [u16] {
        match (admin, keeps) {
            (true, _) => admin_ok,
            (false, true) => &[400],
            (false, false) => &[403],
        }
    };
    let check = |m: &mut Matrix, r: &Resp, what: &str, allowed: &[u16]| {
        let _ = m;
        expect_status(who, what, r, allowed);
        if !admin {
            no_leak(who, what, r, leak);
            let text = r.1.to_string();
            assert!(!text.contains("远山"), "{who}: {what} shows another district's record: {text}");
        }
    };

    // Lists.
    for route in [
        "/api/v1/meetings",
        "/api/v1/volunteers",
        "/api/v1/volunteer-teams",
        "/api/v1/volunteer-activities",
        "/api/v1/co-building-units",
        "/api/v1/co-building-days",
        "/api/v1/social-organizations",
        "/api/v1/party-organizations",
        "/api/v1/party-activities",
    ] {
        let r = m.call(c, "GET", route, route, None).await;
        check(m, &r, route, if reads { &[200] } else { &[403] });
        let path = format!("{route}?region={OTHER_DISTRICT}");
        let r = m.call(c, "GET", route, &path, None).await;
        check(m, &r, &path, elsewhere(reads));
    }
    for route in ["/api/v1/party-members", "/api/v1/party-service"] {
        let r = m.call(c, "GET", route, route, None).await;
        check(m, &r, route, if party { &[200] } else { &[403] });
        let path = format!("{route}?region={OTHER_DISTRICT}");
        let r = m.call(c, "GET", route, &path, None).await;
        check(m, &r, &path, elsewhere(party));
    }

    // A meeting of the first community: read by all who read community life there.
    let path = format!("/api/v1/meetings/{}", f.inside_meeting);
    let r = m.call(c, "GET", "/api/v1/meetings/{id}", &path, None).await;
    let inside: &[u16] = if reads {
        &[200]
    } else if who == "demo_resident" {
        &[404]
    } else {
        &[403]
    };
    check(m, &r, &path, inside);

    // Records of the other district: reads and writes.
    let mid = f.meeting;
    let calls: Vec<LifeCall> = vec![
        ("GET", "/api/v1/meetings/{id}", format!("/api/v1/meetings/{mid}"), None, record(&[200])),
        (
            "POST",
            "/api/v1/meetings/{id}/participants",
            format!("/api/v1/meetings/{mid}/participants"),
            Some(json!({ "participants": [{ "name": format!("来宾{who}") }] })),
            record(&[200]),
        ),
        (
            "POST",
            "/api/v1/meetings/{id}/sign-in",
            format!("/api/v1/meetings/{mid}/sign-in"),
            Some(json!({ "participant_ids": [f.participant] })),
            record(&[200]),
        ),
        (
            "PUT",
            "/api/v1/meetings/{id}/minutes",
            format!("/api/v1/meetings/{mid}/minutes"),
            Some(json!({ "minutes": "越权改写的会议纪要内容" })),
            record(&[200]),
        ),
        (
            "POST",
            "/api/v1/meetings/{id}/resolutions",
            format!("/api/v1/meetings/{mid}/resolutions"),
            Some(json!({ "content": "越权决议事项", "owner": "某部门" })),
            record(&[200]),
        ),
        (
            "POST",
            "/api/v1/meetings/{id}/resolutions/{rid}/progress",
            format!("/api/v1/meetings/{mid}/resolutions/{}/progress", f.resolution),
            Some(json!({ "note": "越权进展" })),
            record(&[200]),
        ),
        (
            "POST",
            "/api/v1/meetings/{id}/publish",
            format!("/api/v1/meetings/{mid}/publish"),
            Some(json!({ "published": true })),
            record(&[200]),
        ),
        (
            "POST",
            "/api/v1/meetings/{id}/cancel",
            format!("/api/v1/meetings/{mid}/cancel"),
            Some(json!({ "note": "越权取消" })),
            record(&[409]),
        ),
        ("GET", "/api/v1/volunteers/{id}", format!("/api/v1/volunteers/{}", f.volunteer), None, record(&[200])),
        (
            "POST",
            "/api/v1/volunteers/{id}/redeem",
            format!("/api/v1/volunteers/{}/redeem", f.volunteer),
            Some(json!({ "hours": 1, "service": "越权兑换" })),
            record(&[422]),
        ),
        (
            "POST",
            "/api/v1/volunteers/{id}/honours",
            format!("/api/v1/volunteers/{}/honours", f.volunteer),
            Some(json!({ "level": 1 })),
            record(&[422]),
        ),
        (
            "GET",
            "/api/v1/volunteer-activities/{id}",
            format!("/api/v1/volunteer-activities/{}", f.activity),
            None,
            record(&[200]),
        ),
        (
            "POST",
            "/api/v1/volunteer-activities/{id}/signups",
            format!("/api/v1/volunteer-activities/{}/signups", f.activity),
            Some(json!({ "volunteer_id": f.volunteer })),
            record(&[409]),
        ),
        (
            "POST",
            "/api/v1/volunteer-activities/{id}/signups/{sid}/check-in",
            format!("/api/v1/volunteer-activities/{}/signups/{}/check-in", f.activity, f.signup),
            Some(json!({})),
            record(&[200]),
        ),
        (
            "POST",
            "/api/v1/volunteer-activities/{id}/signups/{sid}/check-out",
            format!("/api/v1/volunteer-activities/{}/signups/{}/check-out", f.activity, f.signup),
            Some(json!({ "hours": 1 })),
            record(&[200]),
        ),
        (
            "POST",
            "/api/v1/volunteer-activities/{id}/signups/{sid}/cancel",
            format!("/api/v1/volunteer-activities/{}/signups/{}/cancel", f.activity, f.signup),
            Some(json!({})),
            record(&[409]),
        ),
        (
            "GET",
            "/api/v1/co-building-units/{id}",
            format!("/api/v1/co-building-units/{}", f.unit),
            None,
            record(&[200]),
        ),
        (
            "POST",
            "/api/v1/co-building-units/{id}/commitments",
            format!("/api/v1/co-building-units/{}/commitments", f.unit),
            Some(json!({ "kind": "money", "title": "越权承诺", "target": 100 })),
            record(&[200]),
        ),
        (
            "POST",
            "/api/v1/co-building-commitments/{id}/progress",
            format!("/api/v1/co-building-commitments/{}/progress", f.commitment),
            Some(json!({ "amount": 1 })),
            record(&[200]),
        ),
        (
            "GET",
            "/api/v1/social-organizations/{id}",
            format!("/api/v1/social-organizations/{}", f.social_org),
            None,
            record(&[200]),
        ),
        (
            "PUT",
            "/api/v1/social-organizations/{id}/stage",
            format!("/api/v1/social-organizations/{}/stage", f.social_org),
            Some(json!({ "stage": "incubating" })),
            record(&[200]),
        ),
        (
            "POST",
            "/api/v1/social-organizations/{id}/services",
            format!("/api/v1/social-organizations/{}/services", f.social_org),
            Some(json!({ "name": "越权服务" })),
            record(&[200]),
        ),
        (
            "GET",
            "/api/v1/party-organizations/{id}",
            format!("/api/v1/party-organizations/{}", f.party_org),
            None,
            record(&[200]),
        ),
        ("GET", "/api/v1/party-members/{id}", format!("/api/v1/party-members/{}", f.member), None, record(&[200])),
        (
            "POST",
            "/api/v1/party-members/{id}/service-records",
            format!("/api/v1/party-members/{}/service-records", f.member),
            Some(json!({ "served_on": "2026-10-01", "hours": 1, "content": "越权服务记录" })),
            record(&[200]),
        ),
        (
            "GET",
            "/api/v1/party-activities/{id}",
            format!("/api/v1/party-activities/{}", f.party_activity),
            None,
            record(&[200]),
        ),
        (
            "POST",
            "/api/v1/party-activities/{id}/sign-in",
            format!("/api/v1/party-activities/{}/sign-in", f.party_activity),
            Some(json!({ "member_ids": [f.member] })),
            record(&[200]),
        ),
    ];
    for (method, route, path, body, allowed) in &calls {
        let r = m.call(c, method, route, path, body.as_ref()).await;
        check(m, &r, &format!("{method} {path}"), allowed);
    }

    // Creating records in the other district.
    let other_person = 0; // people are checked by id inside the app; an unknown id is refused the same way
    let creates: Vec<(&str, Value, &'static [u16])> = vec![
        (
            "/api/v1/meetings",
            json!({ "region_code": OTHER_COMMUNITY, "kind": "council", "topic": format!("越权议事{who}"), "starts_at": "2026-12-01T19:00", "place": "某处" }),
            create_elsewhere(keeps, &[201]),
        ),
        (
            "/api/v1/volunteers",
            json!({ "region_code": OTHER_COMMUNITY, "username": who }),
            create_elsewhere(keeps, &[201]),
        ),
        (
            "/api/v1/volunteer-teams",
            json!({ "region_code": OTHER_COMMUNITY, "name": format!("越权队{who}") }),
            create_elsewhere(keeps, &[201]),
        ),
        (
            "/api/v1/volunteer-activities",
            json!({ "region_code": OTHER_COMMUNITY, "title": format!("越权活动{who}"), "place": "某处", "starts_at": "2099-01-01T09:00", "ends_at": "2099-01-01T10:00", "capacity": 1 }),
            create_elsewhere(keeps, &[201]),
        ),
        (
            "/api/v1/co-building-units",
            json!({ "region_code": OTHER_COMMUNITY, "name": format!("越权单位{who}"), "kind": "other" }),
            create_elsewhere(keeps, &[201]),
        ),
        (
            "/api/v1/co-building-days",
            json!({ "region_code": OTHER_COMMUNITY, "held_on": "2026-11-01", "theme": "越权共建日", "content": "越权的共建日内容" }),
            create_elsewhere(keeps, &[201]),
        ),
        (
            "/api/v1/party-organizations",
            json!({ "region_code": OTHER_COMMUNITY, "kind": "branch", "name": format!("越权支部{who}") }),
            create_elsewhere(party, &[201]),
        ),
        (
            "/api/v1/party-members",
            json!({ "person_id": other_person, "kind": "in_service", "status": "full", "region_code": OTHER_COMMUNITY, "employer": "某单位", "commitment": "服务" }),
            create_elsewhere(party, &[400]),
        ),
        (
            "/api/v1/party-activities",
            json!({ "org_id": f.party_org, "kind": "lecture", "title": "越权党课", "held_at": "2026-11-01T09:00" }),
            create_elsewhere(party, &[201]),
        ),
    ];
    for (route, body, allowed) in &creates {
        let r = m.call(c, "POST", route, route, Some(body)).await;
        check(m, &r, &format!("POST {route} elsewhere"), allowed);
    }

    // Inside their own community, those who keep records create them; the rest are refused.
    if !admin {
        let body = json!({ "region_code": COMMUNITY1, "kind": "consultation", "topic": format!("民情恳谈{who}"), "starts_at": "2026-12-05T19:00", "place": "社区" });
        let r = m.call(c, "POST", "/api/v1/meetings", "/api/v1/meetings", Some(&body)).await;
        let allowed: &[u16] = if keeps {
            &[201]
        } else if who == "demo_resident" {
            &[403, 404]
        } else {
            &[403]
        };
        check(m, &r, "POST /meetings inside", allowed);
    }

    // The public reads answer anyone, and only for a community.
    for route in [
        "/api/v1/public/{code}/meetings",
        "/api/v1/public/{code}/volunteer-activities",
        "/api/v1/public/{code}/co-building",
        "/api/v1/public/{code}/party",
    ] {
        let r = m.call(c, "GET", route, &route.replace("{code}", COMMUNITY1), None).await;
        expect_status(who, route, &r, &[200]);
        let r = m.call(c, "GET", route, &route.replace("{code}", STREET1), None).await;
        expect_status(who, route, &r, &[404]);
    }
}

/// A published notice, a ledger entry (awaiting approval) and an open poll in the other district.
struct OtherParticipation {
    notice: i64,
    entry: i64,
    poll: i64,
    person: i64,
}

impl OtherParticipation {
    async fn new(admin: &Client, register: &Register) -> OtherParticipation {
        let (s, n) = admin
            .post(
                "/api/v1/notices",
                &json!({ "region_code": OTHER_COMMUNITY, "category": "residents", "title": "远山社区公告",
                    "body": "远山社区的公开内容", "publish": true }),
            )
            .await;
        assert_eq!(s, 201, "{n}");
        let (s, e) = admin
            .post(
                "/api/v1/ledger",
                &json!({ "region_code": OTHER_COMMUNITY, "direction": "income", "category": "donation",
                    "amount": 100, "occurred_on": "2026-01-05", "summary": "远山捐赠" }),
            )
            .await;
        assert_eq!(s, 201, "{e}");
        let (s, p) = admin
            .post(
                "/api/v1/polls",
                &json!({ "region_code": OTHER_COMMUNITY, "title": "远山调查", "open": true,
                    "questions": [{ "kind": "single", "text": "同意吗？", "options": ["同意", "不同意"] }] }),
            )
            .await;
        assert_eq!(s, 201, "{p}");
        let person = register.people.iter().find(|p| p.grid == OTHER_GRID).unwrap().id;
        OtherParticipation {
            notice: n["id"].as_i64().unwrap(),
            entry: e["id"].as_i64().unwrap(),
            poll: p["id"].as_i64().unwrap(),
            person,
        }
    }

    /// 居务公开: nobody reads, writes, approves, votes in or counts another district's records; roles without the
    /// permission are refused (403) before anything is looked up; the public reads answer anyone.
    async fn check(&self, m: &mut Matrix, c: &Client, case: &Case, leak: &[String]) {
        let who = case.user;
        let reads = matches!(
            who,
            "admin"
                | "demo_district"
                | "demo_street"
                | "demo_community"
                | "demo_grid_leader"
                | "demo_grid_worker"
                | "demo_leader"
        );
        let writes = matches!(who, "admin" | "demo_district" | "demo_street" | "demo_community");
        let records = writes || matches!(who, "demo_grid_leader" | "demo_grid_worker");
        let resident = who == "demo_resident";
        // A resident's own polls name their community and street, which the region matrix lists as outside.
        let leak: Vec<String> =
            if resident { leak.iter().filter(|n| n.contains("远山")).cloned().collect() } else { leak.to_vec() };
        let leak = leak.as_slice();
        // Another district's record: the admin's to see, nobody else's (404, never 403: nothing is learnt).
        let elsewhere: &[u16] = if case.admin { &[200] } else { &[404] };
        let call = async |m: &mut Matrix, method: &str, route: &str, path: String, body: Option<Value>| {
            let r = m.call(c, method, route, &path, body.as_ref()).await;
            if !case.admin && !route.starts_with("/api/v1/public/") {
                no_leak(who, &path, &r, leak);
                assert!(!r.1.to_string().contains("远山"), "{who}: {method} {path} leaks: {}", r.1);
            }
            r
        };

        // Lists: readers see only their scope (and polls covering it); others are refused.
        for route in ["/api/v1/notices", "/api/v1/ledger", "/api/v1/polls"] {
            let r = call(m, "GET", route, route.to_string(), None).await;
            expect_status(who, route, &r, if reads { &[200] } else { &[403] });
            if reads && !case.admin {
                for i in r.1["items"].as_array().unwrap() {
                    let region = i["region_code"].as_str().unwrap();
                    let within = case.inside.iter().any(|s| region.starts_with(s) || s.starts_with(region));
                    assert!(within, "{who}: {route} lists {region}: {i}");
                }
            }
        }
        for route in ["/api/v1/ledger-summary", "/api/v1/happiness"] {
            let path = format!("{route}?region={OTHER_COMMUNITY}");
            let r = call(m, "GET", route, path, None).await;
            expect_status(
                who,
                route,
                &r,
                if case.admin {
                    &[200]
                } else if reads {
                    &[404]
                } else {
                    &[403, 404]
                },
            );
            let r = call(m, "GET", route, route.to_string(), None).await;
            expect_status(who, route, &r, if reads { &[200] } else { &[403] });
        }

        // One record of the other district.
        let notice = format!("/api/v1/notices/{}", self.notice);
        let r = call(m, "GET", "/api/v1/notices/{id}", notice.clone(), None).await;
        expect_status(who, &notice, &r, elsewhere);
        let edit = json!({ "category": "residents", "title": "远山社区公告", "body": "远山社区的公开内容" });
        let r = call(m, "PUT", "/api/v1/notices/{id}", notice.clone(), Some(edit)).await;
        expect_status(who, "PUT notice", &r, elsewhere);
        let r = call(
            m,
            "POST",
            "/api/v1/notices/{id}/actions",
            format!("{notice}/actions"),
            Some(json!({ "action": "pin" })),
        )
        .await;
        expect_status(who, "pin notice", &r, elsewhere);
        let entry = format!("/api/v1/ledger/{}", self.entry);
        let r = call(m, "GET", "/api/v1/ledger/{id}", entry.clone(), None).await;
        expect_status(who, &entry, &r, elsewhere);
        let body = json!({ "decision": "approve" });
        let r = call(m, "POST", "/api/v1/ledger/{id}/decision", format!("{entry}/decision"), Some(body)).await;
        // The admin entered it and may not approve it.
        expect_status(who, "decide", &r, if case.admin { &[422] } else { &[404] });
        let body = json!({ "reason": "越权冲销" });
        let r = call(m, "POST", "/api/v1/ledger/{id}/reversal", format!("{entry}/reversal"), Some(body)).await;
        expect_status(who, "reverse", &r, if case.admin { &[409] } else { &[404] });
        let poll = format!("/api/v1/polls/{}", self.poll);
        for route in ["/api/v1/polls/{id}", "/api/v1/polls/{id}/results", "/api/v1/polls/{id}/results.xlsx"] {
            let path = route.replace("{id}", &self.poll.to_string());
            let r = call(m, "GET", route, path.clone(), None).await;
            expect_status(who, &path, &r, elsewhere);
        }
        let r = call(m, "PUT", "/api/v1/polls/{id}", poll.clone(), Some(json!({ "title": "远山调查" }))).await;
        expect_status(who, "PUT poll", &r, elsewhere);
        let r =
            call(m, "POST", "/api/v1/polls/{id}/actions", format!("{poll}/actions"), Some(json!({ "action": "open" })))
                .await;
        expect_status(who, "open poll", &r, if case.admin { &[409] } else { &[404] });
        // Only residents vote online, and only in their own region's polls.
        let ballot = json!({ "answers": [0] });
        let r = call(m, "POST", "/api/v1/polls/{id}/ballots", format!("{poll}/ballots"), Some(ballot)).await;
        expect_status(who, "vote elsewhere", &r, if resident { &[404] } else { &[403] });
        let paper = json!({ "person_id": self.person, "answers": [1] });
        let r = call(m, "POST", "/api/v1/polls/{id}/paper-ballots", format!("{poll}/paper-ballots"), Some(paper)).await;
        let expected: &[u16] = if case.admin {
            &[201]
        } else if records {
            &[404]
        } else {
            &[403]
        };
        expect_status(who, "paper ballot elsewhere", &r, expected);
        let r = call(m, "GET", "/api/v1/me/polls", "/api/v1/me/polls".into(), None).await;
        expect_status(who, "my polls", &r, if resident { &[200] } else { &[404] });

        // Writing for the other district: refused as an unknown region (writers) or for the role (others).
        let expected: &[u16] = if case.admin {
            &[201]
        } else if writes {
            &[400]
        } else {
            &[403]
        };
        let bodies = [
            (
                "/api/v1/notices",
                json!({ "region_code": OTHER_COMMUNITY, "category": "service", "title": "越权公告", "body": "越权的内容" }),
            ),
            (
                "/api/v1/ledger",
                json!({ "region_code": OTHER_COMMUNITY, "direction": "expense", "category": "office",
                "amount": 10, "occurred_on": "2026-01-06", "summary": "越权支出" }),
            ),
            (
                "/api/v1/polls",
                json!({ "region_code": OTHER_COMMUNITY, "title": "越权调查",
                "questions": [{ "kind": "text", "text": "意见" }] }),
            ),
        ];
        for (route, body) in bodies {
            let r = call(m, "POST", route, route.into(), Some(body)).await;
            expect_status(who, &format!("POST {route} elsewhere"), &r, expected);
            if r.0 == 400 {
                assert_eq!(r.1["error"]["details"]["field"], "region_code", "{who}: {}", r.1);
            }
        }

        // The public portal answers everyone, and never shows another community's records through this one.
        for route in [
            "/api/v1/public/{code}/notices",
            "/api/v1/public/{code}/ledger",
            "/api/v1/public/{code}/polls",
            "/api/v1/public/{code}/happiness",
        ] {
            let path = route.replace("{code}", COMMUNITY1);
            let r = call(m, "GET", route, path.clone(), None).await;
            expect_status(who, &path, &r, &[200]);
            assert!(!r.1.to_string().contains("远山"), "{who}: {path} shows another district's record");
        }
        for (route, id) in [
            ("/api/v1/public/{code}/notices/{id}", self.notice),
            ("/api/v1/public/{code}/polls/{id}", self.poll),
            ("/api/v1/public/{code}/files/{id}", 1),
        ] {
            let path = route.replace("{code}", COMMUNITY1).replace("{id}", &id.to_string());
            let r = call(m, "GET", route, path.clone(), None).await;
            expect_status(who, &path, &r, &[404]);
        }
    }
}

/// Resident services in the other district: an application, an appointment, an admission entry and a task pushed
/// there by the admin, which nobody else reads, works, books, edits or counts.
struct OtherServices {
    application: i64,
    appointment: i64,
    entry: i64,
    task: i64,
    person: i64,
}

impl OtherServices {
    async fn new(admin: &Client, register: &Register) -> OtherServices {
        let person = register.people.iter().find(|p| p.grid == OTHER_GRID).unwrap().id;
        let (s, a) = admin
            .post(
                "/api/v1/applications",
                &json!({ "item_code": "ZM01", "person_id": person, "received": ["居民身份证", "房屋租赁合同或不动产权证书"] }),
            )
            .await;
        assert_eq!(s, 201, "{a}");
        let (_, day) =
            admin.get(&format!("/api/v1/service-slots?community={OTHER_COMMUNITY}&date={}", later_weekday())).await;
        let start = day["slots"][0]["start"].clone();
        let (s, ap) = admin.post("/api/v1/appointments", &json!({ "start": start, "person_id": person })).await;
        assert_eq!(s, 201, "{ap}");
        let (s, e) = admin
            .post(
                "/api/v1/admission-items",
                &json!({ "department_code": "chengguan", "code": "CG-OT-01", "name": "远山垃圾分类督导",
                    "region_code": OTHER_DISTRICT, "basis": "远山区社区工作事项准入清单", "approved_on": "2026-01-01" }),
            )
            .await;
        assert_eq!(s, 201, "{e}");
        let (s, t) = admin
            .post(
                "/api/v1/community-tasks",
                &json!({ "department_code": "chengguan", "item_code": "CG-OT-01", "title": "远山督导任务",
                    "communities": [OTHER_COMMUNITY] }),
            )
            .await;
        assert_eq!(s, 201, "{t}");
        OtherServices {
            application: a["id"].as_i64().unwrap(),
            appointment: ap["id"].as_i64().unwrap(),
            entry: e["id"].as_i64().unwrap(),
            task: t[0]["id"].as_i64().unwrap(),
            person,
        }
    }

    async fn check(&self, m: &mut Matrix, c: &Client, case: &Case, leak: &[String]) {
        let who = case.user;
        let admin = case.admin;
        let resident = who == "demo_resident";
        let reads = matches!(
            who,
            "admin"
                | "demo_district"
                | "demo_street"
                | "demo_community"
                | "demo_grid_leader"
                | "demo_grid_worker"
                | "demo_department"
                | "demo_minzheng"
        );
        let accepts = reads && who != "demo_department";
        let stats = reads && who != "demo_grid_worker" || who == "demo_leader";
        let editor = admin || who == "demo_district";
        let other = |_what: &str| -> &'static [u16] { if admin { &[200, 201, 409] } else { &[403, 404] } };
        m.covered.insert(("POST".into(), "/api/v1/service-uploads".into()));
        let boundary = "matrixBoundary";
        let mut upload_body =
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.exe\"\r\n\r\n")
                .into_bytes();
        upload_body.extend_from_slice(b"MZ\x90\x00\r\n--matrixBoundary--\r\n");
        let r = into_resp(
            c.request(reqwest::Method::POST, "/api/v1/service-uploads")
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(upload_body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        expect_status(who, "POST /service-uploads (exe)", &r, if accepts || resident { &[400] } else { &[403] });
        let mut call = async |method: &str, route: &str, path: String, body: Option<Value>, allowed: &[u16]| {
            let r = m.call(c, method, route, &path, body.as_ref()).await;
            expect_status(who, &format!("{method} {path}"), &r, allowed);
            if !admin {
                no_leak(who, &path, &r, leak);
                assert!(!r.1.to_string().contains("远山"), "{who}: {method} {path} leaks: {}", r.1);
            }
            r
        };
        // The catalogue: everyone reads it, the district keeps it.
        call("GET", "/api/v1/service-categories", "/api/v1/service-categories".into(), None, &[200]).await;
        call("GET", "/api/v1/service-items", "/api/v1/service-items".into(), None, &[200]).await;
        call("GET", "/api/v1/service-items/{code}", "/api/v1/service-items/ZM01".into(), None, &[200]).await;
        let bad: &[u16] = if editor { &[400] } else { &[403] };
        call(
            "PUT",
            "/api/v1/service-items/{code}",
            "/api/v1/service-items/ZM01".into(),
            Some(json!({ "category_code": "certificates", "name": "", "time_limit_days": 0 })),
            bad,
        )
        .await;
        call(
            "PUT",
            "/api/v1/service-categories/{code}",
            "/api/v1/service-categories/civil".into(),
            Some(json!({ "name": "" })),
            bad,
        )
        .await;
        // Applications: the other district's is nobody else's.
        let r = call(
            "GET",
            "/api/v1/applications",
            "/api/v1/applications?limit=500".into(),
            None,
            if reads { &[200] } else { &[403] },
        )
        .await;
        if r.0 == 200 && !admin {
            assert!(!r.1["items"].as_array().unwrap().iter().any(|i| i["id"] == self.application), "{who}");
        }
        call(
            "GET",
            "/api/v1/applications",
            format!("/api/v1/applications?region={OTHER_DISTRICT}"),
            None,
            other("list"),
        )
        .await;
        call(
            "GET",
            "/api/v1/applications/{id}",
            format!("/api/v1/applications/{}", self.application),
            None,
            other("get"),
        )
        .await;
        call(
            "POST",
            "/api/v1/applications/{id}/actions",
            format!("/api/v1/applications/{}/actions", self.application),
            Some(json!({ "action": "supplement", "note": "越权" })),
            other("act"),
        )
        .await;
        let body = json!({ "item_code": "ZM01", "person_id": self.person, "received": ["居民身份证", "房屋租赁合同或不动产权证书"] });
        let expect: &[u16] = if admin {
            &[409]
        } else if accepts {
            &[400]
        } else {
            &[400, 403]
        };
        call("POST", "/api/v1/applications", "/api/v1/applications".into(), Some(body), expect).await;
        call(
            "GET",
            "/api/v1/me/applications",
            "/api/v1/me/applications".into(),
            None,
            if resident { &[200] } else { &[404] },
        )
        .await;
        call("GET", "/api/v1/service-stats", "/api/v1/service-stats".into(), None, if stats { &[200] } else { &[403] })
            .await;
        call(
            "GET",
            "/api/v1/service-stats",
            format!("/api/v1/service-stats?region={OTHER_DISTRICT}"),
            None,
            other("stats"),
        )
        .await;
        call("GET", "/api/v1/notifications", "/api/v1/notifications".into(), None, &[200]).await;
        call("POST", "/api/v1/notifications/read", "/api/v1/notifications/read".into(), Some(json!({})), &[200]).await;
        // Stations, slots and appointments of the other district.
        call(
            "GET",
            "/api/v1/service-hours",
            format!("/api/v1/service-hours?community={OTHER_COMMUNITY}"),
            None,
            other("hours"),
        )
        .await;
        let hours = json!({ "hours": [{ "weekday": 1, "start": "09:00", "end": "12:00" }] });
        call(
            "PUT",
            "/api/v1/service-hours/{community}",
            format!("/api/v1/service-hours/{OTHER_COMMUNITY}"),
            Some(hours),
            other("put hours"),
        )
        .await;
        call(
            "GET",
            "/api/v1/service-slots",
            format!("/api/v1/service-slots?community={OTHER_COMMUNITY}"),
            None,
            other("slots"),
        )
        .await;
        call(
            "GET",
            "/api/v1/appointments",
            format!("/api/v1/appointments?community={OTHER_COMMUNITY}"),
            None,
            other("appointments"),
        )
        .await;
        let book = json!({ "start": "2099-01-05 09:00", "person_id": self.person });
        call("POST", "/api/v1/appointments", "/api/v1/appointments".into(), Some(book), &[400, 403]).await;
        let path = format!("/api/v1/appointments/{}/actions", self.appointment);
        call(
            "POST",
            "/api/v1/appointments/{id}/actions",
            path,
            Some(json!({ "action": "arrive" })),
            if admin { &[200, 409] } else { &[403, 404] },
        )
        .await;
        // The admission list and tasks.
        let reads_tasks = matches!(
            who,
            "admin"
                | "demo_district"
                | "demo_street"
                | "demo_community"
                | "demo_grid_leader"
                | "demo_department"
                | "demo_minzheng"
                | "demo_leader"
        );
        call(
            "GET",
            "/api/v1/admission-items",
            "/api/v1/admission-items".into(),
            None,
            if reads_tasks { &[200] } else { &[403] },
        )
        .await;
        call(
            "GET",
            "/api/v1/admission-items",
            format!("/api/v1/admission-items?community={OTHER_COMMUNITY}"),
            None,
            other("entries"),
        )
        .await;
        let entry = json!({ "department_code": "chengguan", "code": format!("CG-MX-{}", who.len()), "name": "越权事项",
            "region_code": OTHER_DISTRICT, "basis": "越权准入依据", "approved_on": "2026-01-01" });
        call(
            "POST",
            "/api/v1/admission-items",
            "/api/v1/admission-items".into(),
            Some(entry),
            if admin { &[201] } else { &[400, 403] },
        )
        .await;
        call(
            "PATCH",
            "/api/v1/admission-items/{id}",
            format!("/api/v1/admission-items/{}", self.entry),
            Some(json!({ "funding": 100 })),
            if admin { &[200] } else { &[403, 404] },
        )
        .await;
        let r = call(
            "GET",
            "/api/v1/community-tasks",
            "/api/v1/community-tasks?limit=500".into(),
            None,
            if reads_tasks { &[200] } else { &[403] },
        )
        .await;
        if r.0 == 200 && !admin {
            assert!(!r.1["items"].as_array().unwrap().iter().any(|t| t["id"] == self.task), "{who}");
        }
        let push = json!({ "department_code": "chengguan", "item_code": "CG-OT-01", "title": "越权任务", "communities": [OTHER_COMMUNITY] });
        call(
            "POST",
            "/api/v1/community-tasks",
            "/api/v1/community-tasks".into(),
            Some(push),
            if admin { &[201] } else { &[400, 403] },
        )
        .await;
        let path = format!("/api/v1/community-tasks/{}/actions", self.task);
        call(
            "POST",
            "/api/v1/community-tasks/{id}/actions",
            path,
            Some(json!({ "action": "accept" })),
            if admin { &[200, 409] } else { &[403, 404] },
        )
        .await;
        call(
            "GET",
            "/api/v1/admission-report",
            format!("/api/v1/admission-report?region={OTHER_DISTRICT}"),
            None,
            other("report"),
        )
        .await;
    }
}

/// A Monday at least two days ahead that is not a holiday (the other district's station opens then).
fn later_weekday() -> String {
    use chrono::Datelike;
    let cal = wangge_domain::event::WorkCalendar::default();
    let today = wangge_domain::event::calendar::cst_day(now_ms());
    (2..30)
        .map(|d| today + chrono::Duration::days(d))
        .find(|d| d.weekday() == chrono::Weekday::Mon && cal.day_kind(*d).is_none())
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

/// A 一表通 table of the other district (admitted there by the services fixture's list entry).
struct OtherDataRequest {
    id: i64,
    row: i64,
}

impl OtherDataRequest {
    async fn new(admin: &Client) -> OtherDataRequest {
        let (s, r) = admin
            .post(
                "/api/v1/data-requests",
                &json!({ "title": "远山出租房屋核查", "department_code": "chengguan", "item_code": "CG-OT-01",
                    "region_code": OTHER_COMMUNITY, "population": "houses", "due_on": "2099-12-31",
                    "columns": [{ "field": "address" }, { "field": "usage" }, { "label": "远山备注" }] }),
            )
            .await;
        assert_eq!(s, 201, "{r}");
        let id = r["id"].as_i64().unwrap();
        let (_, rows) = admin.get(&format!("/api/v1/data-requests/{id}/rows")).await;
        OtherDataRequest { id, row: rows["items"][0]["id"].as_i64().unwrap() }
    }

    async fn check(&self, m: &mut Matrix, c: &Client, case: &Case, leak: &[String]) {
        let who = case.user;
        let admin = case.admin;
        let requests = matches!(who, "admin" | "demo_district" | "demo_street" | "demo_department" | "demo_minzheng");
        let mut call = async |method: &str, route: &str, path: String, body: Option<Value>, allowed: &[u16]| {
            let r = m.call(c, method, route, &path, body.as_ref()).await;
            expect_status(who, &format!("{method} {path}"), &r, allowed);
            if !admin {
                no_leak(who, &path, &r, leak);
                assert!(!r.1.to_string().contains("远山"), "{who}: {method} {path} leaks: {}", r.1);
            }
            r
        };
        let r = call("GET", "/api/v1/data-requests", "/api/v1/data-requests".into(), None, &[200, 403]).await;
        if who == "demo_resident" {
            assert_eq!(r.0, 403, "a resident has no tables");
        }
        call("GET", "/api/v1/data-requests/report", "/api/v1/data-requests/report".into(), None, &[200, 403]).await;
        call(
            "GET",
            "/api/v1/data-requests/fields",
            "/api/v1/data-requests/fields?population=people".into(),
            None,
            if requests { &[200] } else { &[403] },
        )
        .await;
        // Not multipart: refused before anything is read, whoever asks.
        call(
            "POST",
            "/api/v1/data-requests/template",
            "/api/v1/data-requests/template?population=people".into(),
            Some(json!({})),
            &[400, 403, 415],
        )
        .await;
        let table = json!({ "title": "越权报表", "department_code": "chengguan", "item_code": "CG-OT-01",
            "region_code": OTHER_COMMUNITY, "population": "houses", "due_on": "2099-12-31", "columns": [{ "field": "address" }] });
        call(
            "POST",
            "/api/v1/data-requests",
            "/api/v1/data-requests".into(),
            Some(table),
            if admin { &[201] } else { &[403, 404] },
        )
        .await;
        let elsewhere: &[u16] = if admin { &[200] } else { &[404] };
        call("GET", "/api/v1/data-requests/{id}", format!("/api/v1/data-requests/{}", self.id), None, elsewhere).await;
        call(
            "GET",
            "/api/v1/data-requests/{id}/rows",
            format!("/api/v1/data-requests/{}/rows", self.id),
            None,
            elsewhere,
        )
        .await;
        call(
            "GET",
            "/api/v1/data-requests/{id}/result.xlsx",
            format!("/api/v1/data-requests/{}/result.xlsx", self.id),
            None,
            elsewhere,
        )
        .await;
        call(
            "POST",
            "/api/v1/data-requests/rows/{row_id}/answer",
            format!("/api/v1/data-requests/rows/{}/answer", self.row),
            Some(json!({ "values": { "x1": "越权" } })),
            elsewhere,
        )
        .await;
    }
}
