//! Validation of a listing body, field by field, so that one 422 can list every problem.
//!
//! The body arrives as JSON; each field is read with its own rule and every failure is
//! recorded with its path (`price.annual_fee_cents`, `conformance[2].criterion`).
//! Unknown fields are errors too.

use super::content::*;
use crate::{Anbindung, Cents, LandCode, OzgId, PriceModel, Reifegrad, ServiceStatus};
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// What validation must look up outside the body.
pub trait ListingRefs {
    fn ozg_exists(&self, id: OzgId) -> bool;
    fn org_exists(&self, id: &str) -> bool;
    fn criterion_exists(&self, code: &str) -> bool;
    /// `Some(successor)` when the OZG-Leistung is retired from the catalogue: a listing may
    /// not link it any more (one already linking it is flagged for its provider).
    fn ozg_retired(&self, _id: OzgId) -> Option<Option<i32>> {
        None
    }
}

pub const MAX_NAME: usize = 200;
pub const MAX_DESCRIPTION: usize = 5_000;
pub const MAX_TERMS: usize = 20_000;
pub const MAX_SHORT: usize = 100;
pub const MAX_URL: usize = 2_000;

struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.to_owned(), message: message.into() });
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

/// The object at `v`, with every key outside `allowed` reported.
fn object<'a>(v: &'a Value, path: &str, allowed: &[&str], e: &mut Errors) -> Option<&'a Map<String, Value>> {
    let Some(m) = v.as_object() else {
        e.add(if path.is_empty() { "body" } else { path }, "must be a JSON object");
        return None;
    };
    for k in m.keys().filter(|k| !allowed.contains(&k.as_str())) {
        e.add(&join(path, k), "unknown field");
    }
    Some(m)
}

/// Absent and `null` are the same: a merge patch removes a field by setting it to null.
fn get<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).filter(|v| !v.is_null())
}

fn clean_text(s: &str, multiline: bool) -> Result<(), &'static str> {
    if s.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
        return Err("must not contain control characters");
    }
    // Bidi embeddings, overrides and isolates make a listing display as something it is not.
    if s.chars().any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')) {
        return Err("must not contain bidirectional override characters");
    }
    Ok(())
}

fn string(m: &Map<String, Value>, path: &str, key: &str, max: usize, multiline: bool, required: bool, e: &mut Errors) -> Option<String> {
    let field = join(path, key);
    match get(m, key) {
        None if required => {
            e.add(&field, "is required");
            None
        }
        None => None,
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() && required {
                e.add(&field, "must not be empty");
                None
            } else if s.is_empty() {
                None
            } else if s.chars().count() > max {
                e.add(&field, format!("must be at most {max} characters"));
                None
            } else if let Err(msg) = clean_text(s, multiline) {
                e.add(&field, msg);
                None
            } else {
                Some(s.to_owned())
            }
        }
        Some(_) => {
            e.add(&field, "must be a string");
            None
        }
    }
}

fn https_url(m: &Map<String, Value>, path: &str, key: &str, e: &mut Errors) -> Option<String> {
    let url = string(m, path, key, MAX_URL, false, false, e)?;
    let rest = url.strip_prefix("https://").unwrap_or("");
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains(' ') || !host.contains('.') && !host.starts_with("localhost") {
        e.add(&join(path, key), "must be an https:// URL");
        return None;
    }
    Some(url)
}

fn boolean(m: &Map<String, Value>, path: &str, key: &str, default: bool, e: &mut Errors) -> bool {
    match get(m, key) {
        None => default,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            e.add(&join(path, key), "must be true or false");
            default
        }
    }
}

fn parsed<T, E: std::fmt::Display>(m: &Map<String, Value>, path: &str, key: &str, required: bool, parse: impl Fn(&str) -> Result<T, E>, e: &mut Errors) -> Option<T> {
    let field = join(path, key);
    match get(m, key) {
        None if required => {
            e.add(&field, "is required");
            None
        }
        None => None,
        Some(Value::String(s)) => parse(s).map_err(|err| e.add(&field, err.to_string())).ok(),
        Some(_) => {
            e.add(&field, "must be a string");
            None
        }
    }
}

