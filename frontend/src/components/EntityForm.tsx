import { useState, type FormEvent, type ReactNode } from 'react';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/fr';
import { toCreateInput, toPatchInput, type FieldSpec, type FormValues } from '../lib/form';
import { toFormErrors, type ApiError } from '../graphql/errors';
import { MultiSelectField, SelectField, TextField, type Option } from './Field';
import { GeometryField } from './GeometryField';
import { ErrorList, Success } from './Notice';
import type { SketchMode } from '../map/sketch';

export interface FormField extends FieldSpec {
  label: MessageKey;
  options?: Option[];
  /** For selects: label of the empty choice; absent makes a choice mandatory. */
  emptyLabel?: string;
  modes?: SketchMode[];
  hint?: string;
  /** Shown but not editable (e.g. the company of an operator account). */
  locked?: boolean;
}

/**
 * One form for creating (`initial` absent) or editing a record. Client-side
 * problems (unparsable GeoJSON) and the server's BAD_USER_INPUT errors are
 * shown on the field they concern; other errors above the buttons.
 */
export function EntityForm({
  fields,
  initial,
  blank,
  onSubmit,
  submitLabel,
  extraActions,
}: {
  fields: FormField[];
  initial?: FormValues;
  blank: FormValues;
  onSubmit: (input: Record<string, unknown>) => Promise<ApiError[] | null>;
  submitLabel?: string;
  extraActions?: ReactNode;
}) {
  const { t } = useI18n();
  const [values, setValues] = useState<FormValues>(initial ?? blank);
  const [baseline, setBaseline] = useState<FormValues>(initial ?? blank);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<ApiError[]>([]);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const set = (name: string, v: string | string[]) => {
    setValues((old) => ({ ...old, [name]: v }));
    setSaved(false);
    if (fieldErrors[name]) setFieldErrors((old) => ({ ...old, [name]: '' }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const editable = fields.filter((f) => !f.locked || !initial);
    const converted = initial ? toPatchInput(editable, values, baseline) : toCreateInput(editable, values);
    const clientErrors: Record<string, string> = {};
    for (const [k, why] of Object.entries(converted.errors)) clientErrors[k] = why === 'json' ? t('geometry.invalidJson') : t('common.error');
    setGeneral([]);
    if (Object.keys(clientErrors).length) {
      setFieldErrors(clientErrors);
      return;
    }
    setBusy(true);
    const errors = await onSubmit(converted.input);
    setBusy(false);
    if (errors) {
      const split = toFormErrors(
        errors,
        fields.map((f) => f.name),
      );
      setFieldErrors(split.fields);
      setGeneral(split.general);
      setSaved(false);
      return;
    }
    setFieldErrors({});
    setSaved(true);
    setBaseline(values);
  };

  return (
    <form className="entity-form" onSubmit={submit} noValidate>
      <div className="form-grid">
        {fields.map((f) => {
          const common = { name: f.name, label: t(f.label), error: fieldErrors[f.name] || undefined, required: f.required, hint: f.hint };
          const v = values[f.name] ?? '';
          switch (f.kind) {
            case 'select':
              return f.locked ? (
                <TextField key={f.name} {...common} value={f.options?.find((o) => o.value === v)?.label ?? String(v)} onChange={() => undefined} />
              ) : (
                <SelectField key={f.name} {...common} value={String(v)} onChange={(x) => set(f.name, x)} options={f.options ?? []} emptyLabel={f.emptyLabel} />
              );
            case 'multiselect':
              return <MultiSelectField key={f.name} {...common} value={Array.isArray(v) ? v : []} onChange={(x) => set(f.name, x)} options={f.options ?? []} />;
            case 'geometry':
              return <GeometryField key={f.name} {...common} value={String(v)} onChange={(x) => set(f.name, x)} modes={f.modes ?? ['point', 'polygon']} />;
            case 'textarea':
            case 'json':
              return <TextField key={f.name} {...common} multiline rows={f.kind === 'json' ? 4 : 3} value={String(v)} onChange={(x) => set(f.name, x)} />;
            default:
              return <TextField key={f.name} {...common} type={f.kind === 'text' ? 'text' : f.kind} value={String(v)} onChange={(x) => set(f.name, x)} />;
          }
        })}
      </div>
      <ErrorList errors={general} />
      <Success text={saved ? t('common.saved') : null} />
      <div className="form-actions">
        <button type="submit" className="btn btn--primary" disabled={busy}>
          {submitLabel ?? (initial ? t('common.save') : t('common.create'))}
        </button>
        {extraActions}
      </div>
    </form>
  );
}
