//! The counts the writes keep (triggers of `2026-12-03-000002_reuse_request_counts`,
//! `2026-12-05-000001_workspace_counts` and `2026-12-06-000002_audit_counts`) and the request
//! states on the municipality rows (`2026-12-07-000002_request_municipality_state`) against a
//! recount of the rows themselves: what the tests check after every kind of write.

use crate::reuse::adoption_months;
use crate::schema::{agreement_counts as ac, agreements as ag, audit_counts as auc, audit_events as ae, organisations as o, reuse_request_counts as rc, reuse_request_municipalities as rm, reuse_request_provider_counts as pc, reuse_requests as rr};
use crate::DbConn;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::BTreeMap;

/// Every difference between a kept count and its recount, described; empty when they agree.
pub fn mismatches(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    let mut out = Vec::new();
    compare(&mut out, "audit_counts", audit_kept(conn)?, audit_recounted(conn)?);
    compare(&mut out, "reuse_request_counts", land_kept(conn)?, land_recounted(conn)?);
    compare(&mut out, "reuse_request_provider_counts", provider_kept(conn)?, provider_recounted(conn)?);
    compare(&mut out, "agreement_counts", agreement_kept(conn)?, agreement_recounted(conn)?);
    let covered: BTreeMap<(String, String), String> = rm::table.select((rm::request_id, rm::municipality_org_id, rm::state)).load::<(String, String, String)>(conn)?.into_iter().map(|(r, m, s)| ((r, m), s)).collect();
    let of_request: BTreeMap<(String, String), String> =
        rm::table.inner_join(rr::table.on(rr::id.eq(rm::request_id))).select((rm::request_id, rm::municipality_org_id, rr::state)).load::<(String, String, String)>(conn)?.into_iter().map(|(r, m, s)| ((r, m), s)).collect();
    compare(&mut out, "reuse_request_municipalities.state", covered, of_request);
    let mut scopes: Vec<Option<String>> = vec![None];
    scopes.extend(o::table.filter(o::land_code.is_not_null()).select(o::land_code).distinct().load::<Option<String>>(conn)?);
    let services: Vec<String> = ag::table.select(ag::online_service_id).distinct().load(conn)?;
    for land in &scopes {
        for service in std::iter::once(None).chain(services.iter().map(Some)) {
            let kept: BTreeMap<String, (i64, i64)> = adoption_months(conn, service.map(String::as_str), land.as_deref(), None, None)?.into_iter().map(|(m, s, l)| (m, (s, l))).collect();
            let mut counted: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            let month = |y: i32, m: u32| format!("{y:04}-{m:02}");
            for (signed, live) in adoption_rows(conn, service.map(String::as_str), land.as_deref())? {
                if let Some(t) = signed {
                    counted.entry(month(t.year(), t.month())).or_default().0 += 1;
                }
                if let Some(d) = live {
                    counted.entry(month(d.year(), d.month())).or_default().1 += 1;
                }
            }
            compare(&mut out, &format!("adoption_counts (Land {land:?}, service {service:?})"), kept, counted);
        }
    }
    Ok(out)
}

fn compare<K: std::fmt::Debug + Ord, V: std::fmt::Debug + PartialEq>(out: &mut Vec<String>, what: &str, kept: BTreeMap<K, V>, counted: BTreeMap<K, V>) {
    if kept != counted {
        out.push(format!("{what}: kept {kept:?}, recounted {counted:?}"));
    }
}

fn audit_kept(conn: &mut DbConn) -> QueryResult<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> = auc::table.select((auc::scope, auc::n)).load(conn)?;
    Ok(summed(rows.into_iter()))
}

/// The scopes of the audit log: every event (''), what an organisation's people did
/// (`actor:`), an organisation's own view (`visible:`, acted or owns the resource).
fn audit_recounted(conn: &mut DbConn) -> QueryResult<BTreeMap<String, i64>> {
    let rows: Vec<(Option<String>, Option<String>)> = ae::table.select((ae::actor_org_id, ae::owner_org_id)).load(conn)?;
    Ok(summed(rows.into_iter().flat_map(|(actor, owner)| {
        let owner = owner.filter(|o| actor.as_ref() != Some(o));
        let acted = actor.into_iter().flat_map(|o| [format!("actor:{o}"), format!("visible:{o}")]);
        std::iter::once(String::new()).chain(acted).chain(owner.map(|o| format!("visible:{o}"))).map(|k| (k, 1))
    })))
}

fn land_kept(conn: &mut DbConn) -> QueryResult<BTreeMap<(String, String), i64>> {
    let rows: Vec<(String, String, i64)> = rc::table.select((rc::land_code, rc::state, rc::n)).load(conn)?;
    Ok(summed(rows.into_iter().map(|(l, s, n)| ((l, s), n))))
}

