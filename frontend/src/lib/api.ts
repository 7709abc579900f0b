// Transport for the Grantbook JSON API (see docs/api.md).
//
// Desktop (Wails): the Go side exposes App.Request(method, path, body) which
// answers {status, body} without a socket. Web: plain fetch with the bearer
// token that `grantbook serve` printed (delivered in the URL fragment).

export interface ApiErrorBody {
  code?: string;
  message?: string;
  field?: string;
}

export class ApiError extends Error {
  status: number;
  code: string;
  field?: string;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field || undefined;
  }
}

export interface RestoreResult {
  contacts: number;
  safety_copy: string;
}

interface DesktopResponse {
  status: number;
  body: string;
}

declare global {
  interface Window {
    go?: {
      app?: {
        App?: {
          Request?: (method: string, path: string, body: string) => Promise<DesktopResponse>;
          Unlock?: (passphrase: string) => Promise<boolean>;
          Lock?: () => Promise<void>;
          ExportBackup?: () => Promise<string>;
          RestoreBackup?: () => Promise<RestoreResult | null>;
        };
      };
    };
    runtime?: {
      EventsOn?: (name: string, cb: (...args: unknown[]) => void) => (() => void) | void;
      EventsOff?: (name: string, ...more: string[]) => void;
    };
  }
}

const TOKEN_KEY = 'grantbook.token';

export function isDesktop(): boolean {
  return typeof window !== 'undefined' && typeof window.go?.app?.App?.Request === 'function';
}

/** Reads `#token=...` from the address bar (first load), stores it for this
 * browser tab and removes it from the visible URL. */
export function captureTokenFromUrl(): void {
  const hash = window.location.hash;
  const m = /(?:^#|&)token=([^&]*)/.exec(hash);
  if (!m) return;
  const token = decodeURIComponent(m[1]);
  if (token) setToken(token);
  const url = window.location.pathname + window.location.search + '#/contacts';
  window.history.replaceState(null, '', url);
}

export function getToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return memoryToken;
  }
}

let memoryToken = '';

export function setToken(token: string): void {
  memoryToken = token;
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* private mode: keep it in memory only */
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called when the server rejects the token (web mode only). */
export function onUnauthorized(fn: Listener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

const lockedListeners = new Set<Listener>();

/** Called when the desktop window answers 423 locked (owner passphrase). */
export function onLocked(fn: Listener): () => void {
  lockedListeners.add(fn);
  return () => lockedListeners.delete(fn);
}

/** The desktop binding, when running inside the Wails window. */
export function desktopApp() {
  return window.go?.app?.App;
}

export function humanMessage(status: number): string {
  switch (status) {
    case 400:
      return 'The request was not understood.';
    case 401:
      return 'Your session has ended. Please sign in again.';
    case 403:
      return 'You are not allowed to do that.';
    case 404:
      return 'This item or feature was not found. It may have been removed, or this version of Grantbook does not support it yet.';
    case 405:
      return 'This feature is not available in this version of Grantbook yet.';
    case 409:
      return 'This conflicts with something that already exists.';
    case 422:
      return 'Some of the details are not valid.';
    case 423:
      return 'Grantbook is locked: enter your passphrase.';
    case 429:
      return 'Too many attempts: wait a minute and try again.';
    default:
      if (status >= 500) return 'Something went wrong inside Grantbook. Please try again; if it keeps happening, check the server log.';
      return `Unexpected answer from Grantbook (HTTP ${status}).`;
  }
}

export function toError(status: number, text: string): ApiError {
  let body: ApiErrorBody | undefined;
  if (text) {
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && parsed.error && typeof parsed.error === 'object') {
        body = parsed.error as ApiErrorBody;
      }
    } catch {
      /* not JSON (e.g. a plain-text 404 from a router) */
    }
  }
  const code = body?.code || (status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : `http_${status}`);
  const raw = body?.message || humanMessage(status);
  const message = raw ? raw[0].toUpperCase() + raw.slice(1) : raw;
  return new ApiError(status, code, message, body?.field);
}

function parseBody<T>(text: string): T {
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(0, 'bad_response', 'Grantbook sent an answer that could not be read.');
  }
}

/** The single entry point for every API call. */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const bodyString = body === undefined ? '' : JSON.stringify(body);
  const desktop = window.go?.app?.App?.Request;

  if (typeof desktop === 'function') {
    let res: DesktopResponse;
    try {
      res = await desktop(method, path, bodyString);
    } catch (e) {
      throw new ApiError(0, 'transport', `Grantbook could not handle the request: ${String(e)}`);
    }
    if (res.status < 200 || res.status >= 300) {
      const err = toError(res.status, res.body);
      if (res.status === 423 && err.code === 'locked') lockedListeners.forEach((fn) => fn());
      throw err;
    }
    return parseBody<T>(res.body);
  }

  const token = getToken();
  const open = path === '/api/health';
  if (!token && !open) {
    unauthorizedListeners.forEach((fn) => fn());
    throw new ApiError(401, 'unauthorized', humanMessage(401));
  }
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
  };
  if (token) headers.Authorization = 'Bearer ' + token;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : bodyString,
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach Grantbook. Check that `grantbook serve` is still running, then try again.');
  }
  const text = await res.text();
  if (res.status === 401) {
    unauthorizedListeners.forEach((fn) => fn());
  }
  if (!res.ok) throw toError(res.status, text);
  return parseBody<T>(text);
}

/**
 * A web-mode call that is not JSON both ways (CSV, backup files): the bearer
 * token is added, errors become ApiError. Not for the desktop window.
 */
export async function webFetch(method: string, path: string, body?: BodyInit, contentType?: string): Promise<Response> {
  const token = getToken();
  if (!token) {
    unauthorizedListeners.forEach((fn) => fn());
    throw new ApiError(401, 'unauthorized', humanMessage(401));
  }
  const headers: Record<string, string> = { Authorization: 'Bearer ' + token };
  if (contentType) headers['Content-Type'] = contentType;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach Grantbook. Check that `grantbook serve` is still running, then try again.');
  }
  if (res.status === 401) unauthorizedListeners.forEach((fn) => fn());
  if (!res.ok) throw toError(res.status, await res.text());
  return res;
}

/**
 * Sends a text body with its own content type and answers the raw text. In
 * the desktop window it goes through the same binding as request() (which
 * can only carry strings).
 */
export async function requestText(method: string, path: string, body = '', contentType = 'text/plain'): Promise<string> {
  const desktop = window.go?.app?.App?.Request;
  if (typeof desktop === 'function') {
    let res: DesktopResponse;
    try {
      res = await desktop(method, path, body);
    } catch (e) {
      throw new ApiError(0, 'transport', `Grantbook could not handle the request: ${String(e)}`);
    }
    if (res.status < 200 || res.status >= 300) {
      const err = toError(res.status, res.body);
      if (res.status === 423 && err.code === 'locked') lockedListeners.forEach((fn) => fn());
      throw err;
    }
    return res.body;
  }
  const res = await webFetch(method, path, method === 'GET' || method === 'HEAD' ? undefined : body, method === 'GET' ? undefined : contentType);
  return res.text();
}

/** Offers a blob as a file download (works in browsers and WebKitGTK). */
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

/** The file name from a Content-Disposition header, if any. */
export function dispositionFilename(header: string | null, fallback: string): string {
  if (!header) return fallback;
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header);
  return m ? decodeURIComponent(m[1]) : fallback;
}

/** True when the server does not have the endpoint at all (older build). */
export function isMissingEndpoint(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 405 || (e.status === 404 && /no such api endpoint|not an api path/i.test(e.message)));
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

/** Message to show for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
