//! Builds a catalogue snapshot from the database rows.

use super::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use chrono::{DateTime, Utc};
use efa_domain::listing::{ListingContent, ListingState, Reach};
use efa_domain::{fold, Anbindung, OrgKind, PriceModel, Reifegrad, ServiceStatus};
use efa_store::models::*;
use efa_store::DbConn;

/// Every row the snapshot is built from.
pub fn load_rows(conn: &mut DbConn) -> anyhow::Result<Rows> {
    // From 1: a snapshot that was never built from rows has `fixed_load` 0.
    static LOADS: AtomicU64 = AtomicU64::new(0);
    let load = LOADS.fetch_add(1, Ordering::Relaxed) + 1;
    // One snapshot for all tables: the rows link to each other.
    efa_store::tx::read_snapshot(conn, |conn| {
        Ok(Rows {
            load,
            laender: Arc::new(LandRow::all(conn)?),
            kreise: Arc::new(KreisRow::all(conn)?),
            gemeinden: Arc::new(GemeindeRow::all(conn)?),
            themenfelder: Arc::new(ThemenfeldRow::all(conn)?),
            lebenslagen: Arc::new(LebenslageRow::all(conn)?),
            ozg: Arc::new(OzgLeistungRow::all(conn)?),
            leika: Arc::new(LeikaRow::all(conn)?),
            orgs: Arc::new(OrganisationRow::all(conn)?),
            services: Arc::new(OnlineServiceRow::all(conn)?),
            links: Arc::new(ServiceOzgRow::all(conn)?),
            anbindungen: Arc::new(AnbindungRow::all(conn)?),
            koenigsteiner: Arc::new(KoenigsteinerRow::all(conn)?),
            retired_ozg: Arc::new(efa_store::catalogue::retirements(conn)?),
            retired_leika: Arc::new(efa_store::catalogue::retired_leika(conn)?),
            known_online: Arc::new(efa_store::catalogue::known_online_all(conn)?),
            synonyms: Arc::new(SynonymRow::all(conn)?),
        })
    })
}

/// The rows of `previous` with the listings read again: after a listing write nothing else
/// has changed, and places, catalogue and organisations are most of the rows.
pub fn reload_listings(conn: &mut DbConn, previous: &Rows) -> anyhow::Result<Rows> {
    // The listings and their links from one snapshot.
    efa_store::tx::read_snapshot(conn, |conn| {
        Ok(Rows {
            services: Arc::new(OnlineServiceRow::all(conn)?),
            links: Arc::new(ServiceOzgRow::all(conn)?),
            anbindungen: Arc::new(AnbindungRow::all(conn)?),
            ..previous.clone()
        })
    })
}

/// The rows of a snapshot. Each kind is shared, so a rebuild after a listing write copies no
/// place, catalogue or organisation row.
#[derive(Clone)]
pub struct Rows {
    /// Which `load_rows` call read the rows other than listings (`reload_listings` keeps it):
    /// snapshots built from rows of one load may share what is built from those.
    pub load: u64,
    pub laender: Arc<Vec<LandRow>>,
    pub kreise: Arc<Vec<KreisRow>>,
    pub gemeinden: Arc<Vec<GemeindeRow>>,
    pub themenfelder: Arc<Vec<ThemenfeldRow>>,
    pub lebenslagen: Arc<Vec<LebenslageRow>>,
    pub ozg: Arc<Vec<OzgLeistungRow>>,
    pub leika: Arc<Vec<LeikaRow>>,
    pub orgs: Arc<Vec<OrganisationRow>>,
    pub services: Arc<Vec<OnlineServiceRow>>,
    pub links: Arc<Vec<ServiceOzgRow>>,
    pub anbindungen: Arc<Vec<AnbindungRow>>,
    pub koenigsteiner: Arc<Vec<KoenigsteinerRow>>,
    /// Retired OZG-Leistungen (with successor) and LeiKa-Leistungen (by position).
    pub retired_ozg: Arc<Vec<efa_store::catalogue::OzgRetirementRow>>,
    pub retired_leika: Arc<Vec<i32>>,
    /// The dashboard export's online records (`efa availability import`).
    pub known_online: Arc<Vec<efa_store::catalogue::KnownOnlineRow>>,
    pub synonyms: Arc<Vec<SynonymRow>>,
}

