//! Online services: filters, shop-style facets, search, detail.

use crate::api_test;
use crate::helpers::*;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::Value;

const LIST: &str = "/api/v1/online-services";

fn uri(pairs: &[(&str, &str)]) -> String {
    format!("{LIST}?{}", serde_urlencoded::to_string(pairs).unwrap())
}

/// The facet values of one dimension as (value, count).
fn facet(body: &Value, dim: &str) -> Vec<(String, u64)> {
    body["facets"][dim]
        .as_array()
        .unwrap_or_else(|| panic!("facets.{dim} in {}", body["facets"]))
        .iter()
        .map(|f| (f["value"].as_str().unwrap().to_owned(), f["count"].as_u64().unwrap()))
        .collect()
}

/// For every dimension: each facet count equals the total of a request with the other
/// filters of `filters` and this dimension set to the facet's value.
async fn assert_facets_consistent<S, B>(app: &S, filters: &[(&str, &str)])
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let body = ok_json(app, &uri(filters)).await;
    assert_eq!(facet(&body, "status").len(), 5, "every status is a facet value");
    if !filters.iter().any(|(k, _)| *k == "efa") {
        let sum: u64 = facet(&body, "efa").iter().map(|(_, c)| c).sum();
        assert_eq!(sum, total(&body), "every match is either EfA or not ({filters:?})");
    }
    for dim in ["themenfeld", "provider", "lead_land", "status", "anbindung", "price_model", "efa"] {
        let others: Vec<(&str, &str)> = filters.iter().filter(|(k, _)| *k != dim).copied().collect();
        let without_own = ok_json(app, &uri(&others)).await;
        assert_eq!(facet(&body, dim), facet(&without_own, dim), "facets.{dim} ignore their own filter ({filters:?})");
        for (value, count) in facet(&body, dim) {
            let mut pairs = others.clone();
            pairs.push((dim, &value));
            let filtered = ok_json(app, &uri(&pairs)).await;
            assert_eq!(total(&filtered), count, "facets.{dim}={value} under {others:?}");
        }
    }
}

api_test!(online_services_total_and_efa_split, |app| {
    let all = ok_json(app, LIST).await;
    assert_eq!(total(&all), 120, "36 EfA projects + 84 NRW WSP services");
    assert_eq!(items(&all).len(), 20);
    assert_eq!(facet(&all, "efa"), vec![("true".to_owned(), 36), ("false".to_owned(), 84)]);

    let efa = ok_json(app, &format!("{LIST}?efa=true&per_page=100")).await;
    assert_eq!(total(&efa), 36);
    assert!(items(&efa).iter().all(|s| s["efa"] == true && s["lead_land"]["code"].is_string()));
    let wsp = ok_json(app, &format!("{LIST}?efa=false&per_page=100")).await;
    assert_eq!(total(&wsp), 84);
    assert!(items(&wsp).iter().all(|s| s["efa"] == false && s["provider"]["name"] == "Land Nordrhein-Westfalen"));

    // Default order: by name.
    let names: Vec<String> = strs(&all, "name").iter().map(|n| efa_domain::fold(n)).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    let desc = ok_json(app, &format!("{LIST}?sort=-name&per_page=100&page=2")).await;
    let names: Vec<String> = strs(&desc, "name").iter().map(|n| efa_domain::fold(n)).collect();
    assert!(names.windows(2).all(|w| w[0] >= w[1]), "{names:?}");
});

api_test!(facets_of_status_ignore_the_status_filter, |app| {
    let both = ok_json(app, &uri(&[("status", "live"), ("lead_land", "05")])).await;
    let land_only = ok_json(app, &uri(&[("lead_land", "05")])).await;
    assert_eq!(facet(&both, "status"), facet(&land_only, "status"));
    let statuses: Vec<String> = facet(&both, "status").into_iter().map(|(v, _)| v).collect();
    assert_eq!(statuses, ["planned", "in_development", "pilot", "live", "retired"], "every status is offered, even at 0");
    for (status, count) in facet(&land_only, "status") {
        let filtered = ok_json(app, &uri(&[("lead_land", "05"), ("status", &status)])).await;
        assert_eq!(total(&filtered), count, "status={status}");
    }
    let live = facet(&both, "status").into_iter().find(|(v, _)| v == "live").unwrap().1;
    assert_eq!(total(&both), live);
    assert!(items(&both).iter().all(|s| s["status"] == "live" && s["lead_land"]["code"] == "05"));

    // The lead_land facet is counted over status=live only: other Länder appear with counts.
    let live_only = ok_json(app, &uri(&[("status", "live")])).await;
    assert_eq!(facet(&both, "lead_land"), facet(&live_only, "lead_land"));
    assert!(facet(&both, "lead_land").iter().any(|(v, c)| v != "05" && *c > 0), "{:?}", facet(&both, "lead_land"));

    // Among the EfA projects several statuses occur: with status=live they are still counted.
    let efa_live = ok_json(app, &uri(&[("efa", "true"), ("status", "live")])).await;
    let others: u64 = facet(&efa_live, "status").iter().filter(|(v, _)| v != "live").map(|(_, c)| c).sum();
    assert!(others > 0, "{:?}", facet(&efa_live, "status"));
});

