//! A listing as a form and as text: every field of `ListingContent` as form fields (amounts in
//! euros, German style), the listing body the operations take, the operations' field paths
//! mapped to the form's fields with German messages, and a listing as labelled lines, which
//! the pages show and compare (a stale edit's two versions, the review's diff).

use super::catalogue_view::{anbindung_de, price_model_de, reifegrad_de, status_de};
use super::order::MemberChoice;
use super::service::level_de;
use crate::forms::{self, Errors};
use efa_api::catalogue::Catalogue;
use efa_api::error::ApiError;
use efa_domain::listing::{ConformanceLevel, Reach};
use efa_domain::{Anbindung, PriceModel, ServiceStatus};
use efa_store::models::MindestanforderungRow;
use serde_json::{json, Map, Value};

/// One EfA-Mindestanforderung in the form: its level and evidence.
#[derive(Debug, Clone, Default)]
pub struct CriterionInput {
    pub code: String,
    pub label: String,
    pub level: String,
    pub nachweis: String,
}

impl CriterionInput {
    pub fn level_field(&self) -> String {
        format!("ma-{}", self.code)
    }
    pub fn evidence_field(&self) -> String {
        format!("nachweis-{}", self.code)
    }
}

/// The amount fields of the price: (form field, API field, label).
pub const AMOUNTS: [(&str, &str, &str); 5] = [
    ("preis_anbindung", "one_off_anbindung_fee_cents", "Einmalige Anbindungsgebühr"),
    ("preis_jahr", "annual_fee_cents", "Jahresgebühr"),
    ("preis_einwohner", "per_inhabitant_cents", "Preis je Einwohnerin und Einwohner"),
    ("preis_koenigstein", "koenigsteiner_total_cents", "Gesamtbetrag nach Königsteiner Schlüssel"),
    ("preis_nutzung", "per_use_cents", "Preis je Nutzung"),
];

/// Every field of a listing as entered (strings, as the form sends them).
#[derive(Debug, Clone, Default)]
pub struct ListingForm {
    pub name: String,
    pub beschreibung: String,
    pub ozg: String,
    pub lead_land: String,
    pub efa: bool,
    pub status: String,
    pub reifegrad: String,
    pub anbindung: Vec<String>,
    pub url: String,
    pub preis_modell: String,
    /// Amounts in euros as typed, in the order of [`AMOUNTS`].
    pub betraege: [String; 5],
    pub preis_anteilig: bool,
    pub kriterien: Vec<CriterionInput>,
    pub bedingungen: String,
    pub bedingungen_version: String,
    pub kontakt_name: String,
    pub kontakt_email: String,
    pub kontakt_telefon: String,
    /// "ja": everywhere; "nein": in `laender`.
    pub bundesweit: String,
    pub laender: Vec<String>,
    pub fit_connect_ziel: bool,
    pub xoev_standard: String,
    pub xoev_version: String,
    /// One Fachverfahren interface a line.
    pub fachverfahren: String,
    pub reichweite: String,
    /// The revision the edit was made from (hidden).
    pub revision: String,
}

fn criteria_inputs(criteria: &[MindestanforderungRow]) -> Vec<CriterionInput> {
    criteria.iter().map(|c| CriterionInput { code: c.code.clone(), label: format!("{} {}", c.code, c.criterion), ..Default::default() }).collect()
}

/// Cents as a form value: 123456 → "1.234,56".
pub fn euro_input(cents: i64) -> String {
    super::euro(cents).trim_end_matches("\u{a0}€").to_owned()
}

