import { lazy, Suspense, useId, useState } from 'react';
import { useI18n } from '../i18n';
import type { SketchMode } from '../map/sketch';

// MapLibre loads only when the user opens the drawing map.
const DrawMap = lazy(() => import('./DrawMap'));

/**
 * A geometry input: GeoJSON pasted in the text area, or drawn on a map
 * (point, line or polygon, as the record type allows).
 */
export function GeometryField({
  name,
  label,
  value,
  onChange,
  error,
  modes,
  required,
}: {
  name: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  modes: SketchMode[];
  required?: boolean;
}) {
  const { t } = useI18n();
  const id = useId();
  const [drawing, setDrawing] = useState(false);
  return (
    <div className={`field field--wide${error ? ' field--error' : ''}`}>
      <label htmlFor={id}>
        {label}
        {required ? <span aria-hidden="true"> *</span> : null}
      </label>
      <textarea
        id={id}
        name={name}
        rows={4}
        value={value}
        spellCheck={false}
        className="mono"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      {error ? (
        <div className="field__error" id={`${id}-error`} role="alert">
          {error}
        </div>
      ) : null}
      <div className="geometry-tools">
        <button type="button" className="btn btn--small" aria-expanded={drawing} onClick={() => setDrawing(!drawing)}>
          {drawing ? t('common.close') : t('geometry.draw')}
        </button>
      </div>
      {drawing ? (
        <Suspense fallback={<p className="muted">{t('common.loading')}</p>}>
          <DrawMap value={value} onChange={onChange} modes={modes} />
        </Suspense>
      ) : null}
    </div>
  );
}