api_test!(every_facet_count_matches_its_filter, |app| {
    assert_facets_consistent(app, &[]).await;
    assert_facets_consistent(app, &[("status", "live"), ("lead_land", "05")]).await;
    assert_facets_consistent(app, &[("efa", "true"), ("status", "live")]).await;
    assert_facets_consistent(app, &[("q", "gewerbe"), ("anbindung", "link_out")]).await;
});

api_test!(online_services_filters, |app| {
    let link_out = ok_json(app, &format!("{LIST}?anbindung=link_out&per_page=100")).await;
    assert_eq!(total(&link_out), 84);
    assert!(items(&link_out).iter().all(|s| s["anbindung"].as_array().unwrap().iter().any(|a| a == "link_out")));

    // Comma lists mean "any of".
    let live = total(&ok_json(app, &format!("{LIST}?status=live")).await);
    let pilot = total(&ok_json(app, &format!("{LIST}?status=pilot")).await);
    assert!(live > 0 && pilot > 0);
    let either = ok_json(app, &format!("{LIST}?status=live,pilot&per_page=100")).await;
    assert_eq!(total(&either), live + pilot);
    assert!(items(&either).iter().all(|s| s["status"] == "live" || s["status"] == "pilot"));
    assert!(items(&either).iter().any(|s| s["status"] == "pilot"));

    let nrw = ok_json(app, &format!("{LIST}?lead_land=05&per_page=100")).await;
    assert!(total(&nrw) >= 84);
    assert!(items(&nrw).iter().all(|s| s["lead_land"]["code"] == "05"));
    let two = total(&ok_json(app, &format!("{LIST}?lead_land=05,13")).await);
    let mv = total(&ok_json(app, &format!("{LIST}?lead_land=13")).await);
    assert_eq!(two, total(&nrw) + mv);

    let provider = items(&nrw)[0]["provider"]["id"].as_str().unwrap().to_owned();
    let by_provider = ok_json(app, &format!("{LIST}?provider={provider}&per_page=100")).await;
    assert!(total(&by_provider) > 0);
    assert!(items(&by_provider).iter().all(|s| s["provider"]["id"] == provider.as_str()));

    let bau = ok_json(app, &format!("{LIST}?themenfeld=2&per_page=100")).await;
    assert!(total(&bau) > 0);
    let service_ids: Vec<&str> = strs(&bau, "id");
    for id in service_ids {
        let detail = ok_json(app, &format!("{LIST}/{id}")).await;
        assert!(detail["themenfelder"].as_array().unwrap().iter().any(|t| t["id"] == 2), "{detail}");
    }

    // No seeded service states a price model: a valid value filters to nothing.
    assert_eq!(total(&ok_json(app, &format!("{LIST}?price_model=free")).await), 0);
    assert_eq!(total(&ok_json(app, &format!("{LIST}?efa=true&anbindung=link_out")).await), 0);
});

