//! The OpenAPI 3.1 document, generated from the handlers and types.

use crate::error::{FieldError, ProblemDetails};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "EfA Marktplatz API",
        version = "1.0.0",
        description = "Catalogue and reuse marketplace for online services built under the \
            \"Einer für Alle\" (EfA) principle of the German Onlinezugangsgesetz (OZG). \
            Conventions (pagination, filtering, errors, status codes): docs/api-conventions.md. \
            Every error is an RFC 9457 `application/problem+json` document.",
        license(name = "MIT", identifier = "MIT")
    ),
    tags(
        (name = "catalogue", description = "The OZG-Umsetzungskatalog: Themenfelder, Lebenslagen, OZG-Leistungen, LeiKa-Leistungen"),
        (name = "catalogue-admin", description = "Keeping the catalogue current: versioned imports of the OZG catalogue and LeiKa, corrections, the federal dashboard's export of what is online where (operators)"),
        (name = "online-services", description = "Online services built for OZG-Leistungen"),
        (name = "organisations", description = "Land governments, ministries, IT-Dienstleister, Kommunen, bundlers"),
        (name = "places", description = "Länder, Kreise and Gemeinden (Destatis Gemeindeverzeichnis)"),
        (name = "publishing", description = "Providers publish listings; operators review them"),
        (name = "nachnutzung", description = "Reuse requests, framework agreements and accession, licence agreements, onboarding, cost estimates"),
        (name = "coverage", description = "Which OZG-Leistungen each Gemeinde can really do online; the federal dashboard's records; what to order next"),
        (name = "audit", description = "The append-only audit log"),
        (name = "events", description = "The event feed (long polling) and webhooks: follow requests and agreements without polling every resource"),
        (name = "operations", description = "Health, readiness, metrics")
    ),
    components(schemas(ProblemDetails, FieldError)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the bearer scheme the write endpoints name in their `security`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("RS256 or EdDSA token with claims sub, org, roles[, land], iss, aud, exp, nbf"))
                    .build(),
            ),
        );
    }
}

/// The full document: the base above plus every registered handler.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, api) = crate::app::routes_only();
    api
}

/// Pretty JSON with a trailing newline, as committed in `openapi/openapi.json`.
pub fn spec_json() -> String {
    let mut s = spec().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}