/// Euros as Germans type them ("1.234,56", "1234,5", "12 €") → cents; `None` if it is none.
pub fn parse_euro(s: &str) -> Option<i64> {
    let t: String = s.trim().trim_end_matches('€').chars().filter(|c| !c.is_whitespace()).collect();
    let (whole, frac) = match t.split_once(',') {
        Some((w, f)) => (w.to_owned(), f.to_owned()),
        None => (t.clone(), String::new()),
    };
    // Thousands separators only in groups of three.
    let groups: Vec<&str> = whole.split('.').collect();
    if groups.is_empty() || groups[0].is_empty() || groups[0].len() > 3 && groups.len() > 1 || groups[1..].iter().any(|g| g.len() != 3) {
        return None;
    }
    let digits: String = groups.concat();
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let euros: i64 = digits.parse().ok()?;
    let cents: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    Some(euros * 100 + cents)
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

impl ListingForm {
    /// An empty form for a new listing.
    pub fn new(criteria: &[MindestanforderungRow]) -> ListingForm {
        ListingForm { kriterien: criteria_inputs(criteria), bundesweit: "ja".into(), reichweite: Reach::Agreements.as_str().into(), status: String::new(), ..Default::default() }
    }

    /// The form as it was sent (`pairs` of the urlencoded body).
    pub fn from_pairs(pairs: &[(String, String)], criteria: &[MindestanforderungRow]) -> ListingForm {
        let one = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        let all = |k: &str| pairs.iter().filter(|(n, _)| n == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
        let mut kriterien = criteria_inputs(criteria);
        for c in &mut kriterien {
            c.level = one(&c.level_field());
            c.nachweis = one(&c.evidence_field());
        }
        ListingForm {
            name: one("name"),
            beschreibung: one("beschreibung"),
            ozg: one("ozg"),
            lead_land: one("lead_land"),
            efa: one("efa") == "ja",
            status: one("status"),
            reifegrad: one("reifegrad"),
            anbindung: all("anbindung"),
            url: one("url"),
            preis_modell: one("preis_modell"),
            betraege: AMOUNTS.map(|(f, _, _)| one(f)),
            preis_anteilig: one("preis_anteilig") == "ja",
            kriterien,
            bedingungen: one("bedingungen"),
            bedingungen_version: one("bedingungen_version"),
            kontakt_name: one("kontakt_name"),
            kontakt_email: one("kontakt_email"),
            kontakt_telefon: one("kontakt_telefon"),
            bundesweit: one("verfuegbarkeit"),
            laender: all("laender"),
            fit_connect_ziel: one("fit_connect_ziel") == "ja",
            xoev_standard: one("xoev_standard"),
            xoev_version: one("xoev_version"),
            fachverfahren: one("fachverfahren"),
            reichweite: one("reichweite"),
            revision: one("revision"),
        }
    }

    /// The form filled from a listing's content (a working copy).
    pub fn from_content(v: &Value, criteria: &[MindestanforderungRow], revision: i32) -> ListingForm {
        let price = v.get("price").cloned().unwrap_or(Value::Null);
        let mut kriterien = criteria_inputs(criteria);
        for c in &mut kriterien {
            if let Some(x) = v.get("conformance").and_then(Value::as_array).and_then(|cs| cs.iter().find(|x| x.get("criterion").and_then(Value::as_str) == Some(&c.code))) {
                c.level = text(x, "level");
                c.nachweis = text(x, "evidence_url");
            }
        }
        let strings = |x: Option<&Value>| x.and_then(Value::as_array).map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect::<Vec<_>>()).unwrap_or_default();
        let availability = v.get("availability").cloned().unwrap_or(Value::Null);
        let details = v.get("anbindung_details").cloned().unwrap_or(Value::Null);
        let terms = v.get("terms").cloned().unwrap_or(Value::Null);
        let contact = v.get("contact").cloned().unwrap_or(Value::Null);
        ListingForm {
            name: text(v, "name"),
            beschreibung: text(v, "description"),
            ozg: v.get("ozg_ids").and_then(Value::as_array).map(|a| a.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")).unwrap_or_default(),
            lead_land: text(v, "lead_land"),
            efa: flag(v, "efa"),
            status: text(v, "status"),
            reifegrad: v.get("reifegrad").and_then(Value::as_i64).map(|r| r.to_string()).unwrap_or_default(),
            anbindung: strings(v.get("anbindung")),
            url: text(v, "url"),
            preis_modell: text(&price, "model"),
            betraege: AMOUNTS.map(|(_, api, _)| price.get(api).and_then(Value::as_i64).map(euro_input).unwrap_or_default()),
            preis_anteilig: flag(&price, "pro_rata_first_year"),
            kriterien,
            bedingungen: text(&terms, "text"),
            bedingungen_version: text(&terms, "version"),
            kontakt_name: text(&contact, "name"),
            kontakt_email: text(&contact, "email"),
            kontakt_telefon: text(&contact, "phone"),
            bundesweit: if availability.get("nationwide").and_then(Value::as_bool) == Some(false) { "nein".into() } else { "ja".into() },
            laender: strings(availability.get("laender")),
            fit_connect_ziel: flag(&details, "fit_connect_destination_required"),
            xoev_standard: text(&details, "xoev_standard"),
            xoev_version: text(&details, "xoev_version"),
            fachverfahren: strings(details.get("fachverfahren_interfaces")).join("\n"),
            reichweite: v.get("reach").and_then(Value::as_str).unwrap_or(Reach::Agreements.as_str()).to_owned(),
            revision: revision.to_string(),
        }
    }

    /// The listing body for the operations, and the problems found on the way (amounts that
    /// are no euro amounts, evidence without a level): those make the form fail whatever the
    /// operation says.
    pub fn to_body(&self, provider_org: &str) -> (Value, Errors) {
        let mut local = Errors::default();
        let mut m = Map::new();
        let some = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(|s| Value::String(s.to_owned()));
        m.insert("name".into(), Value::String(self.name.clone()));
        if let Some(d) = some(&self.beschreibung) {
            m.insert("description".into(), d);
        }
        m.insert("provider_org_id".into(), Value::String(provider_org.to_owned()));
        let ozg: Vec<Value> = self
            .ozg
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(s.to_owned())))
            .collect();
        m.insert("ozg_ids".into(), Value::Array(ozg));
        for (key, value) in [("lead_land", &self.lead_land), ("status", &self.status), ("url", &self.url), ("reach", &self.reichweite)] {
            if let Some(v) = some(value) {
                m.insert(key.into(), v);
            }
        }
        m.insert("efa".into(), Value::Bool(self.efa));
        if let Some(r) = some(&self.reifegrad) {
            m.insert("reifegrad".into(), self.reifegrad.trim().parse::<i64>().map(Value::from).unwrap_or(r));
        }
        m.insert("anbindung".into(), json!(self.anbindung));
        if let Some(model) = some(&self.preis_modell) {
            let mut p = Map::new();
            p.insert("model".into(), model);
            p.insert("pro_rata_first_year".into(), Value::Bool(self.preis_anteilig));
            for ((field, api, _), raw) in AMOUNTS.iter().zip(&self.betraege) {
                if raw.trim().is_empty() {
                    continue;
                }
                match parse_euro(raw) {
                    Some(c) => {
                        p.insert((*api).into(), Value::from(c));
                    }
                    None => local.add(field, "Geben Sie einen Betrag in Euro ein, z. B. 1.234,56."),
                }
            }
            m.insert("price".into(), Value::Object(p));
        } else if self.betraege.iter().any(|raw| !raw.trim().is_empty()) {
            local.add("preis_modell", "Wählen Sie ein Preismodell zu den angegebenen Beträgen.");
        }
        let mut conformance = Vec::new();
        for c in &self.kriterien {
            match (some(&c.level), some(&c.nachweis)) {
                (Some(level), evidence) => {
                    let mut x = json!({"criterion": c.code, "level": level});
                    if let Some(e) = evidence {
                        x["evidence_url"] = e;
                    }
                    conformance.push(x);
                }
                (None, Some(_)) => local.add(&c.level_field(), "Wählen Sie, wie weit die Anforderung erfüllt ist, oder löschen Sie den Nachweis."),
                (None, None) => {}
            }
        }
        m.insert("conformance".into(), Value::Array(conformance));
        if some(&self.bedingungen).is_some() || some(&self.bedingungen_version).is_some() {
            m.insert("terms".into(), json!({"text": self.bedingungen, "version": self.bedingungen_version}));
        }
        if [&self.kontakt_name, &self.kontakt_email, &self.kontakt_telefon].iter().any(|s| !s.trim().is_empty()) {
            let mut c = json!({"name": self.kontakt_name, "email": self.kontakt_email});
            if let Some(p) = some(&self.kontakt_telefon) {
                c["phone"] = p;
            }
            m.insert("contact".into(), c);
        }
        let nationwide = self.bundesweit != "nein";
        m.insert("availability".into(), json!({"nationwide": nationwide, "laender": self.laender}));
        let interfaces: Vec<&str> = self.fachverfahren.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let mut details = json!({"fit_connect_destination_required": self.fit_connect_ziel, "fachverfahren_interfaces": interfaces});
        for (key, value) in [("xoev_standard", &self.xoev_standard), ("xoev_version", &self.xoev_version)] {
            if let Some(v) = some(value) {
                details[key] = v;
            }
        }
        m.insert("anbindung_details".into(), details);
        (Value::Object(m), local)
    }

    /// The form field holding the operation's field `path` (`conformance[2].level` → the
    /// level of the third criterion of the body, as [`to_body`](Self::to_body) built it).
    pub fn field_of(&self, path: &str, body: &Value) -> String {
        let base = path.split('[').next().unwrap_or(path);
        if base == "conformance" {
            let index = path.strip_prefix("conformance[").and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok());
            let code = index.and_then(|i| body["conformance"].get(i)).and_then(|c| c["criterion"].as_str()).map(str::to_owned);
            return match (code, path.ends_with(".evidence_url")) {
                (Some(code), true) => format!("nachweis-{code}"),
                (Some(code), false) => format!("ma-{code}"),
                (None, _) => self.kriterien.first().map(CriterionInput::level_field).unwrap_or_else(|| "name".into()),
            };
        }
        if let Some(api) = path.strip_prefix("price.") {
            if let Some((field, _, _)) = AMOUNTS.iter().find(|(_, a, _)| *a == api) {
                return (*field).to_owned();
            }
            return if api == "pro_rata_first_year" { "preis_anteilig" } else { "preis_modell" }.to_owned();
        }
        let field = match base {
            "description" => "beschreibung",
            "ozg_ids" => "ozg",
            "lead_land" => "lead_land",
            "efa" => "efa",
            "status" => "status",
            "reifegrad" => "reifegrad",
            "anbindung" => "anbindung",
            "url" => "url",
            "price" => "preis_modell",
            "terms" | "terms.text" => "bedingungen",
            "terms.version" => "bedingungen_version",
            "contact" | "contact.name" => "kontakt_name",
            "contact.email" => "kontakt_email",
            "contact.phone" => "kontakt_telefon",
            "availability" | "availability.nationwide" => "verfuegbarkeit",
            "availability.laender" => "laender",
            "anbindung_details" | "anbindung_details.fit_connect_destination_required" => "fit_connect_ziel",
            "anbindung_details.xoev_standard" => "xoev_standard",
            "anbindung_details.xoev_version" => "xoev_version",
            "anbindung_details.fachverfahren_interfaces" => "fachverfahren",
            "reach" => "reichweite",
            _ => "name",
        };
        field.to_owned()
    }

    /// The errors of a refused listing, each at its form field in German (a problem the form
    /// found itself wins over the operation's for the same field); other failures stay errors.
    pub fn errors(&self, e: ApiError, body: &Value, local: Errors) -> Result<Errors, crate::errors::WebError> {
        let list = match e {
            ApiError::Unprocessable(list) => list,
            other => return Err(other.into()),
        };
        let mut found: Vec<(String, String)> = local.iter().map(|f| (f.field.clone(), f.message.clone())).collect();
        for fe in list {
            let field = self.field_of(&fe.field, body);
            if !found.iter().any(|(f, _)| *f == field) {
                found.push((field.clone(), message_de(&field, &fe.message)));
            }
        }
        // In the order of the form.
        let order = self.field_order();
        found.sort_by_key(|(f, _)| order.iter().position(|o| o == f).unwrap_or(usize::MAX));
        let mut out = Errors::default();
        for (f, m) in found {
            out.add(&f, m);
        }
        Ok(out)
    }

    fn field_order(&self) -> Vec<String> {
        let mut out: Vec<String> = ["name", "beschreibung", "ozg", "lead_land", "efa", "status", "reifegrad", "anbindung", "url", "preis_modell"].map(String::from).to_vec();
        out.extend(AMOUNTS.iter().map(|(f, _, _)| (*f).to_owned()));
        out.push("preis_anteilig".into());
        for c in &self.kriterien {
            out.push(c.level_field());
            out.push(c.evidence_field());
        }
        out.extend(["bedingungen", "bedingungen_version", "kontakt_name", "kontakt_email", "kontakt_telefon", "verfuegbarkeit", "laender", "fit_connect_ziel", "xoev_standard", "xoev_version", "fachverfahren", "reichweite"].map(String::from));
        out
    }
}

