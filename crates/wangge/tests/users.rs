//! Accounts with several (role, region) pairs, over the API and the command line (DESIGN.md §1, §3, §4).

mod common;

use common::*;
use serde_json::{Value, json};
use wangge_testkit::TestDb;

fn audit_has(items: &[Value], actor: &str, action: &str, object: &str) -> bool {
    items.iter().any(|i| i["actor"] == actor && i["action"] == action && i["object"] == object)
}

async fn users(db: TestDb) {
    let srv = Server::demo(db);
    let admin = srv.admin().await;

    // Two grants in different subtrees: a grid in the second street, and the whole first street as mediator.
    let new = json!({
        "username": "multi_role",
        "display_name": "多角色 用户",
        "password": "multi-pass-123",
        "roles": [
            { "role": "grid_worker", "region_code": "33019900200101" },
            { "role": "mediator", "region_code": STREET1 },
        ],
    });
    let (s, u) = admin.post("/api/v1/users", &new).await;
    assert_eq!(s, 201, "{u}");
    assert_eq!(u["username"], "multi_role");
    assert_eq!(u["display_name"], "多角色 用户");
    assert!(
        u.get("password").is_none() && u.get("password_hash").is_none() && !u.to_string().contains("argon2"),
        "{u}"
    );
    let expected_roles = json!([
        { "role": "grid_worker", "region_code": "33019900200101" },
        { "role": "mediator", "region_code": STREET1 },
    ]);
    let sorted = |v: &Value| {
        let mut a = v.as_array().unwrap().clone();
        a.sort_by_key(|x| x.to_string());
        a
    };
    assert_eq!(sorted(&u["roles"]), sorted(&expected_roles));

    // Listed by role, with its (role, region) pairs.
    let (s, list) = admin.get("/api/v1/users?role=mediator").await;
    assert_eq!(s, 200);
    let items = list["items"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|i| i["username"].as_str().unwrap()).collect();
    assert!(names.contains(&"multi_role") && names.contains(&"demo_mediator"), "{names:?}");
    assert!(!names.contains(&"demo_street"), "only mediators: {names:?}");
    assert_eq!(list["total"], items.len());
    let listed = items.iter().find(|i| i["username"] == "multi_role").unwrap();
    assert_eq!(sorted(&listed["roles"]), sorted(&expected_roles));
    let (_, list) = admin.get("/api/v1/users?role=grid_worker").await;
    assert!(list["items"].as_array().unwrap().iter().any(|i| i["username"] == "multi_role"));
    let (_, dept) = admin.get("/api/v1/users?role=department").await;
    let d =
        dept["items"].as_array().unwrap().iter().find(|i| i["username"] == "demo_department").expect("demo_department");
    assert_eq!(d["roles"][0]["department_code"], "chengguan", "department grants carry the department: {d}");
    assert_field(&admin.get("/api/v1/users?role=king").await, "role");
    let all = admin.all_items("/api/v1/users").await;
    assert_eq!(all.len(), 12, "admin + 10 demo accounts + the new one");
    let (s, one) = admin.get("/api/v1/users/multi_role").await;
    assert_eq!(s, 200);
    assert_eq!(sorted(&one["roles"]), sorted(&expected_roles));
    assert_error(&admin.get("/api/v1/users/nobody_here").await, 404, "not_found", None);

    // Usernames are case-insensitive: "Multi_Role" is the same account, for login and for a new user alike.
    let (s, _) = srv.client().try_login("Multi_Role", "multi-pass-123").await;
    assert_eq!(s, 200, "login ignores the case of the username");
    let dup = json!({ "username": "MULTI_ROLE", "password": "good-pass-123", "roles": [{ "role": "grid_worker", "region_code": GRID1 }] });
    assert_error(&admin.post("/api/v1/users", &dup).await, 409, "conflict", None);

    // The user sees exactly both subtrees.
    let u = srv.login("multi_role", "multi-pass-123").await;
    let (s, top) = u.get("/api/v1/regions").await;
    assert_eq!(s, 200);
    assert_eq!(codes(top["items"].as_array().unwrap()), vec![STREET1, "33019900200101"]);
    assert_eq!(top["total"], 2);
    assert_eq!(u.get("/api/v1/regions/330199001002").await.0, 200);
    assert_eq!(u.get("/api/v1/regions/33019900200101").await.0, 200);
    assert_eq!(u.get("/api/v1/regions/33019900200102").await.0, 404, "the neighbouring grid");
    assert_eq!(u.get("/api/v1/regions/330199002").await.0, 404, "the grid's street");
    assert_eq!(u.get("/api/v1/regions/330199").await.0, 404);
    assert_eq!(u.get("/api/v1/users").await.0, 403);

    // Adding a role widens the scope.
    let (s, r) =
        admin.post("/api/v1/users/multi_role/roles", &json!({ "role": "leader", "region_code": DISTRICT })).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["roles"].as_array().unwrap().len(), 3);
    assert_eq!(u.get("/api/v1/regions/330199002").await.0, 200, "the new grant applies to the existing session");
    let (_, top) = u.get("/api/v1/regions").await;
    assert_eq!(codes(top["items"].as_array().unwrap()), vec![DISTRICT], "nested roots collapse");
    let again =
        admin.post("/api/v1/users/multi_role/roles", &json!({ "role": "leader", "region_code": DISTRICT })).await;
    assert_error(&again, 409, "conflict", None);
    let r = admin.post("/api/v1/users/nobody_here/roles", &json!({ "role": "leader", "region_code": DISTRICT })).await;
    assert_error(&r, 404, "not_found", None);
    let r = admin.post("/api/v1/users/multi_role/roles", &json!({ "role": "leader", "region_code": "330100" })).await;
    assert_field(&r, "roles[0].region_code");

    // Bad inputs: 400 naming the field, 409 for a taken name, and nothing written.
    let base =
        |username: &str, roles: Value| json!({ "username": username, "password": "good-pass-123", "roles": roles });
    let gw = json!([{ "role": "grid_worker", "region_code": GRID1 }]);
    let cases: Vec<(Value, &str)> = vec![
        (base("bad_role", json!([{ "role": "superuser", "region_code": GRID1 }])), "roles[0].role"),
        (
            base(
                "bad_role2",
                json!([{ "role": "grid_worker", "region_code": GRID1 }, { "role": "Street", "region_code": STREET1 }]),
            ),
            "roles[1].role",
        ),
        (base("no_region", json!([{ "role": "grid_worker" }])), "roles[0].region_code"),
        (
            base("bad_region", json!([{ "role": "grid_worker", "region_code": "33019900109999" }])),
            "roles[0].region_code",
        ),
        (base("bad_region2", json!([{ "role": "street", "region_code": "33019a" }])), "roles[0].region_code"),
        (base("no_dept", json!([{ "role": "department", "region_code": DISTRICT }])), "roles[0].department_code"),
        (
            base("bad_dept", json!([{ "role": "department", "region_code": DISTRICT, "department_code": "nasa" }])),
            "roles[0].department_code",
        ),
        (
            base("extra_dept", json!([{ "role": "street", "region_code": STREET1, "department_code": "chengguan" }])),
            "roles[0].department_code",
        ),
        (base("no_roles", json!([])), "roles"),
        // A grid worker works in a grid, a street centre in a street: a grant at another level is refused.
        (base("gw_district", json!([{ "role": "grid_worker", "region_code": DISTRICT }])), "roles[0].region_code"),
        (base("street_grid", json!([{ "role": "street", "region_code": GRID1 }])), "roles[0].region_code"),
        (
            base(
                "twice",
                json!([{ "role": "grid_worker", "region_code": GRID1 }, { "role": "grid_worker", "region_code": GRID1 }]),
            ),
            "roles[1]",
        ),
        (json!({ "username": "spaces", "password": "          ", "roles": gw }), "password"),
        (json!({ "username": "short_pw", "password": "short", "roles": gw }), "password"),
        (json!({ "username": "no_pw", "roles": gw }), "password"),
        (base("bad name", gw.clone()), "username"),
        (base("名字", gw.clone()), "username"),
        (base("", gw.clone()), "username"),
        (base(&"x".repeat(65), gw.clone()), "username"),
        (json!({ "username": "extra", "password": "good-pass-123", "roles": gw, "is_admin": true }), "is_admin"),
        (
            json!({ "username": "extra2", "password": "good-pass-123", "roles": [{ "role": "grid_worker", "region_code": GRID1, "x": 1 }] }),
            "roles[0].x",
        ),
    ];
    for (body, field) in cases {
        let r = admin.post("/api/v1/users", &body).await;
        assert_field(&r, field);
        if let Some(name) =
            body["username"].as_str().filter(|n| !n.is_empty() && n.is_ascii() && !n.contains(' ') && n.len() <= 64)
        {
            assert_eq!(admin.get(&format!("/api/v1/users/{name}")).await.0, 404, "nothing written for {body}");
        }
    }
    // The same grant twice in one request: refused, and no half-written user.
    let twice =
        json!([{ "role": "grid_worker", "region_code": GRID1 }, { "role": "grid_worker", "region_code": GRID1 }]);
    let (s, b) = admin.post("/api/v1/users", &base("twice", twice)).await;
    assert!(s == 400 || s == 409, "duplicate grants: {s} {b}");
    assert!(b["error"]["code"].is_string(), "{b}");
    assert_eq!(admin.get("/api/v1/users/twice").await.0, 404, "no user without its grants");
    let dup = admin.post("/api/v1/users", &base("demo_street", gw.clone())).await;
    assert_error(&dup, 409, "conflict", None);
    let (_, ds) = admin.get("/api/v1/users/demo_street").await;
    assert_eq!(ds["roles"], json!([{ "role": "street", "region_code": STREET1 }]), "the existing user is unchanged");
    // The existing user's password still works (the failed create did not overwrite it).
    srv.login("demo_street", DEMO_PW).await;
    assert_eq!(admin.all_items("/api/v1/users").await.len(), 12, "no user written by bad input");

    // A department user with its department.
    let (s, r) = admin
        .post(
            "/api/v1/users",
            &base(
                "dept_user",
                json!([{ "role": "department", "region_code": STREET1, "department_code": "minzheng" }]),
            ),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["roles"], json!([{ "role": "department", "region_code": STREET1, "department_code": "minzheng" }]));

    // The command line: password on stdin.
    let run = wangge_on(
        srv.db(),
        &["user", "add", "cli_worker", "--role", "grid_worker", "--region", GRID2],
        Some("cli-pass-123\n"),
    );
    expect_code(&run, 0, "wangge user add");
    assert!(!run.1.contains("cli-pass-123") && !run.2.contains("cli-pass-123"), "the password is not echoed");
    let w = srv.login("cli_worker", "cli-pass-123").await;
    let (_, top) = w.get("/api/v1/regions").await;
    assert_eq!(codes(top["items"].as_array().unwrap()), vec![GRID2]);
    // Unknown region: exit 1, a message, no user.
    let run = wangge_on(
        srv.db(),
        &["user", "add", "cli_ghost", "--role", "grid_worker", "--region", "33019900109999"],
        Some("cli-pass-123\n"),
    );
    expect_code(&run, 1, "wangge user add with an unknown region");
    assert!(run.2.contains("33019900109999") || run.2.contains("region"), "stderr explains: {}", run.2);
    assert_eq!(admin.get("/api/v1/users/cli_ghost").await.0, 404);
    // A short password from stdin, an unknown role, a taken name: exit 1, nothing written.
    let run =
        wangge_on(srv.db(), &["user", "add", "cli_short", "--role", "grid_worker", "--region", GRID1], Some("short\n"));
    expect_code(&run, 1, "short password");
    assert!(run.2.contains("password"), "{}", run.2);
    assert_eq!(admin.get("/api/v1/users/cli_short").await.0, 404);
    let run = wangge_on(
        srv.db(),
        &["user", "add", "cli_role", "--role", "emperor", "--region", GRID1],
        Some("cli-pass-123\n"),
    );
    expect_code(&run, 1, "unknown role");
    let run = wangge_on(
        srv.db(),
        &["user", "add", "cli_worker", "--role", "grid_worker", "--region", GRID1],
        Some("cli-pass-456\n"),
    );
    expect_code(&run, 1, "taken name");
    srv.login("cli_worker", "cli-pass-123").await;
    // Usage errors.
    expect_code(
        &wangge_on(srv.db(), &["user", "add", "cli_x", "--region", GRID1], Some("cli-pass-123\n")),
        2,
        "missing --role",
    );
    // The list.
    let run = wangge_on(srv.db(), &["user", "list", "--role", "grid_worker"], None);
    expect_code(&run, 0, "wangge user list");
    assert!(run.1.lines().any(|l| l.starts_with("cli_worker") && l.contains(GRID2)), "{}", run.1);
    assert!(run.1.lines().any(|l| l.starts_with("demo_grid_worker")), "{}", run.1);
    assert!(!run.1.lines().any(|l| l.starts_with("demo_street")), "only grid workers: {}", run.1);
    let run = wangge_on(srv.db(), &["user", "list"], None);
    expect_code(&run, 0, "wangge user list");
    assert!(run.1.contains("multi_role") && run.1.contains("admin"));
    expect_code(&wangge_on(srv.db(), &["user", "list", "--role", "king"], None), 1, "unknown role");

    // Every successful write is audited; failed ones are not.
    let audit = admin.all_items("/api/v1/audit?action=create").await;
    assert!(audit_has(&audit, "admin", "create", "user:multi_role"), "{audit:?}");
    assert!(audit_has(&audit, "admin", "create", "user:dept_user"));
    assert!(audit.iter().any(|i| i["action"] == "create" && i["object"] == "user:cli_worker"), "CLI creations too");
    for ghost in ["user:cli_ghost", "user:cli_short", "user:no_dept", "user:bad_role"] {
        assert!(!audit.iter().any(|i| i["object"] == ghost), "{ghost} was never created");
    }
    let grants = admin.all_items("/api/v1/audit?action=grant").await;
    assert!(audit_has(&grants, "admin", "grant", "user:multi_role"), "{grants:?}");
    assert_eq!(grants.len(), 1, "the refused grants are not audited: {grants:?}");

    srv.finish().await;
}

both_backends!(users);
