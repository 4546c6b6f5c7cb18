import type { ApiError } from '../graphql/errors';
import { useI18n } from '../i18n';

/** Errors that belong to no form field, worded for the user. */
export function ErrorList({ errors }: { errors: ApiError[] }) {
  const { t } = useI18n();
  if (!errors.length) return null;
  return (
    <div className="notice notice--error" role="alert">
      {errors.map((e, i) => (
        <p key={i}>
          {e.code === 'FORBIDDEN'
            ? t('common.forbidden')
            : e.code === 'NOT_FOUND'
              ? t('common.notFound')
              : e.code === 'CONFLICT'
                ? t('common.conflict', { message: e.message })
                : e.message}
        </p>
      ))}
    </div>
  );
}

export function Success({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <div className="notice notice--ok" role="status">
      {text}
    </div>
  );
}
