import { useMemo } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { useI18n } from '../i18n';
import type { Option } from '../components/Field';

const OptionsQuery = graphql(`
  query FormOptions {
    commodities(first: 500) {
      nodes {
        code
        nameFr
        nameEn
      }
    }
    operators(first: 1000) {
      nodes {
        id
        name
      }
    }
  }
`);

/** Commodity and operator choices for filters and forms. */
export function useOptions(): { commodities: Option[]; operators: Option[]; ready: boolean } {
  const { locale } = useI18n();
  const [{ data }] = useQuery({ query: OptionsQuery });
  return useMemo(
    () => ({
      ready: !!data,
      commodities: (data?.commodities.nodes ?? []).map((c) => ({ value: c.code, label: `${c.code} — ${locale === 'fr' ? c.nameFr : c.nameEn}` })),
      operators: (data?.operators.nodes ?? []).map((o) => ({ value: o.id, label: o.name })),
    }),
    [data, locale],
  );
}
