use crate::schema::{gemeinden, koenigsteiner_shares, kreise, laender};
use crate::DbConn;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = laender, treat_none_as_default_value = false)]
pub struct LandRow {
    pub code: String,
    pub name: String,
    pub population: i64,
    pub population_2023: Option<i64>,
    pub gemeinden_count: i32,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = koenigsteiner_shares, treat_none_as_default_value = false)]
pub struct KoenigsteinerRow {
    pub year: i32,
    pub land_code: String,
    pub share_e5: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = kreise, treat_none_as_default_value = false)]
pub struct KreisRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub land_code: String,
    pub population: i64,
    pub gemeinden_count: i32,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = gemeinden, treat_none_as_default_value = false)]
pub struct GemeindeRow {
    pub ags: String,
    pub ars: String,
    pub name: String,
    pub kind: String,
    pub gemeindefrei: bool,
    pub land_code: String,
    pub kreis_code: Option<String>,
    pub gemeindeverband: Option<String>,
    pub population: i64,
    pub area_km2: Option<f64>,
    pub postcode: Option<String>,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    pub urbanisation: Option<String>,
}

impl LandRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<LandRow>> {
        laender::table.order(laender::code).select(LandRow::as_select()).load(conn)
    }
}

impl KoenigsteinerRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<KoenigsteinerRow>> {
        koenigsteiner_shares::table
            .order((koenigsteiner_shares::year, koenigsteiner_shares::land_code))
            .select(KoenigsteinerRow::as_select())
            .load(conn)
    }
}

impl KreisRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<KreisRow>> {
        kreise::table.order(kreise::code).select(KreisRow::as_select()).load(conn)
    }
}

impl GemeindeRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<GemeindeRow>> {
        gemeinden::table.order(gemeinden::ags).select(GemeindeRow::as_select()).load(conn)
    }
}
