//! The shop's pages, one file per area; each handler takes a [`Shop`], calls the catalogue,
//! the coverage index or an operation, and renders one template.

pub mod account;
pub mod agreements;
pub mod audit;
pub mod cache;
pub mod catalogue_view;
pub mod compare;
pub mod coverage;
pub mod frameworks;
pub mod home;
pub mod legal;
pub mod listing_form;
pub mod listings;
pub mod members;
pub mod order;
pub mod organisations;
pub mod ozg;
pub mod pager;
pub mod requests;
pub mod review;
pub mod search;
pub mod service;
pub mod tasks;
pub mod webhooks;

use crate::errors::WebError;
use crate::session::Shop;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

/// Every route of the shop.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::start))
        .route("/onlinedienste", web::get().to(search::services))
        .route("/onlinedienste/{id}", web::get().to(service::page))
        .route("/onlinedienste/{id}/beitritt/{framework_id}", web::get().to(order::accession_form))
        .route("/onlinedienste/{id}/beitritt/{framework_id}", web::post().to(order::accede))
        .route("/onlinedienste/{id}/anfrage", web::get().to(order::request_form))
        .route("/onlinedienste/{id}/anfrage", web::post().to(order::file_request))
        .route("/anfragen", web::get().to(requests::list))
        .route("/anfragen/{id}", web::get().to(requests::show))
        .route("/anfragen/{id}/einreichen", web::post().to(requests::submit))
        .route("/anfragen/{id}/zurueckziehen", web::post().to(requests::withdraw))
        .route("/anfragen/{id}/nachrichten", web::post().to(requests::write_message))
        .route("/anfragen/{id}/genehmigen", web::post().to(requests::approve))
        .route("/anfragen/{id}/ablehnen", web::post().to(requests::reject))
        .route("/anfragen/{id}/annehmen", web::post().to(requests::accept))
        .route("/vertraege", web::get().to(agreements::list))
        .route("/vertraege/{number}", web::get().to(agreements::show))
        .route("/vertraege/{number}/unterschreiben", web::post().to(agreements::sign))
        .route("/vertraege/{number}/onboarding/{step}", web::post().to(agreements::onboard))
        .route("/vertraege/{number}/kuendigen", web::post().to(agreements::terminate))
        .route("/angebote", web::get().to(listings::list))
        .route("/angebote/neu", web::get().to(listings::new_form))
        .route("/angebote/neu", web::post().to(listings::create))
        .route("/angebote/{id}", web::get().to(listings::show))
        .route("/angebote/{id}/bearbeiten", web::get().to(listings::edit_form))
        .route("/angebote/{id}/bearbeiten", web::post().to(listings::update))
        .route("/angebote/{id}/einreichen", web::post().to(listings::submit))
        .route("/angebote/{id}/stilllegen", web::post().to(listings::retire))
        .route("/pruefung", web::get().to(review::queue))
        .route("/pruefung/{id}", web::get().to(review::show))
        .route("/pruefung/{id}/freigeben", web::post().to(review::approve))
        .route("/pruefung/{id}/ablehnen", web::post().to(review::reject))
        .route("/aufgaben", web::get().to(tasks::tasks))
        .route("/rahmenvertraege", web::get().to(frameworks::list))
        .route("/rahmenvertraege", web::post().to(frameworks::offer))
        .route("/rahmenvertraege/{id}/genehmigen", web::post().to(frameworks::approve))
        .route("/protokoll", web::get().to(audit::list))
        .route("/organisationen", web::get().to(organisations::list))
        .route("/organisationen/{id}", web::get().to(organisations::show))
        .route("/meine-gemeinden", web::get().to(members::list))
        .route("/webhooks", web::get().to(webhooks::list))
        .route("/webhooks", web::post().to(webhooks::register))
        .route("/webhooks/{id}", web::get().to(webhooks::show))
        .route("/webhooks/{id}/loeschen", web::post().to(webhooks::remove))
        .route("/webhooks/{id}/aktivieren", web::post().to(webhooks::enable))
        .route("/konto", web::get().to(account::page))
        .route("/konto", web::post().to(account::save))
        .route("/leistungen", web::get().to(search::leistungen))
        .route("/leistungen/{ozg_id}", web::get().to(ozg::page))
        .route("/vergleich", web::get().to(compare::page))
        .route("/vergleich", web::post().to(compare::change))
        .route("/abdeckung", web::get().to(coverage::chooser))
        .route("/abdeckung/gemeinden/{ags}", web::get().to(coverage::gemeinde))
        .route("/abdeckung/gemeinden/{ags}/naechste.csv", web::get().to(coverage::next_csv))
        .route("/abdeckung/kreise/{code}", web::get().to(coverage::kreis))
        .route("/abdeckung/laender/{code}", web::get().to(coverage::land))
        .route("/barrierefreiheit", web::get().to(legal::accessibility))
        .route("/impressum", web::get().to(legal::imprint))
        .route("/datenschutz", web::get().to(legal::privacy))
        .route("/lizenzen", web::get().to(legal::licences))
        .route("/anmelden", web::get().to(crate::auth::login_page))
        .route("/anmelden", web::post().to(crate::auth::dev_login))
        .route("/anmelden/callback", web::get().to(crate::auth::callback))
        .route("/abmelden", web::post().to(crate::auth::logout));
}