/// An operation's message about the form field `field`, in German.
pub fn message_de(field: &str, m: &str) -> String {
    let required = m.starts_with("is required") || m == "must not be empty";
    if required {
        return match field {
            "name" => "Geben Sie den Namen des Onlinedienstes ein.".into(),
            "status" => "Wählen Sie den Betriebsstand des Onlinedienstes.".into(),
            "preis_modell" => "Wählen Sie ein Preismodell.".into(),
            "bedingungen" => "Geben Sie den Text der Nutzungsbedingungen ein.".into(),
            "bedingungen_version" => "Geben Sie die Version der Nutzungsbedingungen ein.".into(),
            "kontakt_name" => "Geben Sie den Namen der Kontaktstelle ein.".into(),
            "kontakt_email" => "Geben Sie die E-Mail-Adresse der Kontaktstelle ein.".into(),
            f if f.starts_with("ma-") => "Wählen Sie, wie weit die Anforderung erfüllt ist.".into(),
            f if f.starts_with("preis_") => "Geben Sie den Betrag ein: Das gewählte Preismodell braucht ihn.".into(),
            _ => "Füllen Sie dieses Feld aus.".into(),
        };
    }
    let known: &[(&str, &str)] = &[
        ("must name at least one OZG-Leistung", "Geben Sie mindestens eine OZG-ID an, z. B. 10092."),
        ("must be an OZG-ID", "Geben Sie OZG-IDs als Zahlen ein, durch Kommas getrennt, z. B. 10092, 10093."),
        ("control characters", "Entfernen Sie die Steuerzeichen aus dem Text."),
        ("bidirectional", "Entfernen Sie die Steuerzeichen für die Schreibrichtung aus dem Text."),
        ("must be an https:// URL", "Geben Sie eine Adresse ein, die mit https:// beginnt, z. B. https://dienst.example.de."),
        ("is not an e-mail address", "Geben Sie eine E-Mail-Adresse ein, z. B. name@example.de."),
        ("must be a whole number from 0 to 4", "Wählen Sie einen Reifegrad von 0 bis 4."),
        ("free listings charge no amounts", "Ein kostenfreier Onlinedienst hat keine Beträge: Wählen Sie ein anderes Preismodell oder löschen Sie die Beträge."),
        ("must be a whole number of cents", "Geben Sie einen Betrag in Euro ein, z. B. 1.234,56 (höchstens 100 Millionen Euro)."),
        ("must name at least one Land", "Wählen Sie mindestens ein Land, in dem der Onlinedienst genutzt werden kann."),
        ("must be empty when nationwide", "Wählen Sie „In bestimmten Ländern“, wenn Sie Länder ankreuzen."),
        ("land_wide needs a lead_land", "Wählen Sie oben das federführende Land: Ohne es gibt es „alle Gemeinden des Landes“ nicht."),
        ("must be a non-empty string", "Geben Sie je Zeile eine Schnittstelle mit höchstens 200 Zeichen ein."),
        ("is listed twice", "Sie haben einen Wert doppelt angegeben."),
        ("is not an EfA-Mindestanforderung", "Diese Mindestanforderung gibt es nicht."),
    ];
    if let Some((_, de)) = known.iter().find(|(en, _)| m.contains(en)) {
        return (*de).into();
    }
    if m.starts_with("OZG-Leistung") && m.ends_with("does not exist") {
        let id: String = m.chars().filter(char::is_ascii_digit).collect();
        return format!("Die OZG-Leistung {id} gibt es nicht. Prüfen Sie die OZG-ID.");
    }
    if m.contains(" is not ") || m.contains("unknown") {
        return "Wählen Sie einen der angebotenen Werte.".into();
    }
    forms::german(m)
}

