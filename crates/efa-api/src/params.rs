//! Query parameters: parsed one by one, so a bad value is a 400 naming its parameter.
//!
//! Parameter structs hold raw strings (`Option<String>`): deserialisation itself can then
//! only fail on an unknown parameter, and each value is parsed here with its name.

use crate::error::ApiError;
use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};
use std::fmt::Display;
use utoipa::{IntoParams, ToSchema};

pub const DEFAULT_PER_PAGE: u32 = 20;
pub const MAX_PER_PAGE: u32 = 100;
/// Longest accepted free-text search, in characters.
pub const MAX_Q_CHARS: usize = 200;

/// The query of an endpoint that takes no parameters: any parameter is unknown, so the
/// request answers 400 naming it, as everywhere else (`web::Query<NoParams>`).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoParams {}

pub fn opt<T, E: Display>(name: &str, raw: &Option<String>, parse: impl FnOnce(&str) -> Result<T, E>) -> Result<Option<T>, ApiError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse(s).map(Some).map_err(|e| ApiError::bad_param(name, e)),
    }
}

/// A comma-separated list: `status=live,pilot` means live or pilot.
pub fn list<T, E: Display>(name: &str, raw: &Option<String>, parse: impl Fn(&str) -> Result<T, E>) -> Result<Vec<T>, ApiError> {
    match raw.as_deref() {
        None => Ok(Vec::new()),
        Some(s) => s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(|p| parse(p).map_err(|e| ApiError::bad_param(name, e))).collect(),
    }
}

pub fn boolean(name: &str, raw: &Option<String>) -> Result<Option<bool>, ApiError> {
    opt(name, raw, |s| match s {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("{other:?} is not true or false")),
    })
}

pub fn int(name: &str, raw: &Option<String>) -> Result<Option<i32>, ApiError> {
    opt(name, raw, |s| s.parse::<i32>().map_err(|_| format!("{s:?} is not a whole number")))
}

pub fn text(name: &str, raw: &Option<String>) -> Result<Option<String>, ApiError> {
    opt(name, raw, |s| {
        if s.chars().count() > MAX_Q_CHARS {
            Err(format!("longer than {MAX_Q_CHARS} characters"))
        } else if s.contains('\0') {
            Err("contains a NUL character".to_owned())
        } else {
            Ok(s.to_owned())
        }
    })
}

/// `sort=name` or `sort=-name` (descending), from the allowed keys.
pub fn sort<T: Copy>(raw: &Option<String>, allowed: &[(&str, T)], default: T) -> Result<(T, bool), ApiError> {
    let Some(s) = raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok((default, false));
    };
    let (key, desc) = match s.strip_prefix('-') {
        Some(k) => (k, true),
        None => (s, false),
    };
    allowed.iter().find(|(k, _)| *k == key).map(|&(_, v)| (v, desc)).ok_or_else(|| {
        let keys: Vec<&str> = allowed.iter().map(|(k, _)| *k).collect();
        ApiError::bad_param("sort", format!("{s:?} is not one of {} (prefix - for descending)", keys.join(", ")))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u32,
    pub per_page: u32,
}

impl Page {
    pub fn parse(page: &Option<String>, per_page: &Option<String>) -> Result<Page, ApiError> {
        let page = opt("page", page, |s| match s.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(format!("{s:?} is not a page number (1 to {})", u32::MAX)),
        })?
        .unwrap_or(1);
        let per_page = opt("per_page", per_page, |s| match s.parse::<u32>() {
            Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => Ok(n),
            _ => Err(format!("{s:?} is not a whole number between 1 and {MAX_PER_PAGE}")),
        })?
        .unwrap_or(DEFAULT_PER_PAGE);
        Ok(Page { page, per_page })
    }

    /// Rows to skip in a database query for this page.
    pub fn offset(&self) -> i64 {
        (i64::from(self.page) - 1) * i64::from(self.per_page)
    }

    /// The slice of `items` this page shows.
    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let (skip, take) = self.window();
        let start = skip.min(items.len());
        let end = start.saturating_add(take).min(items.len());
        &items[start..end]
    }

    /// How many items come before this page, and how many it holds at most.
    pub fn window(&self) -> (usize, usize) {
        let start = (u64::from(self.page.max(1)) - 1) * u64::from(self.per_page);
        (usize::try_from(start).unwrap_or(usize::MAX), self.per_page as usize)
    }

    pub fn last(&self, total: usize) -> u32 {
        let pages = total.div_ceil(self.per_page as usize).max(1);
        u32::try_from(pages).unwrap_or(u32::MAX)
    }

    /// RFC 8288 `Link` header with first, prev, next and last, keeping every other parameter.
    pub fn link_header(&self, req: &HttpRequest, total: usize) -> String {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        // The other parameters, encoded once for all the links.
        let kept: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "page").collect();
        let others = serde_urlencoded::to_string(&kept).unwrap_or_default();
        let url = |page: u32| if others.is_empty() { format!("{}?page={page}", req.path()) } else { format!("{}?{others}&page={page}", req.path()) };
        let last = self.last(total);
        let mut links = vec![format!("<{}>; rel=\"first\"", url(1))];
        if self.page > 1 {
            links.push(format!("<{}>; rel=\"prev\"", url((self.page - 1).min(last))));
        }
        if self.page < last {
            links.push(format!("<{}>; rel=\"next\"", url(self.page + 1)));
        }
        links.push(format!("<{}>; rel=\"last\"", url(last)));
        links.join(", ")
    }
}

