use crate::common::{assert_error, TestApp};
use reqwest::StatusCode;
use sellstream_accounts::Role;
use serde_json::{json, Value};

fn answers() -> Value {
    json!({"audience": "young", "brand_style": "entertaining", "supply_chain": "weak",
           "host_experience": "new", "budget": "low"})
}

async fn the_assistant_ranks_explains_and_learns_from_the_brands_sessions(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let analyst = app.staff("ana", &[Role::Analyst]).await;
    let (_, list) = app.get("/api/v1/platforms", &analyst).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 5, "{list}");
    assert!(
        items
            .iter()
            .all(|p| !p["sources"].as_array().unwrap().is_empty()),
        "sources noted"
    );
    let criteria = list["criteria"].as_array().unwrap().len();

    let (s, a) = app
        .post("/api/v1/platforms/assess", &analyst, answers())
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["ranking"][0]["platform"], "douyin", "{a}");
    for r in a["ranking"].as_array().unwrap() {
        assert_eq!(
            r["lines"].as_array().unwrap().len(),
            criteria,
            "every score explained"
        );
    }
    assert_eq!(
        a["mix"]["platforms"],
        json!(["douyin", "taobao"]),
        "{}",
        a["mix"]
    );
    let chain = a["weights"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["criterion"] == "supply_chain")
        .unwrap()
        .clone();
    assert_eq!(chain["weight"], 3.0);

    // The operator corrects a profile with what the team knows: the ranking follows.
    let mut ks = items
        .iter()
        .find(|p| p["platform"] == "kuaishou")
        .unwrap()
        .clone();
    ks.as_object_mut().unwrap().remove("updated_at");
    for c in [
        "young_users",
        "new_host_traffic",
        "interaction",
        "supply_chain",
        "rules_ease",
        "data_access",
    ] {
        ks["scores"][c]["score"] = json!(5);
    }
    ks["sources"] = json!([{"title": "我们2026年在快手的三场测试", "note": "团队复盘"}]);
    let (s, saved) = app.put("/api/v1/platforms/kuaishou", &op, ks.clone()).await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    let (_, again) = app
        .post("/api/v1/platforms/assess", &analyst, answers())
        .await;
    assert_eq!(again["ranking"][0]["platform"], "kuaishou", "{again}");

    // Once a session has run on a channel, the platform carries the brand's own figures.
    let (s, _) = app
        .post(
            "/api/v1/channels",
            &op,
            json!({"code": "dy-main", "platform": "douyin", "name": "抖音主号"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let now = sellstream_core::Timestamp::now();
    let (s, sess) = app
        .post(
            "/api/v1/sessions",
            &op,
            json!({"title": "抖音首播", "theme": "new_launch", "channel": "dy-main",
                   "scheduled_start": now.plus_seconds(600).to_string(),
                   "scheduled_end": now.plus_seconds(4200).to_string()}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sess}");
    let id = sess["id"].as_i64().unwrap();
    for to in ["live", "ended"] {
        let (s, b) = app
            .post(
                &format!("/api/v1/sessions/{id}/transition"),
                &op,
                json!({"to": to}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (_, measured) = app
        .post("/api/v1/platforms/assess", &analyst, answers())
        .await;
    let dy = measured["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["platform"] == "douyin")
        .unwrap()
        .clone();
    assert_eq!(dy["measured"]["sessions"], 1, "{dy}");
    assert!(measured["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["platform"] != "douyin")
        .all(|r| r["measured"].is_null()));

    // Bad input: clear errors, nothing saved.
    let mut bad = ks.clone();
    bad["scores"]["user_base"]["score"] = json!(6);
    assert_error(
        &app.put("/api/v1/platforms/kuaishou", &op, bad).await,
        422,
        "validation_failed",
    );
    let mut nosrc = ks.clone();
    nosrc["sources"] = json!([]);
    assert_error(
        &app.put("/api/v1/platforms/kuaishou", &op, nosrc).await,
        422,
        "validation_failed",
    );
    let mut other = ks.clone();
    other["platform"] = json!("myspace");
    assert_error(
        &app.put("/api/v1/platforms/myspace", &op, other).await,
        404,
        "not_found",
    );
    assert_error(
        &app.put("/api/v1/platforms/kuaishou", &analyst, ks.clone())
            .await,
        403,
        "forbidden",
    );
    let mut wrong = answers();
    wrong["audience"] = json!("teens");
    assert_error(
        &app.post("/api/v1/platforms/assess", &analyst, wrong).await,
        422,
        "validation_failed",
    );
    let mut weights = answers();
    weights["weights"] = json!({"vibes": 2});
    assert_error(
        &app.post("/api/v1/platforms/assess", &analyst, weights)
            .await,
        422,
        "validation_failed",
    );
    let (_, after) = app.get("/api/v1/platforms", &analyst).await;
    let kept = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["platform"] == "kuaishou")
        .unwrap()
        .clone();
    assert_eq!(kept["scores"]["user_base"], saved["scores"]["user_base"]);
}

crate::on_both_backends!(the_assistant_ranks_explains_and_learns_from_the_brands_sessions);
