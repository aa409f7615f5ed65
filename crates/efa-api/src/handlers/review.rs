//! What an operator sees when reviewing: possible duplicates of a listing.
//! Duplicate listings are a known complaint about the existing marketplaces.

use super::{BadRequest, NotFound, Unavailable};
use crate::catalogue::{Catalogue, ServiceEntry};
use crate::error::{ApiError, ProblemDetails};
use crate::extract::Authenticated;
use crate::state::AppState;
use crate::views::OnlineService;
use crate::write::enforce;
use actix_web::{get, web, HttpResponse};
use efa_domain::{decide, Action};
use serde::Serialize;
use std::collections::BTreeSet;
use utoipa::ToSchema;

/// Names at least this similar (Jaccard index of their words) count as near-identical.
pub const NAME_SIMILARITY: f64 = 0.6;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same provider lists another service for one of the same OZG-Leistungen.
    SameProviderSameOzgLeistung,
    /// Another listing (of any provider) has a near-identical name.
    SimilarName,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PossibleDuplicate {
    pub service: OnlineService,
    pub reasons: Vec<DuplicateReason>,
    /// Word overlap of the two names, 0–1.
    pub name_similarity: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PossibleDuplicatesResponse {
    pub items: Vec<PossibleDuplicate>,
    pub total: usize,
}

fn words(folded: &str) -> BTreeSet<&str> {
    folded.split(' ').filter(|w| w.len() >= 3).collect()
}

/// Jaccard index of the significant words of two folded names.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let (wa, wb) = (words(a), words(b));
    let union = wa.union(&wb).count();
    if union == 0 {
        return if a == b { 1.0 } else { 0.0 };
    }
    wa.intersection(&wb).count() as f64 / union as f64
}

pub fn possible_duplicates<'a>(c: &'a Catalogue, subject: &ServiceEntry) -> Vec<(&'a ServiceEntry, Vec<DuplicateReason>, f64)> {
    let id = &subject.detail.service.id;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for other in c.drafts.iter().chain(c.services.iter()).map(|e| &**e) {
        let oid = &other.detail.service.id;
        if oid == id || !seen.insert(oid.clone()) {
            continue;
        }
        let mut reasons = Vec::new();
        if other.provider == subject.provider && other.ozg.iter().any(|o| subject.ozg.contains(o)) {
            reasons.push(DuplicateReason::SameProviderSameOzgLeistung);
        }
        let sim = name_similarity(&subject.folded_name, &other.folded_name);
        if sim >= NAME_SIMILARITY {
            reasons.push(DuplicateReason::SimilarName);
        }
        if !reasons.is_empty() {
            out.push((other, reasons, sim));
        }
    }
    out.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.folded_name.cmp(&b.0.folded_name)));
    out
}

/// Listings that may describe the same service: same provider and OZG-Leistung, or a near-identical name.
#[utoipa::path(tag = "publishing", operation_id = "list_possible_duplicates", security(("bearer" = [])),
    params(("id" = String, Path, description = "Online service id (UUID)", format = Uuid)),
    responses((status = 200, body = PossibleDuplicatesResponse),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not an operator"),
        BadRequest, NotFound, Unavailable))]
#[get("/online-services/{id}/possible-duplicates")]
pub async fn list_possible_duplicates(state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = uuid::Uuid::parse_str(&path).map_err(|_| ApiError::bad_param("id", "is not a UUID"))?.to_string();
    let c = state.catalogue()?;
    let subject = c.draft(&id).or_else(|| c.service(&id)).ok_or_else(|| ApiError::not_found("no such resource"))?;
    enforce(decide(Some(&user.0), &Action::ViewDuplicates { provider_org: &subject.detail.service.provider.id }), "review listings")?;
    let items: Vec<PossibleDuplicate> = possible_duplicates(&c, subject)
        .into_iter()
        .map(|(e, reasons, sim)| PossibleDuplicate { service: e.detail.service.clone(), reasons, name_similarity: (sim * 1000.0).round() / 1000.0 })
        .collect();
    Ok(HttpResponse::Ok().json(PossibleDuplicatesResponse { total: items.len(), items }))
}

#[cfg(test)]
mod tests {
    use super::name_similarity;

    #[test]
    fn similarity_of_names() {
        assert_eq!(name_similarity("wohngeld online antrag", "wohngeld online antrag"), 1.0);
        assert!(name_similarity("wohngeld online antrag", "antrag wohngeld online") >= 0.99);
        assert!(name_similarity("wohngeld online", "wohngeld digital online") >= 0.6);
        assert!(name_similarity("wohngeld", "hundesteuer") < 0.1);
    }
}
