//! Shared steps of the Nachnutzung endpoints: loading facts for the policy, creating an
//! agreement with frozen terms and fees, keeping a request's state in step with its agreements.

use crate::catalogue::Catalogue;
use crate::costs;
use crate::error::ApiError;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use efa_domain::policy::{AgreementFacts, RequestFacts};
use efa_domain::reuse::{contract_number, next_state, RequestAction, RequestState};
use efa_store::reuse::{self as store, AgreementRow, DocumentRow, ReuseRequestRow};
use efa_store::DbConn;

/// Now, to the microsecond: what PostgreSQL stores, so a response built from memory shows
/// the same instant a later read of the row does.
pub fn now() -> NaiveDateTime {
    use chrono::SubsecRound;
    chrono::Utc::now().naive_utc().trunc_subsecs(6)
}

pub fn request_facts(conn: &mut DbConn, r: &ReuseRequestRow) -> Result<RequestFacts, ApiError> {
    let service = efa_store::listings::find(conn, &r.online_service_id)?.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("request without service")))?;
    Ok(RequestFacts {
        requester_org: r.requester_org_id.clone(),
        provider_org: service.provider_org_id,
        land: r.land_code.clone(),
        municipalities: store::request_municipalities(conn, &r.id)?,
        is_draft: r.state == RequestState::Draft.as_str(),
    })
}

pub fn agreement_facts(c: &Catalogue, a: &AgreementRow) -> AgreementFacts {
    facts_of(c, &a.provider_org_id, &a.customer_org_id, &a.signatory_org_id)
}

/// The facts of an agreement between these parties.
pub fn facts_of(c: &Catalogue, provider: &str, customer: &str, signatory: &str) -> AgreementFacts {
    AgreementFacts {
        provider_org: provider.to_owned(),
        customer_org: customer.to_owned(),
        signatory_org: signatory.to_owned(),
        customer_land: c.org(customer).and_then(|o| o.view.land.as_ref()).map(|l| l.code.clone()).unwrap_or_default(),
    }
}

pub fn load_request(conn: &mut DbConn, id: &str) -> Result<ReuseRequestRow, ApiError> {
    store::find_request(conn, id)?.ok_or_else(|| ApiError::not_found(format!("reuse request {id} does not exist")))
}

/// Applies `actions` in order, each guarded by state and revision: of many concurrent
/// callers exactly one gets through, the others get 409.
pub fn advance(conn: &mut DbConn, r: &ReuseRequestRow, actions: &[RequestAction], reason: Option<&str>) -> Result<RequestState, ApiError> {
    let mut state = RequestState::parse(&r.state).map_err(|e| ApiError::Internal(e.into()))?;
    let mut revision = r.revision;
    for &action in actions {
        let next = next_state(state, action)?;
        if !store::move_request(conn, &r.id, state.as_str(), revision, next.as_str(), reason, now())? {
            return Err(ApiError::Conflict(format!("the reuse request changed meanwhile; it is no longer {state}")));
        }
        state = next;
        revision += 1;
    }
    Ok(state)
}

/// What an agreement is made from.
pub struct AgreementDraft<'a> {
    pub service_id: &'a str,
    pub customer_org: &'a str,
    pub signatory_org: &'a str,
    pub request_id: Option<&'a str>,
    pub framework: Option<(&'a str, i32, &'a str, &'a str)>,
    pub parent_agreement_id: Option<String>,
    pub start: NaiveDate,
    pub minimum_term_months: i32,
    pub notice_months: i32,
    pub actor: &'a str,
}

