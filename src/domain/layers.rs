//! Layers made from imported GIS files, their features, and imports.

use crate::import::{Attribute, ImportWarning};
use crate::spatial::Bbox;
use chrono::{DateTime, Utc};
use geo_types::Geometry;
use serde_json::{Map, Value};

stored_enum!(
    /// What a layer shows.
    LayerKind { Deposit => "DEPOSIT", Infrastructure => "INFRASTRUCTURE", Zone => "ZONE", Custom => "CUSTOM" }
);
stored_enum!(
    /// Life-cycle stage of what a layer shows.
    LayerStatus { Active => "ACTIVE", Development => "DEVELOPMENT", Exploration => "EXPLORATION", Closed => "CLOSED" }
);
stored_enum!(
    /// Where an import is.
    ImportStatus { Pending => "PENDING", Processing => "PROCESSING", Succeeded => "SUCCEEDED", Failed => "FAILED" }
);

impl ImportStatus {
    pub fn is_final(self) -> bool {
        matches!(self, ImportStatus::Succeeded | ImportStatus::Failed)
    }
}

/// The columns a person edits.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerMeta {
    pub name: String,
    pub description: Option<String>,
    pub kind: LayerKind,
    pub status: LayerStatus,
    pub visible: bool,
    pub public: bool,
    /// A JSON object: colours, widths, opacity, icon.
    pub style: Value,
}

/// What an import found in its file.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSource {
    pub format: String,
    pub crs: String,
    pub feature_count: u64,
    pub geometry_types: Vec<String>,
    pub bbox: Option<Bbox>,
    pub attributes: Vec<Attribute>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub id: i64,
    pub meta: LayerMeta,
    pub source: LayerSource,
    /// The zoom from which the layer's tiles show every feature; below it,
    /// dense tiles are thinned (see `spatial::thinning`). 0: never thinned;
    /// `None`: not computed yet (a layer imported before thinning existed).
    pub tile_full_zoom: Option<u8>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LayerFeature {
    pub id: i64,
    pub layer_id: i64,
    pub source_id: Option<String>,
    pub properties: Map<String, Value>,
    pub geometry: Geometry<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportRecord {
    pub id: i64,
    pub file_name: String,
    pub size_bytes: u64,
    pub format: Option<String>,
    pub status: ImportStatus,
    pub features_read: u64,
    pub features_written: u64,
    pub error: Option<String>,
    pub warnings: Vec<ImportWarning>,
    pub duration_ms: Option<u64>,
    pub uploaded_by: Option<i64>,
    pub layer_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default)]
pub struct LayerFilter {
    pub kind: Option<LayerKind>,
    pub status: Option<LayerStatus>,
    pub visible: Option<bool>,
    /// Only public layers (anonymous readers).
    pub public_only: bool,
}

/// A test on one property of a layer's features.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeTest {
    /// The value, as text, equals this.
    Equals(String),
    /// A number within `[min, max]` (either bound optional).
    Range { min: Option<f64>, max: Option<f64> },
    /// The value, as text, contains this (case-insensitive).
    Contains(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct AttributeFilter {
    pub name: String,
    pub test: AttributeTest,
}

/// The default style of a layer, by kind and the geometry types it holds.
pub fn default_style(kind: LayerKind, geometry_types: &[String]) -> Value {
    let color = match kind {
        LayerKind::Deposit => "#b45309",
        LayerKind::Infrastructure => "#374151",
        LayerKind::Zone => "#2563eb",
        LayerKind::Custom => "#7c3aed",
    };
    let polygons = geometry_types.iter().any(|t| t.contains("Polygon"));
    let lines = geometry_types.iter().any(|t| t.contains("LineString"));
    serde_json::json!({
        "color": color,
        "fillColor": color,
        "fillOpacity": if polygons { 0.25 } else { 0.0 },
        "opacity": 0.9,
        "lineWidth": if lines || polygons { 2 } else { 1 },
        "pointRadius": 5,
        "icon": null,
    })
}
