import { useEffect, useMemo, useState } from 'react';
import { useClient, useQuery } from 'urql';
import type { Map as MlMap } from 'maplibre-gl';
import { graphql } from '../gql';
import { addGeoJsonLayer, geoJsonLayerIds, type LayerStyle } from './setup';

const MapLayersQuery = graphql(`
  query MapLayers {
    layers(first: 200, filter: { visible: true }) {
      nodes {
        id
        name
        style
        featureCount
        geometryTypes
      }
    }
  }
`);

const MapLayerDataQuery = graphql(`
  query MapLayerData($id: ID!) {
    layer(id: $id) {
      id
      features(first: 0) {
        featureCollection
      }
    }
  }
`);

export interface UserLayerEntry {
  id: string;
  name: string;
  style: LayerStyle;
}

/** The map source id of an uploaded layer. */
export const userLayerSource = (id: string) => `layer-${id}`;

/**
 * The visible uploaded layers: listed from GraphQL, each drawn from its
 * features (GraphQL `featureCollection`) once the user shows it.
 */
export function useUserLayers(map: MlMap | null, ready: boolean) {
  const client = useClient();
  const [{ data }] = useQuery({ query: MapLayersQuery, requestPolicy: 'cache-and-network' });
  const [shown, setShown] = useState<Record<string, boolean>>({});
  const [loaded, setLoaded] = useState<Record<string, boolean>>({});
  const layers: UserLayerEntry[] = useMemo(() => (data?.layers.nodes ?? []).map((l) => ({ id: l.id, name: l.name, style: (l.style ?? {}) as LayerStyle })), [data]);

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
    if (!map || !ready) return;
    for (const l of layers) {
      const source = userLayerSource(l.id);
      const want = !!shown[l.id];
      if (map.getSource(source)) {
        for (const id of geoJsonLayerIds(source)) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', want ? 'visible' : 'none');
        continue;
      }
      if (!want || loaded[l.id]) continue;
      setLoaded((old) => ({ ...old, [l.id]: true }));
      void client
        .query(MapLayerDataQuery, { id: l.id }, { requestPolicy: 'network-only' })
        .toPromise()
        .then((r) => {
          const fc = r.data?.layer?.features.featureCollection as GeoJSON.FeatureCollection | undefined;
          if (!fc || !map.getStyle() || map.getSource(source)) return;
          addGeoJsonLayer(map, source, fc, l.style);
        });
    }
  }, [map, ready, layers, shown, loaded, client]);

  return { layers, shown, setShown };
}
