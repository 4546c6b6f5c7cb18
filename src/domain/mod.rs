//! The domain: records, validation rules and the operations on them.
//! Knows no API and no transport; talks to storage through [`Store`].

#[macro_use]
mod enums;
mod accounts;
mod actor;
mod catalog;
mod features;
mod geometry;
mod imports;
mod layers;
mod model;
mod query;
mod validate;

pub use accounts::*;
pub use actor::*;
pub use catalog::{
    Catalog, Change, ChangeKind, CommodityDraft, DepositDraft, ExploitationAreaDraft, InfrastructureDraft,
    OperatorDraft,
};
pub use enums::*;
pub use features::*;
pub use geometry::{ANY_GEOMETRY, GeometryType, parse_geometry, to_geojson};
pub use imports::{ImportHub, ImportLease, ImportPreview, ImportProgress, LayerDraft, Upload};
pub use layers::*;
pub use model::*;
pub use query::*;
pub use validate::slugify;
