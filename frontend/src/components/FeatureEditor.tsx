import { useState } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/fr';
import { apiErrors, type ApiError } from '../graphql/errors';
import { parseProperties, propertiesFromFields, toFieldText, type AttributeDef, type FieldProblem } from '../lib/featureProps';
import { SelectField, TextField } from './Field';
import { ErrorList } from './Notice';

const UpdateLayerFeature = graphql(`
  mutation UpdateLayerFeature($id: ID!, $input: LayerFeaturePatch!) {
    updateLayerFeature(id: $id, input: $input) {
      id
      layerId
      properties
      geometry
    }
  }
`);

const PROBLEM: Record<FieldProblem, MessageKey> = {
  number: 'layers.expectNumber',
  integer: 'layers.expectInteger',
  boolean: 'layers.expectBoolean',
};

/**
 * Edits the properties of one feature of a layer, field by field (typed by
 * the layer's attributes) or as JSON; `updateLayerFeature` replaces them all.
 */
export function FeatureEditor({
  feature,
  attributes,
  onDone,
}: {
  feature: { id: string; properties: Record<string, unknown> };
  attributes: AttributeDef[];
  onDone: (saved: boolean) => void;
}) {
  const { t } = useI18n();
  const [, update] = useMutation(UpdateLayerFeature);
  const [mode, setMode] = useState<'fields' | 'json'>('fields');
  const [texts, setTexts] = useState<Record<string, string>>(() => Object.fromEntries(attributes.map((a) => [a.name, toFieldText(feature.properties[a.name])])));
  const [json, setJson] = useState(() => JSON.stringify(feature.properties, null, 2));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<ApiError[]>([]);
  const [busy, setBusy] = useState(false);

  const current = (): Record<string, unknown> | null => {
    if (mode === 'json') {
      const r = parseProperties(json);
      if ('error' in r) {
        setProblems({ json: r.error === 'object' ? t('layers.notAnObject') : t('layers.invalidJson', { message: r.error }) });
        return null;
      }
      return r.properties;
    }
    const r = propertiesFromFields(feature.properties, attributes, texts);
    if ('problems' in r) {
      setProblems(Object.fromEntries(Object.entries(r.problems).map(([k, p]) => [k, t(PROBLEM[p])])));
      return null;
    }
    return r.properties;
  };

  const switchMode = (next: 'fields' | 'json') => {
    if (next === mode) return;
    const props = current();
    if (!props) return;
    setProblems({});
    if (next === 'json') setJson(JSON.stringify(props, null, 2));
    else setTexts(Object.fromEntries(attributes.map((a) => [a.name, toFieldText(props[a.name])])));
    setMode(next);
  };

  const save = async () => {
    setErrors([]);
    const props = current();
    if (!props) return;
    setProblems({});
    setBusy(true);
    const r = await update({ id: feature.id, input: { properties: props } }, { additionalTypenames: ['LayerFeature', 'Layer'] });
    setBusy(false);
    if (r.data?.updateLayerFeature) onDone(true);
    else setErrors(apiErrors(r.error));
  };

  return (
    <form
      className="entity-form feature-editor"
      data-testid="feature-editor"
      aria-label={t('layers.editFeature', { id: feature.id })}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h3>{t('layers.editFeature', { id: feature.id })}</h3>
      <div className="toolbar" role="group" aria-label={t('layers.editMode')}>
        <button type="button" className={`btn btn--small${mode === 'fields' ? ' btn--active' : ''}`} aria-pressed={mode === 'fields'} onClick={() => switchMode('fields')}>
          {t('layers.editByField')}
        </button>
        <button type="button" className={`btn btn--small${mode === 'json' ? ' btn--active' : ''}`} aria-pressed={mode === 'json'} onClick={() => switchMode('json')}>
          JSON
        </button>
      </div>
      {mode === 'json' ? (
        <TextField name="properties" label={t('layers.propertiesJson')} multiline rows={10} value={json} onChange={setJson} error={problems.json} />
      ) : (
        <div className="form-grid">
          {attributes.map((a) =>
            a.type === 'BOOLEAN' ? (
              <SelectField
                key={a.name}
                name={a.name}
                label={a.name}
                value={texts[a.name] ?? ''}
                onChange={(v) => setTexts({ ...texts, [a.name]: v })}
                emptyLabel="—"
                options={[
                  { value: 'true', label: t('common.yes') },
                  { value: 'false', label: t('common.no') },
                ]}
                error={problems[a.name]}
              />
            ) : (
              <TextField
                key={a.name}
                name={a.name}
                label={a.name}
                type={a.type === 'INTEGER' || a.type === 'FLOAT' ? 'number' : 'text'}
                value={texts[a.name] ?? ''}
                onChange={(v) => setTexts({ ...texts, [a.name]: v })}
                error={problems[a.name]}
              />
            ),
          )}
        </div>
      )}
      <ErrorList errors={errors} />
      <div className="form-actions toolbar">
        <button type="submit" className="btn btn--primary" disabled={busy}>
          {t('common.save')}
        </button>
        <button type="button" className="btn" onClick={() => onDone(false)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
