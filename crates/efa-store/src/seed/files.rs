//! CSV reading with errors that point at the offending cell.

use super::SeedData;
use crate::models::*;
use efa_domain::{Ags, Ars, KreisCode, LandCode, LeikaKey, OzgId};
use std::collections::HashMap;
use std::path::Path;

/// A seed file that cannot be loaded: which file, which line, which column, and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: column {column:?}: {message}")]
pub struct SeedError {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub message: String,
}

/// One data row of a seed file, addressed by header name.
pub(crate) struct Row<'a> {
    file: &'a str,
    headers: &'a csv::StringRecord,
    record: csv::StringRecord,
    line: u64,
}

impl Row<'_> {
    pub fn line(&self) -> u64 {
        self.line
    }

    pub fn err(&self, column: &str, message: impl Into<String>) -> SeedError {
        SeedError { file: self.file.to_owned(), line: self.line(), column: column.to_owned(), message: message.into() }
    }

    /// The trimmed cell; a missing column is an error.
    pub fn str(&self, column: &str) -> Result<&str, SeedError> {
        let idx = self.headers.iter().position(|h| h == column).ok_or_else(|| self.err(column, "no such column"))?;
        Ok(self.record.get(idx).unwrap_or("").trim())
    }

    pub fn required(&self, column: &str) -> Result<String, SeedError> {
        match self.str(column)? {
            "" => Err(self.err(column, "must not be empty")),
            s => Ok(s.to_owned()),
        }
    }

    pub fn optional(&self, column: &str) -> Result<Option<String>, SeedError> {
        Ok(Some(self.str(column)?).filter(|s| !s.is_empty()).map(str::to_owned))
    }

    pub fn parse<T, E: std::fmt::Display>(&self, column: &str, f: impl FnOnce(&str) -> Result<T, E>) -> Result<T, SeedError> {
        f(self.str(column)?).map_err(|e| self.err(column, e.to_string()))
    }

    pub fn parse_opt<T, E: std::fmt::Display>(&self, column: &str, f: impl FnOnce(&str) -> Result<T, E>) -> Result<Option<T>, SeedError> {
        match self.str(column)? {
            "" => Ok(None),
            s => f(s).map(Some).map_err(|e| self.err(column, e.to_string())),
        }
    }

    pub fn int(&self, column: &str) -> Result<i64, SeedError> {
        self.parse(column, |s| s.parse::<i64>().map_err(|_| format!("{s:?} is not a whole number")))
    }

    pub fn count(&self, column: &str) -> Result<i64, SeedError> {
        let n = self.int(column)?;
        if n < 0 { Err(self.err(column, format!("{n} must not be negative"))) } else { Ok(n) }
    }

    pub fn bool01(&self, column: &str) -> Result<bool, SeedError> {
        self.parse(column, |s| match s {
            "1" | "true" => Ok(true),
            "0" | "false" => Ok(false),
            other => Err(format!("{other:?} is not 0/1 or true/false")),
        })
    }

    pub fn float_opt(&self, column: &str) -> Result<Option<f64>, SeedError> {
        self.parse_opt(column, |s| {
            s.parse::<f64>().ok().filter(|f| f.is_finite()).ok_or_else(|| format!("{s:?} is not a number"))
        })
    }
}

/// Reads every data row of `dir/file` through `f`; the first error stops the read.
pub(crate) fn each_row(dir: &Path, file: &str, f: impl FnMut(&Row) -> Result<(), SeedError>) -> Result<(), SeedError> {
    let fail = |message: String| SeedError { file: file.to_owned(), line: 0, column: String::new(), message };
    let input = std::fs::File::open(dir.join(file)).map_err(|e| fail(format!("cannot open: {e}")))?;
    each_record(file, input, b',', None, f)
}

