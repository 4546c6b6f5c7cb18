//! The domain: records, validation rules and the operations on them.
//! Knows no API and no transport; talks to storage through [`Store`].

mod catalog;
mod enums;
mod geometry;
mod model;
mod query;
mod validate;

pub use catalog::{Catalog, CommodityDraft, DepositDraft, ExploitationAreaDraft, InfrastructureDraft, OperatorDraft};
pub use enums::*;
pub use geometry::{ANY_GEOMETRY, GeometryType, parse_geometry, to_geojson};
pub use model::*;
pub use query::*;
pub use validate::slugify;