// ---- choices of the form ----

pub fn options<T: Copy>(all: &[T], value: impl Fn(T) -> &'static str, label: impl Fn(T) -> String, none: Option<&str>) -> Vec<(String, String)> {
    none.map(|n| (String::new(), n.to_owned())).into_iter().chain(all.iter().map(|&x| (value(x).to_owned(), label(x)))).collect()
}

pub fn reach_de(r: Reach) -> &'static str {
    match r {
        Reach::Agreements => "Nur wo ein Vertrag oder Beitritt ihn freischaltet",
        Reach::LandWide => "In allen Gemeinden des federführenden Landes",
        Reach::Nationwide => "In allen Gemeinden Deutschlands",
    }
}

/// The select and checkbox choices of the listing form.
pub struct Choices {
    pub laender: Vec<(String, String)>,
    pub status: Vec<(String, String)>,
    pub reifegrad: Vec<(String, String)>,
    pub preis: Vec<(String, String)>,
    pub levels: Vec<(String, String)>,
    pub reach: Vec<(String, String)>,
    pub anbindung: Vec<MemberChoice>,
    pub land_choices: Vec<MemberChoice>,
    pub verfuegbarkeit: Vec<MemberChoice>,
}

impl Choices {
    pub fn of(c: &Catalogue, f: &ListingForm) -> Choices {
        let laender: Vec<(String, String)> = c.laender.iter().map(|l| (l.code.clone(), l.name.clone())).collect();
        Choices {
            laender: std::iter::once((String::new(), "Keines".to_owned())).chain(laender.iter().cloned()).collect(),
            status: options(ServiceStatus::ALL, |s| s.as_str(), |s| status_de(s).into(), Some("Bitte wählen")),
            reifegrad: std::iter::once((String::new(), "Keine Angabe".to_owned())).chain((0..=4u8).map(|r| (r.to_string(), reifegrad_de(r)))).collect(),
            preis: options(PriceModel::ALL, |p| p.as_str(), |p| price_model_de(p).into(), Some("Keine Preisangabe")),
            levels: options(ConformanceLevel::ALL, |l| l.as_str(), |l| level_de(l).into(), Some("Keine Angabe")),
            reach: options(Reach::ALL, |r| r.as_str(), |r| reach_de(r).into(), None),
            anbindung: Anbindung::ALL.iter().map(|a| MemberChoice { value: a.as_str().into(), label: anbindung_de(*a).into(), checked: f.anbindung.iter().any(|x| x == a.as_str()) }).collect(),
            land_choices: laender.into_iter().map(|(value, label)| MemberChoice { checked: f.laender.contains(&value), value, label }).collect(),
            verfuegbarkeit: vec![
                MemberChoice { value: "ja".into(), label: "Bundesweit".into(), checked: f.bundesweit != "nein" },
                MemberChoice { value: "nein".into(), label: "In bestimmten Ländern".into(), checked: f.bundesweit == "nein" },
            ],
        }
    }
}

