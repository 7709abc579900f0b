// Transport for the contact portal (/portal). A contact is signed in by the
// HttpOnly session cookie the server sets on verify; this module never sees
// or sends the owner's token. State-changing calls carry the CSRF token from
// verify or GET /api/portal/me in the X-CSRF-Token header.

import { ApiError, humanMessage, toError } from './api';

let csrfToken = '';

export function setCsrfToken(token: string): void {
  csrfToken = token || '';
}

type Listener = () => void;
const signedOutListeners = new Set<Listener>();

/** Called whenever a portal call answers 401: the session is gone. */
export function onSignedOut(fn: Listener): () => void {
  signedOutListeners.add(fn);
  return () => signedOutListeners.delete(fn);
}

export const SESSION_ENDED = 'Your session has ended. Sign in again.';

const PUBLIC = new Set(['/api/portal/signin', '/api/portal/verify']);

export async function portalRequest<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.');
  }
  const text = await res.text();
  if (res.status === 401 && !PUBLIC.has(path)) {
    csrfToken = '';
    signedOutListeners.forEach((fn) => fn());
    throw new ApiError(401, 'unauthorized', SESSION_ENDED);
  }
  if (!res.ok) {
    const err = toError(res.status, text);
    if (res.status === 429 && !text) err.message = humanMessage(429);
    throw err;
  }
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(0, 'bad_response', 'The server sent an answer that could not be read.');
  }
}