/// OpenAPI links: how the answer of one operation feeds the next (the id a POST created, the
/// first item of a list). Clients and spec-driven fuzzers (schemathesis' stateful phase)
/// follow them through the business flows: publish → review, order → approve → accept →
/// sign → onboard, framework → accession.
const LINKS: &[(&str, &str, &str, &[(&str, &str, &str)])] = &[
    // (operation, status, link name, [(target operation, parameter, runtime expression)])
    ("create_online_service", "201", "listing", &[
        ("get_online_service", "id", "$response.body#/id"),
        ("get_listing", "id", "$response.body#/id"),
        ("update_online_service", "id", "$response.body#/id"),
        ("submit_online_service", "id", "$response.body#/id"),
        ("list_online_service_versions", "id", "$response.body#/id"),
    ]),
    ("submit_online_service", "200", "review", &[
        ("approve_online_service", "id", "$request.path.id"),
        ("reject_online_service", "id", "$request.path.id"),
        ("list_possible_duplicates", "id", "$request.path.id"),
    ]),
    ("approve_online_service", "200", "published", &[
        ("get_online_service", "id", "$request.path.id"),
        ("retire_online_service", "id", "$request.path.id"),
        ("get_cost_estimate", "id", "$request.path.id"),
    ]),
    ("list_online_services", "200", "first", &[
        ("get_online_service", "id", "$response.body#/items/0/id"),
        ("list_online_service_versions", "id", "$response.body#/items/0/id"),
    ]),
    ("create_reuse_request", "201", "request", &[
        ("get_reuse_request", "id", "$response.body#/id"),
        ("submit_reuse_request", "id", "$response.body#/id"),
        ("withdraw_reuse_request", "id", "$response.body#/id"),
        ("list_request_messages", "id", "$response.body#/id"),
        ("create_request_message", "id", "$response.body#/id"),
    ]),
    ("submit_reuse_request", "200", "decision", &[
        ("approve_reuse_request", "id", "$request.path.id"),
        ("reject_reuse_request", "id", "$request.path.id"),
    ]),
    ("approve_reuse_request", "200", "provider", &[
        ("accept_reuse_request", "id", "$request.path.id"),
        ("decline_reuse_request", "id", "$request.path.id"),
    ]),
    ("accept_reuse_request", "200", "agreement", &[
        ("get_agreement", "number", "$response.body#/agreements/0"),
        ("sign_agreement", "number", "$response.body#/agreements/0"),
    ]),
    ("get_agreement", "200", "next", &[
        ("sign_agreement", "number", "$response.body#/number"),
        ("complete_onboarding_step", "number", "$response.body#/number"),
        ("terminate_agreement", "number", "$response.body#/number"),
    ]),
    ("create_framework_agreement", "201", "framework", &[
        ("approve_framework_agreement", "id", "$response.body#/id"),
        ("create_accession", "id", "$response.body#/id"),
    ]),
    ("approve_framework_agreement", "200", "accession", &[("create_accession", "id", "$request.path.id")]),
    ("create_accession", "201", "agreement", &[
        ("get_agreement", "number", "$response.body#/number"),
        ("complete_onboarding_step", "number", "$response.body#/number"),
    ]),
    ("list_ozg_leistungen", "200", "first", &[
        ("get_ozg_leistung", "ozg_id", "$response.body#/items/0/ozg_id"),
        ("get_ozg_coverage", "ozg_id", "$response.body#/items/0/ozg_id"),
    ]),
    ("list_gemeinden", "200", "first", &[
        ("get_gemeinde", "ags", "$response.body#/items/0/ags"),
        ("get_gemeinde_coverage", "ags", "$response.body#/items/0/ags"),
        ("get_next_for_gemeinde", "ags", "$response.body#/items/0/ags"),
    ]),
    ("get_gemeinde", "200", "coverage", &[
        ("get_gemeinde_coverage", "ags", "$response.body#/ags"),
        ("get_dashboard_records", "ars", "$response.body#/ars"),
    ]),
    ("list_kreise", "200", "first", &[("get_kreis_coverage", "code", "$response.body#/items/0/code")]),
    ("list_laender", "200", "first", &[("get_land_coverage", "code", "$response.body#/items/0/code")]),
    ("list_organisations", "200", "first", &[("get_organisation", "id", "$response.body#/items/0/id")]),
];

/// Adds [`LINKS`] to the responses of `api`. A link to or from an operation the document does
/// not have is a programming error: the drift test would show it, the debug build panics.
pub(crate) fn with_links(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::link::LinkBuilder;
    use utoipa::openapi::RefOr;
    let ids: std::collections::BTreeSet<String> =
        api.paths.paths.values().flat_map(|item| operations(item).into_iter().filter_map(|op| op.operation_id.clone())).collect();
    for (from, status, name, targets) in LINKS {
        let op = api.paths.paths.values_mut().flat_map(operations_mut).find(|op| op.operation_id.as_deref() == Some(*from));
        let Some(RefOr::T(response)) = op.and_then(|op| op.responses.responses.get_mut(*status)) else {
            debug_assert!(false, "no {status} response of {from} to link from");
            continue;
        };
        for (target, param, expr) in *targets {
            debug_assert!(ids.contains(*target), "link to unknown operation {target}");
            // utoipa 5.5 writes the field as `operation_id`; OpenAPI spells it `operationId`.
            let spelled: utoipa::openapi::extensions::Extensions = [("operationId", serde_json::Value::from(*target))].into_iter().collect();
            let link = LinkBuilder::new().parameter(*param, serde_json::Value::from(*expr)).extensions(Some(spelled)).build();
            let key = if targets.len() == 1 { (*name).to_owned() } else { format!("{name}_{target}") };
            response.links.insert(key, RefOr::T(link));
        }
    }
    api
}

fn operations(item: &utoipa::openapi::path::PathItem) -> Vec<&utoipa::openapi::path::Operation> {
    [&item.get, &item.put, &item.post, &item.delete, &item.options, &item.head, &item.patch, &item.trace].into_iter().flatten().collect()
}

fn operations_mut(item: &mut utoipa::openapi::path::PathItem) -> Vec<&mut utoipa::openapi::path::Operation> {
    [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.options, &mut item.head, &mut item.patch, &mut item.trace].into_iter().flatten().collect()
}
