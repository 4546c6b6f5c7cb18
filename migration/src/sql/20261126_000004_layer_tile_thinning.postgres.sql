-- Low-zoom thinning of dense layers (see src/spatial/thinning.rs).
-- layer.tile_full_zoom: the zoom from which a tile shows every feature of the
-- layer (0: never thinned); NULL until computed (layers imported before this
-- migration get it when ODG starts).
-- layer_feature.min_zoom: the smallest zoom whose tiles show the feature;
-- NULL on layers that are not thinned, so only dense layers pay for the index.
ALTER TABLE layer ADD COLUMN tile_full_zoom SMALLINT;
ALTER TABLE layer_feature ADD COLUMN min_zoom SMALLINT;
-- A low-zoom tile asks for "features meeting this box with min_zoom <= z":
-- one n-D GiST box over (lon, lat, min_zoom) answers it without reading the
-- features the tile leaves out. Queries repeat this exact expression.
CREATE INDEX layer_feature_zoom_idx ON layer_feature USING GIST (
    (ST_MakeLine(ST_MakePoint(min_lon, min_lat, min_zoom::float8), ST_MakePoint(max_lon, max_lat, min_zoom::float8)))
    gist_geometry_ops_nd
) WHERE min_zoom IS NOT NULL;
