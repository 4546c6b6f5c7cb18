import { useEffect, useMemo, useState } from 'react';
import { useQuery } from 'urql';
import type { Map as MlMap } from 'maplibre-gl';
import { graphql } from '../gql';
import { addRasterLayer, addUserLayer, rasterLayerId, restyleUserLayer, setUserLayerVisible } from './setup';
import { parseLayerStyle, userLayerIds, userLayerSource, type LayerStyle } from './layerStyle';

export { userLayerIds, userLayerSource };

const MapLayersQuery = graphql(`
  query MapLayers {
    layers(first: 200, filter: { visible: true }) {
      nodes {
        id
        name
        style
        featureCount
        geometryTypes
        rasterInfo
      }
    }
  }
`);

export interface UserLayerEntry {
  id: string;
  name: string;
  style: LayerStyle;
  geometryTypes: string[];
  /** A GeoTIFF layer: drawn from its raster tiles, over its footprint. */
  raster: boolean;
}

/**
 * The visible uploaded layers: listed from GraphQL, each drawn from its
 * vector tiles (`/tiles/layer-<id>.json`, MVT layer `layer-<id>`) and styled
 * from its `style` (GeoTIFF layers also from their raster tiles,
 * `/tiles/raster/<id>.json`). Sources are added once the user shows the layer; a
 * style that changed is applied in place.
 */
export function useUserLayers(map: MlMap | null, ready: boolean) {
  const [{ data }] = useQuery({ query: MapLayersQuery, requestPolicy: 'cache-and-network' });
  const [shown, setShown] = useState<Record<string, boolean>>({});
  const layers: UserLayerEntry[] = useMemo(
    () => (data?.layers.nodes ?? []).map((l) => ({
        id: l.id,
        name: l.name,
        style: parseLayerStyle(l.style),
        geometryTypes: l.geometryTypes,
        raster: l.rasterInfo != null,
      })),
    [data],
  );

  // Visible layers are shown by default.
  useEffect(() => {
    if (!data) return;
    setShown((old) => {
      const next = { ...old };
      for (const l of data.layers.nodes) if (!(l.id in next)) next[l.id] = true;
      return next;
    });
  }, [data]);

  useEffect(() => {
    if (!map || !ready || !map.getStyle()) return;
    for (const l of layers) {
      const want = !!shown[l.id];
      if (l.raster && !map.getSource(rasterLayerId(l.id)) && want) addRasterLayer(map, l.id, l.style);
      if (map.getSource(userLayerSource(l.id))) {
        restyleUserLayer(map, l.id, l.style);
        setUserLayerVisible(map, l.id, want);
      } else if (want) {
        addUserLayer(map, l.id, l.style);
      }
    }
  }, [map, ready, layers, shown]);

  return { layers, shown, setShown };
}