/// Reads every data row of `input` (named `file` in errors) through `f`, the cells split at
/// `delimiter`. With `required`, a header lacking one of those columns refuses the file before
/// any row is read: it is a file of another shape.
pub(crate) fn each_record(
    file: &str,
    input: impl std::io::Read,
    delimiter: u8,
    required: Option<(&str, &[&str])>,
    mut f: impl FnMut(&Row) -> Result<(), SeedError>,
) -> Result<(), SeedError> {
    let fail = |line: u64, message: String| SeedError { file: file.to_owned(), line, column: String::new(), message };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).delimiter(delimiter).from_reader(input);
    let mut headers = reader.headers().map_err(|e| fail(1, format!("cannot read header: {e}")))?.clone();
    // A byte-order mark some spreadsheet exports put before the first column name.
    if let Some(first) = headers.get(0).filter(|h| h.starts_with('\u{feff}')) {
        let mut fixed: Vec<String> = headers.iter().map(str::to_owned).collect();
        fixed[0] = first.trim_start_matches('\u{feff}').to_owned();
        headers = csv::StringRecord::from(fixed);
    }
    if let Some((what, columns)) = required {
        let missing: Vec<&str> = columns.iter().copied().filter(|c| !headers.iter().any(|h| h.trim() == *c)).collect();
        if !missing.is_empty() {
            let found: Vec<&str> = headers.iter().collect();
            return Err(SeedError {
                file: file.to_owned(),
                line: 1,
                column: missing[0].to_owned(),
                message: format!("this is not {what}: the header lacks {} (it has {})", missing.join(", "), found.join(", ")),
            });
        }
    }
    // Counted by hand: a quoted cell may span lines, and the reader's own positions
    // are not the line numbers an editor shows.
    let mut next_line: u64 = 2;
    for record in reader.records() {
        let record = record.map_err(|e| SeedError {
            file: file.to_owned(),
            line: e.position().map(|p| p.line()).unwrap_or(0),
            column: String::new(),
            message: e.to_string(),
        })?;
        let line = next_line;
        next_line += 1 + record.iter().map(|cell| cell.matches('\n').count() as u64).sum::<u64>();
        f(&Row { file, headers: &headers, record, line })?;
    }
    Ok(())
}

pub(crate) fn code<T, E: std::fmt::Display>(parse: impl Fn(&str) -> Result<T, E>) -> impl Fn(&str) -> Result<String, E>
where
    T: AsRef<str>,
{
    move |s| parse(s).map(|v| v.as_ref().to_owned())
}

pub(crate) fn read_places(dir: &Path, d: &mut SeedData) -> Result<(), SeedError> {
    each_row(dir, "laender.csv", |r| {
        d.laender.push(LandRow {
            code: r.parse("land_code", code(LandCode::parse))?,
            name: r.required("name")?,
            population: r.count("einwohner_summe")?,
            population_2023: None,
            gemeinden_count: r.count("anzahl_gemeinden")? as i32,
        });
        Ok(())
    })?;
    let mut pop_2023: HashMap<String, i64> = HashMap::new();
    each_row(dir, "laender_bevoelkerung_2023.csv", |r| {
        pop_2023.insert(r.parse("land_code", code(LandCode::parse))?, r.count("einwohner")?);
        Ok(())
    })?;
    for land in &mut d.laender {
        land.population_2023 = pop_2023.get(&land.code).copied();
    }
    each_row(dir, "koenigsteiner_schluessel.csv", |r| {
        d.koenigsteiner.push(KoenigsteinerRow {
            year: r.int("year")? as i32,
            land_code: r.parse("land_ags", code(LandCode::parse))?,
            share_e5: r.parse("share_percent", parse_share_e5)?,
        });
        Ok(())
    })?;
    each_row(dir, "kreise.csv", |r| {
        let kreis = r.parse("kreis_code", KreisCode::parse)?;
        let land = r.parse("land_code", code(LandCode::parse))?;
        if kreis.land().as_str() != land {
            return Err(r.err("land_code", format!("Kreis {kreis} does not lie in Land {land}")));
        }
        d.kreise.push(KreisRow {
            code: kreis.to_string(),
            name: r.required("name")?,
            kind: r.required("kreistyp")?,
            land_code: land,
            population: r.count("einwohner_summe")?,
            gemeinden_count: r.count("anzahl_gemeinden")? as i32,
        });
        Ok(())
    })?;
    let kreise: std::collections::HashSet<String> = d.kreise.iter().map(|k| k.code.clone()).collect();
    each_row(dir, "gemeinden.csv", |r| {
        let ags = r.parse("ags", Ags::parse)?;
        let ars = r.parse("ars", Ars::parse)?;
        if ars.ags() != ags {
            return Err(r.err("ars", format!("ARS {ars} does not contain AGS {ags}")));
        }
        let kreis = r.parse("kreis_code", KreisCode::parse)?;
        if kreis != ags.kreis() {
            return Err(r.err("kreis_code", format!("Kreis {kreis} is not the Kreis of AGS {ags}")));
        }
        let (lon, lat) = (r.float_opt("laengengrad")?, r.float_opt("breitengrad")?);
        // One unpopulated border area carries 0/0 instead of coordinates.
        let (lon, lat) = if lon == Some(0.0) && lat == Some(0.0) { (None, None) } else { (lon, lat) };
        d.gemeinden.push(GemeindeRow {
            ags: ags.to_string(),
            ars: ars.to_string(),
            name: r.required("name")?,
            kind: r.required("gemeindetyp")?,
            gemeindefrei: r.parse("gemeindefrei", |s| s.parse::<bool>().map_err(|_| format!("{s:?} is not true/false")))?,
            land_code: ags.land().to_string(),
            // Two uninhabited areas hang under no Kreis ("07000", "13000" are not Kreise).
            kreis_code: kreise.contains(kreis.as_str()).then(|| kreis.to_string()),
            gemeindeverband: r.optional("gemeindeverband")?,
            population: r.count("einwohner")?,
            area_km2: r.float_opt("flaeche_km2")?,
            postcode: r.optional("plz_verwaltungssitz")?,
            longitude: lon,
            latitude: lat,
            urbanisation: r.optional("verstaedterung")?,
        });
        Ok(())
    })
}

