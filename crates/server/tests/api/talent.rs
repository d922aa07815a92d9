//! Host recruitment: a candidate through three rounds to hire, with the refusals on the way.

use crate::common::{assert_error, TestApp};
use reqwest::{Method, StatusCode};
use sellstream_accounts::Role;
use sellstream_core::Timestamp;
use serde_json::{json, Value};

fn sheet(v: [i64; 5]) -> Value {
    json!({"scores": {"image": v[0], "expression": v[1], "adaptability": v[2],
                      "product_knowledge": v[3], "rapport": v[4]}, "notes": "镜头感好"})
}

async fn a_candidate_goes_through_three_rounds_to_be_hired(app: TestApp) {
    let tm = app.staff("hrm", &[Role::TalentManager]).await;
    let iv1 = app.staff("ivan", &[Role::Operator]).await;
    let iv2 = app.staff("iris", &[Role::Host]).await;
    let me = |t: &str| {
        let t = t.to_owned();
        let app = &app;
        async move {
            app.get("/api/v1/auth/me", &t).await.1["id"]
                .as_i64()
                .unwrap()
        }
    };
    let (iv1_id, iv2_id) = (me(&iv1).await, me(&iv2).await);
    // The talent manager finds interviewers among the staff.
    let (s, staff) = app.get("/api/v1/staff?q=iris", &tm).await;
    assert_eq!(
        (s, &staff["items"][0]["id"]),
        (StatusCode::OK, &json!(iv2_id))
    );

    let new = json!({"name": "林小满", "phone": "138 0000 1111", "email": "Xiaoman@Example.com",
                     "cv_url": "https://example.com/cv.pdf", "video_url": "https://example.com/demo.mp4",
                     "categories": ["美妆", "服饰"], "source": "内推", "consent": true});
    let (s, c) = app.post("/api/v1/candidates", &tm, new.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    assert_eq!(
        (&c["stage"], &c["phone"]),
        (&json!("initial"), &json!("138 0000 1111"))
    );
    assert_eq!(c["email"], "xiaoman@example.com");

    // Duplicates by phone digits or email, whatever the spelling; consent and a way to reach them.
    for (body, code) in [
        (
            json!({"name": "别人", "phone": "13800001111", "consent": true}),
            "already_exists",
        ),
        (
            json!({"name": "别人", "email": "XIAOMAN@example.com", "consent": true}),
            "already_exists",
        ),
        (
            json!({"name": "别人", "phone": "13900002222", "consent": false}),
            "validation_failed",
        ),
        (
            json!({"name": "别人", "consent": true}),
            "validation_failed",
        ),
        (
            json!({"name": "", "phone": "13900002222", "consent": true}),
            "validation_failed",
        ),
        (
            json!({"name": "别人", "email": "not-an-email", "consent": true}),
            "validation_failed",
        ),
    ] {
        let e = app.post("/api/v1/candidates", &tm, body).await;
        assert_eq!(e.1["error"]["code"], code, "{}", e.1);
    }
    assert_error(
        &app.post("/api/v1/candidates", &iv1, new.clone()).await,
        403,
        "forbidden",
    );
    assert_error(&app.get("/api/v1/candidates", &iv1).await, 403, "forbidden");
    let (_, board) = app.get("/api/v1/candidates", &tm).await;
    assert_eq!(board["counts"]["initial"], 1);

    // Interviews: an interviewer sees nothing until booked, then only what judging needs.
    assert_error(
        &app.get(&format!("/api/v1/candidates/{id}"), &iv1).await,
        404,
        "not_found",
    );
    let t = Timestamp::now().plus_seconds(86_400);
    let book = |who: i64, from: i64, mins: i64| {
        json!({"interviewer_id": who, "starts_at": t.plus_seconds(from * 60).to_string(),
               "ends_at": t.plus_seconds((from + mins) * 60).to_string(), "place": "3 楼直播间"})
    };
    let path = format!("/api/v1/candidates/{id}/interviews");
    let (s, i1) = app.post(&path, &tm, book(iv1_id, 0, 30)).await;
    assert_eq!(s, StatusCode::CREATED, "{i1}");
    assert_eq!(i1["round"], "initial");
    // The candidate cannot be in two interviews at once; a second interviewer joins later.
    assert_error(
        &app.post(&path, &tm, book(iv2_id, 15, 30)).await,
        409,
        "conflict",
    );
    let (s, _) = app.post(&path, &tm, book(iv2_id, 30, 30)).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, other) = app
        .post(
            "/api/v1/candidates",
            &tm,
            json!({"name": "周周", "phone": "13700003333", "consent": true}),
        )
        .await;
    let other_id = other["id"].as_i64().unwrap();
    let e = app
        .post(
            &format!("/api/v1/candidates/{other_id}/interviews"),
            &tm,
            book(iv1_id, 10, 30),
        )
        .await;
    assert_error(&e, 409, "conflict");
    assert!(e.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("interviewer"));
    assert_error(
        &app.post(
            &path,
            &tm,
            json!({"interviewer_id": iv1_id, "starts_at": t.to_string(),
                                     "ends_at": t.plus_seconds(-60).to_string()}),
        )
        .await,
        422,
        "validation_failed",
    );
    let (s, seen) = app.get(&format!("/api/v1/candidates/{id}"), &iv1).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (
            &seen["phone"],
            &seen["email"],
            &seen["personal_hidden"],
            &seen["log"]
        ),
        (&Value::Null, &Value::Null, &json!(true), &json!([]))
    );
    assert_eq!(
        seen["video_url"], "https://example.com/demo.mp4",
        "judging needs the demo"
    );
    let (_, mine) = app.get("/api/v1/interviews/mine", &iv1).await;
    assert_eq!(mine["items"][0]["candidate_id"], id);

    // Score sheets: every criterion, on the scale, known criteria only.
    let scores = format!("/api/v1/candidates/{id}/scores");
    let mut partial = sheet([7, 7, 7, 7, 7]);
    partial["scores"].as_object_mut().unwrap().remove("rapport");
    for (body, words) in [
        (partial, "scores.rapport"),
        (sheet([7, 7, 11, 7, 7]), "scores.adaptability"),
        (sheet([7, 7, 0, 7, 7]), "scores.adaptability"),
        (
            json!({"scores": {"image": 7, "expression": 7, "adaptability": 7, "product_knowledge": 7,
                              "rapport": 7, "charm": 9}}),
            "no criterion charm",
        ),
    ] {
        let e = app.post(&scores, &iv1, body).await;
        assert_error(&e, 422, "validation_failed");
        assert!(
            e.1["error"]["message"].as_str().unwrap().contains(words),
            "{}",
            e.1
        );
    }
    let (s, sh) = app.post(&scores, &iv1, sheet([8, 7, 7, 6, 8])).await;
    assert_eq!(s, StatusCode::OK, "{sh}");
    assert_eq!(sh["weighted"], 7.2);
    assert_error(
        &app.post(
            &format!("/api/v1/candidates/{other_id}/scores"),
            &iv2,
            sheet([7; 5]),
        )
        .await,
        404,
        "not_found",
    );

    // Decisions: every booked interviewer's sheet first, a reason, no skipped round.
    let decide = format!("/api/v1/candidates/{id}/decisions");
    let e = app
        .post(
            &decide,
            &tm,
            json!({"decision": "advance", "reason": "形象好"}),
        )
        .await;
    assert_error(&e, 422, "validation_failed");
    assert!(
        e.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("iris nick"),
        "{}",
        e.1
    );
    app.post(&scores, &iv2, sheet([7, 8, 7, 7, 7])).await;
    assert_error(
        &app.post(&decide, &tm, json!({"decision": "advance", "reason": " "}))
            .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(
            &decide,
            &tm,
            json!({"decision": "hire", "reason": "直接录用"}),
        )
        .await,
        409,
        "conflict",
    );
    assert_error(
        &app.post(
            &decide,
            &iv1,
            json!({"decision": "advance", "reason": "好"}),
        )
        .await,
        403,
        "forbidden",
    );
    let (s, c) = app
        .post(
            &decide,
            &tm,
            json!({"decision": "advance", "reason": "初试：镜头感与表达俱佳"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["stage"], "second");
    assert_eq!(c["decisions"][0]["average"], 7.2);
    // Booked for the first round only, an interviewer does not judge the second.
    let e = app.post(&scores, &iv1, sheet([9, 9, 9, 9, 9])).await;
    assert_error(&e, 409, "conflict");

    // Second round: below the threshold (6.5) the candidate cannot go on; a rescore can.
    let (_, low) = app.post(&scores, &tm, sheet([6, 6, 6, 6, 6])).await;
    assert_eq!(low["round"], "second");
    let e = app
        .post(
            &decide,
            &tm,
            json!({"decision": "advance", "reason": "复试通过"}),
        )
        .await;
    assert_error(&e, 422, "validation_failed");
    assert!(e.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("below its threshold 6.50"));
    app.post(&scores, &tm, sheet([8, 8, 7, 7, 8])).await;
    let (_, c) = app
        .post(
            &decide,
            &tm,
            json!({"decision": "advance", "reason": "复试：控场稳定"}),
        )
        .await;
    assert_eq!(c["stage"], "final");

    // Final: hire (never "advance"), which makes the host's account.
    app.post(&scores, &tm, sheet([8, 8, 8, 8, 8])).await;
    assert_error(
        &app.post(&decide, &tm, json!({"decision": "advance", "reason": "x"}))
            .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(
            &decide,
            &tm,
            json!({"decision": "hire", "reason": "终试通过"}),
        )
        .await,
        422,
        "validation_failed",
    );
    let (s, hired) = app
        .post(
            &decide,
            &tm,
            json!({"decision": "hire", "reason": "终试：综合 8 分，录用",
                   "host_account": {"username": "xiaoman", "nickname": "小满", "password": "host-pass-123"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{hired}");
    assert_eq!(hired["stage"], "hired");
    let host_token = app.login("xiaoman", "host-pass-123").await;
    let (_, who) = app.get("/api/v1/auth/me", &host_token).await;
    assert_eq!(who["roles"], json!(["host"]));
    assert_eq!(hired["host_account_id"], who["id"]);
    let decisions: Vec<&str> = hired["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["advance", "advance", "hire"]);
    let actions: Vec<&str> = hired["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.first(), Some(&"created"));
    assert_eq!(actions.iter().filter(|a| **a == "decided").count(), 3);
    assert!(actions.contains(&"interview_scheduled") && actions.contains(&"scored"));
    // The new host's profile starts from the candidate: name and categories carried over.
    let host_id = who["id"].as_i64().unwrap();
    let prof = format!("/api/v1/host-profiles/{host_id}");
    let (s, p) = app.get(&prof, &tm).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(
        (
            &p["real_name"],
            &p["categories"],
            &p["verification"],
            &p["candidate_id"]
        ),
        (
            &json!("林小满"),
            &json!(["美妆", "服饰"]),
            &json!("unverified"),
            &json!(id)
        )
    );
    let (_, listed) = app.get("/api/v1/host-profiles", &iv1).await;
    let row = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["account_id"] == host_id)
        .unwrap()
        .clone();
    assert_eq!(
        row["real_name"],
        Value::Null,
        "real names are for talent managers"
    );
    let soon = (time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .date()
        + time::Duration::days(10))
    .to_string();
    for (body, words) in [
        (
            json!({"verification": "verified", "real_name": ""}),
            "real_name",
        ),
        (
            json!({"verification": "rejected", "real_name": "林小满"}),
            "verification_note",
        ),
        (
            json!({"verification": "checked", "real_name": "林小满"}),
            "verification",
        ),
        (
            json!({"verification": "submitted", "contract_start": "2026-12-01", "contract_end": "2026-11-01"}),
            "contract_end",
        ),
        (
            json!({"verification": "submitted", "contract_end": "next year"}),
            "contract_end",
        ),
    ] {
        let e = app.put(&prof, &tm, body).await;
        assert_error(&e, 422, "validation_failed");
        assert!(
            e.1["error"]["message"].as_str().unwrap().starts_with(words),
            "{}",
            e.1
        );
    }
    let (s, p) = app
        .put(
            &prof,
            &tm,
            json!({"verification": "verified", "real_name": "林小满", "verification_note": "身份证原件已核对",
                   "categories": ["美妆"], "contract_start": "2026-01-01", "contract_end": soon}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(
        (&p["verified_by"], &p["contract_status"]),
        (&json!("hrm nick"), &json!("expiring"))
    );
    assert_eq!(p["days_left"], 10);
    assert_error(
        &app.put(&prof, &iv1, json!({"verification": "unverified"}))
            .await,
        403,
        "forbidden",
    );
    let (_, own) = app.get(&prof, &host_token).await;
    assert_eq!(own["real_name"], "林小满", "a host reads their own profile");

    assert_error(
        &app.post(&scores, &tm, sheet([8; 5])).await,
        409,
        "conflict",
    );
    assert_error(
        &app.post(&decide, &tm, json!({"decision": "reject", "reason": "x"}))
            .await,
        409,
        "conflict",
    );

    // Removal on request: no history → gone; history → anonymised, scores kept.
    let (_, fresh) = app
        .post(
            "/api/v1/candidates",
            &tm,
            json!({"name": "路人", "email": "a@b.cn", "consent": true}),
        )
        .await;
    let fresh_id = fresh["id"].as_i64().unwrap();
    let (s, r) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/candidates/{fresh_id}"),
            Some(&tm),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r, json!({"deleted": true, "anonymised": false}));
    assert_error(
        &app.get(&format!("/api/v1/candidates/{fresh_id}"), &tm)
            .await,
        404,
        "not_found",
    );
    let (_, r) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/candidates/{id}"),
            Some(&tm),
            None,
        )
        .await;
    assert_eq!(r, json!({"deleted": false, "anonymised": true}));
    let (_, anon) = app.get(&format!("/api/v1/candidates/{id}"), &tm).await;
    assert_eq!(anon["name"], format!("已匿名 #{id}"));
    assert_eq!(
        (&anon["phone"], &anon["email"], &anon["cv_url"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(anon["anonymised"], true);
    assert_eq!(anon["decisions"].as_array().unwrap().len(), 3);
    assert!(anon["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["notes"] == ""));
    // The phone is free again.
    let (s, _) = app.post("/api/v1/candidates", &tm, new).await;
    assert_eq!(s, StatusCode::CREATED);
}

async fn weights_and_thresholds_are_editable_within_their_rules(app: TestApp) {
    let tm = app.staff("hrm", &[Role::TalentManager]).await;
    let op = app.staff("oper", &[Role::Operator]).await;
    let (s, cfg) = app.get("/api/v1/talent/config", &op).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cfg["weights"]["image"], 20);
    assert_eq!(cfg["thresholds"]["final"], 7.0);
    let mut looks = cfg.clone();
    looks["weights"]["image"] = json!(40);
    looks["weights"]["rapport"] = json!(0);
    let (s, saved) = app.put("/api/v1/talent/config", &tm, looks.clone()).await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    let (_, again) = app.get("/api/v1/talent/config", &op).await;
    assert_eq!(again, looks);
    let mut bad = looks.clone();
    bad["weights"]["rapport"] = json!(10);
    assert_error(
        &app.put("/api/v1/talent/config", &tm, bad).await,
        422,
        "validation_failed",
    );
    let mut bad = looks.clone();
    bad["thresholds"]["initial"] = json!(0.5);
    assert_error(
        &app.put("/api/v1/talent/config", &tm, bad).await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.put("/api/v1/talent/config", &op, looks).await,
        403,
        "forbidden",
    );
}

async fn hosts_are_ranked_by_their_real_sessions_with_the_sample_size_shown(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let mei = app.staff("mei", &[Role::Host]).await;
    let jie = app.staff("jie", &[Role::Host]).await;
    let wh = app.staff("wareh", &[Role::Warehouse]).await;
    let id_of = |v: &Value| v["id"].as_i64().unwrap();
    let mei_id = id_of(&app.get("/api/v1/auth/me", &mei).await.1);
    let jie_id = id_of(&app.get("/api/v1/auth/me", &jie).await.1);
    // Mei runs a session whose script has absolute claims; Jie has none yet.
    let now = Timestamp::now();
    let (_, s) = app
        .post(
            "/api/v1/sessions",
            &op,
            json!({"title": "美美专场", "theme": "custom", "host_id": mei_id,
                   "scheduled_start": now.plus_seconds(-600).to_string(),
                   "scheduled_end": now.plus_seconds(3000).to_string()}),
        )
        .await;
    let session = id_of(&s);
    let (st, _) = app
        .put(
            &format!("/api/v1/sessions/{session}/script"),
            &op,
            json!({"segments": [{"kind": "opening", "title": "开场", "minutes": 10, "text": "全网最低价，第一品牌"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    for to in ["live", "ended"] {
        app.post(
            &format!("/api/v1/sessions/{session}/transition"),
            &op,
            json!({"to": to}),
        )
        .await;
    }
    app.state.analytics.catch_up().await.unwrap();

    let (s, rec) = app
        .get("/api/v1/hosts/records?sort=compliance_hits", &op)
        .await;
    assert_eq!(s, StatusCode::OK, "{rec}");
    let items = rec["items"].as_array().unwrap();
    assert_eq!(items[0]["host_id"], mei_id, "{rec}");
    assert_eq!(items[0]["rank"], 1);
    assert_eq!(
        (
            &items[0]["sessions"],
            &items[0]["small_sample"],
            &items[0]["scripted_sessions"]
        ),
        (&json!(1), &json!(true), &json!(1))
    );
    assert!(
        items[0]["compliance_hits"].as_i64().unwrap() >= 2,
        "{}",
        items[0]
    );
    let jie_row = items.iter().find(|r| r["host_id"] == jie_id).unwrap();
    assert_eq!(
        (&jie_row["sessions"], &jie_row["compliance_hits"]),
        (&json!(0), &json!(0))
    );
    let (_, asc) = app
        .get("/api/v1/hosts/records?sort=compliance_hits&order=asc", &op)
        .await;
    assert_eq!(asc["items"][0]["host_id"], jie_id);
    // A host sees their own row, with its rank among all.
    let (_, own) = app.get("/api/v1/hosts/records?sort=sessions", &jie).await;
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        (&own["items"][0]["host_id"], &own["items"][0]["rank"]),
        (&json!(jie_id), &json!(2))
    );
    for bad in [
        "sort=charm",
        "order=sideways",
        "from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z",
    ] {
        assert_error(
            &app.get(&format!("/api/v1/hosts/records?{bad}"), &op).await,
            422,
            "validation_failed",
        );
    }
    assert_error(
        &app.get("/api/v1/hosts/records", &wh).await,
        403,
        "forbidden",
    );
}

async fn courses_enrolment_and_assessments_with_coaching(app: TestApp) {
    let tm = app.staff("hrm", &[Role::TalentManager]).await;
    let mei = app.staff("mei", &[Role::Host]).await;
    let jie = app.staff("jie", &[Role::Host]).await;
    let op = app.staff("oper", &[Role::Operator]).await;
    let id_of = |v: &Value| v["id"].as_i64().unwrap();
    let mei_id = id_of(&app.get("/api/v1/auth/me", &mei).await.1);
    let jie_id = id_of(&app.get("/api/v1/auth/me", &jie).await.1);
    let op_id = id_of(&app.get("/api/v1/auth/me", &op).await.1);

    let course = json!({"title": "直播话术与控场", "topic": "communication", "delivery": "classroom",
        "description": "开场、互动、逼单话术",
        "materials": [{"kind": "text", "title": "话术清单", "content": "1. 欢迎语 2. 互动引导"},
                      {"kind": "link", "title": "示范录像", "content": "https://example.com/demo"}]});
    let (s, c) = app.post("/api/v1/courses", &tm, course.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = id_of(&c);
    let mut dup = course.clone();
    dup["title"] = json!("直播话术与控场 ");
    assert_error(
        &app.post("/api/v1/courses", &tm, dup).await,
        409,
        "already_exists",
    );
    for (field, value) in [
        ("topic", json!("dancing")),
        ("delivery", json!("by mail")),
        (
            "materials",
            json!([{"kind": "link", "title": "x", "content": "javascript:alert(1)"}]),
        ),
    ] {
        let mut bad = course.clone();
        bad["title"] = json!("另一门课");
        bad[field] = value;
        assert_error(
            &app.post("/api/v1/courses", &tm, bad).await,
            422,
            "validation_failed",
        );
    }
    assert_error(
        &app.post("/api/v1/courses", &op, course.clone()).await,
        403,
        "forbidden",
    );

    let enrol = format!("/api/v1/courses/{cid}/enrolments");
    assert_error(
        &app.post(&enrol, &tm, json!({"host_ids": [mei_id, op_id]}))
            .await,
        422,
        "validation_failed",
    );
    let (_, c) = app.get(&format!("/api/v1/courses/{cid}"), &mei).await;
    assert_eq!(c["enrolments"], json!([]), "all or nothing");
    let (s, c) = app
        .post(&enrol, &tm, json!({"host_ids": [mei_id, jie_id, mei_id]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["enrolments"].as_array().unwrap().len(), 2);
    let (_, mine) = app.get(&format!("/api/v1/courses/{cid}"), &mei).await;
    assert_eq!(
        mine["enrolments"],
        json!([c["enrolments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["host_id"] == mei_id)
            .unwrap()]),
        "a host sees their own enrolment, not their colleagues'"
    );
    let att = format!("/api/v1/courses/{cid}/enrolments/{mei_id}");
    assert_error(
        &app.put(&att, &tm, json!({"attended": false, "completed": true}))
            .await,
        422,
        "validation_failed",
    );
    let (_, c) = app
        .put(&att, &tm, json!({"attended": true, "completed": true}))
        .await;
    let mine = c["enrolments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["host_id"] == mei_id)
        .unwrap()
        .clone();
    assert!(mine["attended_at"].is_string() && mine["completed_at"].is_string());
    assert_error(
        &app.put(
            &format!("/api/v1/courses/{cid}/enrolments/{op_id}"),
            &tm,
            json!({"attended": true, "completed": false}),
        )
        .await,
        404,
        "not_found",
    );
    let (_, t) = app
        .get(&format!("/api/v1/hosts/{mei_id}/training"), &mei)
        .await;
    assert_eq!(t["items"][0]["course"], "直播话术与控场");
    assert_error(
        &app.get(&format!("/api/v1/hosts/{jie_id}/training"), &mei)
            .await,
        403,
        "forbidden",
    );

    // Assessments: weak criteria become coaching pointing at a course on the matching topic.
    let path = format!("/api/v1/hosts/{mei_id}/assessments");
    let rubric = |e: i64, r: i64, rest: i64| json!({"image": rest, "expression": e, "adaptability": rest, "product_knowledge": rest, "rapport": r});
    let (s, h) = app
        .post(
            &path,
            &tm,
            json!({"period": "2026-10", "scores": rubric(4, 5, 8), "notes": "讲解节奏偏快"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    assert_eq!(h["items"][0]["overall"], 6.6);
    let coaching: Vec<(String, Value)> = h["coaching"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["criterion"].as_str().unwrap().to_owned(),
                c["course_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        coaching,
        vec![
            ("expression".into(), json!(cid)),
            ("rapport".into(), json!(cid))
        ]
    );
    for (body, status, code) in [
        (
            json!({"period": "2026-10", "scores": rubric(7, 7, 7)}),
            409,
            "already_exists",
        ),
        (
            json!({"period": "October", "scores": rubric(7, 7, 7)}),
            422,
            "validation_failed",
        ),
        (
            json!({"period": "2026-11", "scores": rubric(7, 0, 7)}),
            422,
            "validation_failed",
        ),
        (
            json!({"period": "2026-11", "scores": {"image": 7}}),
            422,
            "validation_failed",
        ),
    ] {
        assert_error(&app.post(&path, &tm, body).await, status, code);
    }
    assert_error(
        &app.post(
            &format!("/api/v1/hosts/{op_id}/assessments"),
            &tm,
            json!({"period": "2026-11", "scores": rubric(7, 7, 7)}),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(
            &path,
            &op,
            json!({"period": "2026-11", "scores": rubric(7, 7, 7)}),
        )
        .await,
        403,
        "forbidden",
    );
    let (_, h) = app
        .post(
            &path,
            &tm,
            json!({"period": "2026-11", "scores": rubric(7, 7, 8)}),
        )
        .await;
    assert_eq!(h["items"].as_array().unwrap().len(), 2);
    assert_eq!(h["trend"], 1.0, "7.60 − 6.60: {h}");
    // The host closes their own coaching item, not someone else's.
    let item = h["coaching"][0]["id"].as_i64().unwrap();
    assert_error(
        &app.put(
            &format!("/api/v1/coaching/{item}"),
            &jie,
            json!({"done": true}),
        )
        .await,
        404,
        "not_found",
    );
    let (s, h) = app
        .put(
            &format!("/api/v1/coaching/{item}"),
            &mei,
            json!({"done": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert!(h["coaching"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == item && c["done_at"].is_string()));
    let (_, seen) = app.get(&path, &op).await;
    assert_eq!(
        seen["items"].as_array().unwrap().len(),
        2,
        "operators read assessments"
    );
    // The host record carries training and the latest assessment.
    let (_, rec) = app.get("/api/v1/hosts/records?sort=assessment", &op).await;
    let top = &rec["items"][0];
    assert_eq!(
        (
            &top["host_id"],
            &top["courses_completed"],
            &top["assessed_period"],
            &top["assessment"]
        ),
        (&json!(mei_id), &json!(1), &json!("2026-11"), &json!(7.6)),
        "{rec}"
    );
    let other = rec["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["host_id"] == jie_id)
        .unwrap();
    assert_eq!(
        (&other["courses_completed"], &other["assessment"]),
        (&json!(0), &Value::Null)
    );
}

async fn a_trainee_practises_in_a_private_room_and_is_scored(app: TestApp) {
    use crate::room::Viewer;
    let tm = app.staff("hrm", &[Role::TalentManager]).await;
    let mei = app.staff("mei", &[Role::Host]).await;
    let op = app.staff("oper", &[Role::Operator]).await;
    let an = app.staff("ana", &[Role::Analyst]).await;
    let (buyer, _, address) = crate::orders::buyer(&app, "13900000009").await;
    let id_of = |v: &Value| v["id"].as_i64().unwrap();
    let mei_id = id_of(&app.get("/api/v1/auth/me", &mei).await.1);
    let (_, p) = app
        .post(
            "/api/v1/products",
            &op,
            json!({"title": "练习口红", "images": ["/demo/lipstick.svg"],
                   "skus": [{"code": "PR-1", "price_fen": 9900, "stock": 5}]}),
        )
        .await;
    let product = id_of(&p);
    let course = |title: &str, delivery: &str| json!({"title": title, "topic": "live_skills", "delivery": delivery});
    let (_, c) = app
        .post("/api/v1/courses", &tm, course("带播实操", "live_practice"))
        .await;
    let cid = id_of(&c);
    let (_, classroom) = app
        .post("/api/v1/courses", &tm, course("品牌文化", "classroom"))
        .await;
    let when = json!({"host_id": mei_id, "scheduled_start": "2026-03-01T10:00:00Z",
                      "scheduled_end": "2026-03-01T11:00:00Z", "product_ids": [product]});
    let practice = format!("/api/v1/courses/{cid}/practice");

    // Only a live-practice course, only an enrolled host, only real products, only trainers.
    assert_error(
        &app.post(&practice, &tm, when.clone()).await,
        422,
        "validation_failed",
    );
    app.post(
        &format!("/api/v1/courses/{cid}/enrolments"),
        &tm,
        json!({"host_ids": [mei_id]}),
    )
    .await;
    assert_error(
        &app.post(
            &format!("/api/v1/courses/{}/practice", id_of(&classroom)),
            &tm,
            when.clone(),
        )
        .await,
        409,
        "conflict",
    );
    let mut bad = when.clone();
    bad["product_ids"] = json!([product, 999_999]);
    assert_error(
        &app.post(&practice, &tm, bad).await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(&practice, &mei, when.clone()).await,
        403,
        "forbidden",
    );
    let (_, all) = app.get("/api/v1/sessions", &op).await;
    assert_eq!(all["total"], 0, "refused set-ups leave no session behind");

    let (s, pr) = app.post(&practice, &tm, when.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{pr}");
    let sid = pr["session_id"].as_i64().unwrap();
    assert_eq!(
        (&pr["title"], &pr["course"], &pr["state"], &pr["host_id"]),
        (
            &json!("带播实操（带播练习）"),
            &json!("带播实操"),
            &json!("scheduled"),
            &json!(mei_id)
        )
    );
    let (_, sess) = app.get(&format!("/api/v1/sessions/{sid}"), &op).await;
    assert_eq!(
        (sess["practice_course_id"].as_i64(), &sess["bag_count"]),
        (Some(cid), &json!(1))
    );

    // Scoring waits for the show.
    let card = json!({"scores": {"opening": 7, "product_pitch": 5, "interaction": 8,
                                 "pacing": 6, "emergency": 4}, "notes": "讲解偏快"});
    let score = format!("/api/v1/practice/{sid}/scorecard");
    assert_error(&app.put(&score, &tm, card.clone()).await, 409, "conflict");
    // Another host does not run a trainee's show.
    let jie = app.staff("jie", &[Role::Host]).await;
    assert_error(
        &app.post(
            &format!("/api/v1/sessions/{sid}/transition"),
            &jie,
            json!({"to": "live"}),
        )
        .await,
        403,
        "forbidden",
    );
    // A practice occupies no channel: a real show on `own` at the same hour does not clash.
    let (_, real) = app
        .post(
            "/api/v1/sessions",
            &op,
            json!({"title": "正式场", "theme": "custom",
                   "scheduled_start": "2026-03-01T10:30:00Z", "scheduled_end": "2026-03-01T11:30:00Z"}),
        )
        .await;
    let (s, cal) = app
        .get(
            "/api/v1/calendar?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z",
            &tm,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "a talent manager reads the calendar: {cal}"
    );
    let entries = cal["entries"].as_array().unwrap();
    let entry = |id: i64| entries.iter().find(|e| e["id"] == id).unwrap().clone();
    assert_eq!(entry(sid)["practice_course_id"], cid);
    assert_eq!(
        entry(real["id"].as_i64().unwrap())["conflicts"],
        json!([]),
        "{cal}"
    );
    // Its host stays a trainee of the course.
    let mut moved = sess.clone();
    for k in [
        "id",
        "state",
        "started_at",
        "ended_at",
        "bag_count",
        "created_at",
        "updated_at",
        "host_name",
        "practice_course_id",
    ] {
        moved.as_object_mut().unwrap().remove(k);
    }
    moved["host_id"] = json!(app.get("/api/v1/auth/me", &jie).await.1["id"]);
    assert_error(
        &app.put(&format!("/api/v1/sessions/{sid}"), &op, moved)
            .await,
        422,
        "validation_failed",
    );
    let (s, live) = app
        .post(
            &format!("/api/v1/sessions/{sid}/transition"),
            &mei,
            json!({"to": "live"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{live}");
    let sku_id =
        app.get(&format!("/api/v1/products/{product}"), &op).await.1["skus"][0]["id"].clone();
    assert_error(
        &app.post(
            &format!("/api/v1/sessions/{sid}/flash-sales"),
            &op,
            json!({"sku_id": sku_id, "title": "秒杀", "quota": 1, "price_fen": 100, "per_customer": 1}),
        )
        .await,
        409,
        "conflict",
    );

    // Hidden from viewers: not listed, no page, no room, no orders.
    let (_, listed) = app
        .call(Method::GET, "/api/v1/public/sessions", None, None)
        .await;
    assert_eq!(listed["total"], 0, "{listed}");
    assert_error(
        &app.get(&format!("/api/v1/public/sessions/{sid}"), &buyer)
            .await,
        404,
        "not_found",
    );
    let (s, _) = app
        .get(&format!("/api/v1/public/sessions/{sid}"), &op)
        .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "staff open the practice room's page to play viewers"
    );
    let url = format!("{}/ws/rooms/{sid}", app.base.replace("http://", "ws://"));
    for token in [None, Some(&buyer)] {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = url.clone().into_client_request().unwrap();
        if let Some(t) = token {
            req.headers_mut()
                .insert("cookie", format!("ss_session={t}").parse().unwrap());
        }
        match tokio_tungstenite::connect_async(req).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                assert_eq!(r.status(), 404)
            }
            other => panic!("a viewer entered a practice room: {:?}", other.map(|_| ())),
        }
    }
    let sku = app.get(&format!("/api/v1/products/{product}"), &op).await.1["skus"][0]["id"]
        .as_i64()
        .unwrap();
    let (s, e) = app
        .post(
            "/api/v1/orders",
            &buyer,
            json!({"session_id": sid, "items": [{"sku_id": sku, "quantity": 1}], "address_id": address}),
        )
        .await;
    assert!(s.is_client_error(), "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("practice"),
        "{e}"
    );

    // The real room: the trainee pins and polls, colleagues chat and ask.
    let mut host = Viewer::join(&app, sid, Some(&mei)).await;
    let mut mate = Viewer::join(&app, sid, Some(&an)).await;
    host.send(json!({"t": "pin", "product": product})).await;
    assert_eq!(mate.event("pin").await["product"], product);
    host.send(json!({"t": "poll_open", "question": "先讲哪个色号？", "options": ["01", "02"]}))
        .await;
    mate.event("poll_opened").await;
    mate.send(json!({"t": "chat", "text": "主播好，这个色号适合黄皮吗"}))
        .await;
    host.event_where("chat", |e| e["text"] == "主播好，这个色号适合黄皮吗")
        .await;
    host.send(json!({"t": "chat", "text": "适合的，我来试色"}))
        .await;
    mate.send(json!({"t": "ask", "text": "有赠品吗？"})).await;
    let q = host.event("question").await;
    host.send(json!({"t": "answer", "question": q["id"], "answer": "有小样"}))
        .await;
    mate.event("question_updated").await;

    // The evidence comes from the room's log, which the room writes as it goes.
    let get = format!("/api/v1/practice/{sid}");
    let mut room = Value::Null;
    for _ in 0..50 {
        room = app.get(&get, &tm).await.1["room"].clone();
        if room["questions_answered"] == 1 && room["chat_messages"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        (
            &room["participants"],
            &room["chat_messages"],
            &room["host_messages"],
            &room["pins"],
            &room["polls"],
            &room["questions"],
            &room["questions_answered"]
        ),
        (
            &json!(2),
            &json!(2),
            &json!(1),
            &json!(1),
            &json!(1),
            &json!(1),
            &json!(1)
        ),
        "{room}"
    );

    // Trainers score the show; the trainee reads but does not score it.
    for (body, code) in [
        (json!({"scores": {"opening": 7}}), "validation_failed"),
        (
            json!({"scores": {"opening": 11, "product_pitch": 5, "interaction": 8, "pacing": 6, "emergency": 4}}),
            "validation_failed",
        ),
        (
            json!({"scores": {"opening": 7, "product_pitch": 5, "interaction": 8, "pacing": 6, "emergency": 4, "charm": 9}}),
            "validation_failed",
        ),
    ] {
        assert_error(&app.put(&score, &tm, body).await, 422, &code);
    }
    assert_error(&app.put(&score, &mei, card.clone()).await, 403, "forbidden");
    let (s, scored) = app.put(&score, &tm, card.clone()).await;
    assert_eq!(s, StatusCode::OK, "{scored}");
    assert_eq!(scored["overall"], 6.0);
    let mut again = card.clone();
    again["scores"]["emergency"] = json!(9);
    app.put(&score, &tm, again).await;
    let (_, by_op) = app.put(&score, &op, card.clone()).await;
    assert_eq!(
        by_op["scorecards"].as_array().unwrap().len(),
        2,
        "one card per trainer"
    );
    assert_eq!(by_op["overall"], 6.5, "{by_op}");
    let (s, mine) = app.get(&get, &mei).await;
    assert_eq!(
        (s, &mine["scorecards"][0]["scores"]["emergency"]),
        (StatusCode::OK, &json!(9))
    );
    assert_error(&app.get(&get, &an).await, 403, "forbidden");
    let (_, list) = app.get("/api/v1/practice", &mei).await;
    assert_eq!(list["items"][0]["session_id"], sid);
    let (_, c) = app.get(&format!("/api/v1/courses/{cid}"), &tm).await;
    assert!(
        c["enrolments"][0]["attended_at"].is_string(),
        "a scored practice counts as attended: {c}"
    );

    // Practice is not business: the host's record and the analytics leave it out; the course
    // keeps its practice sessions.
    let (_, records) = app
        .get("/api/v1/hosts/records?from=2026-01-01T00:00:00Z", &tm)
        .await;
    let rec = records["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["host_id"] == mei_id)
        .cloned()
        .unwrap_or(Value::Null);
    assert!(rec.is_null() || rec["sessions"] == 0, "{records}");
    assert_error(
        &app.call(
            Method::DELETE,
            &format!("/api/v1/courses/{cid}"),
            Some(&tm),
            None,
        )
        .await,
        409,
        "conflict",
    );
}

crate::on_both_backends!(
    a_candidate_goes_through_three_rounds_to_be_hired,
    a_trainee_practises_in_a_private_room_and_is_scored,
    courses_enrolment_and_assessments_with_coaching,
    hosts_are_ranked_by_their_real_sessions_with_the_sample_size_shown,
    weights_and_thresholds_are_editable_within_their_rules,
);
