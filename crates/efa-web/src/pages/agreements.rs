//! "Meine Verträge": the user's agreements, and one agreement as a document — parties,
//! service, terms, fees, term, signatures, the onboarding checklist and the contract folder —
//! with the buttons for the user's side: sign, tick an onboarding step, give notice.

use super::pager::Pager;
use super::order::{org_name, service_name, who, };
use super::requests::{page_number, request_action_de, ListQuery, NoFields};
use super::{date, datetime, euro, layout, parse_date, render, render_status, Page};
use crate::errors::WebError;
use crate::forms::{self, Errors};
use crate::layout::Layout;
use crate::see_other;
use crate::session::Shop;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use efa_api::error::ApiError;
use efa_api::operations::agreements::{self, AgreementStep, AGREEMENT_STATES};
use efa_domain::reuse::AgreementState;
use efa_domain::reuse::{OnboardingStep, Party};
use serde::Deserialize;

const PER_PAGE: u32 = 20;

/// An agreement's state as people read it.
pub fn agreement_state_de(state: AgreementState) -> &'static str {
    match state {
        AgreementState::Pending => "Wartet auf Unterschriften",
        AgreementState::Active => "Aktiv",
        AgreementState::Live => "Live",
        AgreementState::Terminated => "Gekündigt",
    }
}

/// An onboarding step as people read it.
pub fn onboarding_step_de(s: OnboardingStep) -> &'static str {
    match s {
        OnboardingStep::FitConnectDestination => "FIT-Connect-Zustellpunkt eingerichtet",
        OnboardingStep::PvogResponsibility => "Zuständigkeit im PVOG eingetragen",
        OnboardingStep::FachverfahrenConnected => "Fachverfahren angebunden",
        OnboardingStep::TestCasePassed => "Testfall bis ins Fachverfahren erfolgreich",
    }
}

fn party_de(p: Party) -> &'static str {
    match p {
        Party::Municipality => "Kommune",
        Party::Provider => "Anbieter",
    }
}

/// A document of the contract folder: its kind, and for a decision the step it records.
fn document_title(kind: &str, title: &str) -> String {
    let action = title.split(" by ").next().unwrap_or_default();
    match kind {
        "decision" => request_action_de(action).map(|a| format!("Entscheidung: {a}")).unwrap_or_else(|| "Entscheidung".into()),
        "message" => "Nachricht aus der Abstimmung".into(),
        "agreement" => "Vertragstext".into(),
        "accession" => "Beitrittserklärung".into(),
        "signature" => "Unterschrift".into(),
        "onboarding" => "Onboarding-Schritt".into(),
        "termination" => "Kündigung".into(),
        other => other.to_owned(),
    }
}

// ---- the list ----

pub struct AgreementRowView {
    pub number: String,
    pub service: String,
    pub customer: String,
    pub state: &'static str,
    pub start: String,
}

#[derive(Template)]
#[template(path = "pages/order/agreements.html")]
pub struct AgreementsPage {
    pub layout: Layout,
    pub errors: Errors,
    pub rows: Vec<AgreementRowView>,
    pub total: usize,
    pub states: Vec<(String, String)>,
    pub status: String,
    pub pager: Pager,
}

/// `GET /vertraege`: my agreements, newest number first, filtered by state.
pub async fn list(shop: Shop, q: web::Query<ListQuery>) -> Page {
    let u = shop.require_user()?;
    let c = shop.app.catalogue()?;
    let status = q.status.clone().unwrap_or_default();
    let states = match status.as_str() {
        "" => Vec::new(),
        s if AGREEMENT_STATES.contains(&s) => vec![s.to_owned()],
        s => return Err(WebError::BadRequest(format!("state {s:?}"))),
    };
    let page = efa_api::params::Page { page: page_number(q.seite.as_deref())?, per_page: PER_PAGE };
    let (items, total) = agreements::list(&shop.app, &u.principal, efa_store::reuse::ListFilter { states, ..Default::default() }, page).await?;
    let rows = items
        .iter()
        .map(|a| AgreementRowView {
            number: a.number.clone(),
            service: service_name(&c, &a.online_service_id),
            customer: org_name(&c, &a.customer_org_id),
            state: agreement_state_de(a.state),
            start: date(a.start_date),
        })
        .collect();
    let options = std::iter::once((String::new(), "Alle Stände".to_owned())).chain(AgreementState::ALL.iter().map(|&s| (s.as_str().to_owned(), agreement_state_de(s).to_owned()))).collect();
    let pager = q.pager("/vertraege", page, total);
    let p = AgreementsPage { layout: layout(&shop, "Meine Verträge").await, errors: Errors::default(), rows, total, states: options, status, pager };
    render(&p)
}

