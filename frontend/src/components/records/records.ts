// What the owner's account tabs and the client area's pages share about
// the records they list.
import type { Invoice, Service } from '../../lib/types';
import { parseAmount } from '../../lib/format';
import type { FieldErrors } from '../../lib/form.svelte';

export const KIND_LABELS: Record<string, string> = {
  hosting: 'Hosting',
  domain: 'Domain',
  licence: 'Licence',
  email: 'Email',
  other: 'Other',
};

/** A product's billing cycle, as a price's suffix. */
export const CYCLE_LABELS: Record<string, string> = { one_time: 'once', monthly: 'per month', quarterly: 'per quarter', yearly: 'per year' };

/** How an invoice may be paid (a payment report's method). */
export const METHOD_LABELS: Record<string, string> = { bank_transfer: 'Bank transfer', payment_link: 'Payment link' };

/** Service names by id, for the labels of invoices and support requests. */
export function serviceNames(services: { id: number; name: string }[] | null): (id: number, none: string) => string {
  const names = new Map((services || []).map((s) => [s.id, s.name]));
  return (id, none) => (id ? names.get(id) || `Service #${id}` : none);
}

/** paid, unpaid, or overdue once the due date has passed. */
export function invoiceStatus(inv: Invoice): string {
  if (inv.status === 'paid') return 'paid';
  if (inv.due_at && new Date(inv.due_at).getTime() < Date.now()) return 'overdue';
  return inv.status || 'unpaid';
}

/** Checks the amount and currency of a new invoice or quote. */
export function checkMoney(amount: string, currency: string, errors: FieldErrors): number {
  const cents = parseAmount(amount);
  if (cents === null) errors.amount_cents = 'Enter an amount such as 120 or 99.50.';
  if (!/^[A-Za-z]{3}$/.test(currency.trim())) errors.currency = 'Use a three-letter code such as EUR.';
  return cents ?? 0;
}

export type ServiceList = Service[];

/** A list the API may send as null, or with null entries, as a plain list. */
export function present<T>(xs: (T | null)[] | null | undefined): T[] {
  return (xs || []).filter((x): x is T => x !== null);
}
