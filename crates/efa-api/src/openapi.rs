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
        (name = "operations", description = "Health, readiness, metrics")
    ),
    components(schemas(ProblemDetails, FieldError))
)]
pub struct ApiDoc;

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
