import { lazy, Suspense } from 'react';
import { useI18n } from '../i18n';

const PreviewMap = lazy(() => import('./PreviewMap'));

export function LazyPreviewMap({ data }: { data: unknown }) {
  const { t } = useI18n();
  return (
    <Suspense fallback={<p className="muted">{t('common.loading')}</p>}>
      <PreviewMap data={data} />
    </Suspense>
  );
}
