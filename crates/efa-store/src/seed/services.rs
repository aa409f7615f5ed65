//! Organisations and the real online services: EfA Umsetzungsprojekte and the NRW WSP.

use super::files::{each_row, first_land, SeedError};
use super::SeedData;
use crate::models::*;
use efa_domain::{LeikaKey, OrgKind, OzgId, ServiceStatus};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use uuid::Uuid;

/// Seeded rows get UUIDv5 ids from their natural key, so a re-seed hits the same rows.
const NAMESPACE: Uuid = Uuid::from_u128(0x6566_615f_6d61_726b_7470_6c61_747a_0001);

pub fn seed_id(kind: &str, key: &str) -> String {
    Uuid::new_v5(&NAMESPACE, format!("{kind}:{key}").as_bytes()).to_string()
}

/// Base URL of the NRW Wirtschafts-Service-Portal; the WSP file gives paths below it.
const WSP_BASE: &str = "https://service.wirtschaft.nrw";

/// Federal ministries as abbreviated in themenfeld_federfuehrung.csv.
const RESSORTS: &[(&str, &str)] = &[
    ("AA", "Auswärtiges Amt"),
    ("BMBF", "Bundesministerium für Bildung und Forschung"),
    ("BMFSFJ", "Bundesministerium für Familie, Senioren, Frauen und Jugend"),
    ("BMI", "Bundesministerium des Innern und für Heimat"),
    ("BMJ", "Bundesministerium der Justiz"),
    ("BMUV", "Bundesministerium für Umwelt, Naturschutz, nukleare Sicherheit und Verbraucherschutz"),
    ("BMWK", "Bundesministerium für Wirtschaft und Klimaschutz"),
];

pub(crate) fn read_organisations_and_services(dir: &Path, d: &mut SeedData) -> Result<(), SeedError> {
    let now = chrono::Utc::now().naive_utc();
    let org = |id: String, name: String, kind: OrgKind, land_code: Option<String>| OrganisationRow {
        id,
        name,
        kind: kind.as_str().to_owned(),
        land_code,
        ags: None,
        ars: None,
        created_at: now,
        updated_at: now,
    };
    for land in &d.laender {
        d.organisations.push(org(seed_id("land", &land.code), land_government(&land.name), OrgKind::Land, Some(land.code.clone())));
    }
    let ressorts: BTreeSet<String> = d
        .themenfelder
        .iter()
        .filter_map(|t| t.lead_bundesressort.as_deref())
        .flat_map(|s| s.split(';').map(|p| p.trim().to_owned()))
        .filter(|s| !s.is_empty())
        .collect();
    for abbr in ressorts {
        let name = RESSORTS.iter().find(|(a, _)| *a == abbr).map(|(a, n)| format!("{n} ({a})")).unwrap_or_else(|| abbr.clone());
        d.organisations.push(org(seed_id("bund", &abbr), name, OrgKind::Bund, None));
    }
    let land_by_name: HashMap<String, String> = d.laender.iter().map(|l| (l.name.clone(), l.code.clone())).collect();
    each_row(dir, "organisations.csv", |r| {
        let name = r.required("name")?;
        let kind = r.parse("kind", OrgKind::parse)?;
        let land_code = r.parse_opt("land_code", efa_domain::LandCode::parse)?.map(|c| c.to_string());
        d.organisations.push(org(seed_id("org", &name), name, kind, land_code));
        Ok(())
    })?;
    let org_by_name: HashMap<String, String> = d.organisations.iter().map(|o| (o.name.clone(), o.id.clone())).collect();
    // Every Gemeinde's and Landkreis's administration is a public body that can order reuse.
    for k in d.kreise.iter().filter(|k| !matches!(k.kind.as_str(), "Kreisfreie Stadt" | "Stadtkreis")) {
        let mut o = org(seed_id("kreis", &k.code), k.name.clone(), OrgKind::Kommune, Some(k.land_code.clone()));
        o.ars = Some(format!("{}0000000", k.code));
        d.organisations.push(o);
    }
    for g in d.gemeinden.iter().filter(|g| !g.gemeindefrei) {
        let mut o = org(seed_id("kommune", &g.ags), g.name.clone(), OrgKind::Kommune, Some(g.land_code.clone()));
        o.ags = Some(g.ags.clone());
        o.ars = Some(g.ars.clone());
        d.organisations.push(o);
    }

    read_efa_projects(dir, d, &land_by_name, &org_by_name, now)?;
    read_wsp(dir, d, now)
}