fn cents(m: &Map<String, Value>, path: &str, key: &str, e: &mut Errors) -> Option<Cents> {
    let field = join(path, key);
    match get(m, key) {
        None => None,
        Some(Value::Number(n)) => match n.as_i64().map(Cents::new) {
            Some(Ok(c)) => Some(c),
            _ => {
                e.add(&field, format!("must be a whole number of cents from 0 to {} (100 million euros)", Cents::MAX.get()));
                None
            }
        },
        Some(_) => {
            e.add(&field, "must be a whole number of cents");
            None
        }
    }
}

fn array<'a>(m: &'a Map<String, Value>, path: &str, key: &str, e: &mut Errors) -> Vec<(String, &'a Value)> {
    match get(m, key) {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().enumerate().map(|(i, v)| (format!("{}[{i}]", join(path, key)), v)).collect(),
        Some(_) => {
            e.add(&join(path, key), "must be an array");
            Vec::new()
        }
    }
}

const TOP_LEVEL: &[&str] = &[
    "name", "description", "provider_org_id", "ozg_ids", "lead_land", "efa", "status", "reifegrad", "anbindung", "url",
    "price", "conformance", "terms", "contact", "availability", "anbindung_details", "reach",
];

/// Checks a whole listing body; all problems at once.
pub fn validate_listing(body: &Value, refs: &dyn ListingRefs) -> Result<ListingContent, Vec<FieldError>> {
    let mut e = Errors(Vec::new());
    let Some(m) = object(body, "", TOP_LEVEL, &mut e) else {
        return Err(e.0);
    };
    let name = string(m, "", "name", MAX_NAME, false, true, &mut e);
    let description = string(m, "", "description", MAX_DESCRIPTION, true, false, &mut e);
    let provider_org_id = string(m, "", "provider_org_id", MAX_SHORT, false, true, &mut e);
    if let Some(org) = provider_org_id.as_deref().filter(|o| !refs.org_exists(o)) {
        e.add("provider_org_id", format!("organisation {org} does not exist"));
    }
    let mut ozg_ids = Vec::new();
    let ozg_items = array(m, "", "ozg_ids", &mut e);
    if ozg_items.is_empty() && get(m, "ozg_ids").is_none_or(Value::is_array) {
        e.add("ozg_ids", "must name at least one OZG-Leistung");
    }
    for (field, v) in ozg_items {
        match v.as_i64().map(OzgId::try_from) {
            Some(Ok(id)) if !refs.ozg_exists(id) => e.add(&field, format!("OZG-Leistung {id} does not exist")),
            Some(Ok(id)) if refs.ozg_retired(id).is_some() => e.add(
                &field,
                match refs.ozg_retired(id).flatten() {
                    Some(successor) => format!("OZG-Leistung {id} is retired from the catalogue; link its successor {successor} instead"),
                    None => format!("OZG-Leistung {id} is retired from the catalogue; link a current OZG-Leistung instead"),
                },
            ),
            Some(Ok(id)) if ozg_ids.contains(&id) => e.add(&field, format!("OZG-Leistung {id} is listed twice")),
            Some(Ok(id)) => ozg_ids.push(id),
            _ => e.add(&field, "must be an OZG-ID (a whole number)"),
        }
    }
    let lead_land = parsed(m, "", "lead_land", false, LandCode::parse, &mut e);
    let efa = boolean(m, "", "efa", false, &mut e);
    let status = parsed(m, "", "status", true, ServiceStatus::parse, &mut e);
    let reifegrad = match get(m, "reifegrad") {
        None => None,
        Some(v) => v.as_i64().and_then(|n| Reifegrad::try_from(n).ok()).or_else(|| {
            e.add("reifegrad", "must be a whole number from 0 to 4");
            None
        }),
    };
    let mut anbindung = Vec::new();
    for (field, v) in array(m, "", "anbindung", &mut e) {
        match v.as_str().map(Anbindung::parse) {
            Some(Ok(a)) if !anbindung.contains(&a) => anbindung.push(a),
            Some(Ok(a)) => e.add(&field, format!("{a} is listed twice")),
            Some(Err(err)) => e.add(&field, err.to_string()),
            None => e.add(&field, "must be a string"),
        }
    }
    let url = https_url(m, "", "url", &mut e);
    let price = get(m, "price").and_then(|v| prices(v, &mut e));
    let conformance = conformances(m, refs, &mut e);
    let terms = get(m, "terms").and_then(|v| {
        let t = object(v, "terms", &["text", "version"], &mut e)?;
        Some(Terms {
            text: string(t, "terms", "text", MAX_TERMS, true, true, &mut e)?,
            version: string(t, "terms", "version", MAX_SHORT, false, true, &mut e)?,
        })
    });
    let contact = get(m, "contact").and_then(|v| {
        let c = object(v, "contact", &["name", "email", "phone"], &mut e)?;
        let name = string(c, "contact", "name", MAX_NAME, false, true, &mut e);
        let email = string(c, "contact", "email", 254, false, true, &mut e);
        let phone = string(c, "contact", "phone", 50, false, false, &mut e);
        if let Some(mail) = email.as_deref().filter(|m| !looks_like_email(m)) {
            e.add("contact.email", format!("{mail:?} is not an e-mail address"));
            return None;
        }
        Some(Contact { name: name?, email: email?, phone })
    });
    let availability = availability(m, &mut e);
    let anbindung_details = get(m, "anbindung_details").and_then(|v| {
        let d = object(v, "anbindung_details", &["fit_connect_destination_required", "xoev_standard", "xoev_version", "fachverfahren_interfaces"], &mut e)?;
        let mut interfaces = Vec::new();
        for (field, v) in array(d, "anbindung_details", "fachverfahren_interfaces", &mut e) {
            match v.as_str().map(str::trim) {
                Some(s) if !s.is_empty() && s.chars().count() <= MAX_NAME && clean_text(s, false).is_ok() => interfaces.push(s.to_owned()),
                _ => e.add(&field, format!("must be a non-empty string of at most {MAX_NAME} characters")),
            }
        }
        Some(AnbindungDetails {
            fit_connect_destination_required: boolean(d, "anbindung_details", "fit_connect_destination_required", false, &mut e),
            xoev_standard: string(d, "anbindung_details", "xoev_standard", MAX_SHORT, false, false, &mut e),
            xoev_version: string(d, "anbindung_details", "xoev_version", MAX_SHORT, false, false, &mut e),
            fachverfahren_interfaces: interfaces,
        })
    });
    let reach = parsed(m, "", "reach", false, Reach::parse, &mut e).unwrap_or_default();
    if reach == Reach::LandWide && lead_land.is_none() && get(m, "lead_land").is_none() {
        e.add("reach", "land_wide needs a lead_land");
    }
    if !e.0.is_empty() {
        return Err(e.0);
    }
    match (name, provider_org_id, status) {
        (Some(name), Some(provider_org_id), Some(status)) => Ok(ListingContent {
            name,
            description,
            provider_org_id,
            ozg_ids,
            lead_land,
            efa,
            status,
            reifegrad,
            anbindung,
            url,
            price,
            conformance,
            terms,
            contact,
            availability,
            anbindung_details: anbindung_details.unwrap_or_default(),
            reach,
        }),
        _ => Err(vec![FieldError { field: "body".into(), message: "incomplete listing".into() }]),
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !s.contains(char::is_whitespace),
        None => false,
    }
}

