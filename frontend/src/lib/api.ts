// The one way to the Grantbook JSON API (docs/api.md): fetch, in the browser
// and in the desktop window alike. The window serves /api/ from the same Go
// handler as `grantbook serve`, on its own scheme; there the owner needs no
// token and the Go side answers 423 while the passphrase is awaited.
//
// Owner calls carry the bearer token `grantbook serve` printed (web only);
// portal calls (/api/portal/...) carry the contact's session cookie and, when
// they change something, the CSRF token. Every failure becomes an ApiError.
import type { ErrorCode, ErrorDetail, RequestOffer } from './api-types';

export class ApiError extends Error {
  status: number;
  code: ErrorCode | 'network' | 'bad_response' | `http_${number}`;
  field?: string;
  /** a portal refusal: what an access request would ask for */
  offer?: RequestOffer;

  constructor(status: number, code: ApiError['code'], message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field || undefined;
  }
}

const TOKEN_KEY = 'grantbook.token';
let memoryToken = '';
let csrfToken = '';

export function getToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return memoryToken;
  }
}

export function setToken(token: string): void {
  memoryToken = token;
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* private mode: keep it in memory only */
  }
}

/** The portal's CSRF token, from verify or GET /api/portal/me. */
export function setCsrfToken(token: string): void {
  csrfToken = token || '';
}

/** Reads `#token=...` from the address bar (first load), stores it for this
 * tab and removes it from the visible URL. */
export function captureTokenFromUrl(): void {
  const m = /(?:^#|&)token=([^&]*)/.exec(window.location.hash);
  if (!m) return;
  const token = decodeURIComponent(m[1]);
  if (token) setToken(token);
  window.history.replaceState(null, '', window.location.pathname + window.location.search + '#/contacts');
}

type Listener = (e: ApiError) => void;
const listeners = { unauthorized: new Set<Listener>(), locked: new Set<Listener>(), signedOut: new Set<Listener>(), refused: new Set<Listener>(), held: new Set<Listener>() };

/** Subscribes to a session event: the owner token was refused
 * (`unauthorized`), the window waits for the passphrase (`locked`), the
 * contact's portal session ended (`signedOut`), the client area refused
 * something an access request could ask for (`refused`, with `e.offer`),
 * the portal session must prove or set up a second factor (`held`). */
export function on(event: keyof typeof listeners, fn: Listener): () => void {
  listeners[event].add(fn);
  return () => listeners[event].delete(fn);
}

export const SESSION_ENDED = 'Your session has ended. Sign in again.';
const PORTAL_PUBLIC = ['/api/portal/signin', '/api/portal/verify', '/api/portal/passkey-signin/begin', '/api/portal/passkey-signin'];

export function humanMessage(status: number): string {
  if (status === 401) return 'Your session has ended. Please sign in again.';
  if (status === 403) return 'You are not allowed to do that.';
  if (status === 404) return 'This was not found. It may have been removed.';
  if (status === 413) return 'This is too large for Grantbook to take.';
  if (status === 423) return 'Grantbook is locked: enter your passphrase.';
  if (status === 429) return 'Too many attempts: wait a minute and try again.';
  if (status >= 500) return 'Something went wrong inside Grantbook. Please try again; if it keeps happening, check the log.';
  return `Grantbook refused this request (HTTP ${status}).`;
}

function toError(status: number, text: string): ApiError {
  let body: ErrorDetail | undefined;
  try {
    body = JSON.parse(text)?.error;
  } catch {
    /* not JSON: a proxy's page, or nothing */
  }
  const message = sentence(body?.message || humanMessage(status));
  const err = new ApiError(status, body?.code || `http_${status}`, message, body?.field);
  if (body?.request) err.offer = body.request;
  return err;
}

export interface RequestOptions {
  /** Send the body as is, with this Content-Type (CSV text, a backup file). */
  type?: string;
  /** What to make of the answer (default: parsed JSON). */
  as?: 'json' | 'text' | 'file';
}

/** A downloaded file and the name the server suggests for it. */
export interface FileAnswer {
  blob: Blob;
  name: string;
}

/** The single request function of the frontend. */
export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const portal = path.startsWith('/api/portal/');
  // X-Requested-By: the desktop window's handler refuses state changes
  // without it (a form posted by a foreign page cannot send it).
  const headers: Record<string, string> = { Accept: 'application/json', 'X-Requested-By': 'grantbook' };
  if (body !== undefined) headers['Content-Type'] = opts.type || 'application/json';
  if (portal) {
    if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  } else if (getToken()) {
    headers.Authorization = 'Bearer ' + getToken();
  }
  const sentToken = getToken();
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : opts.type ? (body as BodyInit) : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach Grantbook. Check that it is still running and try again.');
  }
  // Sent with a token this tab has since replaced (Settings → Access link):
  // asked again with the new one, not taken as signed out.
  if (res.status === 401 && !portal && sentToken && getToken() && getToken() !== sentToken) return request<T>(method, path, body, opts);
  if (!res.ok) {
    const err = toError(res.status, await res.text());
    if (res.status === 401 && portal && !PORTAL_PUBLIC.includes(path)) {
      csrfToken = '';
      err.message = SESSION_ENDED;
      listeners.signedOut.forEach((fn) => fn(err));
    } else if (res.status === 401 && !portal) {
      listeners.unauthorized.forEach((fn) => fn(err));
    } else if (res.status === 423 && err.code === 'locked') {
      listeners.locked.forEach((fn) => fn(err));
    } else if (res.status === 403 && portal && err.offer) {
      listeners.refused.forEach((fn) => fn(err));
    } else if (res.status === 403 && portal && (err.code === 'second_factor' || err.code === 'second_factor_setup')) {
      listeners.held.forEach((fn) => fn(err));
    }
    throw err;
  }
  if (opts.as === 'file') {
    const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(res.headers.get('Content-Disposition') || '');
    return { blob: await res.blob(), name: m ? decodeURIComponent(m[1]) : '' } as T;
  }
  const text = await res.text();
  if (opts.as === 'text' || !text) return text as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(0, 'bad_response', 'Grantbook sent an answer that could not be read.');
  }
}

/** Builds a query string, skipping empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(String(v)));
  }
  return parts.length ? '?' + parts.join('&') : '';
}

/** Server messages are lower-case fragments ("first name is required");
 * one that starts with a name (a domain, an address) keeps its case. */
export function sentence(msg: string): string {
  if (!msg) return msg;
  const s = /^[a-z]+(?![\w.@-])/.test(msg) ? msg[0].toUpperCase() + msg.slice(1) : msg;
  return /[.!?…]$/.test(s) ? s : s + '.';
}

/** The message to show for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return sentence(e.message);
  return sentence(String(e));
}

/** Offers a blob as a file download (browsers and WebKitGTK). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}
