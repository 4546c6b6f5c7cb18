//! Text keys written beside each record, so search and sort agree byte for byte on both backends.

/// Lower-case ASCII transliteration: "Mabounié" → "mabounie".
///
/// Used for the `name_key` sort column and the `search_text` column, and for
/// search terms, so that search is accent- and case-insensitive on SQLite and
/// PostgreSQL alike without extensions or collations.
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// Joins the searchable parts of a record into its `search_text`.
pub fn search_text<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let joined: Vec<String> = parts.into_iter().flatten().map(fold).collect();
    joined.join(" \u{1f} ")
}

/// A `LIKE` pattern matching `term` anywhere, with `\` as escape character.
pub fn like_pattern(term: &str) -> String {
    let folded = fold(term.trim());
    let mut out = String::with_capacity(folded.len() + 2);
    out.push('%');
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_accents_and_case() {
        assert_eq!(fold("Mabounié"), "mabounie");
        assert_eq!(fold("MOANDA"), fold("moanda"));
        assert_eq!(fold("Ogooué-Ivindo"), "ogooue-ivindo");
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_x"), "%50\\%\\_x%");
    }
}
