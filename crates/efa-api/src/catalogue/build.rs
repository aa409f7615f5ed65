//! Builds a catalogue snapshot from the database rows.

use super::*;
use chrono::{DateTime, Utc};
use efa_domain::{fold, Anbindung, OrgKind, PriceModel, Reifegrad, ServiceStatus};
use efa_store::models::*;
use efa_store::DbConn;

/// Loads every catalogue table and builds the snapshot. Values the database holds were
/// checked on the way in; one that still fails to parse is an error, not a silent default.
pub fn load(conn: &mut DbConn) -> anyhow::Result<Catalogue> {
    let rows = Rows {
        laender: LandRow::all(conn)?,
        kreise: KreisRow::all(conn)?,
        gemeinden: GemeindeRow::all(conn)?,
        themenfelder: ThemenfeldRow::all(conn)?,
        lebenslagen: LebenslageRow::all(conn)?,
        ozg: OzgLeistungRow::all(conn)?,
        leika: LeikaRow::all(conn)?,
        orgs: OrganisationRow::all(conn)?,
        services: OnlineServiceRow::all(conn)?,
        links: ServiceOzgRow::all(conn)?,
        anbindungen: AnbindungRow::all(conn)?,
    };
    build(rows)
}

pub struct Rows {
    pub laender: Vec<LandRow>,
    pub kreise: Vec<KreisRow>,
    pub gemeinden: Vec<GemeindeRow>,
    pub themenfelder: Vec<ThemenfeldRow>,
    pub lebenslagen: Vec<LebenslageRow>,
    pub ozg: Vec<OzgLeistungRow>,
    pub leika: Vec<LeikaRow>,
    pub orgs: Vec<OrganisationRow>,
    pub services: Vec<OnlineServiceRow>,
    pub links: Vec<ServiceOzgRow>,
    pub anbindungen: Vec<AnbindungRow>,
}