/// A rendered page with status 200.
pub fn render<T: Template>(page: &T) -> Result<HttpResponse, WebError> {
    render_status(page, StatusCode::OK)
}

pub fn render_status<T: Template>(page: &T, status: StatusCode) -> Result<HttpResponse, WebError> {
    let html = page.render().map_err(|e| WebError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(html))
}

/// A catalogue page's answer: kept in the page cache when it is the page everyone without
/// personal state sees (`cacheable`: then it was rendered with the CSRF slot), else as it is.
pub fn finish(shop: &Shop, snaps: &cache::Snapshots, cacheable: bool, status: StatusCode, html: String) -> Page {
    if cacheable && status == StatusCode::OK {
        return Ok(shop.web.pages.store(shop, snaps, status, html));
    }
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(html.replace(cache::CSRF_SLOT, &shop.csrf())))
}

/// Renders a page to its HTML.
pub fn html<T: Template>(page: &T) -> Result<String, WebError> {
    page.render().map_err(|e| WebError::Internal(anyhow::anyhow!("template: {e}")))
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Cents as German euros: 123456 → "1.234,56 €".
pub fn euro(cents: i64) -> String {
    let neg = cents < 0;
    let c = cents.unsigned_abs();
    let (eur, ct) = (c / 100, c % 100);
    let digits = eur.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    format!("{}{grouped},{ct:02}\u{a0}€", if neg { "−" } else { "" })
}

/// A number with German thousands separators: 11004 → "11.004".
pub fn number(n: i64) -> String {
    let s = euro(n * 100);
    s.trim_end_matches("\u{a0}€").trim_end_matches(",00").to_owned()
}

/// A date as Germans write it: 01.07.2027.
pub fn date(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// A date as typed: TT.MM.JJJJ (also T.M.JJJJ) or, from `<input type=date>`, JJJJ-MM-TT.
pub fn parse_date(raw: &str) -> Option<chrono::NaiveDate> {
    let s = raw.trim();
    chrono::NaiveDate::parse_from_str(s, "%d.%m.%Y").or_else(|_| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")).ok().filter(|d| (1900..=9999).contains(&chrono::Datelike::year(d)))
}

/// A moment as the clock in Germany showed it: 01.07.2027, 14:05 Uhr.
pub fn datetime(t: chrono::DateTime<chrono::Utc>) -> String {
    efa_domain::calendar::wall_time(t).format("%d.%m.%Y, %H:%M Uhr").to_string()
}

/// The shop handler's usual return.
pub type Page = Result<HttpResponse, WebError>;

/// Guards that pages and their tests share: the layout of `shop` for `title`.
pub async fn layout(shop: &Shop, title: impl Into<String>) -> crate::layout::Layout {
    crate::layout::Layout::of(shop, title).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_numbers() {
        assert_eq!(euro(123456), "1.234,56\u{a0}€");
        assert_eq!(euro(5), "0,05\u{a0}€");
        assert_eq!(euro(100_000_000), "1.000.000,00\u{a0}€");
        assert_eq!(number(11004), "11.004");
        assert_eq!(number(12), "12");
        assert_eq!(urlencode("/a b?x=ü"), "/a%20b%3Fx%3D%C3%BC");
    }

    #[test]
    fn dates_as_typed() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(parse_date("01.12.2026"), d(2026, 12, 1));
        assert_eq!(parse_date(" 1.2.2026 "), d(2026, 2, 1));
        assert_eq!(parse_date("2026-12-01"), d(2026, 12, 1));
        for bad in ["31.02.2026", "2026", "12/01/2026", "", "01.12.26"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