// ---- a listing as text ----

/// One line of a listing as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub key: String,
    pub label: String,
    pub value: String,
}

const NONE: &str = "Keine Angabe";

fn yes_no(b: bool) -> String {
    if b { "Ja".into() } else { "Nein".into() }
}

/// A listing's content (complete, as entered, or seeded and partial) as labelled lines, the
/// same keys in the same order for every listing: one line per field and per criterion.
pub fn lines(v: &Value, c: &Catalogue, criteria: &[MindestanforderungRow]) -> Vec<Line> {
    let mut out = Vec::new();
    let mut add = |key: &str, label: &str, value: String| out.push(Line { key: key.into(), label: label.into(), value: if value.trim().is_empty() { NONE.into() } else { value } });
    let s = |x: &Value, k: &str| text(x, k);
    add("name", "Name", s(v, "name"));
    add("beschreibung", "Beschreibung", s(v, "description"));
    let ozg = v.get("ozg_ids").and_then(Value::as_array).map(|a| {
        a.iter()
            .map(|x| match x.as_i64().and_then(|id| i32::try_from(id).ok()).and_then(|id| c.ozg(id)) {
                Some(o) => format!("{} {}", o.view.ozg_id, o.view.name),
                None => x.as_str().map(str::to_owned).unwrap_or_else(|| x.to_string()),
            })
            .collect::<Vec<_>>()
            .join("; ")
    });
    add("ozg", "OZG-Leistungen", ozg.unwrap_or_default());
    let land = |code: &str| c.land(code).map(|l| l.name.clone()).unwrap_or_else(|| code.to_owned());
    add("lead_land", "Federführendes Land", v.get("lead_land").and_then(Value::as_str).map(land).unwrap_or_default());
    add("efa", "EfA-Onlinedienst", yes_no(flag(v, "efa")));
    add("status", "Betriebsstand", v.get("status").and_then(Value::as_str).map(|x| ServiceStatus::parse(x).map(|st| status_de(st).to_owned()).unwrap_or_else(|_| x.to_owned())).unwrap_or_default());
    add("reifegrad", "Reifegrad", v.get("reifegrad").and_then(Value::as_u64).and_then(|r| u8::try_from(r).ok()).map(reifegrad_de).unwrap_or_default());
    let strings = |x: Option<&Value>| x.and_then(Value::as_array).map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect::<Vec<_>>()).unwrap_or_default();
    add("anbindung", "Anbindung", strings(v.get("anbindung")).iter().map(|a| Anbindung::parse(a).map(|x| anbindung_de(x).to_owned()).unwrap_or_else(|_| a.clone())).collect::<Vec<_>>().join(", "));
    add("url", "Adresse des Onlinedienstes", s(v, "url"));
    let price = v.get("price").cloned().unwrap_or(Value::Null);
    add("preis_modell", "Preismodell", price.get("model").and_then(Value::as_str).map(|m| PriceModel::parse(m).map(|p| price_model_de(p).to_owned()).unwrap_or_else(|_| m.to_owned())).unwrap_or_default());
    for (field, api, label) in AMOUNTS {
        add(field, label, price.get(api).and_then(Value::as_i64).map(super::euro).unwrap_or_default());
    }
    add("preis_anteilig", "Jahresgebühr im ersten Jahr anteilig", if price.is_null() { String::new() } else { yes_no(flag(&price, "pro_rata_first_year")) });
    for cr in criteria {
        let found = v.get("conformance").and_then(Value::as_array).and_then(|cs| cs.iter().find(|x| x.get("criterion").and_then(Value::as_str) == Some(&cr.code)));
        let value = found
            .map(|x| {
                let level = x.get("level").and_then(Value::as_str).map(|l| ConformanceLevel::parse(l).map(|l| level_de(l).to_owned()).unwrap_or_else(|_| l.to_owned())).unwrap_or_default();
                match x.get("evidence_url").and_then(Value::as_str) {
                    Some(e) => format!("{level} – Nachweis: {e}"),
                    None => level,
                }
            })
            .unwrap_or_default();
        add(&format!("ma-{}", cr.code), &format!("Mindestanforderung {} {}", cr.code, cr.criterion), value);
    }
    let terms = v.get("terms").cloned().unwrap_or(Value::Null);
    add("bedingungen", "Nutzungsbedingungen", s(&terms, "text"));
    add("bedingungen_version", "Version der Nutzungsbedingungen", s(&terms, "version"));
    let contact = v.get("contact").cloned().unwrap_or(Value::Null);
    add("kontakt_name", "Kontaktstelle", s(&contact, "name"));
    add("kontakt_email", "E-Mail der Kontaktstelle", s(&contact, "email"));
    add("kontakt_telefon", "Telefon der Kontaktstelle", s(&contact, "phone"));
    let availability = v.get("availability").cloned().unwrap_or(Value::Null);
    let where_ = match availability.get("nationwide").and_then(Value::as_bool) {
        Some(false) => format!("In: {}", strings(availability.get("laender")).iter().map(|l| land(l)).collect::<Vec<_>>().join(", ")),
        Some(true) => "Bundesweit".into(),
        None => String::new(),
    };
    add("verfuegbarkeit", "Nutzbar", where_);
    let details = v.get("anbindung_details").cloned().unwrap_or(Value::Null);
    add("fit_connect_ziel", "FIT-Connect-Zustellpunkt der Gemeinde nötig", if details.is_null() { String::new() } else { yes_no(flag(&details, "fit_connect_destination_required")) });
    add("xoev_standard", "XÖV-Standard", s(&details, "xoev_standard"));
    add("xoev_version", "XÖV-Version", s(&details, "xoev_version"));
    add("fachverfahren", "Schnittstellen zu Fachverfahren", strings(details.get("fachverfahren_interfaces")).join(", "));
    add("reichweite", "Live ohne eigenen Vertrag", v.get("reach").and_then(Value::as_str).map(|r| Reach::parse(r).map(|x| reach_de(x).to_owned()).unwrap_or_else(|_| r.to_owned())).unwrap_or_default());
    out
}