fn prices(v: &Value, e: &mut Errors) -> Option<Prices> {
    const P: &str = "price";
    let m = object(
        v,
        P,
        &["model", "one_off_anbindung_fee_cents", "annual_fee_cents", "pro_rata_first_year", "per_inhabitant_cents", "koenigsteiner_total_cents", "per_use_cents"],
        e,
    )?;
    let model = parsed(m, P, "model", true, PriceModel::parse, e);
    let p = Prices {
        model: model.unwrap_or(PriceModel::Free),
        one_off_anbindung_fee_cents: cents(m, P, "one_off_anbindung_fee_cents", e),
        annual_fee_cents: cents(m, P, "annual_fee_cents", e),
        pro_rata_first_year: boolean(m, P, "pro_rata_first_year", false, e),
        per_inhabitant_cents: cents(m, P, "per_inhabitant_cents", e),
        koenigsteiner_total_cents: cents(m, P, "koenigsteiner_total_cents", e),
        per_use_cents: cents(m, P, "per_use_cents", e),
    };
    // The amount that defines the model must be there.
    let needed = match p.model {
        PriceModel::Free => None,
        PriceModel::OneOffAnbindungFee => Some(("one_off_anbindung_fee_cents", p.one_off_anbindung_fee_cents)),
        PriceModel::Annual => Some(("annual_fee_cents", p.annual_fee_cents)),
        PriceModel::PerInhabitant => Some(("per_inhabitant_cents", p.per_inhabitant_cents)),
        PriceModel::KoenigsteinerShare => Some(("koenigsteiner_total_cents", p.koenigsteiner_total_cents)),
        PriceModel::PerUse => Some(("per_use_cents", p.per_use_cents)),
    };
    if let Some((field, None)) = needed {
        e.add(&join(P, field), format!("is required for price model {}", p.model));
    }
    if p.model == PriceModel::Free {
        let charged = [p.one_off_anbindung_fee_cents, p.annual_fee_cents, p.per_inhabitant_cents, p.koenigsteiner_total_cents, p.per_use_cents];
        if charged.iter().flatten().any(|c| c.get() > 0) {
            e.add("price.model", "free listings charge no amounts");
        }
    }
    model.map(|_| p)
}

