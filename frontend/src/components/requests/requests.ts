// What the access-request pieces share.
import type { RequestOffer } from '../../lib/types';

const KINDS: Record<string, string> = {
  permission: 'Permission',
  service: 'Service',
  admin_area: 'Admin area',
  admin_all: 'Admin access to everything',
  billing_account: 'Invoices of the whole account',
  extend: 'More time',
};

/** The words for an offer: the server's label, else the kind and item
 * (an offer read from the address bar has no label). */
export function offerLabel(o: Pick<RequestOffer, 'kind' | 'item'> & { label?: string }): string {
  if (o.label) return o.label;
  const kind = KINDS[o.kind] || o.kind;
  return o.item ? `${kind}: ${o.item}` : kind;
}

export const REQUEST_KINDS = Object.keys(KINDS);
