//! Text folding for search: what a person types and what the catalogue says must meet.
//!
//! German users write "Fuehrerschein" for "Führerschein" and "strasse" for "Straße";
//! both sides are folded to the same ASCII form before matching.

/// Lower-cases, spells out umlauts and ß (ä→ae, ö→oe, ü→ue, ß→ss), drops other accents,
/// and turns every run of non-alphanumeric characters into one space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut space = true; // swallow leading separators
    for ch in s.chars() {
        let piece: &str = match ch {
            // Most letters of German names: no table of lower-case mappings needed.
            c if c.is_ascii_alphanumeric() => {
                out.push(c.to_ascii_lowercase());
                space = false;
                continue;
            }
            'ä' | 'Ä' => "ae",
            'ö' | 'Ö' => "oe",
            'ü' | 'Ü' => "ue",
            'ß' | 'ẞ' => "ss",
            'à' | 'á' | 'â' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Å' => "a",
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
            'ò' | 'ó' | 'ô' | 'õ' | 'Ò' | 'Ó' | 'Ô' | 'Õ' => "o",
            'ù' | 'ú' | 'û' | 'Ù' | 'Ú' | 'Û' => "u",
            'ç' | 'Ç' => "c",
            'ñ' | 'Ñ' => "n",
            // Combining marks (e.g. a decomposed "u" + U+0308) carry no letter of their own.
            '\u{0300}'..='\u{036f}' => {
                if ch == '\u{0308}' && matches!(out.chars().last(), Some('a' | 'o' | 'u')) {
                    "e"
                } else {
                    ""
                }
            }
            c if c.is_alphanumeric() => {
                for l in c.to_lowercase() {
                    out.push(l);
                }
                space = false;
                continue;
            }
            _ => {
                if !space {
                    out.push(' ');
                    space = true;
                }
                continue;
            }
        };
        out.push_str(piece);
        if !piece.is_empty() {
            space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn umlauts_and_sharp_s_equal_their_spelled_out_forms() {
        assert_eq!(fold("Führerschein"), fold("Fuehrerschein"));
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("ÄÖÜ"), "aeoeue");
    }

    #[test]
    fn decomposed_umlaut_folds_like_precomposed() {
        assert_eq!(fold("Fu\u{0308}hrerschein"), "fuehrerschein");
    }

    #[test]
    fn punctuation_collapses_to_single_spaces() {
        assert_eq!(fold("  Meldebescheinigung und -registerauskunft "), "meldebescheinigung und registerauskunft");
        assert_eq!(fold("(Baumuster-) Prüfung"), "baumuster pruefung");
    }

    #[test]
    fn hostile_input_is_harmless() {
        assert_eq!(fold("'; DROP TABLE x;--"), "drop table x");
        assert_eq!(fold("\u{0000}\u{202e}abc"), "abc");
    }
}
