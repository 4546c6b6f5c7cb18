import { useId, type ReactNode } from 'react';

export interface Option {
  value: string;
  label: string;
}

interface BaseProps {
  label: string;
  error?: string;
  hint?: string;
  required?: boolean;
  name: string;
}

function Wrap({ label, error, hint, id, children, required }: { label: string; error?: string; hint?: string; id: string; children: ReactNode; required?: boolean }) {
  return (
    <div className={`field${error ? ' field--error' : ''}`}>
      <label htmlFor={id}>
        {label}
        {required ? <span aria-hidden="true"> *</span> : null}
      </label>
      {children}
      {hint && !error ? (
        <div className="field__hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <div className="field__error" id={`${id}-error`} role="alert" data-field-error={id}>
          {error}
        </div>
      ) : null}
    </div>
  );
}

function describedBy(id: string, error?: string, hint?: string) {
  if (error) return `${id}-error`;
  if (hint) return `${id}-hint`;
  return undefined;
}

export function TextField(
  props: BaseProps & { value: string; onChange: (v: string) => void; type?: string; multiline?: boolean; rows?: number; autoComplete?: string; placeholder?: string },
) {
  const id = useId();
  const common = {
    id,
    name: props.name,
    value: props.value,
    required: props.required,
    placeholder: props.placeholder,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': describedBy(id, props.error, props.hint),
  };
  return (
    <Wrap label={props.label} error={props.error} hint={props.hint} id={id} required={props.required}>
      {props.multiline ? (
        <textarea {...common} rows={props.rows ?? 4} onChange={(e) => props.onChange(e.target.value)} spellCheck={false} />
      ) : (
        <input {...common} type={props.type ?? 'text'} step={props.type === 'number' ? 'any' : undefined} autoComplete={props.autoComplete} onChange={(e) => props.onChange(e.target.value)} />
      )}
    </Wrap>
  );
}

export function SelectField(props: BaseProps & { value: string; onChange: (v: string) => void; options: Option[]; emptyLabel?: string }) {
  const id = useId();
  return (
    <Wrap label={props.label} error={props.error} hint={props.hint} id={id} required={props.required}>
      <select
        id={id}
        name={props.name}
        value={props.value}
        required={props.required}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(id, props.error, props.hint)}
        onChange={(e) => props.onChange(e.target.value)}
      >
        {props.emptyLabel !== undefined ? <option value="">{props.emptyLabel}</option> : null}
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Wrap>
  );
}

export function MultiSelectField(props: BaseProps & { value: string[]; onChange: (v: string[]) => void; options: Option[] }) {
  const id = useId();
  return (
    <div className={`field${props.error ? ' field--error' : ''}`}>
      <fieldset id={id} aria-describedby={props.error ? `${id}-error` : undefined}>
        <legend>{props.label}</legend>
        <div className="checks">
          {props.options.map((o) => (
            <label key={o.value} className="check">
              <input
                type="checkbox"
                name={props.name}
                value={o.value}
                checked={props.value.includes(o.value)}
                onChange={(e) => props.onChange(e.target.checked ? [...props.value, o.value] : props.value.filter((v) => v !== o.value))}
              />
              {o.label}
            </label>
          ))}
        </div>
      </fieldset>
      {props.error ? (
        <div className="field__error" id={`${id}-error`} role="alert">
          {props.error}
        </div>
      ) : null}
    </div>
  );
}