/// The `Link` header of a page read by cursor (`after`): the first page, and the next one
/// when `next` (the cursor of this page's last row) is given.
pub fn cursor_link_header(req: &HttpRequest, next: Option<&str>) -> String {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let url = |after: Option<&str>| {
        let mut q: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "page" && k != "after").cloned().collect();
        if let Some(a) = after {
            q.push(("after".into(), a.to_owned()));
        }
        format!("{}?{}", req.path(), serde_urlencoded::to_string(&q).unwrap_or_default())
    };
    let mut links = vec![format!("<{}>; rel=\"first\"", url(None))];
    if let Some(n) = next {
        links.push(format!("<{}>; rel=\"next\"", url(Some(n))));
    }
    links.join(", ")
}

/// The cursor of the page after `items` (a full page of `per_page`), from its last item.
pub fn next_cursor<T>(items: &[T], page: Page, cursor: impl Fn(&T) -> String) -> Option<String> {
    (items.len() == page.per_page as usize).then(|| items.last().map(cursor)).flatten()
}

/// Paging facts every list response carries beside its items.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PageMeta {
    /// Items matching the request, on all pages.
    pub total: usize,
    pub page: u32,
    pub per_page: u32,
}

impl PageMeta {
    pub fn new(p: Page, total: usize) -> PageMeta {
        PageMeta { total, page: p.page, per_page: p.per_page }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn page_defaults_and_bounds() {
        assert_eq!(Page::parse(&None, &None).unwrap(), Page { page: 1, per_page: 20 });
        for bad in ["0", "1000", "-1", "x", "101"] {
            let e = Page::parse(&None, &s(bad)).unwrap_err();
            assert!(matches!(e, ApiError::BadParameter { ref parameter, .. } if parameter == "per_page"), "{bad}");
        }
        assert!(Page::parse(&s("0"), &None).is_err());
        assert!(Page::parse(&s("99999999999999999999"), &None).is_err());
    }

    #[test]
    fn slice_past_the_end_is_empty() {
        let items: Vec<u32> = (0..45).collect();
        let p = Page { page: 3, per_page: 20 };
        assert_eq!(p.slice(&items), &[40, 41, 42, 43, 44]);
        assert!(Page { page: u32::MAX, per_page: 100 }.slice(&items).is_empty());
        assert_eq!(p.last(45), 3);
        assert_eq!(p.last(0), 1);
    }

    #[test]
    fn sort_accepts_known_keys_with_optional_minus() {
        let allowed = [("name", 1), ("ozg_id", 2)];
        assert_eq!(sort(&s("-name"), &allowed, 0).unwrap(), (1, true));
        assert_eq!(sort(&None, &allowed, 0).unwrap(), (0, false));
        assert!(sort(&s("price"), &allowed, 0).is_err());
    }

    #[test]
    fn text_rejects_nul_and_overlong() {
        assert!(text("q", &s("a\0b")).is_err());
        assert!(text("q", &Some("x".repeat(201))).is_err());
        assert_eq!(text("q", &s(" wohngeld ")).unwrap().as_deref(), Some("wohngeld"));
    }
}

/// Query of a list of Nachnutzung records: any of `state`, one `online_service`, one `kreis`,
/// an order, a page (by number, or after a cursor).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecordListParams {
    /// Any of these states, comma-separated.
    #[param(value_type = Option<String>)]
    pub state: Option<String>,
    /// Only records of this online service (UUID).
    #[param(value_type = Option<String>, format = Uuid)]
    pub online_service: Option<String>,
    /// Only records of this Kreis (five-digit code, e.g. 05154): requests covering one of its
    /// Gemeinden or the Kreis itself; agreements whose customer is one of them.
    #[param(value_type = Option<String>, example = "05154", pattern = "^[0-9]{5}$")]
    pub kreis: Option<String>,
    /// The order: newest first (the default; `-created_at` for requests, `-number` for
    /// agreements) or oldest first (`created_at`, `number`).
    #[param(value_type = Option<String>, example = "created_at")]
    pub sort: Option<String>,
    /// Keyset paging: the page after this cursor, the `next` of the page before (faster than
    /// `page` deep into a list; not together with a `page` beyond 1).
    #[param(value_type = Option<String>)]
    pub after: Option<String>,
    /// Page number, from 1 (a page past the end is empty).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295.0)]
    pub page: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

/// Which list a [`RecordListParams`] is for: its sort key and its cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordList {
    /// Reuse requests: by `created_at`, cursor [`efa_store::reuse::request_cursor`].
    Requests,
    /// Agreements: by `number`, the cursor a contract number.
    Agreements,
}

