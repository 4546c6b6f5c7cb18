-- Low-zoom thinning of dense layers (see src/spatial/thinning.rs).
-- layer.tile_full_zoom: the zoom from which a tile shows every feature of the
-- layer (0: never thinned); NULL until computed (layers imported before this
-- migration get it when ODG starts).
-- layer_feature.min_zoom: the smallest zoom whose tiles show the feature;
-- NULL on layers that are not thinned.
ALTER TABLE layer ADD COLUMN tile_full_zoom INTEGER;
ALTER TABLE layer_feature ADD COLUMN min_zoom INTEGER;
-- A low-zoom tile asks for "features meeting this box with min_zoom <= z".
-- The features' R*Tree gets the zoom as a third dimension (0 where min_zoom
-- is NULL: shown from zoom 0), so one index answers both that and the plain
-- box queries, which leave the third dimension unconstrained; one tree to
-- keep, not two, keeps imports fast.
DROP TRIGGER layer_feature_rtree_insert;
DROP TRIGGER layer_feature_rtree_update;
DROP TRIGGER layer_feature_rtree_delete;
DROP TABLE layer_feature_rtree;
CREATE VIRTUAL TABLE layer_feature_rtree USING rtree (id, min_lon, max_lon, min_lat, max_lat, min_zoom, max_zoom);
INSERT INTO layer_feature_rtree SELECT id, min_lon, max_lon, min_lat, max_lat, 0, 0 FROM layer_feature;
CREATE TRIGGER layer_feature_rtree_insert AFTER INSERT ON layer_feature BEGIN
    INSERT INTO layer_feature_rtree VALUES (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat,
        coalesce(NEW.min_zoom, 0), coalesce(NEW.min_zoom, 0));
END;
CREATE TRIGGER layer_feature_rtree_update AFTER UPDATE OF min_lon, max_lon, min_lat, max_lat, min_zoom ON layer_feature BEGIN
    UPDATE layer_feature_rtree SET min_lon = NEW.min_lon, max_lon = NEW.max_lon,
        min_lat = NEW.min_lat, max_lat = NEW.max_lat,
        min_zoom = coalesce(NEW.min_zoom, 0), max_zoom = coalesce(NEW.min_zoom, 0) WHERE id = NEW.id;
END;
CREATE TRIGGER layer_feature_rtree_delete AFTER DELETE ON layer_feature BEGIN
    DELETE FROM layer_feature_rtree WHERE id = OLD.id;
END;
