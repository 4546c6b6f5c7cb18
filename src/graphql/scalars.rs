//! The `GeoJSON` scalar: RFC 7946 geometry objects in and out.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

/// A GeoJSON object (RFC 7946), in WGS84 longitude/latitude.
///
/// As input it must be a geometry (`{"type": "Point", "coordinates": [13.2, -1.57]}`);
/// the server checks it where it is used, so errors name the argument and
/// the position inside the geometry. As output it is a geometry, a Feature
/// or a FeatureCollection, as the field says.
#[derive(Clone, Debug)]
pub struct GeoJson(pub serde_json::Value);

#[Scalar(name = "GeoJSON", specified_by_url = "https://datatracker.ietf.org/doc/html/rfc7946")]
impl ScalarType for GeoJson {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::Object(_) => Ok(GeoJson(value.into_json().map_err(InputValueError::custom)?)),
            // A client that sends the geometry as a JSON string is forgiven.
            Value::String(text) => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(json @ serde_json::Value::Object(_)) => Ok(GeoJson(json)),
                _ => Err(InputValueError::custom("expected a GeoJSON object")),
            },
            _ => Err(InputValueError::custom("expected a GeoJSON object")),
        }
    }

    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}
