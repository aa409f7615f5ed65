//! Organisations: their public facts from the catalogue (anyone reads them), and for
//! operators the people who logged in for one and what it takes part in.

use super::{parse_uuid, utc};
use crate::catalogue::query::{self, Words};
use crate::error::ApiError;
use crate::params::Page;
use crate::state::AppState;
use crate::views::Organisation;
use crate::write::enforce;
use efa_domain::{decide, Action, LandCode, OrgKind, Principal};
use efa_store::reuse::{self as store, ListFilter, Viewer};

/// The organisations whose name holds every word of `q`, of `kind` and in `land`, by name:
/// one page, and how many there are in all.
pub fn search(state: &AppState, q: &str, kind: Option<OrgKind>, land: Option<&LandCode>, page: Page) -> Result<(Vec<Organisation>, usize), ApiError> {
    let c = state.catalogue()?;
    let hits = query::organisations(&c, &Words::parse(q), kind, land.map(LandCode::as_str));
    Ok((page.slice(&hits).iter().map(|&i| c.org_view(i)).collect(), hits.len()))
}

/// One organisation (`raw_id` a UUID).
pub fn get(state: &AppState, raw_id: &str) -> Result<Organisation, ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let c = state.catalogue()?;
    let i = *c.org_by_id.get(&id).ok_or_else(|| ApiError::not_found(format!("organisation {id} does not exist")))?;
    Ok(c.org_view(i))
}

/// A person who logged in for an organisation, as the last login said.
#[derive(Debug, Clone)]
pub struct Person {
    pub subject: String,
    pub display_name: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
    pub land_code: Option<String>,
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A request an organisation takes part in (it asked, provides the service or is covered).
#[derive(Debug, Clone)]
pub struct RequestRef {
    pub id: String,
    pub online_service_id: String,
    pub state: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// An agreement an organisation is party to.
#[derive(Debug, Clone)]
pub struct AgreementRef {
    pub number: String,
    pub online_service_id: String,
    pub state: String,
}

/// What an operator sees of an organisation beyond its public facts.
#[derive(Debug, Clone)]
pub struct Staff {
    pub people: Vec<Person>,
    /// The newest requests (at most the number asked for) and how many there are in all.
    pub requests: Vec<RequestRef>,
    pub requests_total: usize,
    pub agreements: Vec<AgreementRef>,
    pub agreements_total: usize,
}

/// The people of organisation `org` (an id as [`get`] checked it) and its newest `latest`
/// requests and agreements, for a caller the policy lets see them.
pub async fn staff(state: &AppState, p: &Principal, org: &str, latest: u32) -> Result<Staff, ApiError> {
    enforce(decide(Some(p), &Action::ViewOrganisationStaff { org }), "see the people of this organisation")?;
    let org = org.to_owned();
    state
        .db(move |conn| {
            let people = efa_store::mail::users_of(conn, &[org.as_str()])?
                .into_iter()
                .map(|u| Person {
                    roles: if u.roles.trim().is_empty() { vec![u.role.clone()] } else { u.roles.split_whitespace().map(str::to_owned).collect() },
                    subject: u.id,
                    display_name: u.display_name,
                    email: u.email,
                    land_code: u.land_code,
                    last_login_at: u.last_login_at.map(utc),
                })
                .collect();
            let filter = ListFilter::default();
            let requests = store::list_requests(conn, Viewer { org: Some(&org), land: None }, &filter, 0, i64::from(latest))?;
            let agreements = store::list_agreements(conn, Some(&org), &filter, 0, i64::from(latest))?;
            Ok(Staff {
                people,
                requests_total: usize::try_from(requests.total).unwrap_or(0),
                requests: requests.rows.into_iter().map(|r| RequestRef { id: r.id, online_service_id: r.online_service_id, state: r.state, created_at: utc(r.created_at) }).collect(),
                agreements_total: usize::try_from(agreements.total).unwrap_or(0),
                agreements: agreements.rows.into_iter().map(|a| AgreementRef { number: a.number, online_service_id: a.online_service_id, state: a.state }).collect(),
            })
        })
        .await
}