fn land_government(land_name: &str) -> String {
    format!("Land {land_name}")
}

fn read_efa_projects(
    dir: &Path,
    d: &mut SeedData,
    land_by_name: &HashMap<String, String>,
    org_by_name: &HashMap<String, String>,
    now: chrono::NaiveDateTime,
) -> Result<(), SeedError> {
    struct Mapping {
        ozg_ids: Vec<i32>,
        provider: Option<String>,
        status: Option<ServiceStatus>,
    }
    let ozg_ids: BTreeSet<i32> = d.ozg_leistungen.iter().map(|o| o.ozg_id).collect();
    let mut mappings: HashMap<String, Mapping> = HashMap::new();
    each_row(dir, "efa_projekte_ozg.csv", |r| {
        let ids = r.parse("ozg_ids", |s| {
            s.split(';')
                .map(|p| OzgId::parse(p).map(OzgId::get).map_err(|e| e.to_string()))
                .map(|id| id.and_then(|id| if ozg_ids.contains(&id) { Ok(id) } else { Err(format!("unknown OZG-ID {id}")) }))
                .collect::<Result<Vec<i32>, String>>()
        })?;
        let provider = r.optional("provider")?;
        if let Some(p) = provider.as_ref().filter(|p| !org_by_name.contains_key(p.as_str())) {
            return Err(r.err("provider", format!("{p:?} is not in organisations.csv")));
        }
        let mapping = Mapping { ozg_ids: ids, provider, status: r.parse_opt("status", ServiceStatus::parse)? };
        mappings.insert(r.required("umsetzungsprojekt")?, mapping);
        Ok(())
    })?;
    each_row(dir, "efa_umsetzungsprojekte_gesehen.csv", |r| {
        let name = r.required("umsetzungsprojekt")?;
        let m = mappings.get(&name).ok_or_else(|| r.err("umsetzungsprojekt", "has no row in efa_projekte_ozg.csv"))?;
        let land = first_land(r.str("umsetzendes_land")?, land_by_name).ok_or_else(|| r.err("umsetzendes_land", "names no known Land"))?;
        let provider_org_id = match &m.provider {
            Some(p) => org_by_name[p].clone(),
            None => seed_id("land", &land),
        };
        let id = seed_id("efa-projekt", &name);
        let mut description = format!("EfA-Umsetzungsprojekt, umgesetzt von {}.", r.str("umsetzendes_land")?);
        if let Some(note) = r.optional("anmerkung")? {
            description.push(' ');
            description.push_str(&note);
        }
        if let Some(src) = r.optional("quelle_url")? {
            description.push_str(&format!(" Quelle: {src}"));
        }
        d.service_ozg.extend(m.ozg_ids.iter().map(|&ozg_id| ServiceOzgRow { online_service_id: id.clone(), ozg_id }));
        d.services.push(OnlineServiceRow {
            id,
            name,
            description: Some(description),
            provider_org_id,
            lead_land_code: Some(land),
            efa: true,
            status: m.status.map(|s| s.as_str().to_owned()),
            reifegrad: None,
            url: None,
            price_model: None,
            one_off_fee_cents: None,
            annual_fee_cents: None,
            per_inhabitant_cents: None,
            per_use_cents: None,
            source: "efa_umsetzungsprojekte_gesehen.csv".into(),
            created_at: now,
            updated_at: now,
            listing_state: "published".into(),
            revision: 1,
            content: None,
            review_note: None,
            published_content: None,
            published_version: Some(1),
            // The sources do not say where a project's service is live.
            reach: "agreements".into(),
        });
        Ok(())
    })
}

