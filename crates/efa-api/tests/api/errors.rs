//! RFC 9457 problem documents for every error, including the framework's own.

use crate::api_test;
use crate::helpers::*;
use actix_web::test::TestRequest;

api_test!(unknown_routes_answer_404_problem, |app| {
    for uri in ["/nope", "/api/v1/nope", "/api/v2/ozg-leistungen", "/api/v1/ozg-leistungen/10092/extra", "/api/v1/laender/", "/"] {
        let (status, headers, p) = get_json(app, uri).await;
        assert_eq!(status.as_u16(), 404, "{uri}");
        assert_eq!(headers.get("content-type").unwrap(), "application/problem+json", "{uri}");
        assert_eq!(p["status"], 404);
        assert_eq!(p["title"], "Not Found");
        assert_eq!(p["type"], "https://efa-marktplatz.de/problems/not-found", "{uri}");
        assert!(p["detail"].as_str().unwrap().contains(uri), "{uri}: {p}");
    }
});

api_test!(wrong_method_answers_405_with_allow, |app| {
    let cases = [
        (TestRequest::post(), "/api/v1/lebenslagen"),
        (TestRequest::post(), "/api/v1/laender"),
        (TestRequest::put(), "/api/v1/ozg-leistungen/10092/history"),
        (TestRequest::delete(), "/api/v1/gemeinden/05315000"),
        (TestRequest::patch(), "/api/v1/kreise"),
        (TestRequest::post(), "/healthz"),
        (TestRequest::delete(), "/metrics"),
    ];
    for (req, uri) in cases {
        let r = send(app, req.uri(uri)).await;
        let p = assert_problem(&r, 405);
        assert_eq!(r.header("allow"), Some("GET, HEAD"), "{uri}");
        assert_eq!(p["type"], "https://efa-marktplatz.de/problems/method-not-allowed");
        assert!(p["detail"].as_str().unwrap().contains("GET"), "{p}");
    }
    // HEAD is answered wherever GET is: same status and headers (the codec of a real
    // connection leaves the body out; e2e checks that on the wire).
    for uri in ["/api/v1/laender", "/api/v1/ozg-leistungen/10092", "/healthz"] {
        let g = send(app, TestRequest::get().uri(uri)).await;
        let h = send(app, TestRequest::default().method(actix_web::http::Method::HEAD).uri(uri)).await;
        assert_eq!((h.status, h.header("content-type"), h.header("etag")), (g.status, g.header("content-type"), g.header("etag")), "{uri}");
    }
    let r = send(app, TestRequest::default().method(actix_web::http::Method::HEAD).uri("/api/v1/reuse-requests/x/submit")).await;
    assert_eq!((r.status.as_u16(), r.header("allow")), (405, Some("POST")));
    // A wrong method on an unknown path is still 404.
    let r = send(app, TestRequest::post().uri("/api/v1/nope")).await;
    assert_problem(&r, 404);
});

api_test!(unknown_query_parameters_answer_400_naming_them, |app| {
    let cases = [
        ("/api/v1/ozg-leistungen?foo=1", "foo"),
        ("/api/v1/ozg-leistungen?query=wohngeld", "query"),
        ("/api/v1/online-services?statu=live", "statu"),
        ("/api/v1/online-services?status=live&land=05", "land"),
        ("/api/v1/lebenslagen?themenfeld=1&x=2", "x"),
        ("/api/v1/organisations?name=kdn", "name"),
        ("/api/v1/kreise?bundesland=09", "bundesland"),
        ("/api/v1/gemeinden?ags=05315000", "ags"),
        ("/api/v1/themenfelder?lang=de", "lang"),
        ("/api/v1/laender?sort=name", "sort"),
    ];
    for (uri, parameter) in cases {
        assert_bad_param(app, uri, parameter).await;
    }
    // A parameter given twice is ambiguous.
    assert_bad_param(app, "/api/v1/ozg-leistungen?page=1&page=2", "page").await;
});

api_test!(query_values_of_the_wrong_type_name_the_parameter, |app| {
    let cases = [
        ("/api/v1/ozg-leistungen?per_page=0", "per_page"),
        ("/api/v1/ozg-leistungen?per_page=1000", "per_page"),
        ("/api/v1/ozg-leistungen?page=0", "page"),
        ("/api/v1/ozg-leistungen?themenfeld=eins", "themenfeld"),
        ("/api/v1/ozg-leistungen?has_online_service=1", "has_online_service"),
        ("/api/v1/online-services?reifegrad_min=-1", "reifegrad_min"),
        ("/api/v1/online-services?efa=TRUE", "efa"),
        ("/api/v1/gemeinden?per_page=abc", "per_page"),
    ];
    for (uri, parameter) in cases {
        let p = get_problem(app, uri, 400).await;
        assert_eq!(p["parameter"], parameter, "{uri}: {p}");
        assert!(p["detail"].as_str().unwrap().starts_with(&format!("{parameter}:")), "{uri}: {p}");
    }
});

api_test!(every_error_body_is_problem_json, |app| {
    let cases: Vec<(TestRequest, u16)> = vec![
        (TestRequest::get().uri("/nope"), 404),
        (TestRequest::get().uri("/docs/no-such-asset.js"), 404),
        (TestRequest::get().uri("/api/v1/ozg-leistungen/99999"), 404),
        (TestRequest::get().uri("/api/v1/ozg-leistungen/abc"), 400),
        (TestRequest::get().uri("/api/v1/ozg-leistungen?per_page=0"), 400),
        (TestRequest::get().uri("/api/v1/ozg-leistungen?q=a%00b"), 400),
        (TestRequest::get().uri("/api/v1/leika/1"), 400),
        (TestRequest::post().uri("/api/v1/themenfelder").set_payload("x"), 405),
        (TestRequest::put().uri("/openapi.json"), 405),
    ];
    for (req, status) in cases {
        // Even a browser asking for HTML gets problem+json.
        let r = send(app, req.insert_header(("Accept", "text/html"))).await;
        assert!(!r.content_type().contains("html") && !r.content_type().starts_with("text/"), "{:?}", r.content_type());
        assert_problem(&r, status);
    }
});

api_test!(docs_and_spec_are_served, |app| {
    // /docs without the slash leads to the Swagger UI (not a self-contradicting 405).
    let r = get(app, "/docs").await;
    assert!(r.status.is_redirection(), "{:?}: {}", r.status, r.text());
    assert_eq!(r.header("location"), Some("/docs/"));
    let ui = get(app, "/docs/").await;
    assert_eq!(ui.status.as_u16(), 200);
    assert!(ui.content_type().starts_with("text/html"));

    let spec = get(app, "/openapi.json").await;
    assert_eq!(spec.status.as_u16(), 200);
    assert!(spec.content_type().starts_with("application/json"));
    let served = spec.json();
    let generated: serde_json::Value = serde_json::from_str(&efa_api::openapi::spec_json()).unwrap();
    assert_eq!(served, generated, "/openapi.json serves the generated spec");
});
