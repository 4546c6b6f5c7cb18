//! ODG: a GraphQL geospatial server for mining administrations.
//!
//! Calls flow one way: `cli` → `app`/`http` → `graphql` (using `auth`) →
//! `domain` → (`storage` | `spatial`); `storage` → `entity`. See `docs/architecture.md`.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod cpu;
pub mod demo;
pub mod domain;
pub mod error;
pub mod export;
pub mod graphql;
pub mod http;
pub mod import;
pub mod metrics;
pub mod ogc;
pub mod peers;
pub mod spatial;
pub mod storage;
pub mod telemetry;
pub mod tiles;
pub mod web;