/// Creates one agreement: the next contract number, the published listing and its terms
/// frozen, the fees for this customer, and the first documents of its contract folder.
pub fn create_agreement(conn: &mut DbConn, c: &Catalogue, d: &AgreementDraft<'_>) -> Result<AgreementRow, ApiError> {
    let decided_at = now();
    // Listing, terms and fees come from the row as it is in this transaction, never from the
    // read model (another instance may have published a newer version a moment ago).
    let row = efa_store::listings::find(conn, d.service_id)?.ok_or_else(|| ApiError::not_found("no such online service"))?;
    if row.published_version.is_none() || row.listing_state == efa_domain::listing::ListingState::Retired.as_str() {
        return Err(ApiError::Conflict("the online service is not published".into()));
    }
    let listing = match &row.published_content {
        Some(json) => json.clone(),
        None => efa_store::listings::working_copy(conn, &row)?.to_string(),
    };
    let published: Option<efa_domain::listing::ListingContent> = row.published_content.as_deref().map(serde_json::from_str).transpose().map_err(|e| ApiError::Internal(e.into()))?;
    let customer = c.org(d.customer_org).ok_or_else(|| ApiError::not_found("no such organisation"))?;
    let already = || ApiError::Conflict(format!("{} already has an agreement for this service", customer.view.name));
    let payer = costs::Payer::of_org(c, customer).ok_or_else(|| ApiError::Conflict(format!("{} is neither a Gemeinde nor a Kreis", customer.view.name)))?;
    let basis = costs::PriceBasis {
        service_id: &row.id,
        model: row.price_model.as_deref().map(efa_domain::PriceModel::parse).transpose().map_err(|e| ApiError::Internal(e.into()))?,
        prices: crate::catalogue::published_prices(&row, published.as_ref()),
        availability: published.as_ref().map(|p| &p.availability),
    };
    let fees = costs::estimate(c, &basis, payer, d.start)?;
    let (terms_text, terms_version) = match d.framework {
        Some((_, _, text, version)) => (text.to_owned(), version.to_owned()),
        None => match published.as_ref().and_then(|p| p.terms.as_ref()) {
            Some(t) => (t.text.clone(), t.version.clone()),
            None => ("The listing states no terms of use of its own.".to_owned(), "none".to_owned()),
        },
    };
    // Contract numbers carry the year as it is in Berlin (on 1 January from midnight there).
    let year = efa_domain::calendar::date_of_utc(decided_at).year();
    let seq = store::next_contract_seq(conn, year)?;
    // Checked after the counter row is locked: a racing creation for the same customer has
    // committed by now. The unique index on open agreements catches any that slips past.
    if store::open_agreement_exists(conn, d.service_id, d.customer_org)? {
        return Err(already());
    }
    let now = now();
    let a = AgreementRow {
        id: uuid::Uuid::new_v4().to_string(),
        number: contract_number(year, seq),
        request_id: d.request_id.map(str::to_owned),
        framework_agreement_id: d.framework.map(|f| f.0.to_owned()),
        framework_version: d.framework.map(|f| f.1),
        parent_agreement_id: d.parent_agreement_id.clone(),
        online_service_id: d.service_id.to_owned(),
        listing_version: row.published_version.unwrap_or(1),
        listing_content: listing,
        terms_text,
        terms_version,
        provider_org_id: row.provider_org_id.clone(),
        customer_org_id: d.customer_org.to_owned(),
        signatory_org_id: d.signatory_org.to_owned(),
        one_off_fee_cents: fees.first_year.one_off_anbindung_fee_cents,
        annual_fee_cents: fees.following_year.annual_fee_cents,
        first_year_fee_cents: fees.first_year.annual_fee_cents,
        cost_key: fees.basis.clone(),
        start_date: d.start,
        minimum_term_months: d.minimum_term_months,
        notice_months: d.notice_months,
        end_date: None,
        state: efa_domain::reuse::AgreementState::Pending.as_str().to_owned(),
        provider_signed_at: None,
        provider_signed_by: None,
        customer_signed_at: None,
        customer_signed_by: None,
        live_since: None,
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    if !store::insert_agreement(conn, &a)? {
        return Err(already());
    }
    // The folder starts with the history that led here: the request's decisions and messages.
    if let Some(rid) = d.request_id {
        // Every decision, however long the Abstimmung was. Messages have audit events too;
        // they go into the folder once, as messages.
        for e in efa_store::audit::history_of(conn, rid, &["reuse_request.message"])? {
            document(conn, &a.id, "decision", &format!("{} by {}", e.action, e.actor), e.after.clone().unwrap_or_default(), &e.actor, e.occurred_at)?;
        }
        for m in store::messages(conn, rid)? {
            document(conn, &a.id, "message", &format!("Message from {}", m.author), m.body, &m.author, m.created_at)?;
        }
        // The acceptance that makes this agreement: its audit event is written when the
        // transaction ends, after this, so the folder records it here.
        let accepted = serde_json::json!({"state": "agreement_pending", "start_date": d.start, "minimum_term_months": d.minimum_term_months, "notice_months": d.notice_months});
        document(conn, &a.id, "decision", &format!("reuse_request.provider_accept by {}", d.actor), accepted.to_string(), d.actor, decided_at)?;
    }
    document(conn, &a.id, "agreement", &format!("Nachnutzungsvertrag {} (terms version {})", a.number, a.terms_version), a.terms_text.clone(), d.actor, now)?;
    Ok(a)
}

pub fn document(conn: &mut DbConn, agreement_id: &str, kind: &str, title: &str, body: String, by: &str, at: NaiveDateTime) -> Result<(), ApiError> {
    store::add_document(
        conn,
        &DocumentRow { id: uuid::Uuid::new_v4().to_string(), agreement_id: agreement_id.to_owned(), kind: kind.to_owned(), title: title.to_owned(), body, created_by: by.to_owned(), created_at: at },
    )?;
    Ok(())
}

/// A request follows its agreements: active once all are active, live once all are live,
/// terminated once all are terminated. The state it moved to, with the request as it was.
pub fn sync_request(conn: &mut DbConn, request_id: &str) -> Result<Option<(RequestState, ReuseRequestRow)>, ApiError> {
    use efa_domain::reuse::AgreementState as A;
    let r = load_request(conn, request_id)?;
    let states = store::agreements_of_request(conn, request_id)?.iter().map(crate::operations::agreements::state_of).collect::<Result<Vec<_>, _>>()?;
    let all = |s: &[A]| !states.is_empty() && states.iter().all(|x| s.contains(x));
    let action = match RequestState::parse(&r.state).map_err(|e| ApiError::Internal(e.into()))? {
        RequestState::AgreementPending if all(&[A::Active, A::Live]) => Some(RequestAction::Activate),
        RequestState::Active if all(&[A::Live]) => Some(RequestAction::GoLive),
        RequestState::Active | RequestState::Live if all(&[A::Terminated]) => Some(RequestAction::Terminate),
        _ => None,
    };
    match action {
        Some(a) => Ok(Some((advance(conn, &r, &[a], None)?, r))),
        None => Ok(None),
    }
}
