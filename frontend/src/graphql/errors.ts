import type { CombinedError } from 'urql';

export interface ApiError {
  message: string;
  code?: string;
  field?: string;
}

/** The GraphQL errors of an urql result, with their `extensions.code` and `extensions.field`. */
export function apiErrors(error: CombinedError | undefined | null): ApiError[] {
  if (!error) return [];
  if (error.networkError && error.graphQLErrors.length === 0) {
    return [{ message: error.networkError.message, code: 'NETWORK' }];
  }
  return error.graphQLErrors.map((e) => ({
    message: e.message,
    code: typeof e.extensions?.code === 'string' ? e.extensions.code : undefined,
    field: typeof e.extensions?.field === 'string' ? e.extensions.field : undefined,
  }));
}

/**
 * Maps a server field path such as `input.geometry.coordinates[0]` to the
 * form field it belongs to (`geometry`). Paths outside `input` (e.g.
 * `currentPassword`) name the argument itself.
 */
export function formFieldOf(path: string | undefined): string | undefined {
  if (!path) return undefined;
  const parts = path.split('.');
  const head = parts[0] === 'input' && parts.length > 1 ? parts[1] : parts[0];
  return head.replace(/\[\d+\]$/, '');
}

export interface FormErrors {
  /** Errors keyed by form field. */
  fields: Record<string, string>;
  /** Errors that belong to no field of the form. */
  general: ApiError[];
}

/** Splits API errors between the fields of a form (those in `known`) and the rest. */
export function toFormErrors(errors: ApiError[], known: readonly string[]): FormErrors {
  const out: FormErrors = { fields: {}, general: [] };
  for (const e of errors) {
    const f = formFieldOf(e.field);
    if (e.code === 'BAD_USER_INPUT' && f && known.includes(f)) {
      out.fields[f] = out.fields[f] ? `${out.fields[f]} ${e.message}` : e.message;
    } else {
      out.general.push(e);
    }
  }
  return out;
}

/** True when any error says the credentials are missing or no longer valid. */
export function isUnauthenticated(body: unknown): boolean {
  const errors = (body as { errors?: { extensions?: { code?: string } }[] } | null)?.errors;
  return Array.isArray(errors) && errors.some((e) => e?.extensions?.code === 'UNAUTHENTICATED');
}
