import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { I18nProvider } from '../i18n';
import { EntityForm, type FormField } from './EntityForm';

const fields: FormField[] = [
  { name: 'name', label: 'field.name', kind: 'text', required: true },
  { name: 'geometry', label: 'field.geometry', kind: 'geometry', required: true, modes: ['point'] },
];

function renderForm(onSubmit: (input: Record<string, unknown>) => Promise<null | { message: string; code?: string; field?: string }[]>) {
  return render(
    <I18nProvider locale="fr">
      <EntityForm fields={fields} blank={{ name: '', geometry: '' }} initial={{ name: 'Bélinga', geometry: '{"type":"Point","coordinates":[13.2,0.9]}' }} onSubmit={onSubmit} />
    </I18nProvider>,
  );
}

describe('entity form', () => {
  it('sends only the changed fields', async () => {
    const onSubmit = vi.fn(async () => null);
    renderForm(onSubmit);
    fireEvent.change(screen.getByLabelText(/Nom/), { target: { value: 'Bélinga Nord' } });
    fireEvent.click(screen.getByRole('button', { name: 'Enregistrer' }));
    await screen.findByText('Enregistré.');
    expect(onSubmit).toHaveBeenCalledWith({ name: 'Bélinga Nord' });
  });

  it('shows the server error on the field it names', async () => {
    renderForm(async () => [{ message: 'input.geometry.coordinates[0]: the ring is not closed', code: 'BAD_USER_INPUT', field: 'input.geometry.coordinates[0]' }]);
    fireEvent.change(screen.getByLabelText(/Géométrie/), { target: { value: '{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}' } });
    fireEvent.click(screen.getByRole('button', { name: 'Enregistrer' }));
    const geometry = screen.getByLabelText(/Géométrie/);
    await waitFor(() => expect(geometry.getAttribute('aria-invalid')).toBe('true'));
    const error = document.getElementById(geometry.getAttribute('aria-describedby') ?? '');
    expect(error?.textContent).toMatch(/ring is not closed/);
  });

  it('refuses unparsable GeoJSON without calling the server', async () => {
    const onSubmit = vi.fn(async () => null);
    renderForm(onSubmit);
    fireEvent.change(screen.getByLabelText(/Géométrie/), { target: { value: '{"type": "Point",' } });
    fireEvent.click(screen.getByRole('button', { name: 'Enregistrer' }));
    await screen.findByText("Ce n'est pas du JSON valide.");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('shows a refusal that names no field above the buttons', async () => {
    renderForm(async () => [{ message: 'a partner account is read-only', code: 'FORBIDDEN' }]);
    fireEvent.change(screen.getByLabelText(/Nom/), { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Enregistrer' }));
    await screen.findByText('Votre rôle ne permet pas cette action.');
  });
});