fn conformances(m: &Map<String, Value>, refs: &dyn ListingRefs, e: &mut Errors) -> Vec<Conformance> {
    let mut out: Vec<Conformance> = Vec::new();
    for (field, v) in array(m, "", "conformance", e) {
        let Some(c) = object(v, &field, &["criterion", "level", "evidence_url"], e) else { continue };
        let criterion = string(c, &field, "criterion", MAX_SHORT, false, true, e);
        let level = parsed(c, &field, "level", true, ConformanceLevel::parse, e);
        let evidence_url = https_url(c, &field, "evidence_url", e);
        let Some(criterion) = criterion else { continue };
        if !refs.criterion_exists(&criterion) {
            e.add(&join(&field, "criterion"), format!("{criterion:?} is not an EfA-Mindestanforderung"));
        } else if out.iter().any(|o| o.criterion == criterion) {
            e.add(&join(&field, "criterion"), format!("{criterion} is listed twice"));
        } else if let Some(level) = level {
            out.push(Conformance { criterion, level, evidence_url });
        }
    }
    out
}

fn availability(m: &Map<String, Value>, e: &mut Errors) -> Availability {
    let everywhere = Availability { nationwide: true, laender: Vec::new() };
    let Some(v) = get(m, "availability") else { return everywhere };
    let Some(a) = object(v, "availability", &["nationwide", "laender"], e) else { return everywhere };
    let nationwide = boolean(a, "availability", "nationwide", true, e);
    let mut laender: Vec<LandCode> = Vec::new();
    for (field, v) in array(a, "availability", "laender", e) {
        match v.as_str().map(LandCode::parse) {
            Some(Ok(l)) if !laender.contains(&l) => laender.push(l),
            Some(Ok(l)) => e.add(&field, format!("Land {l} is listed twice")),
            Some(Err(err)) => e.add(&field, err.to_string()),
            None => e.add(&field, "must be a Land code string"),
        }
    }
    if nationwide && !laender.is_empty() {
        e.add("availability.laender", "must be empty when nationwide is true");
    }
    if !nationwide && laender.is_empty() {
        e.add("availability.laender", "must name at least one Land when nationwide is false");
    }
    laender.sort();
    Availability { nationwide, laender }
}

