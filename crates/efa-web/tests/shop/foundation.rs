//! The layout, errors, login and the legal pages.

use crate::shop_test;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

shop_test!(start_page_is_german_and_accessible_in_its_structure, |s| {
    let p = s.page("/").await;
    assert_eq!(p.attr("html", "lang"), "de");
    assert_eq!(p.attr("a.skip-link", "href"), "#inhalt");
    assert!(p.has("main#inhalt"));
    assert!(p.text("h1").contains("Onlinedienste"));
    assert_eq!(p.select("#themenfelder > li").len(), 14, "the 14 Themenfelder");
    assert_eq!(p.attr("form[role=search]", "action"), "/onlinedienste");
    for link in ["/barrierefreiheit", "/impressum", "/datenschutz"] {
        assert!(p.has(&format!("footer a[href='{link}']")), "footer links {link}");
    }
    assert!(p.attr("#feedback-link", "href").starts_with("mailto:"));
    assert!(p.has(".dev-banner"), "the development login is announced on every page");
    let csp = p.header("content-security-policy").expect("CSP");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe"), "{csp}");
    assert!(p.header("vary").is_some_and(|v| v.contains("HX-Request")));
    // No inline script: every <script> has a src on our origin.
    for script in p.select("script") {
        assert!(script.value().attr("src").is_some_and(|s| s.starts_with("/assets/")), "script from /assets/");
    }
});

shop_test!(assets_are_hashed_and_cached_for_a_year, |s| {
    let p = s.page("/").await;
    let css = p.attr("link[rel=stylesheet]", "href");
    assert!(css.starts_with("/assets/kern.min.") && css.ends_with(".css"), "{css}");
    let a = s.send(TestRequest::get().uri(&css).insert_header(("accept-encoding", "gzip"))).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(a.header("content-encoding"), Some("gzip"));
    let plain = s.get(&css).await;
    assert!(plain.body.contains("@font-face") && plain.body.contains("/assets/FiraSans-Regular."), "font URLs rewritten to hashed ones");
    assert!(!plain.body.contains("url(fonts/"), "no unhashed font URL is left");
    assert_eq!(s.get("/assets/kern.min.0000.css").await.status, StatusCode::NOT_FOUND);
});

shop_test!(unknown_pages_answer_the_shops_404_and_the_api_keeps_problem_json, |s| {
    let p = s.get("/gibt-es-nicht").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.header("content-type").unwrap_or_default().starts_with("text/html"));
    assert_eq!(p.text("h1"), "Seite nicht gefunden");
    assert!(p.has("header.site-header") && p.has("footer.site-footer"), "in the shop's look");
    let api = s.get("/api/v1/nothing").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.header("content-type").unwrap_or_default().starts_with("application/problem+json"));
    let api = s.get("/api/nothing").await;
    assert!(api.header("content-type").unwrap_or_default().starts_with("application/problem+json"));
});

shop_test!(development_login_errors_keep_values_and_name_their_fields, |s| {
    let form = s.page("/anmelden").await;
    assert!(form.text("h1").contains("Entwicklung"));
    let bad = s.post("/anmelden", &form, &[("organisation", "<script>alert(1)</script>Nirgendwo"), ("role", "kaiser")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let mut fields = bad.assert_error_summary();
    fields.sort();
    assert_eq!(fields, vec!["organisation", "role"]);
    assert_eq!(bad.attr("#f-organisation", "value"), "<script>alert(1)</script>Nirgendwo", "value kept");
    assert!(!bad.body.contains("<script>alert(1)"), "escaped, not executed");
    s.login("05315000", "municipality_user").await;
    let home = s.page("/").await;
    assert_eq!(home.text("#user-org"), "Köln, Stadt");
    assert!(home.text(".flash").contains("Köln"));
    assert_eq!(home.attr("#own-coverage", "href"), "/abdeckung/gemeinden/05315000");
});

shop_test!(forms_without_token_or_from_elsewhere_are_refused, |s| {
    let form = s.page("/anmelden").await;
    // Another origin, even with the right token.
    let csrf = form.attr("input[name=_csrf]", "value");
    let foreign = s
        .send(TestRequest::post().uri("/anmelden").insert_header(("origin", "https://evil.example")).insert_header(("content-type", "application/x-www-form-urlencoded")).set_payload(format!("_csrf={csrf}&organisation=05315000&role=operator")))
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    // Our origin without the token: no session user yet, so back to the login.
    let no_token = s
        .send(TestRequest::post().uri("/anmelden").insert_header(("origin", crate::support::ORIGIN)).insert_header(("content-type", "application/x-www-form-urlencoded")).set_payload("organisation=05315000&role=operator"))
        .await;
    assert_eq!(no_token.status, StatusCode::SEE_OTHER);
    assert!(s.page("/").await.has("#login-link"), "nobody got logged in");
});

shop_test!(logout_ends_the_session, |s| {
    s.login("land:05", "provider_publisher").await;
    let home = s.page("/").await;
    assert!(home.has("#logout"));
    let out = s.post("/abmelden", &home, &[]).await;
    assert_eq!(crate::support::location(&out), "/");
    assert!(s.page("/").await.has("#login-link"));
});

shop_test!(legal_pages_show_the_configured_operator, |s| {
    let p = s.page("/impressum").await;
    assert!(p.text("#operator-name").contains("EFA_OPERATOR_NAME"), "the unconfigured operator says how to configure it");
    assert!(s.page("/barrierefreiheit").await.text("h1").contains("Barrierefreiheit"));
    assert!(s.page("/datenschutz").await.text("h1").contains("Datenschutz"));
});
