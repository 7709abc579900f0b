// What the client area's pages share.
import { ApiError, errorMessage } from '../lib/api';

/** The message for a failed portal call; a 403 carries the grant's reason. */
export function portalError(what: string): (e: unknown) => string {
  return (e) => (e instanceof ApiError && e.status === 403 && e.code === 'forbidden' ? `Your access does not include ${what}: ${e.message}` : errorMessage(e));
}
