-- Layers imported from GIS files, their features, and the upload history.
CREATE TABLE layer (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    search_text TEXT NOT NULL,
    description TEXT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    visible INTEGER NOT NULL,
    public INTEGER NOT NULL,
    style TEXT NOT NULL,
    source_format TEXT NOT NULL,
    source_crs TEXT NOT NULL,
    feature_count INTEGER NOT NULL,
    geometry_types TEXT NOT NULL,
    min_lon REAL,
    min_lat REAL,
    max_lon REAL,
    max_lat REAL,
    attribute_schema TEXT NOT NULL,
    raster TEXT,
    created_by INTEGER REFERENCES app_user (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX layer_name_key_idx ON layer (name_key, id);

CREATE TABLE layer_feature (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    layer_id INTEGER NOT NULL REFERENCES layer (id) ON DELETE CASCADE,
    source_id TEXT,
    properties TEXT NOT NULL,
    geom_wkb BLOB NOT NULL,
    min_lon REAL NOT NULL,
    min_lat REAL NOT NULL,
    max_lon REAL NOT NULL,
    max_lat REAL NOT NULL
);
CREATE INDEX layer_feature_layer_idx ON layer_feature (layer_id, id);

CREATE VIRTUAL TABLE layer_feature_rtree USING rtree (id, min_lon, max_lon, min_lat, max_lat);
CREATE TRIGGER layer_feature_rtree_insert AFTER INSERT ON layer_feature BEGIN
    INSERT INTO layer_feature_rtree VALUES (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat);
END;
CREATE TRIGGER layer_feature_rtree_update AFTER UPDATE OF min_lon, max_lon, min_lat, max_lat ON layer_feature BEGIN
    UPDATE layer_feature_rtree SET min_lon = NEW.min_lon, max_lon = NEW.max_lon,
        min_lat = NEW.min_lat, max_lat = NEW.max_lat WHERE id = NEW.id;
END;
CREATE TRIGGER layer_feature_rtree_delete AFTER DELETE ON layer_feature BEGIN
    DELETE FROM layer_feature_rtree WHERE id = OLD.id;
END;

CREATE TABLE layer_import (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    format TEXT,
    status TEXT NOT NULL,
    features_read INTEGER NOT NULL,
    features_written INTEGER NOT NULL,
    error TEXT,
    warnings TEXT NOT NULL,
    duration_ms INTEGER,
    uploaded_by INTEGER REFERENCES app_user (id) ON DELETE SET NULL,
    layer_id INTEGER REFERENCES layer (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX layer_import_created_idx ON layer_import (created_at, id);
