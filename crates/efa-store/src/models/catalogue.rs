use crate::schema::{efa_mindestanforderungen, lebenslagen, leika_leistungen, ozg_leistungen, search_synonyms, themenfelder};
use crate::DbConn;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = themenfelder, treat_none_as_default_value = false)]
pub struct ThemenfeldRow {
    pub id: i32,
    pub name: String,
    pub lead_land_code: Option<String>,
    pub lead_bundesressort: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = lebenslagen, treat_none_as_default_value = false)]
pub struct LebenslageRow {
    pub id: i32,
    pub name: String,
    pub themenfeld_id: i32,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = ozg_leistungen, treat_none_as_default_value = false)]
pub struct OzgLeistungRow {
    pub ozg_id: i32,
    pub name: String,
    pub lebenslage_id: i32,
    pub themenfeld_id: i32,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = leika_leistungen, treat_none_as_default_value = false)]
pub struct LeikaRow {
    pub id: i32,
    pub leika_key: Option<String>,
    pub name: String,
    pub ozg_id: Option<i32>,
    pub leika_typ: Option<String>,
    pub legal_basis: Option<String>,
    pub laws: Option<String>,
    pub law_abbreviations: Option<String>,
    pub sdg1_relevant: bool,
    pub sdg2_relevant: bool,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = efa_mindestanforderungen, treat_none_as_default_value = false)]
pub struct MindestanforderungRow {
    pub code: String,
    pub version: String,
    pub criterion: String,
    pub description: String,
    pub category: String,
    pub mandatory: String,
    pub source: String,
}

/// A synonym or abbreviation for search: `term` as people type it stands for `means`, the
/// catalogue's wording.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = search_synonyms, treat_none_as_default_value = false)]
pub struct SynonymRow {
    pub term: String,
    pub means: String,
    pub reason: String,
}

impl SynonymRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<SynonymRow>> {
        search_synonyms::table.order((search_synonyms::term, search_synonyms::means)).select(SynonymRow::as_select()).load(conn)
    }
}

impl ThemenfeldRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<ThemenfeldRow>> {
        themenfelder::table.order(themenfelder::id).select(ThemenfeldRow::as_select()).load(conn)
    }
}

impl LebenslageRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<LebenslageRow>> {
        lebenslagen::table.order(lebenslagen::id).select(LebenslageRow::as_select()).load(conn)
    }
}

impl OzgLeistungRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<OzgLeistungRow>> {
        ozg_leistungen::table.order(ozg_leistungen::ozg_id).select(OzgLeistungRow::as_select()).load(conn)
    }
}

impl LeikaRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<LeikaRow>> {
        leika_leistungen::table.order(leika_leistungen::id).select(LeikaRow::as_select()).load(conn)
    }
}

impl MindestanforderungRow {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<MindestanforderungRow>> {
        efa_mindestanforderungen::table
            .order(efa_mindestanforderungen::code)
            .select(MindestanforderungRow::as_select())
            .load(conn)
    }
}