impl RecordListParams {
    /// The filter and page, each state checked against `states`.
    pub fn parse(&self, list: RecordList, states: &[&str]) -> Result<(efa_store::reuse::ListFilter, Page), ApiError> {
        use efa_store::reuse::Order;
        let states = self::list("state", &self.state, |s| {
            if states.contains(&s) { Ok(s.to_owned()) } else { Err(format!("{s:?} is not one of {}", states.join(", "))) }
        })?;
        let online_service = opt("online_service", &self.online_service, uuid::Uuid::parse_str)?.map(|u| u.to_string());
        let kreis = opt("kreis", &self.kreis, |s| {
            if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) { Ok(s.to_owned()) } else { Err(format!("{s:?} is not a five-digit Kreis code")) }
        })?;
        let key = match list {
            RecordList::Requests => "created_at",
            RecordList::Agreements => "number",
        };
        let order = match self.sort.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Order::NewestFirst,
            Some(_) => match sort(&self.sort, &[(key, ())], ())? {
                (_, true) => Order::NewestFirst,
                (_, false) => Order::OldestFirst,
            },
        };
        let after = opt("after", &self.after, |s| {
            let ok = match list {
                RecordList::Requests => efa_store::reuse::parse_request_cursor(s).is_some(),
                RecordList::Agreements => efa_store::reuse::is_agreement_cursor(s),
            };
            if ok { Ok(s.to_owned()) } else { Err(format!("{s:?} is not a cursor of this list (the `next` of a page)")) }
        })?;
        let page = Page::parse(&self.page, &self.per_page)?;
        if after.is_some() && page.page > 1 {
            return Err(ApiError::bad_param("page", "a page number and a cursor (after) together: give one of them"));
        }
        Ok((efa_store::reuse::ListFilter { states, online_service, kreis, order, after }, page))
    }
}
