import { render, screen, fireEvent, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { Provider, type Client } from 'urql';
import { fromValue, never } from 'wonka';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import { I18nProvider } from '../i18n';
import { AuthProvider } from '../auth/AuthProvider';
import { resetSessionForTests, sessionFromPayload, setSession } from '../auth/session';
import { LayerDetailPage } from './LayerDetailPage';

const layer = {
  __typename: 'Layer',
  id: '5',
  name: 'Image',
  description: null,
  kind: 'CUSTOM',
  status: 'ACTIVE',
  visible: true,
  public: false,
  style: { color: '#7c3aed' },
  sourceFormat: 'GEOTIFF',
  sourceCrs: 'EPSG:32632',
  featureCount: 1,
  geometryTypes: ['Polygon'],
  bbox: [9, 0, 10, 1],
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  attributes: [
    { __typename: 'LayerAttribute', name: 'width', type: 'INTEGER' },
    { __typename: 'LayerAttribute', name: 'crs', type: 'STRING' },
  ],
  geojson: '/layers/5/export?format=geojson',
  csv: '/layers/5/export?format=csv',
  kml: '/layers/5/export?format=kml',
  shapefile: '/layers/5/export?format=shapefile',
  gpkg: '/layers/5/export?format=gpkg',
  rasterInfo: { width: 512, height: 256, bands: 3, data_type: 'Byte', nodata: 0, crs: 'EPSG:32632', pixel_size_x: 30, pixel_size_y: -30 },
};

const features = {
  __typename: 'LayerFeatureConnection',
  totalCount: 1,
  pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null },
  nodes: [{ __typename: 'LayerFeature', id: '77', properties: { width: 512, crs: 'EPSG:32632' }, geometry: { type: 'Point', coordinates: [9.5, 0.5] } }],
};

const statistics = {
  __typename: 'LayerStatistics',
  count: 1,
  bbox: [9, 0, 10, 1],
  totalAreaKm2: 12.5,
  totalLengthKm: 0,
  distinctValues: [{ __typename: 'AttributeValueCount', value: 512, count: 1 }],
};

const opName = (q: DocumentNode) => (q.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode).name?.value;

function client(executeMutation = vi.fn(() => never)): Client {
  return {
    executeQuery: vi.fn((op: { query: DocumentNode }) => {
      const name = opName(op.query);
      if (name === 'LayerDetail') return fromValue({ data: { layer } });
      if (name === 'LayerFeatures') return fromValue({ data: { layer: { __typename: 'Layer', id: '5', features } } });
      if (name === 'LayerStatistics') return fromValue({ data: { layer: { __typename: 'Layer', id: '5', statistics } } });
      return never;
    }),
    executeMutation,
    executeSubscription: vi.fn(() => never),
  } as unknown as Client;
}

function renderAs(role: 'EDITOR' | 'PARTNER', c = client()) {
  setSession(sessionFromPayload({ accessToken: 'A', refreshToken: 'R', expiresIn: 900, user: { id: '1', username: 'u', displayName: 'U', email: 'u@x', role, operator: null } }));
  return render(
    <I18nProvider locale="fr">
      <Provider value={c}>
        <AuthProvider>
          <MemoryRouter initialEntries={['/couches/5']}>
            <Routes>
              <Route path="/couches/:id" element={<LayerDetailPage />} />
            </Routes>
          </MemoryRouter>
        </AuthProvider>
      </Provider>
    </I18nProvider>,
  );
}

describe('layer detail', () => {
  beforeEach(() => resetSessionForTests());

  it('shows the raster description, the GeoPackage export and the statistics', () => {
    renderAs('PARTNER');
    const raster = screen.getByTestId('raster-info');
    expect(raster.textContent).toContain('512 × 256 pixels');
    expect(raster.textContent).toContain('Byte');
    expect(raster.textContent).toContain('EPSG:32632');
    const gpkg = screen.getByRole('button', { name: 'GeoPackage (.gpkg)' });
    expect(gpkg.getAttribute('data-href')).toBe('/layers/5/export?format=gpkg');
    expect(screen.getByTestId('layer-statistics').textContent).toContain('12,5 km²');
    expect(screen.getByTestId('distinct-values').textContent).toContain('512');
    // A partner may not edit features.
    expect(screen.queryByTestId('edit-feature')).toBeNull();
    expect(screen.queryByTestId('delete-feature')).toBeNull();
  });

  it('lets an editor edit a feature field by field and shows the server error', async () => {
    const mutation = vi.fn(() =>
      fromValue({
        data: null,
        error: { graphQLErrors: [{ message: 'properties: not allowed', extensions: { code: 'BAD_USER_INPUT' } }], networkError: undefined, message: 'x' },
      }),
    );
    renderAs('EDITOR', client(mutation as never));
    fireEvent.click(screen.getByTestId('edit-feature'));
    const width = screen.getByLabelText('width');
    fireEvent.change(width, { target: { value: '1024' } });
    fireEvent.click(within(screen.getByTestId('feature-editor')).getByRole('button', { name: 'Enregistrer' }));
    await waitFor(() => expect(mutation).toHaveBeenCalled());
    const calls = mutation.mock.calls as unknown as [{ variables: unknown }][];
    expect(calls[0][0].variables).toEqual({ id: '77', input: { properties: { width: 1024, crs: 'EPSG:32632' } } });
    await screen.findByText('properties: not allowed');
  });

  it('refuses a JSON that is not an object before sending it', () => {
    const mutation = vi.fn(() => never);
    renderAs('EDITOR', client(mutation as never));
    fireEvent.click(screen.getByTestId('edit-feature'));
    fireEvent.click(screen.getByRole('button', { name: 'JSON' }));
    fireEvent.change(screen.getByLabelText(/Propriétés/), { target: { value: '[1]' } });
    fireEvent.click(within(screen.getByTestId('feature-editor')).getByRole('button', { name: 'Enregistrer' }));
    expect(screen.getByText(/doivent être un objet JSON/)).toBeTruthy();
    expect(mutation).not.toHaveBeenCalled();
  });
});