/// RFC 7396 JSON merge patch: `null` removes, objects merge, everything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (_, Some(p)) => {
            *target = Value::Object(Map::new());
            merge_patch(target, &Value::Object(p.clone()));
        }
        _ => *target = patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Refs;
    impl ListingRefs for Refs {
        fn ozg_exists(&self, id: OzgId) -> bool {
            id.get() == 10092 || id.get() == 10000
        }
        fn org_exists(&self, id: &str) -> bool {
            id == "org-1"
        }
        fn criterion_exists(&self, code: &str) -> bool {
            code.starts_with("MA-0")
        }
    }

    fn valid() -> Value {
        json!({
            "name": "Wohngeld digital",
            "provider_org_id": "org-1",
            "ozg_ids": [10092],
            "status": "live",
            "reifegrad": 3,
            "anbindung": ["fit_connect"],
            "url": "https://wohngeld.example.de/antrag",
            "price": {"model": "annual", "annual_fee_cents": 120000, "pro_rata_first_year": true},
            "conformance": [{"criterion": "MA-01", "level": "fulfilled", "evidence_url": "https://example.de/nachweis"}],
            "terms": {"text": "Nutzungsbedingungen …", "version": "1.0"},
            "contact": {"name": "Servicedesk", "email": "service@example.de"},
            "availability": {"nationwide": false, "laender": ["05", "01"]},
            "anbindung_details": {"fit_connect_destination_required": true, "xoev_standard": "XWohngeld", "xoev_version": "1.2", "fachverfahren_interfaces": ["DiWo"]}
        })
    }

    #[test]
    fn a_complete_listing_validates_and_round_trips() {
        let c = validate_listing(&valid(), &Refs).unwrap();
        assert_eq!(c.availability.laender.iter().map(|l| l.as_str()).collect::<Vec<_>>(), ["01", "05"]);
        // What we store serialises to a body that validates to the same content.
        let again = validate_listing(&serde_json::to_value(&c).unwrap(), &Refs).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let body = json!({
            "name": "",
            "provider_org_id": "nobody",
            "ozg_ids": [99999, "x"],
            "status": "online",
            "reifegrad": 7,
            "url": "http://insecure.example.de",
            "price": {"model": "annual", "per_use_cents": -5},
            "conformance": [{"criterion": "XX", "level": "fulfilled"}],
            "contact": {"name": "A", "email": "not-an-address"},
            "availability": {"nationwide": false},
            "colour": "blue"
        });
        let errors = validate_listing(&body, &Refs).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "name", "provider_org_id", "ozg_ids[0]", "ozg_ids[1]", "status", "reifegrad", "url", "price.per_use_cents",
            "price.annual_fee_cents", "conformance[0].criterion", "contact.email", "availability.laender", "colour",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn free_listings_charge_nothing() {
        let mut body = valid();
        body["price"] = json!({"model": "free", "annual_fee_cents": 100});
        let errors = validate_listing(&body, &Refs).unwrap_err();
        assert_eq!(errors[0].field, "price.model");
    }

    #[test]
    fn control_characters_and_overlong_names_are_rejected() {
        let mut body = valid();
        body["name"] = json!("Wohn\u{0000}geld");
        assert_eq!(validate_listing(&body, &Refs).unwrap_err()[0].field, "name");
        body["name"] = json!("x".repeat(MAX_NAME + 1));
        assert_eq!(validate_listing(&body, &Refs).unwrap_err()[0].field, "name");
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
        merge_patch(&mut doc, &json!({"c": [1]}));
        assert_eq!(doc, json!({"a": "z", "c": [1]}));
    }
}
