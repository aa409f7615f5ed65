//! The committed OpenAPI document equals the generated one, and documents what we promise.
//! These tests need no database.

use serde_json::Value;
use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json")
}

fn spec() -> Value {
    serde_json::from_str(&efa_api::openapi::spec_json()).expect("the generated spec is JSON")
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// (path, method, operation) for every operation.
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let paths = spec["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS.iter().filter_map(move |m| item.get(*m).map(|op| (path.clone(), (*m).to_owned(), op.clone())))
        })
        .collect()
}

#[test]
fn committed_spec_is_current() {
    let path = committed_path();
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}; openapi/openapi.json is stale: run `make openapi`", path.display()));
    let generated = efa_api::openapi::spec_json();
    if committed != generated {
        // Name the first differing line, to make the failure readable.
        let line = committed.lines().zip(generated.lines()).position(|(a, b)| a != b).map(|i| i + 1);
        panic!("openapi/openapi.json is stale: run `make openapi` (first difference at line {line:?})");
    }
}

#[test]
fn spec_is_openapi_3_1() {
    let spec = spec();
    let version = spec["openapi"].as_str().expect("openapi version");
    assert!(version.starts_with("3.1."), "{version}");
    assert_eq!(spec["info"]["title"], "EfA Marktplatz API");
    assert!(spec["info"]["version"].is_string());
}

#[test]
fn spec_covers_every_endpoint() {
    let spec = spec();
    let mut paths: Vec<&str> = spec["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    paths.sort();
    for expected in [
        "/api/v1/themenfelder",
        "/api/v1/lebenslagen",
        "/api/v1/ozg-leistungen",
        "/api/v1/ozg-leistungen/{ozg_id}",
        "/api/v1/leika/{key}",
        "/api/v1/online-services",
        "/api/v1/online-services/{id}",
        "/api/v1/organisations",
        "/api/v1/organisations/{id}",
        "/api/v1/laender",
        "/api/v1/kreise",
        "/api/v1/gemeinden",
        "/api/v1/gemeinden/{ags}",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains(&expected), "{expected} missing from {paths:?}");
    }
}

#[test]
fn every_operation_has_a_unique_operation_id() {
    let spec = spec();
    let ops = operations(&spec);
    assert!(ops.len() >= 16);
    let mut ids: Vec<String> = Vec::new();
    for (path, method, op) in &ops {
        let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(!id.is_empty());
        assert!(!ids.contains(&id.to_owned()), "operationId {id} used twice");
        ids.push(id.to_owned());
    }
}

#[test]
fn every_operation_documents_its_errors_as_problem_json() {
    let spec = spec();
    for (path, method, op) in operations(&spec) {
        let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{method} {path}: responses"));
        assert!(responses.keys().any(|c| c.starts_with('2')), "{method} {path}: a 2xx response");
        if path == "/healthz" || path == "/metrics" {
            continue;
        }
        let errors: Vec<(&String, &Value)> = responses.iter().filter(|(code, _)| code.starts_with('4') || code.starts_with('5')).collect();
        assert!(!errors.is_empty(), "{method} {path} documents no 4xx/5xx response");
        for (code, response) in errors {
            let content = response["content"].as_object().unwrap_or_else(|| panic!("{method} {path} {code}: no content"));
            assert!(content.contains_key("application/problem+json"), "{method} {path} {code}: {:?}", content.keys().collect::<Vec<_>>());
        }
    }
}

#[test]
fn every_parameter_is_documented() {
    let spec = spec();
    for (path, method, op) in operations(&spec) {
        for p in op["parameters"].as_array().cloned().unwrap_or_default() {
            let name = p["name"].as_str().unwrap_or("?");
            assert!(["query", "path", "header"].contains(&p["in"].as_str().unwrap_or("")), "{method} {path} {name}");
            assert!(p["schema"].is_object(), "{method} {path} {name}: schema");
        }
        // Path templates name only documented path parameters.
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(|c| c == '{' || c == '}');
            let documented = op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path"));
            assert!(documented, "{method} {path}: path parameter {name}");
        }
    }
    // List endpoints document their pagination bounds.
    let list = &spec["paths"]["/api/v1/ozg-leistungen"]["get"]["parameters"];
    let per_page = list.as_array().unwrap().iter().find(|p| p["name"] == "per_page").expect("per_page");
    assert_eq!(per_page["schema"]["maximum"], 100, "{per_page}");
}
