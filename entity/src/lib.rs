//! sea-orm entities: one module per table, no business logic.
//!
//! Geometry tables (`deposit`, `exploitation_area`, `infrastructure`,
//! `layer_feature`) store
//! their geometry as ISO WKB in `geom_wkb` together with its bounding box.
//! The backend-specific spatial columns and indexes (a PostGIS
//! `geometry(Geometry,4326)` column generated from `geom_wkb` with GIST
//! indexes; an SQLite R*Tree kept in step by triggers) are created by the
//! migrations and used only by `odg::storage`, so they are not listed here.

pub mod app_user;
pub mod audit_entry;
pub mod commodity;
pub mod deposit;
pub mod exploitation_area;
pub mod infrastructure;
pub mod layer;
pub mod layer_feature;
pub mod layer_import;
pub mod operator;
pub mod operator_commodity;
pub mod refresh_token;
