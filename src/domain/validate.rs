//! Field rules shared by the drafts. Field names are the API's (camelCase).

use crate::error::{AppError, AppResult};

pub fn required_text(field: &str, value: &str, max_chars: usize) -> AppResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > max_chars {
        return Err(AppError::invalid(field, format!("must be at most {max_chars} characters")));
    }
    Ok(trimmed.to_string())
}

/// Trims; an empty string means "none".
pub fn optional_text(field: &str, value: Option<String>, max_chars: usize) -> AppResult<Option<String>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => required_text(field, text, max_chars).map(Some),
    }
}

pub fn non_negative(field: &str, value: Option<f64>) -> AppResult<Option<f64>> {
    match value {
        Some(v) if !v.is_finite() || v < 0.0 => Err(AppError::invalid(field, "must be a number ≥ 0")),
        other => Ok(other),
    }
}

pub fn color(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim();
    let hex = v.strip_prefix('#').unwrap_or("");
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AppError::invalid(field, "must be a colour written #RRGGBB, e.g. #7B3F9E"));
    }
    Ok(v.to_ascii_uppercase())
}

pub fn url(field: &str, value: Option<String>) -> AppResult<Option<String>> {
    let Some(v) = optional_text(field, value, 2000)? else {
        return Ok(None);
    };
    let lower = v.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) || v.contains(char::is_whitespace) {
        return Err(AppError::invalid(field, "must be an http:// or https:// address without spaces"));
    }
    Ok(Some(v))
}

pub fn country(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim().to_ascii_uppercase();
    if v.len() != 2 || !v.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(AppError::invalid(field, "must be an ISO 3166-1 alpha-2 code, e.g. GA"));
    }
    Ok(v)
}

pub fn code(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim().to_ascii_uppercase();
    if v.is_empty() || v.len() > 16 || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(AppError::invalid(field, "must be 1 to 16 letters, digits, '-' or '_', e.g. MN"));
    }
    Ok(v)
}

/// A URL-safe identifier from a name: "Nouvelle Gabon Mining" → "nouvelle-gabon-mining".
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in deunicode::deunicode(name).to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

pub fn slug(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim();
    let valid = !v.is_empty()
        && v.len() <= 80
        && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !v.starts_with('-')
        && !v.ends_with('-');
    if !valid {
        return Err(AppError::invalid(
            field,
            "must be lower-case letters, digits and dashes, e.g. nouvelle-gabon-mining",
        ));
    }
    Ok(v.to_string())
}

/// Free-form properties: a JSON object (null means empty).
pub fn properties(field: &str, value: serde_json::Value) -> AppResult<serde_json::Value> {
    match value {
        serde_json::Value::Null => Ok(serde_json::json!({})),
        serde_json::Value::Object(_) => Ok(value),
        _ => Err(AppError::invalid(field, "must be a JSON object, e.g. {\"source\": \"BRGM\"}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_and_dashed() {
        assert_eq!(slugify("Nouvelle Gabon Mining (NGM)"), "nouvelle-gabon-mining-ngm");
        assert_eq!(slugify("Société Équatoriale des Mines"), "societe-equatoriale-des-mines");
    }

    #[test]
    fn colours_are_checked() {
        assert_eq!(color("color", "#7b3f9e").unwrap(), "#7B3F9E");
        assert!(color("color", "purple").is_err());
    }
}