// ---- one agreement ----

pub struct Signature {
    pub side: &'static str,
    pub party: String,
    pub when: Option<String>,
    /// The person who signed.
    pub by: Option<String>,
}

/// Who signed a side: a person, or for an accession the framework agreement the provider
/// agreed to when offering it.
fn signer(c: &efa_api::catalogue::Catalogue, by: &str) -> String {
    if by.starts_with("framework agreement ") { "Mit dem Angebot des Rahmenvertrags zugestimmt".to_owned() } else { who(c, by) }
}

pub struct StepView {
    pub key: &'static str,
    pub name: &'static str,
    pub party: &'static str,
    pub done: Option<String>,
    /// The user's open step, to tick now.
    pub open_for_me: bool,
    pub action: String,
    pub button_id: String,
}

pub struct DocumentView {
    pub title: String,
    pub when: String,
    pub who: String,
    pub body: Option<String>,
}

/// The termination form's fields, as entered.
#[derive(Deserialize, Default, Clone)]
pub struct TerminationForm {
    /// The day notice is given (TT.MM.JJJJ); empty: today.
    #[serde(default)]
    pub kuendigungstag: String,
    /// The confirmation checkbox ("ja" when ticked).
    #[serde(default)]
    pub bestaetigung: String,
}

#[derive(Template)]
#[template(path = "pages/order/agreement.html")]
pub struct AgreementPage {
    pub layout: Layout,
    pub errors: Errors,
    pub problem: Option<String>,
    pub number: String,
    pub state: &'static str,
    pub state_key: String,
    pub provider: String,
    pub customer: String,
    /// Who signs for the customer, where another organisation (a bundler) does.
    pub signatory: Option<String>,
    pub service_id: String,
    pub service: String,
    pub listing_version: i32,
    pub framework: Option<String>,
    pub request_id: Option<String>,
    pub terms_text: String,
    pub terms_version: String,
    pub one_off: String,
    pub annual: String,
    pub first_year: String,
    pub cost_key: String,
    pub start: String,
    pub minimum_term: i32,
    pub notice: i32,
    pub end: Option<String>,
    /// When and by whom notice was given.
    pub terminated: Option<String>,
    pub live_since: Option<String>,
    pub signatures: Vec<Signature>,
    pub can_sign: bool,
    pub sign_action: String,
    pub onboarding: Vec<StepView>,
    pub folder: Vec<DocumentView>,
    /// The user's side may give notice now (the operation's rule).
    pub can_terminate: bool,
    pub terminate_action: String,
    /// When the agreement would end with notice given today.
    pub end_if_today: String,
    pub termination: TerminationForm,
}

/// What the agreement page shows besides the agreement: a problem, a refused form.
struct Shown {
    errors: Errors,
    problem: Option<String>,
    termination: TerminationForm,
    status: StatusCode,
}

impl Shown {
    fn ok() -> Shown {
        Shown { errors: Errors::default(), problem: None, termination: TerminationForm::default(), status: StatusCode::OK }
    }
}

