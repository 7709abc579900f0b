// What the owner's account tabs and the client area's pages share about
// the records they list.
import type { Invoice, Service, ServiceAction, ServiceField } from '../../lib/types';
import { parseAmount } from '../../lib/format';
import type { FieldErrors } from '../../lib/form.svelte';

export const KIND_LABELS: Record<string, string> = {
  hosting: 'Hosting',
  domain: 'Domain',
  licence: 'Licence',
  email: 'Email',
  other: 'Other',
};

/** How an invoice may be paid (a payment report's method). */
export const METHOD_LABELS: Record<string, string> = { bank_transfer: 'Bank transfer', payment_link: 'Payment link' };

/** Service names by id, for the labels of invoices and support requests. */
export function serviceNames(services: { id: number; name: string }[] | null): (id: number, none: string) => string {
  const names = new Map((services || []).map((s) => [s.id, s.name]));
  return (id, none) => (id ? names.get(id) || `Service #${id}` : none);
}

/** paid, reported (a payment waits for the owner), unpaid, or overdue
 * once the due date has passed. */
export function invoiceStatus(inv: Invoice): string {
  if (inv.status === 'paid' || inv.status === 'reported') return inv.status;
  if (inv.due_at && new Date(inv.due_at).getTime() < Date.now()) return 'overdue';
  return inv.status || 'unpaid';
}

/** Checks the amount and currency of an invoice, a quote or a product. */
export function checkMoney(amount: string, currency: string, errors: FieldErrors, field = 'amount_cents'): number {
  const cents = parseAmount(amount);
  if (cents === null) errors[field] = 'Enter an amount such as 120 or 99.50.';
  if (!/^[A-Za-z]{3}$/.test(currency.trim())) errors.currency = 'Use a three-letter code such as EUR.';
  return cents ?? 0;
}

export type ServiceList = Service[];

export const CYCLE_LABELS: Record<string, string> = {
  one_time: 'One time',
  monthly: 'Monthly',
  quarterly: 'Every 3 months',
  yearly: 'Yearly',
};

/** A setting's value in words: a switch is Yes or No, a list is joined. */
export function settingText(type: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return 'not set';
  if (type === 'bool' || typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value)) return value.length ? value.join(', ') : 'none';
  return String(value);
}

/** The label of a changed setting or of a request, from the kind. */
export function changeLabel(name: string, fields: ServiceField[] | null, actions: ServiceAction[] | null): string {
  return fields?.find((f) => f.name === name)?.label || actions?.find((a) => a.name === name)?.label || name;
}

/** Cents as the text of an amount field ("99.50"). */
export function amountText(cents: number): string {
  return (cents / 100).toFixed(2);
}

/** A list the API may send as null, or with null entries, as a plain list. */
export function present<T>(xs: (T | null)[] | null | undefined): T[] {
  return (xs || []).filter((x): x is T => x !== null);
}
