//! Framework agreements (Rahmenverträge) with accession (Beitritt), as in Schleswig-Holstein's
//! OZG-Shop; and the cost estimate a Gemeinde or Kreis sees before ordering.

use super::agreements::{detail, load, state_of};
use super::{fingerprint, invalid, parse_uuid, utc};
use crate::costs::{self, CostEstimate};
use crate::error::ApiError;
use crate::nachnutzung::{self as nn, now, AgreementDraft};
use crate::state::AppState;
use crate::events::Emit;
use crate::write::{create, enforce, write_only, AuditNote, Created, Creation, Ctx};
use efa_domain::events::{self, EventType};
use efa_domain::{decide, Action, Ags, KreisCode, LandCode, Principal, Role};
use efa_domain::reuse::{next_agreement_state, AgreementAction, AgreementState};
use efa_store::reuse::{self as store, FrameworkRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkAgreement {
    pub id: String,
    pub online_service_id: String,
    pub provider_org_id: String,
    pub land: String,
    /// offered → approved (by the Land's coordinator) → municipalities accede.
    pub state: String,
    pub version: i32,
    pub terms_text: String,
    pub terms_version: String,
    pub approved_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who approved it (the coordinator's subject).
    pub approved_by: Option<String>,
}

impl From<FrameworkRow> for FrameworkAgreement {
    fn from(f: FrameworkRow) -> Self {
        FrameworkAgreement {
            id: f.id,
            online_service_id: f.online_service_id,
            provider_org_id: f.provider_org_id,
            land: f.land_code,
            state: f.state,
            version: f.version,
            terms_text: f.terms_text,
            terms_version: f.terms_version,
            approved_at: f.approved_at.map(utc),
            approved_by: f.approved_by,
        }
    }
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFramework {
    pub online_service_id: String,
    /// The Land whose municipalities may accede.
    pub land: String,
    pub terms_text: String,
    pub terms_version: String,
}

/// Offers a framework agreement for a listing in one Land (a publisher of its provider).
pub async fn offer(state: &AppState, p: &Principal, ctx: &Ctx, input: NewFramework) -> Result<Creation, ApiError> {
    let c = state.catalogue()?;
    let service = uuid::Uuid::parse_str(&input.online_service_id).ok().and_then(|u| c.service(&u.to_string())).ok_or_else(|| invalid("online_service_id", "is not a published online service"))?;
    let land = LandCode::parse(&input.land).map_err(|e| invalid("land", e.to_string()))?;
    let (text, version) = (input.terms_text.trim().to_owned(), input.terms_version.trim().to_owned());
    if text.is_empty() || text.chars().count() > 20_000 {
        return Err(invalid("terms_text", "must be 1 to 20000 characters"));
    }
    if version.is_empty() || version.chars().count() > 100 {
        return Err(invalid("terms_version", "must be 1 to 100 characters"));
    }
    let provider = service.detail.service.provider.id.clone();
    enforce(decide(Some(p), &Action::OfferFramework { provider_org: &provider }), "offer a framework agreement for this listing")?;
    let service_id = service.detail.service.id.clone();
    let print = fingerprint(&input)?;
    let created = create(state, p, ctx, "POST /api/v1/framework-agreements", &print, move |conn| {
        let t = now();
        let f = FrameworkRow {
            id: uuid::Uuid::new_v4().to_string(),
            online_service_id: service_id,
            provider_org_id: provider.clone(),
            land_code: land.to_string(),
            state: "offered".into(),
            version: 1,
            terms_text: text,
            terms_version: version,
            revision: 1,
            approved_by: None,
            approved_at: None,
            created_at: t,
            updated_at: t,
        };
        store::insert_framework(conn, &f)?;
        let id = f.id.clone();
        let body = serde_json::to_value(FrameworkAgreement::from(f)).map_err(|e| ApiError::Internal(e.into()))?;
        // The provider and the coordinators who are to approve it.
        let emit = Emit::new(EventType::FrameworkOffered, "framework_agreement", &id, vec![events::org(&provider), events::land(land.as_str())], serde_json::json!({"state": "offered", "land": land.as_str(), "online_service_id": body["online_service_id"]}));
        let note = AuditNote { action: "framework.offer", resource_type: "framework_agreement", resource_id: id.clone(), owner_org_id: Some(provider), before: None, after: Some(body.clone()), events: vec![emit] };
        Ok((Created { body, location: format!("/api/v1/framework-agreements/{id}") }, note))
    })
    .await?;
    // Service pages show the offers: a new read-model snapshot lets their cached renderings go.
    state.rebuild_after_write(false).await;
    Ok(created)
}

/// Framework agreements, public: what a municipality can accede to.
pub async fn list(state: &AppState, land: Option<String>, service: Option<String>) -> Result<Vec<FrameworkAgreement>, ApiError> {
    let rows = state.db(move |conn| Ok(store::list_frameworks(conn, land.as_deref(), service.as_deref())?)).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Approves a framework agreement once for its Land (that Land's coordinator).
pub async fn approve(state: &AppState, p: &Principal, ctx: &Ctx, raw_id: &str) -> Result<FrameworkAgreement, ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let actor = p.clone();
    let approved = write_only(state, p, ctx, move |conn| {
        let f = store::find_framework(conn, &id)?.ok_or_else(|| ApiError::not_found("no such framework agreement"))?;
        enforce(decide(Some(&actor), &Action::ApproveFramework { land: &f.land_code }), "approve this framework agreement")?;
        if !store::approve_framework(conn, &id, f.revision, &actor.subject, now())? {
            return Err(ApiError::Conflict(format!("the framework agreement is {}, not offered", f.state)));
        }
        let after = store::find_framework(conn, &id)?.ok_or_else(|| ApiError::not_found("gone"))?;
        // Every Gemeinde of the Land may accede now: everyone hears of it.
        let emit = Emit::new(EventType::FrameworkApproved, "framework_agreement", &id, vec![events::EVERYONE.to_owned()], serde_json::json!({"state": after.state, "land": after.land_code, "online_service_id": after.online_service_id}));
        let note = AuditNote { action: "framework.approve", resource_type: "framework_agreement", resource_id: id, owner_org_id: Some(f.provider_org_id.clone()), before: Some(serde_json::json!({"state": f.state})), after: Some(serde_json::json!({"state": after.state})), events: vec![emit] };
        Ok((FrameworkAgreement::from(after), note))
    })
    .await?;
    state.rebuild_after_write(false).await;
    Ok(approved)
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Accession {
    /// The Gemeinde's organisation (default: the caller's own).
    pub municipality: Option<String>,
    pub start_date: Option<chrono::NaiveDate>,
}

/// Accedes to an approved framework agreement (Beitrittserklärung): the agreement is made and
/// active at once, recording the framework and its version.
pub async fn accede(state: &AppState, p: &Principal, ctx: &Ctx, raw_id: &str, input: Accession) -> Result<Creation, ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let c = state.catalogue()?;
    let municipality = input.municipality.clone().unwrap_or_else(|| p.org_id.clone());
    let org = c.org(&municipality).filter(|o| o.view.ags.is_some()).ok_or_else(|| invalid("municipality", "is not a Gemeinde's organisation"))?;
    let municipality_land = org.view.land.as_ref().map(|l| l.code.clone()).unwrap_or_default();
    let members_ok = if p.has(Role::Bundler) {
        let (b, m) = (p.org_id.clone(), vec![municipality.clone()]);
        state.db(move |conn| Ok(store::all_members_of(conn, &b, &m)?)).await?
    } else {
        false
    };
    let actor = p.clone();
    let print = fingerprint(&input)?;
    let scope = format!("POST /api/v1/framework-agreements/{id}/accessions");
    create(state, p, ctx, &scope, &print, move |conn| {
        let f = store::find_framework(conn, &id)?.ok_or_else(|| ApiError::not_found("no such framework agreement"))?;
        enforce(
            decide(Some(&actor), &Action::Accede { municipality: &municipality, municipality_land: &municipality_land, framework_land: &f.land_code, members_ok }),
            "accede to this framework agreement for this Gemeinde",
        )?;
        if f.state != "approved" {
            return Err(ApiError::Conflict(format!("the framework agreement is {}; only approved ones can be acceded to", f.state)));
        }
        let start = input.start_date.unwrap_or_else(efa_domain::calendar::today);
        let mut a = nn::create_agreement(
            conn,
            &c,
            &AgreementDraft {
                service_id: &f.online_service_id,
                customer_org: &municipality,
                signatory_org: &actor.org_id,
                request_id: None,
                framework: Some((&f.id, f.version, &f.terms_text, &f.terms_version)),
                parent_agreement_id: None,
                start,
                minimum_term_months: 12,
                notice_months: 3,
                actor: &actor.subject,
            },
        )?;
        // The Beitrittserklärung is the customer's signature; the provider signed by offering
        // the framework and the Land by approving it: the agreement is active at once.
        let t = now();
        let mut next = a.clone();
        next.customer_signed_at = Some(t);
        next.customer_signed_by = Some(actor.subject.clone());
        next.provider_signed_at = f.approved_at.or(Some(t));
        next.provider_signed_by = Some(format!("framework agreement {} version {}", f.id, f.version));
        next.state = next_agreement_state(state_of(&a)?, AgreementAction::Activate)?.as_str().to_owned();
        next.updated_at = t;
        if !store::update_agreement(conn, &next, a.revision)? {
            return Err(ApiError::Conflict("the agreement changed meanwhile".into()));
        }
        nn::document(conn, &a.id, "accession", "Beitrittserklärung", format!("{} accedes to framework agreement {} version {}", actor.subject, f.id, f.version), &actor.subject, t)?;
        a = load(conn, &a.number)?;
        let a_row = a.clone();
        let number = a.number.clone();
        let d = detail(conn, a)?;
        let body = serde_json::to_value(&d).map_err(|e| ApiError::Internal(e.into()))?;
        let audience = events::agreement_audience(&nn::agreement_facts(&c, &a_row));
        let emit = Emit::new(EventType::FrameworkAccession, "agreement", &number, audience, serde_json::json!({"framework_agreement_id": f.id, "framework_version": f.version, "state": AgreementState::Active, "customer_org_id": municipality}));
        let note = AuditNote { action: "framework.accede", resource_type: "agreement", resource_id: number.clone(), owner_org_id: Some(municipality.clone()), before: None, after: Some(serde_json::json!({"framework": f.id, "version": f.version, "state": AgreementState::Active})), events: vec![emit] };
        Ok((Created { body, location: format!("/api/v1/agreements/{number}") }, note))
    })
    .await
}

/// What a Gemeinde (`ags`) or a Kreis (`kreis`) would pay for a published service, in the
/// first and the following year, starting on `start` (default today).
pub fn estimate(state: &AppState, raw_id: &str, ags: Option<Ags>, kreis: Option<KreisCode>, start: Option<chrono::NaiveDate>) -> Result<CostEstimate, ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let start = start.unwrap_or_else(efa_domain::calendar::today);
    let c = state.catalogue()?;
    let s = c.service(&id).ok_or_else(|| ApiError::not_found(format!("online service {id} does not exist")))?;
    let payer = match (&ags, &kreis) {
        (Some(ags), None) => costs::Payer::gemeinde(c.gemeinde(ags.as_str()).ok_or_else(|| ApiError::not_found(format!("Gemeinde {ags} does not exist")))?),
        (None, Some(k)) => costs::Payer::kreis(c.kreis(k.as_str()).ok_or_else(|| ApiError::not_found(format!("Kreis {k} does not exist")))?),
        _ => return Err(ApiError::bad_param("ags", "give exactly one of ags (a Gemeinde) and kreis (a Kreis)")),
    };
    costs::estimate(&c, &costs::PriceBasis::of(s), payer, start)
}
