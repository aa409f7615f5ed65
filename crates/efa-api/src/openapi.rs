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
        (name = "online-services", description = "Online services built for OZG-Leistungen"),
        (name = "organisations", description = "Land governments, ministries, IT-Dienstleister, Kommunen, bundlers"),
        (name = "places", description = "Länder, Kreise and Gemeinden (Destatis Gemeindeverzeichnis)"),
        (name = "publishing", description = "Providers publish listings; operators review them"),
        (name = "nachnutzung", description = "Reuse requests, framework agreements and accession, licence agreements, onboarding, cost estimates"),
        (name = "coverage", description = "Which OZG-Leistungen each Gemeinde can really do online; the federal dashboard's records; what to order next"),
        (name = "audit", description = "The append-only audit log"),
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
