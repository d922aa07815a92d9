use crate::common::{assert_error, TestApp};
use reqwest::{Method, StatusCode};
use sellstream_accounts::Role;
use serde_json::{json, Value};

fn utf16_slice(text: &str, start: &Value, end: &Value) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    String::from_utf16(&units[start.as_u64().unwrap() as usize..end.as_u64().unwrap() as usize])
        .unwrap()
}

fn custom_rule() -> Value {
    json!({
        "code": "brand-rival",
        "category": "custom",
        "pattern": "比(某|友)牌(好|强)|吊打",
        "article": "《反不正当竞争法》第十一条",
        "message": "贬低其他品牌的比较不能说。",
        "suggestion": "只说自己的产品。",
        "replacements": {"吊打": "不输"},
        "severity": "warn",
        "example": "这款吊打所有大牌",
        "clean_example": "这款我们自己用了三年"
    })
}

async fn a_script_is_checked_and_every_hit_is_placed_explained_and_rewritten(app: TestApp) {
    let host = app.staff("mei", &[Role::Host]).await;
    let script = "家人们，这是全网最低价！\n国宴专用的好茶，喝了能降血压，七天见效。\n第一次来的宝宝先点关注，面料100%纯棉。";
    let (s, r) = app
        .post("/api/v1/compliance/check", &host, json!({"text": script}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["passed"], false);
    let hits = r["hits"].as_array().unwrap();
    let by_rule = |code: &str| hits.iter().find(|h| h["rule"] == code).cloned();
    for (rule, words, article) in [
        ("absolute-zui", "最低价", "第九条"),
        ("price-claims", "全网最低价", "价格欺诈"),
        ("state-endorsement", "国宴专用", "第九条第（二）项"),
        ("medical-claims", "降血压", "第十七条"),
        ("efficacy-guarantee", "七天见效", "第二十八条"),
    ] {
        let h = by_rule(rule).unwrap_or_else(|| panic!("{rule} in {r}"));
        assert_eq!(h["text"], words, "{rule}");
        assert_eq!(
            utf16_slice(script, &h["start"], &h["end"]),
            words,
            "{rule}: placed"
        );
        assert!(
            h["article"].as_str().unwrap().contains(article),
            "{rule}: {h}"
        );
        assert!(!h["message"].as_str().unwrap().is_empty());
        assert!(!h["suggestion"].as_str().unwrap().is_empty());
    }
    // In order of position; the honest last line has none.
    let starts: Vec<u64> = hits.iter().map(|h| h["start"].as_u64().unwrap()).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
    let last_line = script.encode_utf16().count()
        - "第一次来的宝宝先点关注，面料100%纯棉。"
            .encode_utf16()
            .count();
    assert!(starts.iter().all(|s| (*s as usize) < last_line), "{r}");
    assert!(
        r["suggested_text"]
            .as_str()
            .unwrap()
            .contains("直播间专享价"),
        "{r}"
    );

    // Goods scope: a cosmetics rule speaks only for cosmetics (or when no goods are named).
    let serum = "这支药妆精华能激活细胞";
    let (_, c) = app
        .post(
            "/api/v1/compliance/check",
            &host,
            json!({"text": serum, "goods": "cosmetics"}),
        )
        .await;
    assert!(
        c["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["rule"] == "cosmetics-medical"),
        "{c}"
    );
    let (_, t) = app
        .post(
            "/api/v1/compliance/check",
            &host,
            json!({"text": serum, "goods": "apparel"}),
        )
        .await;
    assert!(
        t["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["rule"] != "cosmetics-medical"),
        "{t}"
    );
    // Warnings alone pass.
    let (_, w) = app
        .post(
            "/api/v1/compliance/check",
            &host,
            json!({"text": "手慢无，库存以页面为准"}),
        )
        .await;
    assert_eq!(
        (w["passed"].clone(), w["hits"][0]["severity"].clone()),
        (json!(true), json!("warn")),
        "{w}"
    );

    // Bad input.
    let too_long = "好".repeat(100_001);
    assert_error(
        &app.post("/api/v1/compliance/check", &host, json!({"text": too_long}))
            .await,
        413,
        "payload_too_large",
    );
    assert_error(
        &app.post(
            "/api/v1/compliance/check",
            &host,
            json!({"text": "x", "goods": "cars"}),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.call(
            Method::POST,
            "/api/v1/compliance/check",
            None,
            Some(json!({"text": "x"})),
        )
        .await,
        401,
        "unauthenticated",
    );
}

async fn admins_keep_the_rules_as_data(app: TestApp) {
    let admin = app.staff("boss", &[Role::Admin]).await;
    let op = app.staff("oper", &[Role::Operator]).await;
    let (_, list) = app.get("/api/v1/compliance/rules", &op).await;
    let starter = list["items"].as_array().unwrap().clone();
    assert!(starter.len() >= 10, "{list}");
    assert!(starter
        .iter()
        .all(|r| r["starter"] == true && r["enabled"] == true));
    for r in &starter {
        assert!(
            !r["example"].as_str().unwrap().is_empty(),
            "every starter rule has its case: {r}"
        );
    }

    // Only admins change rules.
    assert_error(
        &app.post("/api/v1/compliance/rules", &op, custom_rule())
            .await,
        403,
        "forbidden",
    );
    let (s, made) = app
        .post("/api/v1/compliance/rules", &admin, custom_rule())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    assert_eq!(made["starter"], false);
    assert_error(
        &app.post("/api/v1/compliance/rules", &admin, custom_rule())
            .await,
        409,
        "already_exists",
    );
    let (_, hit) = app
        .post(
            "/api/v1/compliance/check",
            &op,
            json!({"text": "这款吊打大牌"}),
        )
        .await;
    let h = &hit["hits"][0];
    assert_eq!(
        (h["rule"].clone(), h["replacement"].clone()),
        (json!("brand-rival"), json!("不输")),
        "{hit}"
    );

    // A rule must flag its own example, must not flag its clean one, and must compile.
    for (field, value, why) in [
        ("example", json!("普通的一句话"), "example"),
        ("clean_example", json!("吊打"), "clean_example"),
        ("pattern", json!("(吊打"), "pattern"),
        ("pattern", json!("x*"), "empty"),
        ("severity", json!("fatal"), "severity"),
        ("category", json!("vibes"), "category"),
        ("code", json!("Bad Code"), "code"),
    ] {
        let mut bad = custom_rule();
        bad["code"] = json!("brand-rival-2");
        bad[field] = value;
        let e = app.post("/api/v1/compliance/rules", &admin, bad).await;
        assert_error(&e, 422, "validation_failed");
        assert!(
            e.1["error"]["message"].as_str().unwrap().contains(why),
            "{field}: {}",
            e.1
        );
    }

    // Disabling a starter rule turns it off; deleting one is refused.
    let mut zui = starter
        .iter()
        .find(|r| r["code"] == "absolute-zui")
        .unwrap()
        .clone();
    for k in ["starter", "updated_at"] {
        zui.as_object_mut().unwrap().remove(k);
    }
    zui["enabled"] = json!(false);
    let (s, off) = app
        .put("/api/v1/compliance/rules/absolute-zui", &admin, zui.clone())
        .await;
    assert_eq!(s, StatusCode::OK, "{off}");
    assert_eq!(
        (off["enabled"].clone(), off["starter"].clone()),
        (json!(false), json!(true))
    );
    let (_, none) = app
        .post(
            "/api/v1/compliance/check",
            &op,
            json!({"text": "最好的面霜"}),
        )
        .await;
    assert!(
        none["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["rule"] != "absolute-zui"),
        "{none}"
    );
    assert_error(
        &app.call(
            Method::DELETE,
            "/api/v1/compliance/rules/absolute-zui",
            Some(&admin),
            None,
        )
        .await,
        409,
        "conflict",
    );
    let (s, _) = app
        .call(
            Method::DELETE,
            "/api/v1/compliance/rules/brand-rival",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(
        &app.call(
            Method::DELETE,
            "/api/v1/compliance/rules/brand-rival",
            Some(&admin),
            None,
        )
        .await,
        404,
        "not_found",
    );

    // An import is all or nothing: one bad rule and none of them is saved.
    let mut second = custom_rule();
    second["code"] = json!("brand-other");
    second["example"] = json!("平平无奇");
    let e = app
        .post(
            "/api/v1/compliance/rules/import",
            &admin,
            json!({"rules": [custom_rule(), second]}),
        )
        .await;
    assert_error(&e, 422, "validation_failed");
    assert!(
        e.1["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("rule 2:"),
        "{}",
        e.1
    );
    let (_, after) = app.get("/api/v1/compliance/rules", &op).await;
    assert_eq!(
        after["items"].as_array().unwrap().len(),
        starter.len(),
        "nothing half-imported"
    );
    let e = app
        .post(
            "/api/v1/compliance/rules/import",
            &admin,
            json!({"rules": [custom_rule(), custom_rule()]}),
        )
        .await;
    assert_error(&e, 422, "validation_failed");
    // What the list exports imports back unchanged (re-enabling the starter rule on the way).
    let mut rules: Vec<Value> = after["items"].as_array().unwrap().clone();
    for r in &mut rules {
        for k in ["starter", "updated_at"] {
            r.as_object_mut().unwrap().remove(k);
        }
        r["enabled"] = json!(true);
    }
    rules.push(custom_rule());
    let (s, imported) = app
        .post(
            "/api/v1/compliance/rules/import",
            &admin,
            json!({"rules": rules}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{imported}");
    assert_eq!(imported["imported"], starter.len() + 1);
    let (_, back) = app
        .post("/api/v1/compliance/check", &op, json!({"text": "最好的"}))
        .await;
    assert!(
        back["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["rule"] == "absolute-zui"),
        "{back}"
    );
}

async fn the_scan_finds_what_was_published(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let (s, p) = app
        .post(
            "/api/v1/products",
            &op,
            json!({
                "title": "顶级真丝睡衣",
                "description": "面料100%桑蚕丝，穿着舒服。",
                "skus": [{"code": "silk-m", "attributes": {"尺码": "M"}, "price_fen": 39900, "stock": 10}]
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let id = p["id"].as_i64().unwrap();
    let (_, scan) = app.get("/api/v1/compliance/scan", &op).await;
    let findings = scan["findings"].as_array().unwrap();
    let f = findings
        .iter()
        .find(|f| f["kind"] == "product" && f["id"] == id)
        .unwrap_or_else(|| panic!("{scan}"));
    assert_eq!(
        (f["field"].clone(), f["label"].clone()),
        (json!("title"), json!("顶级真丝睡衣"))
    );
    assert_eq!(f["hits"][0]["text"], "顶级");
    assert!(
        !findings
            .iter()
            .any(|f| f["id"] == id && f["field"] == "description"),
        "honest composition is fine: {scan}"
    );
    assert!(scan["checked"].as_u64().unwrap() >= 2);
    let (_, warn_only) = app.get("/api/v1/compliance/scan?severity=warn", &op).await;
    assert!(warn_only["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["severity"] == "warn")));
    assert_error(
        &app.get("/api/v1/compliance/scan?severity=loud", &op).await,
        422,
        "validation_failed",
    );
}

crate::on_both_backends!(
    a_script_is_checked_and_every_hit_is_placed_explained_and_rewritten,
    admins_keep_the_rules_as_data,
    the_scan_finds_what_was_published
);
