// What the signed-in account may do, mirroring the server's rules
// (docs/security.md): controls the account may not use are not shown at all.
// The server still checks every write; this only shapes the interface.
import type { SessionUser } from '../auth/session';

export type Entity = 'deposit' | 'exploitationArea' | 'infrastructure' | 'operator' | 'commodity';

export function isAdmin(user: SessionUser | null | undefined): boolean {
  return user?.role === 'ADMIN';
}

/** May the account create a record of this kind (for an operator: of its own company)? */
export function canCreate(user: SessionUser | null | undefined, entity: Entity): boolean {
  if (!user) return false;
  switch (user.role) {
    case 'ADMIN':
    case 'EDITOR':
      return true;
    case 'OPERATOR':
      return (entity === 'deposit' || entity === 'exploitationArea') && !!user.operator;
    default:
      return false;
  }
}

/**
 * May the account change or delete this record? `ownerId` is the record's
 * operator (company) id; for an operator record, its own id.
 */
export function canEdit(user: SessionUser | null | undefined, entity: Entity, ownerId: string | null | undefined): boolean {
  if (!user) return false;
  switch (user.role) {
    case 'ADMIN':
    case 'EDITOR':
      return true;
    case 'OPERATOR':
      if (entity !== 'deposit' && entity !== 'exploitationArea' && entity !== 'operator') return false;
      return !!user.operator && !!ownerId && user.operator.id === ownerId;
    default:
      return false;
  }
}

/** May the account delete this record? Operators may not delete their own company. */
export function canDelete(user: SessionUser | null | undefined, entity: Entity, ownerId: string | null | undefined): boolean {
  if (entity === 'operator') return user?.role === 'ADMIN' || user?.role === 'EDITOR';
  return canEdit(user, entity, ownerId);
}

export function isReadOnly(user: SessionUser | null | undefined): boolean {
  return !user || user.role === 'PARTNER';
}

/** May the account upload, change and delete map layers? (The server requires an editor or an administrator.) */
export function canManageLayers(user: SessionUser | null | undefined): boolean {
  return user?.role === 'ADMIN' || user?.role === 'EDITOR';
}