async fn agreement_page(shop: &Shop, number: &str, shown: Shown) -> Page {
    let u = shop.require_user()?;
    // An address that cannot name an agreement names none: the 404 page, as for one not visible.
    agreements::check_number(number).map_err(|_| WebError::NotFound)?;
    let c = shop.app.catalogue()?;
    let d = agreements::get(&shop.app, &u.principal, number).await?;
    let (provider_side, customer_side) = agreements::sides(&c, &u.principal, &d.agreement);
    let a = &d.agreement;
    let pending = a.state == AgreementState::Pending;
    let can_sign = pending && ((provider_side && a.provider_signed_at.is_none()) || (customer_side && a.customer_signed_at.is_none()));
    let onboarding = d
        .onboarding
        .iter()
        .map(|o| {
            let mine = match o.step.party() {
                Party::Municipality => customer_side,
                Party::Provider => provider_side,
            };
            StepView {
                key: o.step.as_str(),
                name: onboarding_step_de(o.step),
                party: party_de(o.step.party()),
                done: o.done_at.map(|t| format!("{}, {}", datetime(t), o.done_by.as_deref().map(|b| who(&c, b)).unwrap_or_default())),
                open_for_me: mine && o.done_at.is_none() && a.state == AgreementState::Active,
                action: format!("/vertraege/{}/onboarding/{}", a.number, o.step.as_str()),
                button_id: format!("erledigt-{}", o.step.as_str()),
            }
        })
        .collect();
    let folder = d
        .folder
        .iter()
        .map(|f| DocumentView {
            title: document_title(&f.kind, &f.title),
            when: datetime(f.created_at),
            who: who(&c, &f.created_by),
            body: matches!(f.kind.as_str(), "message" | "agreement").then(|| f.body.clone()),
        })
        .collect();
    let page = AgreementPage {
        layout: layout(shop, format!("Nachnutzungsvertrag {}", a.number)).await.with_errors(!shown.errors.is_empty() || shown.problem.is_some()),
        errors: shown.errors,
        problem: shown.problem,
        number: a.number.clone(),
        state: agreement_state_de(a.state),
        state_key: a.state.as_str().to_owned(),
        provider: org_name(&c, &a.provider_org_id),
        customer: org_name(&c, &a.customer_org_id),
        signatory: (a.signatory_org_id != a.customer_org_id).then(|| org_name(&c, &a.signatory_org_id)),
        service_id: a.online_service_id.clone(),
        service: service_name(&c, &a.online_service_id),
        listing_version: a.listing_version,
        framework: a.framework_version.map(|v| format!("Beitritt zum Rahmenvertrag (Version {v})")),
        request_id: a.request_id.clone(),
        terms_text: a.terms_text.clone(),
        terms_version: a.terms_version.clone(),
        one_off: euro(a.one_off_fee_cents),
        annual: euro(a.annual_fee_cents),
        first_year: euro(a.first_year_fee_cents),
        cost_key: a.cost_key.clone(),
        start: date(a.start_date),
        minimum_term: a.minimum_term_months,
        notice: a.notice_months,
        end: a.end_date.map(date),
        terminated: d.folder.iter().rev().find(|f| f.kind == "termination").map(|f| format!("{}, {}", datetime(f.created_at), who(&c, &f.created_by))),
        live_since: a.live_since.map(date),
        signatures: vec![
            Signature { side: "Anbieter", party: org_name(&c, &a.provider_org_id), when: a.provider_signed_at.map(datetime), by: a.provider_signed_by.as_deref().map(|b| signer(&c, b)) },
            Signature { side: "Kommune", party: org_name(&c, &a.signatory_org_id), when: a.customer_signed_at.map(datetime), by: a.customer_signed_by.as_deref().map(|b| signer(&c, b)) },
        ],
        can_sign,
        sign_action: format!("/vertraege/{}/unterschreiben", a.number),
        onboarding,
        folder,
        can_terminate: agreements::may_terminate(&c, &u.principal, a),
        terminate_action: format!("/vertraege/{}/kuendigen", a.number),
        end_if_today: date(agreements::end_on_notice(a, efa_domain::calendar::today())),
        termination: shown.termination,
    };
    render_status(&page, shown.status)
}

/// `GET /vertraege/{number}`: one agreement (the 404 page for one the user may not see).
pub async fn show(shop: Shop, path: web::Path<String>) -> Page {
    agreement_page(&shop, &path, Shown::ok()).await
}

