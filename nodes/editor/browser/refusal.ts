/**
 * The texts with which the editor says what the logged-in account may not do, from what the hub tells
 * about it at run time (GET /factoryhub/me, else the editor's settings): never from a fixed role table.
 */

/** The account as the editor knows it. */
export interface Account {
  readonly username?: string;
  readonly role?: string;
  readonly permissions: string | readonly string[];
}

/** `technician`, or the permissions when the hub does not name the role: `read, tagmaps.write`. */
export function roleText(account: Account): string {
  if (account.role !== undefined && account.role !== '') return account.role;
  const permissions = typeof account.permissions === 'string' ? [account.permissions] : account.permissions;
  return permissions.length > 0 ? `permissions ${permissions.join(', ')}` : 'no permissions';
}

/** "Deploy needs permission flows.write (your role: technician)". */
export function deployRefusal(account: Account): string {
  return `Deploy needs permission flows.write (your role: ${roleText(account)})`;
}

/** The note at the top of a node's edit dialog that opens read-only. */
export function readOnlyDialogNote(account: Account): string {
  return `Read only: changing nodes needs permission flows.write (your role: ${roleText(account)}).`;
}
