import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { fr, type MessageKey } from './fr';
import { en } from './en';

export type Locale = 'fr' | 'en';
const dictionaries: Record<Locale, Record<MessageKey, string>> = { fr, en };
const STORAGE_KEY = 'odg.locale';

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** Fills `{name}` placeholders; unknown placeholders are left as they are. */
export function format(template: string, vars?: Record<string, string | number>): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

export function translator(locale: Locale): Translate {
  const dict = dictionaries[locale];
  return (key, vars) => format(dict[key] ?? key, vars);
}

/** Locale-aware formatting of numbers, dates and measures (Intl). */
export class Formats {
  readonly tag: string;
  constructor(locale: Locale) {
    this.tag = locale === 'fr' ? 'fr-FR' : 'en-GB';
  }
  number(value: number | null | undefined, digits = 2): string {
    if (value === null || value === undefined || Number.isNaN(value)) return '—';
    return new Intl.NumberFormat(this.tag, { maximumFractionDigits: digits }).format(value);
  }
  integer(value: number): string {
    return new Intl.NumberFormat(this.tag, { maximumFractionDigits: 0 }).format(value);
  }
  areaKm2(value: number | null | undefined): string {
    if (value === null || value === undefined) return '—';
    if (value < 1) return `${this.number(value * 1e6, 0)} m²`;
    return `${this.number(value, 2)} km²`;
  }
  lengthKm(value: number | null | undefined): string {
    if (value === null || value === undefined) return '—';
    if (value < 1) return `${this.number(value * 1000, 0)} m`;
    return `${this.number(value, 2)} km`;
  }
  bytes(value: number): string {
    if (value < 1024) return `${this.integer(value)} ${this.tag.startsWith('fr') ? 'o' : 'B'}`;
    const units = this.tag.startsWith('fr') ? ['Kio', 'Mio', 'Gio'] : ['KiB', 'MiB', 'GiB'];
    let v = value / 1024;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return `${this.number(v, 1)} ${units[i]}`;
  }
  date(value: string | null | undefined): string {
    if (!value) return '—';
    // A bare YYYY-MM-DD is a calendar date: format it in UTC so it never shifts a day.
    const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
    if (Number.isNaN(d.getTime())) return value;
    return new Intl.DateTimeFormat(this.tag, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
  }
  dateTime(value: string | null | undefined): string {
    if (!value) return '—';
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) return value;
    return new Intl.DateTimeFormat(this.tag, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
  }
}

interface I18n {
  locale: Locale;
  setLocale: (l: Locale) => void;
  t: Translate;
  fmt: Formats;
}

const I18nContext = createContext<I18n | null>(null);

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'fr' || saved === 'en') return saved;
  } catch {
    /* storage may be unavailable: French by default */
  }
  return 'fr';
}

export function I18nProvider({ children, locale: forced }: { children: ReactNode; locale?: Locale }) {
  const [locale, setLocaleState] = useState<Locale>(forced ?? initialLocale);
  const setLocale = useCallback((l: Locale) => {
    setLocaleState(l);
    try {
      localStorage.setItem(STORAGE_KEY, l);
    } catch {
      /* not persisted, still switched */
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const value = useMemo(() => ({ locale, setLocale, t: translator(locale), fmt: new Formats(locale) }), [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}
