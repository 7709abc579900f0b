// What the client area's pages share.
import { ApiError, errorMessage } from '../lib/api';
import { notAllowed, reasonText } from '../lib/format';
import type { PortalSection } from '../lib/types';

/** The client area's sections in the navigation's order; GET
 * /api/portal/me says which the contact has. */
export const SECTIONS: { id: PortalSection; label: string; icon: string }[] = [
  { id: 'services', label: 'Services', icon: 'box' },
  { id: 'orders', label: 'Orders', icon: 'bag' },
  { id: 'invoices', label: 'Invoices', icon: 'receipt' },
  { id: 'quotes', label: 'Quotes', icon: 'file' },
  { id: 'support', label: 'Support requests', icon: 'help' },
  { id: 'emails', label: 'Mail history', icon: 'mail' },
  { id: 'contacts', label: 'Contacts', icon: 'users' },
  { id: 'admin', label: 'Site administration', icon: 'monitor' },
  { id: 'profile', label: 'Profile', icon: 'building' },
];

/** #/services/12 → the section and the record's id. */
export function portalRoute(hash: string): { section: string; id: number | null } {
  const [section, id] = hash.replace(/^#\/?/, '').split('/');
  return { section, id: id && /^\d+$/.test(id) ? Number(id) : null };
}

const refused = (e: unknown): e is ApiError => e instanceof ApiError && e.status === 403 && e.code === 'forbidden';

/** The message for a failed portal call; a 403 carries the grant's reason. */
export function portalError(what: string): (e: unknown) => string {
  return (e) => (refused(e) ? `Your access does not include ${what}: ${reasonText(e.message)}` : errorMessage(e));
}

/** Rethrows a write's error for a form, a refusal in the evaluation's
 * words ("You cannot grant invoices.pay: …", "Grant is Billing; …"). */
export function actionError(e: unknown): never {
  if (refused(e)) e.message = notAllowed(e.message);
  throw e;
}
