use crate::schema::{online_service_anbindungen, online_service_ozg_leistungen, online_services, organisations};
use crate::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = organisations, treat_none_as_default_value = false)]
pub struct OrganisationRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub land_code: Option<String>,
    pub ags: Option<String>,
    pub ars: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Queryable, Selectable, Insertable)]
#[diesel(table_name = online_services, treat_none_as_default_value = false)]
pub struct OnlineServiceRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub provider_org_id: String,
    pub lead_land_code: Option<String>,
    pub efa: bool,
    pub status: Option<String>,
    pub reifegrad: Option<i32>,
    pub url: Option<String>,
    pub price_model: Option<String>,
    pub one_off_fee_cents: Option<i64>,
    pub annual_fee_cents: Option<i64>,
    pub per_inhabitant_cents: Option<i64>,
    pub per_use_cents: Option<i64>,
    pub source: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub listing_state: String,
    pub revision: i32,
    pub content: Option<String>,
    pub review_note: Option<String>,
    pub published_content: Option<String>,
    pub published_version: Option<i32>,
    pub reach: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Queryable, Selectable, Insertable)]
#[diesel(table_name = online_service_ozg_leistungen, treat_none_as_default_value = false)]
pub struct ServiceOzgRow {
    pub online_service_id: String,
    pub ozg_id: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Queryable, Selectable, Insertable)]
#[diesel(table_name = online_service_anbindungen, treat_none_as_default_value = false)]
pub struct AnbindungRow {
    pub online_service_id: String,
    pub kind: String,
}

impl OrganisationRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<OrganisationRow>> {
        organisations::table.order(organisations::name).select(OrganisationRow::as_select()).load(conn)
    }

    /// The first organisation with exactly this name (names of Gemeinden repeat).
    pub fn find_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<OrganisationRow>> {
        organisations::table.filter(organisations::name.eq(name)).order(organisations::id).select(OrganisationRow::as_select()).first(conn).optional()
    }
}

impl OnlineServiceRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<OnlineServiceRow>> {
        online_services::table.order(online_services::id).select(OnlineServiceRow::as_select()).load(conn)
    }
}

impl ServiceOzgRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<ServiceOzgRow>> {
        online_service_ozg_leistungen::table.select(ServiceOzgRow::as_select()).load(conn)
    }
}

impl AnbindungRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<AnbindungRow>> {
        online_service_anbindungen::table.select(AnbindungRow::as_select()).load(conn)
    }
}
