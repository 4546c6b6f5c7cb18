-- Low-zoom thinning of dense layers (see src/spatial/thinning.rs).
-- layer.tile_full_zoom: the zoom from which a tile shows every feature of the
-- layer (0: never thinned); NULL until computed (layers imported before this
-- migration get it when ODG starts).
-- layer_feature.min_zoom: the smallest zoom whose tiles show the feature;
-- NULL on layers that are not thinned, so only dense layers pay for the index.
ALTER TABLE layer ADD COLUMN tile_full_zoom INTEGER;
ALTER TABLE layer_feature ADD COLUMN min_zoom INTEGER;
-- A low-zoom tile asks for "features meeting this box with min_zoom <= z":
-- a three-dimensional R*Tree (lon, lat, zoom) answers it without reading the
-- features the tile leaves out.
CREATE VIRTUAL TABLE layer_feature_zoom_rtree USING rtree (id, min_lon, max_lon, min_lat, max_lat, min_zoom, max_zoom);
CREATE TRIGGER layer_feature_zoom_insert AFTER INSERT ON layer_feature WHEN NEW.min_zoom IS NOT NULL BEGIN
    INSERT INTO layer_feature_zoom_rtree
        VALUES (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat, NEW.min_zoom, NEW.min_zoom);
END;
CREATE TRIGGER layer_feature_zoom_update AFTER UPDATE OF min_lon, max_lon, min_lat, max_lat, min_zoom ON layer_feature BEGIN
    DELETE FROM layer_feature_zoom_rtree WHERE id = OLD.id;
    INSERT INTO layer_feature_zoom_rtree
        SELECT NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat, NEW.min_zoom, NEW.min_zoom
        WHERE NEW.min_zoom IS NOT NULL;
END;
CREATE TRIGGER layer_feature_zoom_delete AFTER DELETE ON layer_feature WHEN OLD.min_zoom IS NOT NULL BEGIN
    DELETE FROM layer_feature_zoom_rtree WHERE id = OLD.id;
END;
