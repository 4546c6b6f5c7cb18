//! Integration tests: each starts the real server on a random loopback
//! port with its own throwaway database and talks HTTP/GraphQL to it.

mod helpers;

mod bounds;
mod conformance;
mod deploy;
mod disk_full;
mod errors;
mod http;
mod import_scale;
mod layer_formats;
mod layers;
mod load;
mod mutations;
mod ogc;
mod queries;
mod raster_tiles;
mod resilience;
mod security;
mod shutdown;
mod storage;
mod thinning;
mod tiles;
