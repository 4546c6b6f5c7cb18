//! Vector tiles of the domain sources built by PostGIS (`ST_AsMVT`): the
//! same layers, properties and ids as the Rust encoder uses on SQLite.

use super::Store;
use super::error::StorageResult;
use sea_orm::{ConnectionTrait, Statement, Value};

/// The rows of one MVT layer, as `(layer name, SELECT … FROM … JOIN …, table alias)`.
fn layer_query(layer: &str) -> Option<(&'static str, &'static str)> {
    Some(match layer {
        "deposits" => (
            "t.id AS odg_fid, t.id, t.name, t.status, c.code AS \"commodityCode\", c.color, o.name AS \"operatorName\"",
            "deposit t JOIN commodity c ON c.id = t.commodity_id LEFT JOIN operator o ON o.id = t.operator_id",
        ),
        "exploitation-areas" => (
            "t.id AS odg_fid, t.id, t.name, t.status, t.permit_number AS \"permitNumber\", \
             o.name AS \"operatorName\", t.area_km2 AS \"areaKm2\"",
            "exploitation_area t LEFT JOIN operator o ON o.id = t.operator_id",
        ),
        "infrastructure" => {
            ("t.id AS odg_fid, t.id, t.name, t.kind, t.status, t.length_km AS \"lengthKm\"", "infrastructure t")
        }
        _ => return None,
    })
}

impl Store {
    /// The tile of `layers` (in this order, one MVT layer each), or `None`
    /// when no feature reaches it. PostGIS only.
    pub async fn postgis_domain_tile(
        &self,
        layers: &[&str],
        (z, x, y): (u8, u32, u32),
    ) -> StorageResult<Option<Vec<u8>>> {
        let mut parts = Vec::new();
        for (i, layer) in layers.iter().enumerate() {
            let Some((columns, from)) = layer_query(layer) else { continue };
            // Each sub-select names its MVT layer with its own parameter.
            let name = format!("${}", 5 + i);
            parts.push(format!(
                "(SELECT coalesce(ST_AsMVT(q, {name}, 4096, 'geom', 'odg_fid'), ''::bytea) FROM (\
                   SELECT {columns}, ST_AsMVTGeom(ST_Transform(t.geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, $4, true) AS geom \
                   FROM {from} \
                   WHERE t.geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => $4::float8 / 4096), 4326) \
                   ORDER BY t.created_at, t.id\
                 ) q WHERE geom IS NOT NULL)"
            ));
        }
        if parts.is_empty() {
            return Ok(None);
        }
        let sql = format!("SELECT {} AS tile", parts.join(" || "));
        let mut values =
            vec![Value::from(i32::from(z)), Value::from(x as i32), Value::from(y as i32), Value::from(64i32)];
        values.extend(layers.iter().map(|l| Value::from(l.to_string())));
        let row =
            self.db.query_one_raw(Statement::from_sql_and_values(self.db.get_database_backend(), sql, values)).await?;
        let tile: Option<Vec<u8>> = row.map(|r| r.try_get("", "tile")).transpose()?.flatten();
        Ok(tile.filter(|t| !t.is_empty()))
    }
}
