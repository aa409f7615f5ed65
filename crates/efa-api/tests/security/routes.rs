//! The route table as the tests see it: every operation of the OpenAPI document, and concrete
//! URIs for its path templates.

use crate::table::Case;
use crate::fixtures::Target;
use crate::world::{land_org, KOELN};
use actix_web::http::Method;
use utoipa::openapi::path::ParameterIn;

/// One operation of the OpenAPI document.
#[derive(Debug, Clone)]
pub struct Op {
    pub path: String,
    pub method: Method,
    pub id: String,
    /// The operation names a `security` requirement (a bearer token).
    pub secured: bool,
    pub tag: String,
    /// Names of the query parameters.
    pub query: Vec<String>,
    /// Media types of the request body, if it has one.
    pub body_types: Vec<String>,
}

/// Every (path, method) of the route table.
pub fn operations() -> Vec<Op> {
    let spec = efa_api::openapi::spec();
    let mut ops = Vec::new();
    for (path, item) in &spec.paths.paths {
        for (method, op) in [(Method::GET, &item.get), (Method::POST, &item.post), (Method::PUT, &item.put), (Method::PATCH, &item.patch), (Method::DELETE, &item.delete)] {
            let Some(op) = op else { continue };
            ops.push(Op {
                path: path.clone(),
                method,
                id: op.operation_id.clone().unwrap_or_else(|| format!("<no operationId: {path}>")),
                secured: op.security.as_ref().is_some_and(|s| !s.is_empty()),
                tag: op.tags.as_ref().and_then(|t| t.first().cloned()).unwrap_or_default(),
                query: op.parameters.iter().flatten().filter(|p| p.parameter_in == ParameterIn::Query).map(|p| p.name.clone()).collect(),
                body_types: op.request_body.iter().flat_map(|b| b.content.keys().cloned()).collect(),
            });
        }
    }
    ops
}

/// The URI of `path` for a case: resource parameters from `id`, seed data by the collection it
/// belongs to, and the case's query string.
pub fn fill(path: &str, case: &Case, id: Option<&str>) -> String {
    let mut out = String::new();
    let mut prev = "";
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        // Fixed seed data is named by the collection it belongs to.
        let value = match (seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')), prev) {
            (None, _) => seg.to_owned(),
            (Some("step"), _) => case.step.to_owned(),
            (Some(p), _) if case.target != Target::Static => id.unwrap_or_else(|| panic!("{}: no resource for {{{p}}}", case.op)).to_owned(),
            (Some(_), "ozg-leistungen") => "10092".into(),
            (Some(_), "leika") => "99107023000000".into(),
            (Some(_), "gemeinden") => KOELN.into(),
            (Some(_), "kreise") => KOELN[..5].into(),
            (Some(_), "laender") => "05".into(),
            (Some(_), "dashboard") => "053150000000".into(),
            (Some(_), "organisations") => land_org("05"),
            (Some(_), "themenfelder") => "1".into(),
            (Some(_), "versions") => "00000000-0000-4000-8000-000000000000".into(),
            (Some(p), _) => panic!("{}: no value for the path parameter {{{p}}} after /{prev}", case.op),
        };
        out.push_str(&value);
        prev = seg;
    }
    if !case.query.is_empty() {
        out.push('?');
        out.push_str(case.query);
    }
    out
}

