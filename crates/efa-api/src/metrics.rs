//! Prometheus metrics: request count and latency histogram per route, method and status;
//! rebuilds of the read model (catalogue and coverage snapshots) and their time.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Default)]
struct Series {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    series: Mutex<HashMap<(String, &'static str, u16), Series>>,
    /// Per kind of rebuild: how many, and their seconds in all.
    rebuilds: Mutex<std::collections::BTreeMap<&'static str, (u64, f64)>>,
}

/// The label of a request method: the standard ones by name, any other as "other" (a label
/// per made-up method would let clients grow the series without bound).
pub fn method_label(m: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    [Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS, Method::TRACE, Method::CONNECT]
        .iter()
        .zip(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"])
        .find(|(known, _)| *known == m)
        .map_or("other", |(_, name)| name)
}

impl Metrics {
    pub fn observe(&self, route: String, method: &'static str, status: u16, seconds: f64) {
        let mut map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let s = map.entry((route, method, status)).or_default();
        s.count += 1;
        s.sum += seconds;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                s.buckets[i] += 1;
            }
        }
    }

    /// One rebuild of the read model: `what` (full, listings, coverage) took `seconds`.
    pub fn observe_rebuild(&self, what: &'static str, seconds: f64) {
        let mut map = self.rebuilds.lock().unwrap_or_else(|p| p.into_inner());
        let e = map.entry(what).or_default();
        e.0 += 1;
        e.1 += seconds;
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let mut keys: Vec<_> = map.keys().collect();
        keys.sort();
        let mut out = String::new();
        out.push_str("# HELP efa_http_requests_total HTTP requests answered.\n# TYPE efa_http_requests_total counter\n");
        for k in &keys {
            let _ = writeln!(out, "efa_http_requests_total{{{}}} {}", labels(k), map[*k].count);
        }
        out.push_str("# HELP efa_http_request_duration_seconds Time to answer an HTTP request.\n");
        out.push_str("# TYPE efa_http_request_duration_seconds histogram\n");
        for k in &keys {
            let s = &map[*k];
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(out, "efa_http_request_duration_seconds_bucket{{{},le=\"{le}\"}} {}", labels(k), s.buckets[i]);
            }
            let _ = writeln!(out, "efa_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}", labels(k), s.count);
            let _ = writeln!(out, "efa_http_request_duration_seconds_sum{{{}}} {}", labels(k), s.sum);
            let _ = writeln!(out, "efa_http_request_duration_seconds_count{{{}}} {}", labels(k), s.count);
        }
        let rebuilds = self.rebuilds.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str("# HELP efa_read_model_rebuilds_total Rebuilds of the in-process read model after writes.\n# TYPE efa_read_model_rebuilds_total counter\n");
        for (what, (n, _)) in rebuilds.iter() {
            let _ = writeln!(out, "efa_read_model_rebuilds_total{{what=\"{what}\"}} {n}");
        }
        out.push_str("# HELP efa_read_model_rebuild_seconds_total Time spent rebuilding the read model.\n# TYPE efa_read_model_rebuild_seconds_total counter\n");
        for (what, (_, secs)) in rebuilds.iter() {
            let _ = writeln!(out, "efa_read_model_rebuild_seconds_total{{what=\"{what}\"}} {secs}");
        }
        out
    }
}

fn labels((route, method, status): &(String, &str, u16)) -> String {
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    format!("route=\"{}\",method=\"{}\",status=\"{status}\"", esc(route), esc(method))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_match() {
        let m = Metrics::default();
        m.observe("/api/v1/laender".into(), "GET", 200, 0.0007);
        m.observe("/api/v1/laender".into(), "GET", 200, 0.02);
        let text = m.render();
        assert!(text.contains("efa_http_requests_total{route=\"/api/v1/laender\",method=\"GET\",status=\"200\"} 2"));
        assert!(text.contains("le=\"0.0005\"} 0"));
        assert!(text.contains("le=\"0.001\"} 1"));
        assert!(text.contains("le=\"0.025\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        m.observe_rebuild("listings", 0.25);
        m.observe_rebuild("listings", 0.5);
        let text = m.render();
        assert!(text.contains("efa_read_model_rebuilds_total{what=\"listings\"} 2"), "{text}");
        assert!(text.contains("efa_read_model_rebuild_seconds_total{what=\"listings\"} 0.75"), "{text}");
    }
}
