//! The numbered pager of every list page (first, last, and two either side of the current one).

pub struct PagerLink {
    pub number: u32,
    pub href: String,
    pub current: bool,
    /// A gap before this link ("…").
    pub gap_before: bool,
}

pub struct Pager {
    pub page: u32,
    pub last: u32,
    pub links: Vec<PagerLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// A list's filter as the query of its pager's links: the fields given, percent-encoded.
pub fn filter_query(fields: &[(&str, &str)]) -> String {
    fields.iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, v)| format!("{k}={}", super::urlencode(v.trim()))).collect::<Vec<_>>().join("&")
}

impl Pager {
    /// Links to the pages of a list at `path` with the filter `query` (without the page),
    /// the page number in parameter `param`, `page` of `last` shown.
    pub fn new(path: &str, query: &str, param: &str, page: u32, last: u32) -> Pager {
        let href = |n: u32| if query.is_empty() { format!("{path}?{param}={n}") } else { format!("{path}?{query}&{param}={n}") };
        let mut links = Vec::new();
        let mut previous = 0;
        for n in 1..=last {
            if n == 1 || n == last || n.abs_diff(page) <= 2 {
                links.push(PagerLink { number: n, href: href(n), current: n == page, gap_before: previous != 0 && n > previous + 1 });
                previous = n;
            }
        }
        Pager { page, last, links, prev: (page > 1).then(|| href((page - 1).min(last))), next: (page < last).then(|| href(page + 1)) }
    }
}

