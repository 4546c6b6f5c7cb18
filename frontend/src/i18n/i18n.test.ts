import { fr } from './fr';
import { en } from './en';
import { format, Formats, translator } from './index';

describe('translations', () => {
  it('has every French key in English and no other', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(fr).sort());
  });

  it('keeps the same placeholders in both languages', () => {
    for (const key of Object.keys(fr) as (keyof typeof fr)[]) {
      const vars = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join();
      expect(vars(en[key]), key).toBe(vars(fr[key]));
    }
  });

  it('fills placeholders', () => {
    expect(format('{count} résultat(s)', { count: 3 })).toBe('3 résultat(s)');
    expect(translator('en')('common.page', { page: 2 })).toBe('Page 2');
    expect(translator('fr')('login.submit')).toBe('Se connecter');
  });
});

describe('locale formats', () => {
  it('formats numbers and areas the French way', () => {
    const f = new Formats('fr');
    expect(f.number(1234.5).replace(/\s/g, ' ')).toBe('1 234,5');
    expect(f.areaKm2(12.345).replace(/\s/g, ' ')).toBe('12,35 km²');
    expect(f.areaKm2(0.5).replace(/\s/g, ' ')).toBe('500 000 m²');
  });

  it('formats numbers and lengths the English way', () => {
    const f = new Formats('en');
    expect(f.number(1234.5)).toBe('1,234.5');
    expect(f.lengthKm(0.25)).toBe('250 m');
    expect(f.lengthKm(648.2)).toBe('648.2 km');
  });

  it('never shifts a calendar date by a day', () => {
    expect(new Formats('fr').date('2024-03-01')).toMatch(/^1 mars 2024$/);
    expect(new Formats('en').date('2024-03-01')).toBe('1 Mar 2024');
    expect(new Formats('fr').date(null)).toBe('—');
  });
});