fn land_recounted(conn: &mut DbConn) -> QueryResult<BTreeMap<(String, String), i64>> {
    let rows: Vec<(String, String)> = rr::table.select((rr::land_code, rr::state)).load(conn)?;
    Ok(summed(rows.into_iter().map(|k| (k, 1))))
}

/// Signature and go-live dates of every agreement, optionally of one service and of the
/// customers in one Land, read from the agreements themselves: what `adoption_months` must
/// add up to. An agreement is signed when both sides have signed, at the later signature;
/// one signature alone is no signed agreement.
fn adoption_rows(conn: &mut DbConn, service: Option<&str>, land: Option<&str>) -> QueryResult<Vec<(Option<NaiveDateTime>, Option<NaiveDate>)>> {
    let mut q = ag::table.filter(ag::customer_signed_at.is_not_null().or(ag::live_since.is_not_null())).into_boxed();
    if let Some(s) = service {
        q = q.filter(ag::online_service_id.eq(s.to_owned()));
    }
    if let Some(l) = land {
        q = q.filter(ag::customer_org_id.eq_any(o::table.filter(o::land_code.eq(l.to_owned())).select(o::id)));
    }
    let rows = q.select((ag::customer_signed_at, ag::provider_signed_at, ag::live_since)).load::<(Option<NaiveDateTime>, Option<NaiveDateTime>, Option<NaiveDate>)>(conn)?;
    Ok(rows.into_iter().map(|(c, p, live)| (c.zip(p).map(|(c, p)| c.max(p)), live)).collect())
}

type ProviderKey = (String, String, String, i32);

fn provider_kept(conn: &mut DbConn) -> QueryResult<BTreeMap<ProviderKey, i64>> {
    let rows: Vec<(String, String, String, i32, i64)> = pc::table.select((pc::provider_org_id, pc::land_code, pc::state, pc::own, pc::n)).load(conn)?;
    Ok(summed(rows.into_iter().map(|(p, l, s, own, n)| ((p, l, s, own), n))))
}

fn provider_recounted(conn: &mut DbConn) -> QueryResult<BTreeMap<ProviderKey, i64>> {
    let rows: Vec<(String, String, String, String)> = rr::table.select((rr::provider_org_id, rr::land_code, rr::state, rr::requester_org_id)).load(conn)?;
    Ok(summed(rows.into_iter().map(|(p, l, s, requester)| {
        let own = i32::from(requester == p);
        ((p, l, s, own), 1)
    })))
}

/// (organisation, side, state, awaiting).
type AgreementKey = (String, String, String, i32);

fn agreement_kept(conn: &mut DbConn) -> QueryResult<BTreeMap<AgreementKey, i64>> {
    let rows: Vec<(String, String, String, i32, i64)> = ac::table.select((ac::org_id, ac::side, ac::state, ac::awaiting, ac::n)).load(conn)?;
    Ok(summed(rows.into_iter().map(|(o, side, s, a, n)| ((o, side, s, a), n))))
}

/// The sides as the agreements list splits them: provider; customer, not also provider;
/// signatory only. Awaiting: pending and this organisation's signature missing.
fn agreement_recounted(conn: &mut DbConn) -> QueryResult<BTreeMap<AgreementKey, i64>> {
    type Row = (String, String, String, String, Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>);
    let rows: Vec<Row> = ag::table.select((ag::provider_org_id, ag::customer_org_id, ag::signatory_org_id, ag::state, ag::provider_signed_at, ag::customer_signed_at)).load(conn)?;
    let mut keys: Vec<(String, &'static str, String, i32)> = Vec::new();
    for (provider, customer, signatory, state, provider_signed, customer_signed) in rows {
        let pending = state == "pending";
        let signs_customer_side = |org: &str| signatory == org && customer_signed.is_none();
        keys.push((provider.clone(), "provider", state.clone(), i32::from(pending && (provider_signed.is_none() || signs_customer_side(&provider)))));
        if customer != provider {
            keys.push((customer.clone(), "customer", state.clone(), i32::from(pending && signs_customer_side(&customer))));
        }
        if signatory != provider && signatory != customer {
            keys.push((signatory.clone(), "signatory", state.clone(), i32::from(pending && customer_signed.is_none())));
        }
    }
    Ok(summed(keys.into_iter().map(|(o, side, s, a)| ((o, side.to_owned(), s, a), 1))))
}

/// Slots added up, zeros left out.
fn summed<K: Ord>(rows: impl Iterator<Item = (K, i64)>) -> BTreeMap<K, i64> {
    let mut out = BTreeMap::new();
    for (k, n) in rows {
        *out.entry(k).or_insert(0) += n;
    }
    out.retain(|_, n| *n != 0);
    out
}
