use crate::common::{assert_error, TestApp};
use reqwest::{Method, StatusCode};

async fn health_readiness_and_metrics_answer(app: TestApp) {
    let res = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().contains_key("x-request-id"),
        "every answer carries a request id"
    );
    let (s, body) = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["status"], "ready");
    let text = app.metrics().await;
    assert!(text.contains("sellstream_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/readyz\""), "{text}");
    assert!(text.contains("sellstream_db_connections"), "{text}");
}

async fn the_openapi_document_lists_every_route(app: TestApp) {
    let (s, doc) = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/products",
        "/api/v1/products/{id}",
        "/api/v1/sessions/{id}/bag",
        "/api/v1/sessions/{id}/transition",
        "/api/v1/public/sessions/{id}",
        "/api/v1/staff",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    assert!(doc["components"]["schemas"]["Product"].is_object());
}

async fn unknown_routes_and_methods_answer_json_errors(app: TestApp) {
    assert_error(
        &app.call(Method::GET, "/api/v1/nope", None, None).await,
        404,
        "not_found",
    );
    assert_error(
        &app.call(Method::GET, "/api/v2/products", None, None).await,
        404,
        "not_found",
    );
    assert_error(
        &app.call(Method::PATCH, "/api/v1/products", None, None)
            .await,
        405,
        "method_not_allowed",
    );
    // Outside the API, unknown paths are the UI's (history routing), never an error page.
    let res = app
        .client
        .get(format!("{}/s/123", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

async fn migrations_are_safe_to_run_twice(app: TestApp) {
    let again = app.store.migrate().await.unwrap();
    assert!(again.applied.is_empty());
    assert!(again.already >= 1);
}

#[tokio::test]
async fn without_a_built_ui_a_page_says_how_to_build_it() {
    let empty = crate::common::TempDir::new();
    let config = sellstream_server::ServerConfig {
        web_dir: Some(empty.0.clone()),
        ..Default::default()
    };
    let app = TestApp::spawn_with(crate::common::Backend::Sqlite, config)
        .await
        .unwrap();
    for path in ["/", "/console/", "/s/1"] {
        let res = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("npm run build --prefix web"),
            "{path}: {html}"
        );
    }
    let (s, _) = app.call(Method::GET, "/api/v1/brand", None, None).await;
    assert_eq!(s, StatusCode::OK, "the API works without the UI");
}

crate::on_both_backends!(
    health_readiness_and_metrics_answer,
    the_openapi_document_lists_every_route,
    unknown_routes_and_methods_answer_json_errors,
    migrations_are_safe_to_run_twice,
);
