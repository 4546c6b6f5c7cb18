import { canCreate, canDelete, canEdit, isReadOnly } from './permissions';
import type { SessionUser } from '../auth/session';

const as = (role: SessionUser['role'], operator: SessionUser['operator'] = null): SessionUser => ({ id: '1', username: 'u', displayName: 'U', email: 'u@x', role, operator });
const comilog = { id: '3', name: 'COMILOG' };

describe('role-aware controls', () => {
  it('gives a partner no write control at all', () => {
    const p = as('PARTNER');
    expect(isReadOnly(p)).toBe(true);
    for (const e of ['deposit', 'exploitationArea', 'infrastructure', 'operator'] as const) {
      expect(canCreate(p, e)).toBe(false);
      expect(canEdit(p, e, '3')).toBe(false);
      expect(canDelete(p, e, '3')).toBe(false);
    }
  });

  it('lets an operator edit its own company records only', () => {
    const o = as('OPERATOR', comilog);
    expect(canEdit(o, 'deposit', '3')).toBe(true);
    expect(canEdit(o, 'deposit', '4')).toBe(false);
    expect(canEdit(o, 'deposit', null)).toBe(false);
    expect(canEdit(o, 'exploitationArea', '3')).toBe(true);
    expect(canEdit(o, 'operator', '3')).toBe(true);
    expect(canDelete(o, 'operator', '3')).toBe(false);
    expect(canEdit(o, 'infrastructure', '3')).toBe(false);
    expect(canCreate(o, 'deposit')).toBe(true);
    expect(canCreate(o, 'infrastructure')).toBe(false);
    expect(canCreate(o, 'operator')).toBe(false);
  });

  it('lets editors and admins write everything', () => {
    for (const r of ['EDITOR', 'ADMIN'] as const) {
      expect(canEdit(as(r), 'infrastructure', null)).toBe(true);
      expect(canCreate(as(r), 'operator')).toBe(true);
    }
  });

  it('gives nobody signed out any control', () => {
    expect(canCreate(null, 'deposit')).toBe(false);
    expect(isReadOnly(null)).toBe(true);
  });
});