fn utc(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

pub fn build(r: Rows) -> anyhow::Result<Catalogue> {
    let mut c = Catalogue { loaded: true, ..Catalogue::default() };
    let land_names: HashMap<String, String> = r.laender.iter().map(|l| (l.code.clone(), l.name.clone())).collect();
    let land_ref = |code: &str| -> anyhow::Result<LandRef> {
        let name = land_names.get(code).ok_or_else(|| anyhow::anyhow!("unknown Land code {code:?}"))?;
        Ok(LandRef { code: code.to_owned(), name: name.clone() })
    };

    c.laender = r
        .laender
        .iter()
        .map(|l| Land {
            code: l.code.clone(),
            name: l.name.clone(),
            population: l.population,
            population_2023: l.population_2023,
            gemeinden_count: l.gemeinden_count,
            kreise_count: r.kreise.iter().filter(|k| k.land_code == l.code).count(),
        })
        .collect();

    let kreis_names: HashMap<&str, &str> = r.kreise.iter().map(|k| (k.code.as_str(), k.name.as_str())).collect();
    for k in &r.kreise {
        c.kreise.push(Kreis {
            code: k.code.clone(),
            name: k.name.clone(),
            kind: k.kind.clone(),
            land: land_ref(&k.land_code)?,
            population: k.population,
            gemeinden_count: k.gemeinden_count,
        });
    }

    for g in r.gemeinden {
        let kreis = g.kreis_code.as_deref().map(|k| KreisRef { code: k.to_owned(), name: kreis_names.get(k).copied().unwrap_or_default().to_owned() });
        let coordinates = match (g.latitude, g.longitude) {
            (Some(latitude), Some(longitude)) => Some(Coordinates { latitude, longitude }),
            _ => None,
        };
        let view = Gemeinde {
            land: land_ref(&g.land_code)?,
            kreis,
            coordinates,
            ags: g.ags,
            ars: g.ars,
            name: g.name,
            kind: g.kind,
            gemeindefrei: g.gemeindefrei,
            gemeindeverband: g.gemeindeverband,
            population: g.population,
            area_km2: g.area_km2,
            postcode: g.postcode,
            urbanisation: g.urbanisation,
        };
        c.gemeinde_by_ags.insert(view.ags.clone(), c.gemeinden.len());
        c.gemeinden.push(GemeindeEntry { folded_name: fold(&view.name), view });
    }

    let tf_name: HashMap<i32, String> = r.themenfelder.iter().map(|t| (t.id, t.name.clone())).collect();
    let ll_name: HashMap<i32, String> = r.lebenslagen.iter().map(|l| (l.id, l.name.clone())).collect();
    let id_ref = |names: &HashMap<i32, String>, id: i32| -> anyhow::Result<IdRef> {
        Ok(IdRef { id, name: names.get(&id).ok_or_else(|| anyhow::anyhow!("unknown id {id}"))?.clone() })
    };

    for o in &r.ozg {
        c.ozg_by_id.insert(o.ozg_id, c.ozg.len());
        c.ozg.push(OzgEntry {
            view: OzgLeistung {
                ozg_id: o.ozg_id,
                name: o.name.clone(),
                themenfeld: id_ref(&tf_name, o.themenfeld_id)?,
                lebenslage: id_ref(&ll_name, o.lebenslage_id)?,
                leika_count: 0,
                online_services_count: 0,
                matched_on: None,
            },
            folded_name: fold(&o.name),
            leika: Vec::new(),
            services: Vec::new(),
        });
    }

    for l in r.leika {
        let ozg = l.ozg_id.and_then(|id| c.ozg_by_id.get(&id).copied());
        let idx = c.leika.len();
        if let Some(o) = ozg {
            c.ozg[o].leika.push(idx);
        }
        if let Some(key) = &l.leika_key {
            c.leika_by_key.insert(key.clone(), idx);
        }
        c.leika.push(LeikaEntry {
            folded_name: fold(&l.name),
            ozg,
            view: Leika {
                key: l.leika_key,
                name: l.name,
                leika_typ: l.leika_typ,
                legal_basis: l.legal_basis,
                laws: l.laws,
                law_abbreviations: l.law_abbreviations,
                sdg1_relevant: l.sdg1_relevant,
                sdg2_relevant: l.sdg2_relevant,
            },
        });
    }

    for o in r.orgs {
        let view = Organisation {
            kind: OrgKind::parse(&o.kind)?,
            land: o.land_code.as_deref().map(land_ref).transpose()?,
            id: o.id,
            name: o.name,
            ags: o.ags,
            ars: o.ars,
            online_services_count: 0,
        };
        c.org_by_id.insert(view.id.clone(), c.orgs.len());
        c.orgs.push(OrgEntry { folded_name: fold(&view.name), view });
    }

    let mut links: HashMap<&str, Vec<i32>> = HashMap::new();
    for l in &r.links {
        links.entry(l.online_service_id.as_str()).or_default().push(l.ozg_id);
    }
    let mut kinds: HashMap<&str, Vec<Anbindung>> = HashMap::new();
    for a in &r.anbindungen {
        kinds.entry(a.online_service_id.as_str()).or_default().push(Anbindung::parse(&a.kind)?);
    }

    for s in &r.services {
        let provider = *c.org_by_id.get(&s.provider_org_id).ok_or_else(|| anyhow::anyhow!("service {} has unknown provider", s.id))?;
        let mut ozg: Vec<usize> = links.get(s.id.as_str()).into_iter().flatten().filter_map(|id| c.ozg_by_id.get(id).copied()).collect();
        ozg.sort_unstable();
        let mut anbindung = kinds.remove(s.id.as_str()).unwrap_or_default();
        anbindung.sort();
        let mut themenfelder: Vec<i32> = ozg.iter().map(|&i| c.ozg[i].view.themenfeld.id).collect();
        themenfelder.sort_unstable();
        themenfelder.dedup();
        let p = &c.orgs[provider].view;
        let service = OnlineService {
            id: s.id.clone(),
            name: s.name.clone(),
            provider: OrganisationRef { id: p.id.clone(), name: p.name.clone(), kind: p.kind },
            lead_land: s.lead_land_code.as_deref().map(land_ref).transpose()?,
            efa: s.efa,
            status: s.status.as_deref().map(ServiceStatus::parse).transpose()?,
            reifegrad: s.reifegrad.map(|n| Reifegrad::try_from(i64::from(n))).transpose()?.map(Reifegrad::get),
            anbindung,
            price_model: s.price_model.as_deref().map(PriceModel::parse).transpose()?,
            url: s.url.clone(),
            ozg_leistungen: ozg.iter().map(|&i| OzgRef { ozg_id: c.ozg[i].view.ozg_id, name: c.ozg[i].view.name.clone() }).collect(),
        };
        let folded_text = fold(&format!(
            "{} {} {}",
            s.description.as_deref().unwrap_or(""),
            service.ozg_leistungen.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(" "),
            p.name
        ));
        let detail = OnlineServiceDetail {
            description: s.description.clone(),
            prices: Prices {
                one_off_anbindung_fee_cents: s.one_off_fee_cents,
                annual_fee_cents: s.annual_fee_cents,
                per_inhabitant_cents: s.per_inhabitant_cents,
                per_use_cents: s.per_use_cents,
            },
            themenfelder: themenfelder.iter().map(|&id| id_ref(&tf_name, id)).collect::<anyhow::Result<_>>()?,
            source: s.source.clone(),
            created_at: utc(s.created_at),
            updated_at: utc(s.updated_at),
            service,
        };
        let idx = c.services.len();
        for &o in &ozg {
            c.ozg[o].services.push(idx);
        }
        c.orgs[provider].view.online_services_count += 1;
        c.service_by_id.insert(s.id.clone(), idx);
        c.services.push(ServiceEntry { folded_name: fold(&s.name), folded_text, provider, ozg, themenfelder, detail });
    }

    for o in &mut c.ozg {
        o.view.leika_count = o.leika.len();
        o.view.online_services_count = o.services.len();
    }

    c.themenfelder = r
        .themenfelder
        .iter()
        .map(|t| -> anyhow::Result<Themenfeld> {
            Ok(Themenfeld {
                id: t.id,
                name: t.name.clone(),
                lead_land: t.lead_land_code.as_deref().map(land_ref).transpose()?,
                lead_bundesressort: t.lead_bundesressort.clone(),
                ozg_leistungen_count: c.ozg.iter().filter(|o| o.view.themenfeld.id == t.id).count(),
                online_services_count: c.services.iter().filter(|s| s.themenfelder.contains(&t.id)).count(),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    c.lebenslagen = r
        .lebenslagen
        .iter()
        .map(|l| -> anyhow::Result<Lebenslage> {
            Ok(Lebenslage {
                id: l.id,
                name: l.name.clone(),
                themenfeld: id_ref(&tf_name, l.themenfeld_id)?,
                ozg_leistungen_count: c.ozg.iter().filter(|o| o.view.lebenslage.id == l.id).count(),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(c)
}