/// "21.07592" percent → 2107592 (units of 0.00001 %), exactly, without floats.
fn parse_share_e5(s: &str) -> Result<i64, String> {
    let bad = || format!("{s:?} is not a percentage with at most 5 decimals");
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || frac.len() > 5 || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let frac = format!("{frac:0<5}");
    Ok(int.parse::<i64>().map_err(|_| bad())? * 100_000 + frac.parse::<i64>().map_err(|_| bad())?)
}

pub(crate) fn read_catalogue(dir: &Path, d: &mut SeedData) -> Result<(), SeedError> {
    each_row(dir, "ozg_themenfelder.csv", |r| {
        d.themenfelder.push(ThemenfeldRow {
            id: r.int("themenfeld_id")? as i32,
            name: r.required("themenfeld")?,
            lead_land_code: None,
            lead_bundesressort: None,
        });
        Ok(())
    })?;
    let land_by_name: HashMap<String, String> = d.laender.iter().map(|l| (l.name.clone(), l.code.clone())).collect();
    each_row(dir, "themenfeld_federfuehrung.csv", |r| {
        let name = r.required("themenfeld")?;
        let tf = d.themenfelder.iter_mut().find(|t| t.name == name).ok_or_else(|| r.err("themenfeld", format!("unknown Themenfeld {name:?}")))?;
        // "Hessen; Baden-Württemberg": the first Land named leads.
        tf.lead_land_code = first_land(r.str("federfuehrendes_land")?, &land_by_name);
        if !r.str("federfuehrendes_land")?.is_empty() && tf.lead_land_code.is_none() {
            return Err(r.err("federfuehrendes_land", "names no known Land"));
        }
        tf.lead_bundesressort = r.optional("federfuehrendes_bundesressort")?;
        Ok(())
    })?;
    let themenfeld_ids: std::collections::HashSet<i32> = d.themenfelder.iter().map(|t| t.id).collect();
    each_row(dir, "ozg_lebenslagen.csv", |r| {
        let themenfeld_id = r.int("themenfeld_id")? as i32;
        if !themenfeld_ids.contains(&themenfeld_id) {
            return Err(r.err("themenfeld_id", format!("unknown Themenfeld {themenfeld_id}")));
        }
        d.lebenslagen.push(LebenslageRow { id: r.int("lebenslage_id")? as i32, name: r.required("lebenslage")?, themenfeld_id });
        Ok(())
    })?;
    each_row(dir, "ozg_leistungen.csv", |r| {
        d.ozg_leistungen.push(OzgLeistungRow {
            ozg_id: r.parse("ozg_id", OzgId::parse)?.get(),
            name: r.required("name")?,
            lebenslage_id: r.int("lebenslage_id")? as i32,
            themenfeld_id: r.int("themenfeld_id")? as i32,
        });
        Ok(())
    })?;
    let ozg_ids: std::collections::HashSet<i32> = d.ozg_leistungen.iter().map(|o| o.ozg_id).collect();
    let mut position = 0;
    each_row(dir, "ozg_leika_leistungen.csv", |r| {
        position += 1;
        let ozg_id = r.parse_opt("ozg_id", OzgId::parse)?.map(OzgId::get);
        if let Some(id) = ozg_id.filter(|id| !ozg_ids.contains(id)) {
            return Err(r.err("ozg_id", format!("unknown OZG-ID {id}")));
        }
        d.leika.push(leika_row(r, position, r.parse_opt("leika_schluessel", code(LeikaKey::parse))?, ozg_id)?);
        Ok(())
    })?;
    each_row(dir, "efa_mindestanforderungen.csv", |r| {
        d.mindestanforderungen.push(MindestanforderungRow {
            code: r.required("code")?,
            version: r.required("version")?,
            criterion: r.required("criterion")?,
            description: r.required("description")?,
            category: r.required("category")?,
            mandatory: r.parse("mandatory", |s| match s {
                "yes" | "no" | "unknown" => Ok(s.to_owned()),
                other => Err(format!("{other:?} is not yes, no or unknown")),
            })?,
            source: r.required("source")?,
        });
        Ok(())
    })?;
    let mut seen = std::collections::HashSet::new();
    each_row(dir, "suchsynonyme.csv", |r| {
        let row = SynonymRow { term: r.required("begriff")?, means: r.required("bedeutet")?, reason: r.required("grund")? };
        if efa_domain::fold(&row.term) == efa_domain::fold(&row.means) {
            return Err(r.err("bedeutet", "is the same word as begriff"));
        }
        if !seen.insert((efa_domain::fold(&row.term), efa_domain::fold(&row.means))) {
            return Err(r.err("bedeutet", format!("{:?} for {:?} is listed twice", row.means, row.term)));
        }
        d.synonyms.push(row);
        Ok(())
    })
}

