import { ApiError, errorMessage } from '../lib/api';
import { sentence } from '../lib/forms';

export const KIND_LABELS: Record<string, string> = {
  hosting: 'Hosting',
  domain: 'Domain',
  licence: 'Licence',
  email: 'Email',
  other: 'Other',
};

/** The message for a failed portal call; a 403 carries the grant's reason. */
export function portalError(e: unknown, what: string): string {
  if (e instanceof ApiError && e.status === 403 && e.code === 'forbidden') {
    return `Your access does not include ${what}: ${e.message}`;
  }
  return sentence(errorMessage(e));
}

/** A signed-out error is handled globally (back to sign-in): ignore it here. */
export function isSignedOut(e: unknown): boolean {
  return e instanceof ApiError && e.status === 401;
}
