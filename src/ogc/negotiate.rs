//! Which format an OGC resource is answered in: JSON unless HTML is asked
//! for, by `f=html` or by an `Accept` header that ranks `text/html` above
//! JSON (a browser's). GIS clients and scripts often send `Accept: */*` or
//! nothing at all: they must get JSON, never a page meant for people.

use crate::error::{AppError, AppResult};
use axum::http::{HeaderMap, header};
use std::collections::HashMap;

/// The two representations every OGC resource has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON, or GeoJSON for features.
    Json,
    Html,
}

/// The format of the answer: the `f` parameter when given (`json` or
/// `html`, anything else is refused so that a typo is not silently JSON),
/// else the `Accept` header.
pub fn negotiate(headers: &HeaderMap, query: &HashMap<String, String>) -> AppResult<Format> {
    match query.get("f").map(String::as_str) {
        Some("json") => Ok(Format::Json),
        Some("html") => Ok(Format::Html),
        Some(other) => Err(AppError::invalid("f", format!("{other:?} is not a format: use json or html"))),
        None => {
            let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
            Ok(if prefers_html(accept) { Format::Html } else { Format::Json })
        }
    }
}

/// Whether `accept` ranks HTML strictly above JSON. Ties, `*/*` alone and
/// an empty header go to JSON, the API's own format.
fn prefers_html(accept: &str) -> bool {
    let json = quality(accept, "application/json").max(quality(accept, "application/geo+json"));
    quality(accept, "text/html") > json
}

/// The quality (`q`, 0 to 1) `accept` gives to `media`: that of the most
/// specific range matching it (`type/subtype` before `type/*` before
/// `*/*`, RFC 9110 §12.5.1), 0 when none does.
fn quality(accept: &str, media: &str) -> f32 {
    let (kind, _) = media.split_once('/').unwrap_or((media, ""));
    let mut best: Option<(u8, f32)> = None;
    for range in accept.to_ascii_lowercase().split(',') {
        let mut parts = range.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let specificity = if name == media {
            3
        } else if name.strip_suffix("/*") == Some(kind) {
            2
        } else if name == "*/*" {
            1
        } else {
            continue;
        };
        // A `q` that does not parse counts as absent (1), as most servers read it.
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .map_or(1.0, |q| q.clamp(0.0, 1.0));
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn format(accept: Option<&'static str>, f: Option<&str>) -> AppResult<Format> {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(header::ACCEPT, HeaderValue::from_static(accept));
        }
        let query = f.map(|f| HashMap::from([("f".to_string(), f.to_string())])).unwrap_or_default();
        negotiate(&headers, &query)
    }

    #[test]
    fn clients_that_name_no_format_get_json() {
        assert_eq!(format(None, None).unwrap(), Format::Json);
        assert_eq!(format(Some("*/*"), None).unwrap(), Format::Json);
        assert_eq!(format(Some("application/json"), None).unwrap(), Format::Json);
        assert_eq!(format(Some("application/geo+json, */*;q=0.5"), None).unwrap(), Format::Json);
        // An equal rank is no preference.
        assert_eq!(format(Some("text/html, application/json"), None).unwrap(), Format::Json);
        assert_eq!(format(Some("application/vnd.oai.openapi+json;version=3.0"), None).unwrap(), Format::Json);
    }

    #[test]
    fn browsers_and_f_html_get_html() {
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(format(Some(firefox), None).unwrap(), Format::Html);
        assert_eq!(format(Some("text/html"), None).unwrap(), Format::Html);
        assert_eq!(format(Some("text/*, application/json;q=0.5"), None).unwrap(), Format::Html);
        assert_eq!(format(Some("text/html;q=0.4, application/json;q=0.9"), None).unwrap(), Format::Json);
        assert_eq!(format(Some("application/json"), Some("html")).unwrap(), Format::Html);
        assert_eq!(format(Some(firefox), Some("json")).unwrap(), Format::Json);
    }

    #[test]
    fn an_unknown_f_is_refused() {
        let err = format(None, Some("xml")).unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");
    }
}
