import { ApiError, errorMessage } from './api';
import { normalizeField, type FieldErrors } from './access';

/** Splits a thrown error into a field error (shown next to the input) or a
 * banner message. */
export function applyError(e: unknown, knownFields: string[]): { fields: FieldErrors; banner: string } {
  if (e instanceof ApiError && e.field) {
    const f = normalizeField(e.field);
    if (f && knownFields.includes(f)) return { fields: { [f]: sentence(e.message) }, banner: '' };
    return { fields: {}, banner: sentence(e.message) };
  }
  if (e instanceof ApiError && e.code === 'conflict' && knownFields.includes('email')) {
    return { fields: { email: sentence(e.message) }, banner: '' };
  }
  return { fields: {}, banner: sentence(errorMessage(e)) };
}

/** Server messages are lower-case fragments ("first name is required"). */
export function sentence(msg: string): string {
  if (!msg) return msg;
  let s = msg[0].toUpperCase() + msg.slice(1);
  if (!/[.!?…]$/.test(s)) s += '.';
  return s;
}

export const PERSON_FIELDS = ['account_type', 'first_name', 'last_name', 'email', 'phone', 'company', 'role'];

/** Focus the first invalid input inside a container, after the DOM updates. */
export function focusFirstError(root: HTMLElement | undefined): void {
  if (!root) return;
  setTimeout(() => {
    const el = root.querySelector<HTMLElement>('[aria-invalid="true"]');
    el?.focus();
  }, 0);
}
