//! GeoJSON Features of the domain records, the same for every API that
//! exports them (GraphQL `featureCollection`, OGC API – Features).

use super::geometry::to_geojson;
use super::{Catalog, Commodity, Deposit, ExploitationArea, Infrastructure, Operator};
use crate::error::AppResult;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The related records features name (commodity codes, operator names).
#[derive(Default)]
pub struct Relations {
    pub commodities: HashMap<i64, Commodity>,
    pub operators: HashMap<i64, Operator>,
}

impl Relations {
    fn commodity_code(&self, id: i64) -> Option<&str> {
        self.commodities.get(&id).map(|c| c.fields.code.as_str())
    }
    fn operator_name(&self, id: Option<i64>) -> Option<&str> {
        id.and_then(|id| self.operators.get(&id)).map(|o| o.fields.name.as_str())
    }
}

fn feature(id: i64, geometry: Value, properties: Value) -> Value {
    json!({ "type": "Feature", "id": id, "geometry": geometry, "properties": properties })
}

pub fn deposit_feature(d: &Deposit, relations: &Relations) -> Value {
    let f = &d.fields;
    let properties = json!({
        "name": f.name,
        "status": f.status.as_str(),
        "commodityCode": relations.commodity_code(f.commodity_id),
        "operatorId": f.operator_id,
        "operatorName": relations.operator_name(f.operator_id),
        "estimatedQuantity": f.estimated_quantity,
        "quantityUnit": f.quantity_unit,
        "grade": f.grade,
        "gradeUnit": f.grade_unit,
        "discoveryDate": f.discovery_date,
        "province": f.province,
    });
    feature(d.id, to_geojson(&f.geometry), properties)
}

pub fn exploitation_area_feature(a: &ExploitationArea, relations: &Relations) -> Value {
    let f = &a.fields;
    let properties = json!({
        "name": f.name,
        "permitNumber": f.permit_number,
        "status": f.status.as_str(),
        "operatorId": f.operator_id,
        "operatorName": relations.operator_name(f.operator_id),
        "areaKm2": f.area_km2,
        "validFrom": f.valid_from,
        "validTo": f.valid_to,
        "extractedVolume": f.extracted_volume,
        "extractedVolumeUnit": f.extracted_volume_unit,
    });
    feature(a.id, to_geojson(&f.geometry), properties)
}

pub fn infrastructure_feature(i: &Infrastructure) -> Value {
    let f = &i.fields;
    let properties = json!({
        "name": f.name,
        "kind": f.kind.as_str(),
        "status": f.status.as_str(),
        "lengthKm": f.length_km,
        "capacity": f.capacity,
        "capacityUnit": f.capacity_unit,
    });
    feature(i.id, to_geojson(&f.geometry), properties)
}

pub fn feature_collection(features: Vec<Value>) -> Value {
    json!({ "type": "FeatureCollection", "features": features })
}

impl Catalog {
    /// The commodities and operators the deposits name, in two statements.
    pub async fn deposit_relations(&self, deposits: &[Deposit]) -> AppResult<Relations> {
        let commodity_ids: Vec<i64> = deposits.iter().map(|d| d.fields.commodity_id).collect();
        let operator_ids: Vec<i64> = deposits.iter().filter_map(|d| d.fields.operator_id).collect();
        Ok(Relations {
            commodities: self.commodities_by_ids(&commodity_ids).await?,
            operators: self.operators_by_ids(&operator_ids).await?,
        })
    }

    /// The operators the areas name, in one statement (two with their commodities).
    pub async fn exploitation_area_relations(&self, areas: &[ExploitationArea]) -> AppResult<Relations> {
        let operator_ids: Vec<i64> = areas.iter().filter_map(|a| a.fields.operator_id).collect();
        Ok(Relations { commodities: HashMap::new(), operators: self.operators_by_ids(&operator_ids).await? })
    }
}
