-- SQLite: geometry as ISO WKB plus its bounding box; an R*Tree per spatial
-- table holds the boxes and is kept in step by triggers, so every writer
-- (the server, the CLI, a restore) keeps the index right.

CREATE TABLE commodity (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name_fr TEXT NOT NULL,
    name_en TEXT NOT NULL,
    color TEXT NOT NULL,
    default_unit TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE operator (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    search_text TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL,
    status TEXT NOT NULL,
    description TEXT,
    website_url TEXT,
    logo_url TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX operator_name_key_idx ON operator (name_key, id);

CREATE TABLE operator_commodity (
    operator_id INTEGER NOT NULL REFERENCES operator (id) ON DELETE CASCADE,
    commodity_id INTEGER NOT NULL REFERENCES commodity (id) ON DELETE RESTRICT,
    PRIMARY KEY (operator_id, commodity_id)
);
CREATE INDEX operator_commodity_commodity_idx ON operator_commodity (commodity_id);

CREATE TABLE deposit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    search_text TEXT NOT NULL,
    commodity_id INTEGER NOT NULL REFERENCES commodity (id) ON DELETE RESTRICT,
    operator_id INTEGER REFERENCES operator (id) ON DELETE RESTRICT,
    status TEXT NOT NULL,
    geom_wkb BLOB NOT NULL,
    min_lon REAL NOT NULL,
    min_lat REAL NOT NULL,
    max_lon REAL NOT NULL,
    max_lat REAL NOT NULL,
    estimated_quantity REAL,
    quantity_unit TEXT,
    grade REAL,
    grade_unit TEXT,
    discovery_date TEXT,
    province TEXT,
    description TEXT,
    properties TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX deposit_name_key_idx ON deposit (name_key, id);
CREATE INDEX deposit_commodity_idx ON deposit (commodity_id);
CREATE INDEX deposit_operator_idx ON deposit (operator_id);
CREATE INDEX deposit_status_idx ON deposit (status);

CREATE TABLE exploitation_area (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    search_text TEXT NOT NULL,
    operator_id INTEGER REFERENCES operator (id) ON DELETE RESTRICT,
    permit_number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    geom_wkb BLOB NOT NULL,
    min_lon REAL NOT NULL,
    min_lat REAL NOT NULL,
    max_lon REAL NOT NULL,
    max_lat REAL NOT NULL,
    area_km2 REAL NOT NULL,
    valid_from TEXT,
    valid_to TEXT,
    extracted_volume REAL,
    extracted_volume_unit TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX exploitation_area_name_key_idx ON exploitation_area (name_key, id);
CREATE INDEX exploitation_area_operator_idx ON exploitation_area (operator_id);
CREATE INDEX exploitation_area_status_idx ON exploitation_area (status);

CREATE TABLE infrastructure (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    search_text TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    geom_wkb BLOB NOT NULL,
    min_lon REAL NOT NULL,
    min_lat REAL NOT NULL,
    max_lon REAL NOT NULL,
    max_lat REAL NOT NULL,
    length_km REAL NOT NULL,
    capacity REAL,
    capacity_unit TEXT,
    description TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX infrastructure_name_key_idx ON infrastructure (name_key, id);
CREATE INDEX infrastructure_kind_idx ON infrastructure (kind);

CREATE VIRTUAL TABLE deposit_rtree USING rtree (id, min_lon, max_lon, min_lat, max_lat);
CREATE TRIGGER deposit_rtree_insert AFTER INSERT ON deposit BEGIN
    INSERT INTO deposit_rtree VALUES (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat);
END;
CREATE TRIGGER deposit_rtree_update AFTER UPDATE OF min_lon, max_lon, min_lat, max_lat ON deposit BEGIN
    UPDATE deposit_rtree SET min_lon = NEW.min_lon, max_lon = NEW.max_lon,
        min_lat = NEW.min_lat, max_lat = NEW.max_lat WHERE id = NEW.id;
END;
CREATE TRIGGER deposit_rtree_delete AFTER DELETE ON deposit BEGIN
    DELETE FROM deposit_rtree WHERE id = OLD.id;
END;

CREATE VIRTUAL TABLE exploitation_area_rtree USING rtree (id, min_lon, max_lon, min_lat, max_lat);
CREATE TRIGGER exploitation_area_rtree_insert AFTER INSERT ON exploitation_area BEGIN
    INSERT INTO exploitation_area_rtree VALUES (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat);
END;
CREATE TRIGGER exploitation_area_rtree_update AFTER UPDATE OF min_lon, max_lon, min_lat, max_lat ON exploitation_area BEGIN
    UPDATE exploitation_area_rtree SET min_lon = NEW.min_lon, max_lon = NEW.max_lon,
        min_lat = NEW.min_lat, max_lat = NEW.max_lat WHERE id = NEW.id;
END;
CREATE TRIGGER exploitation_area_rtree_delete AFTER DELETE ON exploitation_area BEGIN
    DELETE FROM exploitation_area_rtree WHERE id = OLD.id;
END;

CREATE VIRTUAL TABLE infrastructure_rtree USING rtree (id, min_lon, max_lon, min_lat, max_lat);
CREATE TRIGGER infrastructure_rtree_insert AFTER INSERT ON infrastructure BEGIN
    INSERT INTO infrastructure_rtree VALUES (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat);
END;
CREATE TRIGGER infrastructure_rtree_update AFTER UPDATE OF min_lon, max_lon, min_lat, max_lat ON infrastructure BEGIN
    UPDATE infrastructure_rtree SET min_lon = NEW.min_lon, max_lon = NEW.max_lon,
        min_lat = NEW.min_lat, max_lat = NEW.max_lat WHERE id = NEW.id;
END;
CREATE TRIGGER infrastructure_rtree_delete AFTER DELETE ON infrastructure BEGIN
    DELETE FROM infrastructure_rtree WHERE id = OLD.id;
END;
