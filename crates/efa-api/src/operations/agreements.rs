//! Licence agreements (Nachnutzungsverträge): their contract folder, signatures, termination
//! and onboarding until live.

use super::utc;
use crate::error::ApiError;
use crate::nachnutzung::{self as nn, now};
use crate::params::Page;
use crate::state::AppState;
use crate::events::Emit;
use crate::write::{enforce, write_only, AuditNote, Ctx};
use efa_domain::events::{self, EventType};
use efa_domain::reuse::{next_agreement_state, onboarding_complete, termination_end, AgreementAction, AgreementState, OnboardingStep, Party};
use efa_domain::{decide, Action, Principal, Role};
use efa_store::reuse::{self as store, AgreementRow, ListFilter, OnboardingRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// The states an agreement passes through, as the list filter names them.
pub const AGREEMENT_STATES: [&str; 4] = [AgreementState::Pending.as_str(), AgreementState::Active.as_str(), AgreementState::Live.as_str(), AgreementState::Terminated.as_str()];

/// Agreements the caller's organisation is party to (operators: all), newest number first,
/// one page, and how many there are in all.
pub async fn list(state: &AppState, p: &Principal, filter: ListFilter, page: Page) -> Result<(Vec<Agreement>, usize), ApiError> {
    let p = p.clone();
    let found = state
        .db(move |conn| Ok(store::list_agreements(conn, (!p.has(Role::Operator)).then_some(p.org_id.as_str()), &filter, page.offset(), i64::from(page.per_page))?))
        .await?;
    Ok((found.rows.into_iter().map(Agreement::try_from).collect::<Result<_, _>>()?, usize::try_from(found.total).unwrap_or(0)))
}

/// One agreement with its folder and onboarding, if the caller may see it.
pub async fn get(state: &AppState, p: &Principal, raw: &str) -> Result<AgreementDetail, ApiError> {
    let number = check_number(raw)?;
    let p = p.clone();
    let c = state.catalogue()?;
    state
        .db(move |conn| {
            let a = load(conn, &number)?;
            enforce(decide(Some(&p), &Action::ViewAgreement { facts: &nn::agreement_facts(&c, &a) }), "see this agreement")?;
            detail(conn, a)
        })
        .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Agreement {
    /// Contract number, e.g. EFA-2026-000123.
    pub number: String,
    pub state: AgreementState,
    pub online_service_id: String,
    /// The listing version and terms frozen at creation.
    pub listing_version: i32,
    pub terms_version: String,
    pub terms_text: String,
    pub provider_org_id: String,
    pub customer_org_id: String,
    pub signatory_org_id: String,
    pub request_id: Option<String>,
    pub framework_agreement_id: Option<String>,
    pub framework_version: Option<i32>,
    pub parent_agreement_id: Option<String>,
    pub one_off_fee_cents: i64,
    pub annual_fee_cents: i64,
    pub first_year_fee_cents: i64,
    /// How the fees were computed.
    pub cost_key: String,
    pub start_date: chrono::NaiveDate,
    pub minimum_term_months: i32,
    pub notice_months: i32,
    pub end_date: Option<chrono::NaiveDate>,
    pub provider_signed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who signed for the provider (the subject; for an accession, the framework agreement).
    pub provider_signed_by: Option<String>,
    pub customer_signed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who signed for the customer (the subject).
    pub customer_signed_by: Option<String>,
    pub live_since: Option<chrono::NaiveDate>,
    pub revision: i32,
}

/// The state of a stored agreement (the column holds only the wire names).
pub(crate) fn state_of(a: &AgreementRow) -> Result<AgreementState, ApiError> {
    AgreementState::parse(&a.state).map_err(|e| ApiError::Internal(anyhow::anyhow!("agreement {}: {e}", a.number)))
}

impl TryFrom<AgreementRow> for Agreement {
    type Error = ApiError;
    fn try_from(a: AgreementRow) -> Result<Agreement, ApiError> {
        Ok(Agreement {
            state: state_of(&a)?,
            number: a.number,
            online_service_id: a.online_service_id,
            listing_version: a.listing_version,
            terms_version: a.terms_version,
            terms_text: a.terms_text,
            provider_org_id: a.provider_org_id,
            customer_org_id: a.customer_org_id,
            signatory_org_id: a.signatory_org_id,
            request_id: a.request_id,
            framework_agreement_id: a.framework_agreement_id,
            framework_version: a.framework_version,
            parent_agreement_id: a.parent_agreement_id,
            one_off_fee_cents: a.one_off_fee_cents,
            annual_fee_cents: a.annual_fee_cents,
            first_year_fee_cents: a.first_year_fee_cents,
            cost_key: a.cost_key,
            start_date: a.start_date,
            minimum_term_months: a.minimum_term_months,
            notice_months: a.notice_months,
            end_date: a.end_date,
            provider_signed_at: a.provider_signed_at.map(utc),
            provider_signed_by: a.provider_signed_by,
            customer_signed_at: a.customer_signed_at.map(utc),
            customer_signed_by: a.customer_signed_by,
            live_since: a.live_since,
            revision: a.revision,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FolderDocument {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnboardingStatus {
    pub step: OnboardingStep,
    /// `municipality` or `provider`: who does this step.
    pub party: String,
    pub done_by: Option<String>,
    pub done_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementDetail {
    #[serde(flatten)]
    pub agreement: Agreement,
    /// The contract folder: every document and decision of the agreement's life, oldest first.
    pub folder: Vec<FolderDocument>,
    pub onboarding: Vec<OnboardingStatus>,
    /// The listing as it was when the agreement was made.
    pub listing: Value,
}



/// The sides of `a` the caller may act on (sign, tick onboarding steps): the provider's and
/// the customer's. What the state allows is the operation's to say.
pub fn sides(c: &crate::catalogue::Catalogue, p: &Principal, a: &Agreement) -> (bool, bool) {
    let facts = nn::facts_of(c, &a.provider_org_id, &a.customer_org_id, &a.signatory_org_id);
    let allowed = |action: &Action| decide(Some(p), action) == efa_domain::Decision::Allow;
    (allowed(&Action::ActAsProviderParty { facts: &facts }), allowed(&Action::ActAsCustomerParty { facts: &facts }))
}

/// Who gives notice: either party — the provider's side, else the customer's.
fn notice_decision(as_provider: efa_domain::Decision, as_customer: efa_domain::Decision) -> efa_domain::Decision {
    if as_provider == efa_domain::Decision::Allow {
        as_provider
    } else {
        as_customer
    }
}

/// Whether the caller may give notice on `a` now: by the same policy and state machine that
/// [`step`] enforces for [`AgreementStep::Terminate`] (a page offers the form exactly then).
pub fn may_terminate(c: &crate::catalogue::Catalogue, p: &Principal, a: &Agreement) -> bool {
    let facts = nn::facts_of(c, &a.provider_org_id, &a.customer_org_id, &a.signatory_org_id);
    let decision = notice_decision(decide(Some(p), &Action::ActAsProviderParty { facts: &facts }), decide(Some(p), &Action::ActAsCustomerParty { facts: &facts }));
    decision == efa_domain::Decision::Allow && next_agreement_state(a.state, AgreementAction::Terminate).is_ok()
}

/// The day an agreement ends when notice is given on `notice` (minimum term and notice period
/// as the agreement holds them): what [`step`] records.
pub fn end_on_notice(a: &Agreement, notice: chrono::NaiveDate) -> chrono::NaiveDate {
    termination_end(a.start_date, a.minimum_term_months as u32, notice, a.notice_months as u32)
}

pub(crate) fn detail(conn: &mut efa_store::DbConn, a: AgreementRow) -> Result<AgreementDetail, ApiError> {
    let folder = store::documents(conn, &a.id)?
        .into_iter()
        .map(|d| FolderDocument { kind: d.kind, title: d.title, body: d.body, created_by: d.created_by, created_at: utc(d.created_at) })
        .collect();
    let done = store::steps(conn, &a.id)?;
    let onboarding = OnboardingStep::ALL
        .iter()
        .map(|&s| {
            let d = done.iter().find(|d| d.step == s.as_str());
            OnboardingStatus {
                step: s,
                party: match s.party() {
                    Party::Municipality => "municipality".into(),
                    Party::Provider => "provider".into(),
                },
                done_by: d.map(|d| d.done_by.clone()),
                done_at: d.map(|d| utc(d.done_at)),
            }
        })
        .collect();
    let listing = serde_json::from_str(&a.listing_content).unwrap_or(Value::Null);
    Ok(AgreementDetail { agreement: a.try_into()?, folder, onboarding, listing })
}

pub(crate) fn load(conn: &mut efa_store::DbConn, number: &str) -> Result<AgreementRow, ApiError> {
    store::find_agreement(conn, number)?.ok_or_else(|| ApiError::not_found(format!("agreement {number} does not exist")))
}

pub fn check_number(raw: &str) -> Result<String, ApiError> {
    efa_domain::reuse::parse_contract_number(raw).map(|_| raw.to_owned()).ok_or_else(|| ApiError::bad_param("number", "is not a contract number like EFA-2026-000123"))
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Termination {
    /// When notice is given (default today).
    pub notice_date: Option<chrono::NaiveDate>,
}

/// What a party does with an agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementStep {
    Sign,
    Terminate(Option<chrono::NaiveDate>),
    Onboard(OnboardingStep),
}

/// Signs, terminates or ticks an onboarding step, on the caller's side of the agreement.
pub async fn step(state: &AppState, p: &Principal, ctx: &Ctx, raw: &str, step: AgreementStep) -> Result<AgreementDetail, ApiError> {
    let number = check_number(raw)?;
    let c = state.catalogue()?;
    let actor = p.clone();
    let d = write_only(state, p, ctx, move |conn| {
        let a = load(conn, &number)?;
        let facts = nn::agreement_facts(&c, &a);
        let as_provider = decide(Some(&actor), &Action::ActAsProviderParty { facts: &facts });
        let as_customer = decide(Some(&actor), &Action::ActAsCustomerParty { facts: &facts });
        let before = serde_json::json!({"state": a.state, "revision": a.revision});
        let state = state_of(&a)?;
        let mut next = a.clone();
        let t = now();
        let today = efa_domain::calendar::today();
        let (action, doc, to): (&str, (String, String), AgreementState) = match step {
            AgreementStep::Sign => {
                let mut to = next_agreement_state(state, AgreementAction::Sign)?;
                // A request withdrawn while its agreements awaited signatures leaves them void.
                if let Some(rid) = &a.request_id {
                    if nn::load_request(conn, rid)?.state == efa_domain::reuse::RequestState::Withdrawn.as_str() {
                        return Err(ApiError::Conflict(format!("the reuse request of agreement {} was withdrawn; it can no longer be signed", a.number)));
                    }
                }
                if as_provider == efa_domain::Decision::Allow && a.provider_signed_at.is_none() {
                    next.provider_signed_at = Some(t);
                    next.provider_signed_by = Some(actor.subject.clone());
                } else if as_customer == efa_domain::Decision::Allow && a.customer_signed_at.is_none() {
                    next.customer_signed_at = Some(t);
                    next.customer_signed_by = Some(actor.subject.clone());
                } else if as_provider == efa_domain::Decision::Allow || as_customer == efa_domain::Decision::Allow {
                    return Err(ApiError::Conflict("your side has already signed".into()));
                } else {
                    enforce(as_customer, "sign this agreement")?;
                }
                if next.provider_signed_at.is_some() && next.customer_signed_at.is_some() {
                    to = next_agreement_state(to, AgreementAction::Activate)?;
                }
                ("agreement.sign", ("signature".into(), format!("Signed by {} ({})", actor.subject, actor.org_id)), to)
            }
            AgreementStep::Terminate(notice) => {
                enforce(notice_decision(as_provider, as_customer), "terminate this agreement")?;
                let to = next_agreement_state(state, AgreementAction::Terminate)?;
                // Notice is given today or for a later day, never backdated (days in Berlin).
                let notice = notice.unwrap_or(today);
                if notice < today {
                    return Err(ApiError::Unprocessable(vec![efa_domain::listing::FieldError {
                        field: "notice_date".into(),
                        message: format!("must be today ({today}) or later; notice cannot be given for a past day"),
                    }]));
                }
                let end = end_on_notice(&Agreement::try_from(a.clone())?, notice);
                next.end_date = Some(end);
                ("agreement.terminate", ("termination".into(), format!("Terminated by {} with notice on {notice}; ends {end}", actor.subject)), to)
            }
            AgreementStep::Onboard(s) => {
                let decision = match s.party() {
                    Party::Municipality => as_customer,
                    Party::Provider => as_provider,
                };
                enforce(decision, "do this onboarding step")?;
                let mut to = next_agreement_state(state, AgreementAction::Onboard)?;
                if !store::mark_step(conn, &OnboardingRow { agreement_id: a.id.clone(), step: s.as_str().into(), done_by: actor.subject.clone(), done_at: t })? {
                    return Err(ApiError::Conflict(format!("step {s} is already done")));
                }
                let done: Vec<OnboardingStep> = store::steps(conn, &a.id)?.iter().filter_map(|r| OnboardingStep::parse(&r.step).ok()).collect();
                if onboarding_complete(&done) {
                    to = next_agreement_state(to, AgreementAction::GoLive)?;
                    next.live_since = Some(today);
                }
                let live = if to == AgreementState::Live { "; the service is live" } else { "" };
                ("agreement.onboarding", ("onboarding".into(), format!("{s} done by {}{live}", actor.subject)), to)
            }
        };
        next.state = to.as_str().to_owned();
        next.updated_at = t;
        if !store::update_agreement(conn, &next, a.revision)? {
            return Err(ApiError::Conflict("the agreement changed meanwhile; read it again".into()));
        }
        nn::document(conn, &a.id, &doc.0, &doc.1, doc.1.clone(), &actor.subject, t)?;
        let after = serde_json::json!({"state": next.state, "end_date": next.end_date, "live_since": next.live_since});
        let audience = events::agreement_audience(&facts);
        let mut emitted = vec![Emit::new(
            match step {
                AgreementStep::Sign => EventType::AgreementSigned,
                AgreementStep::Terminate(_) => EventType::AgreementTerminated,
                AgreementStep::Onboard(_) => EventType::AgreementOnboardingStep,
            },
            "agreement",
            &a.number,
            audience.clone(),
            match step {
                AgreementStep::Onboard(s) => serde_json::json!({"state": to, "step": s, "end_date": next.end_date, "live_since": next.live_since}),
                _ => serde_json::json!({"state": to, "end_date": next.end_date, "live_since": next.live_since}),
            },
        )];
        // Both signatures make it active; the last onboarding step makes it live.
        if to != state && matches!(to, AgreementState::Active | AgreementState::Live) {
            let kind = if to == AgreementState::Active { EventType::AgreementActive } else { EventType::AgreementLive };
            emitted.push(Emit::new(kind, "agreement", &a.number, audience, serde_json::json!({"state": to, "live_since": next.live_since})));
        }
        // The request follows its agreements.
        if let Some(rid) = &a.request_id {
            if let Some((moved, r)) = nn::sync_request(conn, rid)? {
                let kind = match moved {
                    efa_domain::reuse::RequestState::Active => EventType::RequestActive,
                    efa_domain::reuse::RequestState::Live => EventType::RequestLive,
                    _ => EventType::RequestTerminated,
                };
                let audience = events::request_audience(&nn::request_facts(conn, &r)?);
                emitted.push(Emit::new(kind, "reuse_request", rid, audience, serde_json::json!({"state": moved, "revision": r.revision + 1})));
            }
        }
        let note = AuditNote { action, resource_type: "agreement", resource_id: a.number.clone(), owner_org_id: Some(a.customer_org_id.clone()), before: Some(before), after: Some(after), events: emitted };
        let fresh = load(conn, &number)?;
        Ok((detail(conn, fresh)?, note))
    })
    .await?;
    // Going live and ending change what is covered where.
    if matches!(d.agreement.state, AgreementState::Live | AgreementState::Terminated) {
        state.rebuild_after_write(false).await;
    }
    Ok(d)
}