/// Two versions of a listing side by side, line by line.
#[derive(Debug, Clone)]
pub struct DiffLine {
    pub key: String,
    pub label: String,
    pub before: String,
    pub after: String,
    pub changed: bool,
}

/// `before` and `after` (lines of [`lines`], the same keys in the same order) compared.
pub fn diff(before: &[Line], after: &[Line]) -> Vec<DiffLine> {
    after
        .iter()
        .map(|a| {
            let b = before.iter().find(|b| b.key == a.key).map(|b| b.value.clone()).unwrap_or_else(|| NONE.into());
            DiffLine { key: a.key.clone(), label: a.label.clone(), changed: b != a.value, before: b, after: a.value.clone() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_as_germans_type_them() {
        assert_eq!(parse_euro("1.234,56"), Some(123_456));
        assert_eq!(parse_euro("1234,5"), Some(123_450));
        assert_eq!(parse_euro(" 12 € "), Some(1200));
        assert_eq!(parse_euro("0,02"), Some(2));
        assert_eq!(parse_euro("1.000.000"), Some(100_000_000));
        for bad in ["", "abc", "1,234", "12.34", "1.23,00", "-5", "1,2,3", "12,345"] {
            assert_eq!(parse_euro(bad), None, "{bad}");
        }
        assert_eq!(euro_input(123_456), "1.234,56");
        assert_eq!(parse_euro(&euro_input(987_654_321)), Some(987_654_321));
    }
}