api_test!(online_services_by_ozg_id, |app| {
    let body = ok_json(app, &format!("{LIST}?ozg_id=10519")).await;
    let expected = ok_json(app, "/api/v1/ozg-leistungen/10519").await;
    assert_eq!(total(&body), expected["online_services_count"].as_u64().unwrap());
    assert!(total(&body) >= 2);
    assert!(items(&body).iter().all(|s| s["ozg_leistungen"].as_array().unwrap().iter().any(|o| o["ozg_id"] == 10519)));
    let mut from_list: Vec<&str> = strs(&body, "id");
    let mut from_detail: Vec<&str> = expected["online_services"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    from_list.sort();
    from_detail.sort();
    assert_eq!(from_list, from_detail);
    // A valid OZG-ID without services, and one that does not exist: empty lists.
    assert_eq!(total(&ok_json(app, &format!("{LIST}?ozg_id=10092")).await), 0);
    assert_eq!(total(&ok_json(app, &format!("{LIST}?ozg_id=99999")).await), 0);
});

api_test!(online_services_search, |app| {
    let body = ok_json(app, &format!("{LIST}?q=Fischereischein")).await;
    assert_eq!(strs(&body, "name")[0], "Fischereischein / Fischereiabgabe digital");
    let body = ok_json(app, &format!("{LIST}?q=fischerei")).await;
    assert!(strs(&body, "name").contains(&"Fischerei"));

    // Name matches first, then matches in description, OZG-Leistungen or provider.
    let body = ok_json(app, &format!("{LIST}?q=gewerbe&per_page=100")).await;
    let in_name: Vec<bool> = strs(&body, "name").iter().map(|n| efa_domain::fold(n).contains("gewerbe")).collect();
    assert!(in_name[0], "{in_name:?}");
    let first_other = in_name.iter().position(|b| !b).expect("some match only outside the name");
    assert!(in_name[first_other..].iter().all(|b| !b), "name matches rank first: {:?}", strs(&body, "name"));
    // Umlauts fold here too.
    let a = ok_json(app, &format!("{LIST}?q=Gew%C3%A4sser")).await;
    let b = ok_json(app, &format!("{LIST}?q=gewaesser")).await;
    assert!(total(&a) > 0);
    assert_eq!(strs(&a, "id"), strs(&b, "id"));
});

api_test!(online_services_reject_bad_filters, |app| {
    assert_bad_param(app, &format!("{LIST}?reifegrad_min=5"), "reifegrad_min").await;
    assert_bad_param(app, &format!("{LIST}?reifegrad_min=x"), "reifegrad_min").await;
    assert_bad_param(app, &format!("{LIST}?status=online"), "status").await;
    assert_bad_param(app, &format!("{LIST}?status=live,online"), "status").await;
    assert_bad_param(app, &format!("{LIST}?anbindung=email"), "anbindung").await;
    assert_bad_param(app, &format!("{LIST}?price_model=gratis"), "price_model").await;
    assert_bad_param(app, &format!("{LIST}?efa=ja"), "efa").await;
    assert_bad_param(app, &format!("{LIST}?lead_land=17"), "lead_land").await;
    assert_bad_param(app, &format!("{LIST}?provider=nrw"), "provider").await;
    assert_bad_param(app, &format!("{LIST}?ozg_id=abc"), "ozg_id").await;
    assert_bad_param(app, &format!("{LIST}?themenfeld=bauen"), "themenfeld").await;
    assert_bad_param(app, &format!("{LIST}?sort=price"), "sort").await;
    assert_bad_param(app, &format!("{LIST}?per_page=0"), "per_page").await;
});

api_test!(online_service_detail_etag_and_errors, |app| {
    let list = ok_json(app, &format!("{LIST}?q=Fischereischein")).await;
    let summary = &items(&list)[0];
    let id = summary["id"].as_str().unwrap();
    let r = get(app, &format!("{LIST}/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let detail = r.json();
    for field in ["id", "name", "provider", "lead_land", "efa", "status", "anbindung", "ozg_leistungen"] {
        assert_eq!(detail[field], summary[field], "{field}");
    }
    assert_eq!(detail["ozg_leistungen"][0]["ozg_id"], 10148);
    assert!(detail["prices"].is_object());
    assert!(detail["themenfelder"].as_array().is_some_and(|t| !t.is_empty()));
    assert!(detail["source"].as_str().is_some_and(|s| s.ends_with(".csv")));
    for ts in ["created_at", "updated_at"] {
        let t = detail[ts].as_str().unwrap();
        assert!(t.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{ts} ISO 8601 UTC: {t}");
    }

    let etag = r.header("etag").expect("ETag").to_owned();
    let again = send(app, TestRequest::get().uri(&format!("{LIST}/{id}")).insert_header(("If-None-Match", etag.as_str()))).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    let weak = send(app, TestRequest::get().uri(&format!("{LIST}/{id}")).insert_header(("If-None-Match", format!("W/{etag}")))).await;
    assert_eq!(weak.status, StatusCode::NOT_MODIFIED, "weak comparison for If-None-Match");

    let p = get_problem(app, &format!("{LIST}/00000000-0000-4000-8000-000000000000"), 404).await;
    assert!(p["detail"].as_str().unwrap().contains("00000000-0000-4000-8000-000000000000"));
    assert_bad_param(app, &format!("{LIST}/not-a-uuid"), "id").await;
    assert_bad_param(app, &format!("{LIST}/12345"), "id").await;
});
