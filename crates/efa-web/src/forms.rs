//! Forms the GOV.UK way: POST with a CSRF token (and the Origin checked), 303 on success; on
//! failure 400 with the same page, an error summary linking to each field, the message at the
//! field, the values kept. The operations' field errors are shown in German.

use crate::errors::WebError;
use crate::session::Shop;
use actix_web::http::header;
use efa_api::error::ApiError;
use serde::de::DeserializeOwned;

/// One field in error: `field` is the form field's name (ids derive from it, see the macros).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The errors of one submitted form, in the order of the fields.
#[derive(Debug, Clone, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }

    /// The message at `field`, if it is in error.
    pub fn at(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }

    /// The field errors of a failed operation, each under the form field that holds it
    /// (`fields` maps the operation's names to the form's; unmapped ones go to `fallback`).
    /// Other failures are no field's business and stay errors.
    pub fn from_api(e: ApiError, fields: &[(&str, &str)], fallback: &str) -> Result<Errors, WebError> {
        match e {
            ApiError::Unprocessable(list) => {
                let mut out = Errors::default();
                for fe in list {
                    let base = fe.field.split('[').next().unwrap_or(&fe.field);
                    let field = fields.iter().find(|(api, _)| *api == fe.field || *api == base).map(|(_, f)| *f).unwrap_or(fallback);
                    if out.at(field).is_none() {
                        out.add(field, german(&fe.message));
                    }
                }
                Ok(out)
            }
            other => Err(other.into()),
        }
    }
}

/// The options of a filter's select: `all` (the empty value) first, then `items`.
pub fn options(all: &str, items: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    std::iter::once((String::new(), all.to_owned())).chain(items).collect()
}

/// The operations speak English to API clients; people read German.
pub fn german(message: &str) -> String {
    let m = message.trim();
    let num = |s: &str| s.chars().filter(|c| c.is_ascii_digit()).collect::<String>();
    if let Some(rest) = m.strip_prefix("must be 1 to ") {
        if let Some(n) = rest.strip_suffix(" characters") {
            return format!("Geben Sie 1 bis {} Zeichen ein.", num(n));
        }
    }
    if let Some((a, b)) = m.strip_prefix("must be ").and_then(|r| r.split_once(" to ")) {
        if a.chars().all(|c| c.is_ascii_digit()) && b.chars().all(|c| c.is_ascii_digit()) {
            return format!("Geben Sie eine Zahl von {a} bis {b} ein.");
        }
    }
    if let Some(rest) = m.strip_prefix("must be at most ") {
        return format!("Geben Sie höchstens {} Zeichen ein.", num(rest));
    }
    if m.starts_with("is required") {
        return "Geben Sie eine Begründung ein.".into();
    }
    let known: &[(&str, &str)] = &[
        ("is not a UUID", "Wählen Sie einen Onlinedienst aus dem Katalog."),
        ("is not a published online service", "Dieser Onlinedienst ist nicht (mehr) veröffentlicht."),
        ("must name at least one Gemeinde", "Wählen Sie mindestens eine Gemeinde."),
        ("is neither a Gemeinde's nor a Kreis's organisation", "Das ist weder eine Gemeinde noch ein Kreis."),
        ("all Gemeinden of one request must lie in one Land", "Alle Gemeinden einer Anfrage müssen in einem Land liegen."),
        ("names a Gemeinde already listed", "Diese Gemeinde ist schon gewählt."),
        ("is not a Gemeinde's organisation", "Wählen Sie eine Gemeinde."),
        ("this key was already used for a different request", "Dieses Formular wurde schon für eine andere Eingabe abgeschickt. Laden Sie die Seite neu."),
        ("your side has already signed", "Ihre Seite hat bereits unterschrieben."),
        ("notice cannot be given for a past day", "Der Tag der Kündigung darf nicht in der Vergangenheit liegen: frühestens heute."),
    ];
    if let Some((_, de)) = known.iter().find(|(en, _)| m.contains(en)) {
        return (*de).into();
    }
    if m.contains("already done") {
        return "Dieser Schritt ist bereits erledigt.".into();
    }
    if m.contains("changed meanwhile") {
        return "Jemand anderes hat den Vorgang inzwischen geändert.".into();
    }
    if m.contains("not awaiting signatures") || m.contains("onboarding runs while") || m.contains("only approved ones") || m.contains("no longer") || m.contains("not possible") || m.contains(" is ") {
        return "Der Vorgang ist in seinem jetzigen Zustand dafür nicht bereit.".into();
    }
    "Bitte prüfen Sie diese Angabe.".into()
}

/// A submitted form, checked: it came from our own pages (Origin, else Referer) and carries
/// this session's CSRF token. `key` is the form's idempotency key, if it has one.
pub struct Submitted<T> {
    pub value: T,
    pub key: Option<String>,
}

pub fn parse<T: DeserializeOwned>(shop: &Shop, body: &[u8]) -> Result<Submitted<T>, WebError> {
    let origin = shop.web.config.origin();
    let h = shop.req.headers();
    let from_here = match (h.get(header::ORIGIN).and_then(|v| v.to_str().ok()), h.get(header::REFERER).and_then(|v| v.to_str().ok())) {
        (Some(o), _) => o == origin,
        (None, Some(r)) => r == origin || r.starts_with(&format!("{origin}/")),
        (None, None) => false,
    };
    if !from_here {
        return Err(WebError::Forbidden("form from another origin".into()));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|e| WebError::BadRequest(format!("form: {e}")))?;
    let sent = pairs.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    if !shop.csrf_matches(sent) {
        // Most often an expired session: log in again and come back to the page.
        return Err(if shop.user.is_none() { WebError::LoginRequired(shop.return_path()) } else { WebError::Forbidden("CSRF token does not match".into()) });
    }
    let key = pairs.iter().find(|(k, _)| k == "_key").map(|(_, v)| v.clone());
    let value = serde_urlencoded::from_bytes(body).map_err(|e| WebError::BadRequest(format!("form: {e}")))?;
    Ok(Submitted { value, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_messages_read_german() {
        assert_eq!(german("must be 1 to 10000 characters"), "Geben Sie 1 bis 10000 Zeichen ein.");
        assert_eq!(german("must be at most 5000 characters"), "Geben Sie höchstens 5000 Zeichen ein.");
        assert_eq!(german("names a Gemeinde already listed"), "Diese Gemeinde ist schon gewählt.");
        assert_eq!(german("something new"), "Bitte prüfen Sie diese Angabe.");
        assert_eq!(german("must be 0 to 120"), "Geben Sie eine Zahl von 0 bis 120 ein.");
    }

    #[test]
    fn api_field_errors_land_at_their_form_fields() {
        let e = ApiError::Unprocessable(vec![
            efa_domain::listing::FieldError { field: "municipalities[2]".into(), message: "names a Gemeinde already listed".into() },
            efa_domain::listing::FieldError { field: "note".into(), message: "must be at most 5000 characters".into() },
        ]);
        let errors = Errors::from_api(e, &[("municipalities", "gemeinden"), ("note", "notiz")], "notiz").unwrap();
        assert_eq!(errors.at("gemeinden"), Some("Diese Gemeinde ist schon gewählt."));
        assert_eq!(errors.at("notiz"), Some("Geben Sie höchstens 5000 Zeichen ein."));
        assert!(Errors::from_api(ApiError::Conflict("x".into()), &[], "x").is_err());
    }
}