/// A row of `ozg_leika_leistungen.csv` (the seed's and an import's), its key and OZG-ID already
/// read and checked by the caller.
pub(crate) fn leika_row(r: &Row, id: i32, leika_key: Option<String>, ozg_id: Option<i32>) -> Result<LeikaRow, SeedError> {
    Ok(LeikaRow {
        id,
        leika_key,
        name: r.required("name")?,
        ozg_id,
        leika_typ: r.optional("leika_typ")?,
        legal_basis: r.optional("rechtsgrundlage")?,
        laws: r.optional("gesetze")?,
        law_abbreviations: r.optional("gesetzeskuerzel")?,
        sdg1_relevant: r.bool01("sdg1_relevant")?,
        sdg2_relevant: r.bool01("sdg2_relevant")?,
    })
}

/// The code of the first Land named in a free-text list such as "Hessen; Baden-Württemberg".
pub(crate) fn first_land(text: &str, land_by_name: &HashMap<String, String>) -> Option<String> {
    text.split(';').find_map(|part| {
        let part = part.trim();
        land_by_name.iter().filter(|(name, _)| part.starts_with(name.as_str())).max_by_key(|(name, _)| name.len()).map(|(_, c)| c.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_is_parsed_exactly() {
        assert_eq!(parse_share_e5("21.07592"), Ok(2_107_592));
        assert_eq!(parse_share_e5("3.4"), Ok(340_000));
        assert!(parse_share_e5("3.123456").is_err());
        assert!(parse_share_e5("-1").is_err());
    }

    #[test]
    fn first_land_takes_the_leading_one() {
        let m: HashMap<String, String> = [("Hessen", "06"), ("Baden-Württemberg", "08"), ("Nordrhein-Westfalen", "05")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        assert_eq!(first_land("Hessen; Baden-Württemberg", &m).as_deref(), Some("06"));
        assert_eq!(first_land("Nordrhein-Westfalen (+ kommunale Spitzenverbände)", &m).as_deref(), Some("05"));
        assert_eq!(first_land("", &m), None);
    }
}