impl Rows {
    /// What a later rebuild after a listing write needs: the listings themselves are read
    /// again then, so they are not kept (their published content is the bulk of the rows).
    pub fn without_listings(mut self) -> Rows {
        self.services = Arc::default();
        self.links = Arc::default();
        self.anbindungen = Arc::default();
        self
    }
}

fn utc(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

/// Builds the snapshot. Values the database holds were checked on the way in; one that still
/// fails to parse is an error, not a silent default.
pub fn build(r: &Rows) -> anyhow::Result<Catalogue> {
    rebuild(r, &Catalogue::default())
}

/// Builds the snapshot that follows `previous`. After a listing write both come from one load
/// of the rows other than listings: then the parts made from those alone are `previous`'s,
/// shared instead of built again, and only what depends on the listings is new.
pub fn rebuild(r: &Rows, previous: &Catalogue) -> anyhow::Result<Catalogue> {
    if previous.fixed_load == r.load {
        let mut c = previous.share_fixed();
        add_listings(&mut c, r, Some(previous))?;
        Ok(c)
    } else {
        let mut c = build_fixed(r)?;
        add_listings(&mut c, r, None)?;
        Ok(c)
    }
}

impl Catalogue {
    /// A snapshot holding the shared parts of this one and nothing that depends on listings.
    fn share_fixed(&self) -> Catalogue {
        Catalogue {
            laender: self.laender.clone(),
            kreise: self.kreise.clone(),
            gemeinden: self.gemeinden.clone(),
            lebenslagen: self.lebenslagen.clone(),
            ozg: self.ozg.clone(),
            leika: self.leika.clone(),
            orgs: self.orgs.clone(),
            ozg_by_id: self.ozg_by_id.clone(),
            leika_by_key: self.leika_by_key.clone(),
            gemeinde_by_ags: self.gemeinde_by_ags.clone(),
            org_by_id: self.org_by_id.clone(),
            koenigsteiner: self.koenigsteiner.clone(),
            koenigsteiner_year: self.koenigsteiner_year,
            known_online: self.known_online.clone(),
            grams: SearchGrams { gemeinden: self.grams.gemeinden.clone(), orgs: self.grams.orgs.clone() },
            search: SearchIndexes { ozg: self.search.ozg.clone(), services: Arc::default(), synonyms: self.search.synonyms.clone() },
            fixed_load: self.fixed_load,
            ..Catalogue::default()
        }
    }
}

fn land_ref(laender: &[Land], code: &str) -> anyhow::Result<LandRef> {
    let l = laender.iter().find(|l| l.code == code).ok_or_else(|| anyhow::anyhow!("unknown Land code {code:?}"))?;
    Ok(LandRef { code: l.code.clone(), name: l.name.clone() })
}

fn id_ref(names: &HashMap<i32, String>, id: i32) -> anyhow::Result<IdRef> {
    Ok(IdRef { id, name: names.get(&id).ok_or_else(|| anyhow::anyhow!("unknown id {id}"))?.clone() })
}

/// What places, catalogue and organisations make: every part of a snapshot in an `Arc`.
fn build_fixed(r: &Rows) -> anyhow::Result<Catalogue> {
    let koenigsteiner_year = r.koenigsteiner.iter().map(|k| k.year).max();
    let koenigsteiner = r.koenigsteiner.iter().filter(|k| Some(k.year) == koenigsteiner_year).map(|k| (k.land_code.clone(), k.share_e5)).collect();

    let laender: Vec<Land> = r
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
    let mut kreise = Vec::with_capacity(r.kreise.len());
    for k in r.kreise.iter() {
        kreise.push(Kreis {
            code: k.code.clone(),
            name: k.name.clone(),
            kind: k.kind.clone(),
            land: land_ref(&laender, &k.land_code)?,
            population: k.population,
            gemeinden_count: k.gemeinden_count,
        });
    }

    let mut gemeinden = Vec::with_capacity(r.gemeinden.len());
    let mut gemeinde_by_ags = HashMap::with_capacity(r.gemeinden.len());
    for g in r.gemeinden.iter().cloned() {
        let kreis = g.kreis_code.as_deref().map(|k| KreisRef { code: k.to_owned(), name: kreis_names.get(k).copied().unwrap_or_default().to_owned() });
        let coordinates = match (g.latitude, g.longitude) {
            (Some(latitude), Some(longitude)) => Some(Coordinates { latitude, longitude }),
            _ => None,
        };
        let view = Gemeinde {
            land: land_ref(&laender, &g.land_code)?,
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
        gemeinde_by_ags.insert(view.ags.clone(), gemeinden.len());
        gemeinden.push(GemeindeEntry { folded_name: fold(&view.name), view });
    }

    let tf_name = themenfeld_names(r);
    let ll_name: HashMap<i32, String> = r.lebenslagen.iter().map(|l| (l.id, l.name.clone())).collect();
    let mut ozg = Vec::with_capacity(r.ozg.len());
    let mut ozg_by_id = HashMap::with_capacity(r.ozg.len());
    for o in r.ozg.iter() {
        ozg_by_id.insert(o.ozg_id, ozg.len());
        ozg.push(OzgEntry {
            view: OzgLeistung {
                ozg_id: o.ozg_id,
                name: o.name.clone(),
                themenfeld: id_ref(&tf_name, o.themenfeld_id)?,
                lebenslage: id_ref(&ll_name, o.lebenslage_id)?,
                leika_count: 0,
                online_services_count: 0,
                retired: None,
                matched_on: None,
            },
            folded_name: fold(&o.name),
            leika: Vec::new(),
        });
    }

    let names: HashMap<i32, String> = r.ozg.iter().map(|o| (o.ozg_id, o.name.clone())).collect();
    for retired in r.retired_ozg.iter() {
        if let Some(&i) = ozg_by_id.get(&retired.ozg_id) {
            ozg[i].view.retired = Some(Retired {
                retired_at: utc(retired.retired_at),
                successor: retired.successor_ozg_id.and_then(|s| names.get(&s).map(|n| IdRef { id: s, name: n.clone() })),
            });
        }
    }
    // A retired LeiKa-Leistung is no longer part of the catalogue.
    let retired_leika: std::collections::HashSet<i32> = r.retired_leika.iter().copied().collect();
    let mut leika = Vec::with_capacity(r.leika.len());
    let mut leika_by_key = HashMap::new();
    for l in r.leika.iter().filter(|l| !retired_leika.contains(&l.id)).cloned() {
        let o = l.ozg_id.and_then(|id| ozg_by_id.get(&id).copied());
        let idx = leika.len();
        if let Some(o) = o {
            ozg[o].leika.push(idx);
        }
        if let Some(key) = &l.leika_key {
            leika_by_key.insert(key.clone(), idx);
        }
        leika.push(LeikaEntry {
            folded_name: fold(&l.name),
            ozg: o,
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
    for o in &mut ozg {
        o.view.leika_count = o.leika.len();
    }

    let mut orgs = Vec::with_capacity(r.orgs.len());
    let mut org_by_id = HashMap::with_capacity(r.orgs.len());
    for o in r.orgs.iter().cloned() {
        let view = Organisation {
            kind: OrgKind::parse(&o.kind)?,
            land: o.land_code.as_deref().map(|code| land_ref(&laender, code)).transpose()?,
            id: o.id,
            name: o.name,
            ags: o.ags,
            ars: o.ars,
            online_services_count: 0,
        };
        org_by_id.insert(view.id.clone(), orgs.len());
        orgs.push(OrgEntry { folded_name: fold(&view.name), view });
    }

    let lebenslagen = r
        .lebenslagen
        .iter()
        .map(|l| -> anyhow::Result<Lebenslage> {
            Ok(Lebenslage {
                id: l.id,
                name: l.name.clone(),
                themenfeld: id_ref(&tf_name, l.themenfeld_id)?,
                ozg_leistungen_count: ozg.iter().filter(|o| o.view.lebenslage.id == l.id).count(),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let grams = SearchGrams {
        gemeinden: Arc::new(grams::Grams::build(gemeinden.iter().map(|g| g.folded_name.as_str()))),
        orgs: Arc::new(grams::Grams::build(orgs.iter().map(|o| o.folded_name.as_str()))),
    };
    // An OZG-Leistung is found by its name, its LeiKa-Leistungen's names, its Lebenslage and Themenfeld.
    let ozg_index = engine::TextIndex::build(ozg.iter().map(|o| {
        let context = [(engine::OTHER, o.view.lebenslage.name.as_str()), (engine::OTHER, o.view.themenfeld.name.as_str())];
        std::iter::once((engine::NAME, o.view.name.as_str())).chain(o.leika.iter().map(|&l| (engine::LINKED, leika[l].view.name.as_str()))).chain(context)
    }));
    let search = SearchIndexes {
        ozg: Arc::new(ozg_index),
        services: Arc::default(),
        synonyms: Arc::new(engine::Synonyms::new(r.synonyms.iter().map(|s| (s.term.as_str(), s.means.as_str())))),
    };
    Ok(Catalogue {
        laender: Arc::new(laender),
        kreise: Arc::new(kreise),
        gemeinden: Arc::new(gemeinden),
        lebenslagen: Arc::new(lebenslagen),
        ozg: Arc::new(ozg),
        leika: Arc::new(leika),
        orgs: Arc::new(orgs),
        ozg_by_id: Arc::new(ozg_by_id),
        leika_by_key: Arc::new(leika_by_key),
        gemeinde_by_ags: Arc::new(gemeinde_by_ags),
        org_by_id: Arc::new(org_by_id),
        koenigsteiner: Arc::new(koenigsteiner),
        koenigsteiner_year,
        known_online: Arc::new({
            let mut by_ars: HashMap<String, Vec<efa_store::catalogue::KnownOnlineRow>> = HashMap::new();
            for k in r.known_online.iter() {
                by_ars.entry(k.ars.clone()).or_default().push(k.clone());
            }
            by_ars
        }),
        grams,
        search,
        fixed_load: r.load,
        ..Catalogue::default()
    })
}

fn themenfeld_names(r: &Rows) -> HashMap<i32, String> {
    r.themenfelder.iter().map(|t| (t.id, t.name.clone())).collect()
}

/// A hash of everything a service entry is made of besides the shared parts: the listing's row
/// (published columns and working copy alike), its OZG-Leistungen and Anbindungen.
fn inputs_of(row: &OnlineServiceRow, ozg_ids: &[i32], anbindung: &[Anbindung]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (row, ozg_ids, anbindung).hash(&mut h);
    h.finish()
}

/// The entry of `id` in `entries` (indexed by `by_id`) if it was made from the same inputs.
fn same_entry(by_id: &HashMap<String, usize>, entries: &[Arc<ServiceEntry>], id: &str, inputs: u64) -> Option<Arc<ServiceEntry>> {
    by_id.get(id).map(|&i| &entries[i]).filter(|e| e.inputs == inputs).cloned()
}

/// Adds to `c` (its shared parts in place) what depends on the listings: the published
/// services and working copies, their counts per OZG-Leistung, organisation and Themenfeld.
/// `earlier` is a snapshot with the same shared parts: an entry of it whose listing did not
/// change is taken as it is.
fn add_listings(c: &mut Catalogue, r: &Rows, earlier: Option<&Catalogue>) -> anyhow::Result<()> {
    let tf_name = themenfeld_names(r);
    c.ozg_services = vec![Vec::new(); c.ozg.len()];
    c.org_services_count = vec![0; c.orgs.len()];

    let mut links: HashMap<&str, Vec<i32>> = HashMap::new();
    for l in r.links.iter() {
        links.entry(l.online_service_id.as_str()).or_default().push(l.ozg_id);
    }
    let mut kinds: HashMap<&str, Vec<Anbindung>> = HashMap::new();
    for a in r.anbindungen.iter() {
        kinds.entry(a.online_service_id.as_str()).or_default().push(Anbindung::parse(&a.kind)?);
    }

    for s in r.services.iter() {
        let mut ozg_ids: Vec<i32> = links.get(s.id.as_str()).cloned().unwrap_or_default();
        ozg_ids.sort_unstable();
        let mut anbindung = kinds.get(s.id.as_str()).cloned().unwrap_or_default();
        anbindung.sort();
        let inputs = inputs_of(s, &ozg_ids, &anbindung);
        let public = s.published_version.is_some() && s.listing_state != "retired";
        if public {
            let entry = match earlier.and_then(|e| same_entry(&e.service_by_id, &e.services, &s.id, inputs)) {
                Some(entry) => entry,
                None => Arc::new(published_entry(c, s, ozg_ids, anbindung, inputs, &tf_name)?),
            };
            let idx = c.services.len();
            for &o in &entry.ozg {
                c.ozg_services[o].push(idx);
            }
            c.org_services_count[entry.provider] += 1;
            c.service_by_id.insert(s.id.clone(), idx);
            c.services.push(entry);
        }
        let state = ListingState::parse(&s.listing_state)?;
        if matches!(state, ListingState::Draft | ListingState::InReview) {
            let Some(json) = s.content.as_deref() else { continue };
            let entry = match earlier.and_then(|e| same_entry(&e.draft_by_id, &e.drafts, &s.id, inputs)) {
                Some(entry) => entry,
                None => {
                    let content: ListingContent = serde_json::from_str(json)?;
                    Arc::new(make_entry(c, Facts::from_content(s, content, state), &tf_name, inputs)?)
                }
            };
            c.draft_by_id.insert(s.id.clone(), c.drafts.len());
            c.drafts.push(entry);
        }
    }

    c.themenfelder = r
        .themenfelder
        .iter()
        .map(|t| -> anyhow::Result<Themenfeld> {
            Ok(Themenfeld {
                id: t.id,
                name: t.name.clone(),
                lead_land: t.lead_land_code.as_deref().map(|code| land_ref(&c.laender, code)).transpose()?,
                lead_bundesressort: t.lead_bundesressort.clone(),
                ozg_leistungen_count: c.ozg.iter().filter(|o| o.view.themenfeld.id == t.id).count(),
                online_services_count: c.services.iter().filter(|s| s.themenfelder.contains(&t.id)).count(),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    // The index over the services' texts stays as it is while they do (edits of working copies).
    let same_texts = |e: &Catalogue| {
        e.services.len() == c.services.len()
            && e.services.iter().zip(&c.services).all(|(a, b)| Arc::ptr_eq(a, b) || (a.folded_name == b.folded_name && a.folded_text == b.folded_text))
    };
    let kept = earlier.filter(|e| same_texts(e)).map(|e| e.search.services.clone());
    // The text index (the larger part) is made on a second thread beside the facets and the
    // fingerprint: at start-up the other core is free by then.
    let (index, facets, fingerprint) = std::thread::scope(|scope| {
        let snapshot: &Catalogue = c;
        let index = kept.is_none().then(|| scope.spawn(|| service_index(snapshot)));
        let facets = facets::FacetIndex::build(snapshot);
        let fingerprint = super::published_fingerprint(&snapshot.services);
        (index.map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))), facets, fingerprint)
    });
    c.search.services = kept.or(index.map(Arc::new)).unwrap_or_default();
    c.facets = facets;
    c.published_fingerprint = fingerprint;
    c.loaded = true;
    Ok(())
}

/// The published services' index: a service is found by its name; the names of its
/// OZG-Leistungen and their LeiKa-Leistungen; its description and provider.
fn service_index(c: &Catalogue) -> engine::TextIndex {
    // The linked names of each OZG-Leistung, cut into words once for all its services.
    let mut linked: HashMap<usize, Vec<String>> = HashMap::new();
    for s in &c.services {
        for &o in &s.ozg {
            linked.entry(o).or_insert_with(|| std::iter::once(&c.ozg[o].view.name).chain(c.ozg[o].leika.iter().map(|&l| &c.leika[l].view.name)).flat_map(|t| engine::words(t)).collect());
        }
    }
    let own: Vec<(Vec<String>, Vec<String>)> = c
        .services
        .iter()
        .map(|s| {
            let other = [s.detail.description.as_deref().unwrap_or(""), c.orgs[s.provider].view.name.as_str()];
            (engine::words(&s.detail.service.name), other.iter().flat_map(|t| engine::words(t)).collect())
        })
        .collect();
    engine::TextIndex::from_words(c.services.iter().zip(&own).map(|(s, (name, other))| {
        let names = name.iter().map(|w| (engine::NAME, w.as_str()));
        let links = s.ozg.iter().flat_map(|o| linked[o].iter()).map(|w| (engine::LINKED, w.as_str()));
        names.chain(links).chain(other.iter().map(|w| (engine::OTHER, w.as_str())))
    }))
}

/// The entry of a published listing, from its published columns and content.
fn published_entry(c: &Catalogue, s: &OnlineServiceRow, ozg_ids: Vec<i32>, anbindung: Vec<Anbindung>, inputs: u64, tf_name: &HashMap<i32, String>) -> anyhow::Result<ServiceEntry> {
    let published: Option<ListingContent> = s.published_content.as_deref().map(serde_json::from_str).transpose()?;
    let facts = Facts {
        id: s.id.clone(),
        name: s.name.clone(),
        description: s.description.clone(),
        provider_org_id: s.provider_org_id.clone(),
        lead_land_code: s.lead_land_code.clone(),
        efa: s.efa,
        status: s.status.as_deref().map(ServiceStatus::parse).transpose()?,
        reifegrad: s.reifegrad.map(|n| Reifegrad::try_from(i64::from(n))).transpose()?.map(Reifegrad::get),
        anbindung,
        url: s.url.clone(),
        price_model: s.price_model.as_deref().map(PriceModel::parse).transpose()?,
        prices: published_prices(s, published.as_ref()),
        ozg_ids,
        listing_state: ListingState::Published,
        reach: Reach::parse(&s.reach)?,
        published_version: s.published_version,
        extras: published,
        source: s.source.clone(),
        created_at: utc(s.created_at),
        updated_at: utc(s.updated_at),
    };
    make_entry(c, facts, tf_name, inputs)
}

/// Everything a service view is made of, whether it comes from the published columns
/// or from a working copy's listing content.
struct Facts {
    id: String,
    name: String,
    description: Option<String>,
    provider_org_id: String,
    lead_land_code: Option<String>,
    efa: bool,
    status: Option<ServiceStatus>,
    reifegrad: Option<u8>,
    anbindung: Vec<Anbindung>,
    url: Option<String>,
    price_model: Option<PriceModel>,
    prices: Prices,
    ozg_ids: Vec<i32>,
    listing_state: ListingState,
    reach: Reach,
    published_version: Option<i32>,
    extras: Option<ListingContent>,
    source: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Facts {
    fn from_content(row: &OnlineServiceRow, c: ListingContent, state: ListingState) -> Facts {
        let price = c.price.clone();
        Facts {
            id: row.id.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            provider_org_id: c.provider_org_id.clone(),
            lead_land_code: c.lead_land.as_ref().map(|l| l.to_string()),
            efa: c.efa,
            status: Some(c.status),
            reifegrad: c.reifegrad.map(Reifegrad::get),
            anbindung: c.anbindung.clone(),
            url: c.url.clone(),
            price_model: price.as_ref().map(|p| p.model),
            prices: Prices {
                one_off_anbindung_fee_cents: price.as_ref().and_then(|p| p.one_off_anbindung_fee_cents).map(|x| x.get()),
                annual_fee_cents: price.as_ref().and_then(|p| p.annual_fee_cents).map(|x| x.get()),
                pro_rata_first_year: price.as_ref().map(|p| p.pro_rata_first_year),
                per_inhabitant_cents: price.as_ref().and_then(|p| p.per_inhabitant_cents).map(|x| x.get()),
                koenigsteiner_total_cents: price.as_ref().and_then(|p| p.koenigsteiner_total_cents).map(|x| x.get()),
                per_use_cents: price.as_ref().and_then(|p| p.per_use_cents).map(|x| x.get()),
            },
            ozg_ids: c.ozg_ids.iter().map(|o| o.get()).collect(),
            listing_state: state,
            reach: c.reach,
            published_version: row.published_version,
            extras: Some(c),
            source: row.source.clone(),
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

/// The prices of a published listing: its columns, and what only its published content holds.
pub fn published_prices(s: &OnlineServiceRow, published: Option<&ListingContent>) -> Prices {
    let price = published.and_then(|p| p.price.as_ref());
    Prices {
        one_off_anbindung_fee_cents: s.one_off_fee_cents,
        annual_fee_cents: s.annual_fee_cents,
        pro_rata_first_year: price.map(|p| p.pro_rata_first_year),
        per_inhabitant_cents: s.per_inhabitant_cents,
        koenigsteiner_total_cents: price.and_then(|p| p.koenigsteiner_total_cents).map(|c| c.get()),
        per_use_cents: s.per_use_cents,
    }
}

fn make_entry(c: &Catalogue, f: Facts, tf_name: &HashMap<i32, String>, inputs: u64) -> anyhow::Result<ServiceEntry> {
    let provider = *c.org_by_id.get(&f.provider_org_id).ok_or_else(|| anyhow::anyhow!("service {} has unknown provider", f.id))?;
    let mut ozg: Vec<usize> = f.ozg_ids.iter().filter_map(|id| c.ozg_by_id.get(id).copied()).collect();
    ozg.sort_unstable();
    let mut themenfelder: Vec<i32> = ozg.iter().map(|&i| c.ozg[i].view.themenfeld.id).collect();
    themenfelder.sort_unstable();
    themenfelder.dedup();
    let p = &c.orgs[provider].view;
    let lead_land = f
        .lead_land_code
        .as_deref()
        .map(|code| c.land(code).map(|l| LandRef { code: l.code.clone(), name: l.name.clone() }).ok_or_else(|| anyhow::anyhow!("unknown Land {code}")))
        .transpose()?;
    let service = OnlineService {
        id: f.id.clone(),
        name: f.name.clone(),
        provider: OrganisationRef { id: p.id.clone(), name: p.name.clone(), kind: p.kind },
        lead_land,
        efa: f.efa,
        status: f.status,
        reifegrad: f.reifegrad,
        anbindung: f.anbindung,
        price_model: f.price_model,
        url: f.url,
        ozg_leistungen: ozg.iter().map(|&i| OzgRef { ozg_id: c.ozg[i].view.ozg_id, name: c.ozg[i].view.name.clone() }).collect(),
    };
    let folded_text = fold(&format!(
        "{} {} {}",
        f.description.as_deref().unwrap_or(""),
        service.ozg_leistungen.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(" "),
        p.name
    ));
    let extras = f.extras;
    let detail = OnlineServiceDetail {
        description: f.description,
        prices: f.prices,
        listing_state: f.listing_state,
        reach: f.reach,
        published_version: f.published_version,
        conformance: extras.as_ref().map(|e| e.conformance.clone()).unwrap_or_default(),
        terms: extras.as_ref().and_then(|e| e.terms.clone()),
        contact: extras.as_ref().and_then(|e| e.contact.clone()),
        availability: extras.as_ref().map(|e| e.availability.clone()),
        anbindung_details: extras.as_ref().map(|e| e.anbindung_details.clone()),
        themenfelder: themenfelder.iter().map(|&id| Ok(IdRef { id, name: tf_name.get(&id).ok_or_else(|| anyhow::anyhow!("unknown Themenfeld {id}"))?.clone() })).collect::<anyhow::Result<_>>()?,
        source: f.source,
        created_at: f.created_at,
        updated_at: f.updated_at,
        service,
    };
    let item_json = serde_json::value::to_raw_value(&detail.service)?;
    Ok(ServiceEntry { folded_name: fold(&f.name), folded_text, provider, ozg, themenfelder, detail, item_json, inputs })
}