fn read_wsp(dir: &Path, d: &mut SeedData, now: chrono::NaiveDateTime) -> Result<(), SeedError> {
    #[derive(Default)]
    struct Wsp {
        live: bool,
        url: Option<String>,
        ozg_ids: BTreeSet<i32>,
        leika_names: Vec<String>,
        stellen: BTreeSet<String>,
    }
    let ozg_by_key: HashMap<&str, i32> =
        d.leika.iter().filter_map(|l| Some((l.leika_key.as_deref()?, l.ozg_id?))).collect();
    let mut services: BTreeMap<String, Wsp> = BTreeMap::new();
    each_row(dir, "wsp_live_onlinedienste.csv", |r| {
        let key = r.parse("leika_schluessel", LeikaKey::parse)?;
        let s = services.entry(r.required("onlinedienst")?).or_default();
        s.live |= r.parse("live", |v| match v {
            "Ja" => Ok(true),
            "Nein" | "" => Ok(false),
            other => Err(format!("{other:?} is not Ja/Nein")),
        })?;
        let link = match (r.optional("landingpage")?, r.optional("direktlink")?) {
            (Some(p), _) | (None, Some(p)) if p.starts_with('/') => Some(format!("{WSP_BASE}{p}")),
            (Some(p), _) | (None, Some(p)) if p.starts_with("https://") => Some(p),
            (Some(p), _) | (None, Some(p)) => return Err(r.err("landingpage", format!("{p:?} is neither a path nor an https URL"))),
            (None, None) => None,
        };
        s.url = s.url.take().or(link);
        if let Some(&ozg) = ozg_by_key.get(key.as_str()) {
            s.ozg_ids.insert(ozg);
        }
        s.leika_names.push(r.required("leika_name")?);
        if let Some(stelle) = r.optional("zustaendige_stelle")? {
            s.stellen.insert(stelle);
        }
        Ok(())
    })?;
    let nrw = "05";
    for (name, s) in services {
        let id = seed_id("nrw-wsp", &name);
        d.service_ozg.extend(s.ozg_ids.iter().map(|&ozg_id| ServiceOzgRow { online_service_id: id.clone(), ozg_id }));
        if s.url.is_some() {
            d.anbindungen.push(AnbindungRow { online_service_id: id.clone(), kind: "link_out".into() });
        }
        let description = format!(
            "Onlinedienst des Wirtschafts-Service-Portals NRW für: {}. Zuständig: {}.",
            s.leika_names.join("; "),
            s.stellen.into_iter().collect::<Vec<_>>().join("; ")
        );
        d.services.push(OnlineServiceRow {
            id,
            name,
            description: Some(description),
            provider_org_id: seed_id("land", nrw),
            lead_land_code: Some(nrw.into()),
            efa: false,
            status: Some(if s.live { "live" } else { "in_development" }.into()),
            reifegrad: None,
            url: s.url,
            price_model: None,
            one_off_fee_cents: None,
            annual_fee_cents: None,
            per_inhabitant_cents: None,
            per_use_cents: None,
            source: "wsp_live_onlinedienste.csv".into(),
            created_at: now,
            updated_at: now,
            listing_state: "published".into(),
            revision: 1,
            content: None,
            review_note: None,
            published_content: None,
            published_version: Some(1),
            // The WSP is the Land's portal for every NRW Gemeinde ("396 Städte und Gemeinden").
            reach: "land_wide".into(),
        });
    }
    Ok(())
}

/// An organisation named the readable way (`efa token --org`, the login's organisation claim):
/// its id, `land:<code>`, `kreis:<code>`, `ags:<AGS>`, or `name:<exact name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgKey {
    Id(String),
    Name(String),
}

impl OrgKey {
    pub fn parse(key: &str) -> Result<OrgKey, String> {
        if let Ok(id) = uuid::Uuid::parse_str(key) {
            return Ok(OrgKey::Id(id.to_string()));
        }
        let e = |e: efa_domain::CodeError| e.to_string();
        Ok(match key.split_once(':') {
            Some(("land", code)) => OrgKey::Id(seed_id("land", efa_domain::LandCode::parse(code).map_err(e)?.as_str())),
            Some(("ags", ags)) => OrgKey::Id(seed_id("kommune", efa_domain::Ags::parse(ags).map_err(e)?.as_str())),
            Some(("kreis", code)) => OrgKey::Id(seed_id("kreis", efa_domain::KreisCode::parse(code).map_err(e)?.as_str())),
            Some(("name", name)) if !name.trim().is_empty() => OrgKey::Name(name.trim().to_owned()),
            _ => return Err("an organisation is named by its id, land:<code>, kreis:<code>, ags:<AGS> or name:<name>".into()),
        })
    }
}