async fn step(shop: Shop, number: &str, body: &[u8], step: AgreementStep) -> Page {
    let _ = forms::parse::<NoFields>(&shop, body)?;
    take_step(shop, number, step, TerminationForm::default()).await
}

/// Takes `step` through the operation: on success the flash and back to the agreement; a
/// refusal of the state machine shows the agreement as it is now (409); a field error the
/// termination form again with what was entered (400).
async fn take_step(shop: Shop, number: &str, step: AgreementStep, entered: TerminationForm) -> Page {
    let u = shop.require_user()?.clone();
    match agreements::step(&shop.app, &u.principal, &shop.ctx(None), number, step).await {
        Ok(d) => {
            let text = match (step, d.agreement.state) {
                (AgreementStep::Sign, AgreementState::Active) => "Unterschrieben. Beide Seiten haben unterschrieben: Der Vertrag ist aktiv, das Onboarding beginnt.".to_owned(),
                (AgreementStep::Sign, _) => "Unterschrieben. Der Vertrag wird aktiv, sobald die andere Seite unterschrieben hat.".to_owned(),
                (_, AgreementState::Live) => "Erledigt. Alle Schritte sind erledigt: Der Onlinedienst ist live.".to_owned(),
                (AgreementStep::Onboard(s), _) => format!("Erledigt: {}.", onboarding_step_de(s)),
                (AgreementStep::Terminate(_), _) => format!("Gekündigt. Der Vertrag endet am {}.", d.agreement.end_date.map(date).unwrap_or_default()),
            };
            shop.flash("success", text);
            Ok(see_other(&format!("/vertraege/{}", d.agreement.number)))
        }
        Err(ApiError::Conflict(_)) => {
            let text = "Der Vertrag wurde inzwischen geändert – etwa von der anderen Seite oder in einem anderen Fenster. Hier sehen Sie den aktuellen Stand; prüfen Sie, ob noch etwas zu tun ist.";
            agreement_page(&shop, number, Shown { problem: Some(text.into()), status: StatusCode::CONFLICT, ..Shown::ok() }).await
        }
        Err(e @ ApiError::Unprocessable(_)) => {
            let errors = Errors::from_api(e, &[("notice_date", "kuendigungstag")], "kuendigungstag")?;
            agreement_page(&shop, number, Shown { errors, termination: entered, status: StatusCode::BAD_REQUEST, ..Shown::ok() }).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /vertraege/{number}/unterschreiben`: signs on the user's side.
pub async fn sign(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    step(shop, &path, &body, AgreementStep::Sign).await
}

/// `POST /vertraege/{number}/onboarding/{step}`: ticks one of the user's onboarding steps.
pub async fn onboard(shop: Shop, path: web::Path<(String, String)>, body: web::Bytes) -> Page {
    let (number, raw) = path.into_inner();
    let s = OnboardingStep::parse(&raw).map_err(|_| WebError::NotFound)?;
    step(shop, &number, &body, AgreementStep::Onboard(s)).await
}

/// `POST /vertraege/{number}/kuendigen`: gives notice on the user's side — on the day entered
/// (empty: today, never a past day), confirmed by ticking the box; the end follows from the
/// notice period and the minimum term.
pub async fn terminate(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    let form = forms::parse::<TerminationForm>(&shop, &body)?.value;
    let mut errors = Errors::default();
    let notice = match form.kuendigungstag.trim() {
        "" => None,
        s => match parse_date(s) {
            Some(d) => Some(d),
            None => {
                errors.add("kuendigungstag", "Geben Sie den Tag der Kündigung als Datum ein, zum Beispiel 01.07.2027.");
                None
            }
        },
    };
    if form.bestaetigung != "ja" {
        errors.add("bestaetigung", "Bestätigen Sie, dass Sie den Vertrag kündigen.");
    }
    if !errors.is_empty() {
        return agreement_page(&shop, &path, Shown { errors, termination: form, status: StatusCode::BAD_REQUEST, ..Shown::ok() }).await;
    }
    take_step(shop, &path, AgreementStep::Terminate(notice), form).await
}
