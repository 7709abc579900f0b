import type { Contact } from './types';

const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

function parse(value: string | null | undefined): Date | null {
  if (!value) return null;
  const d = new Date(value);
  return isNaN(d.getTime()) ? null : d;
}

/** Local date, e.g. "31 Jan 2026". */
export function formatDate(value: string | null | undefined): string {
  const d = parse(value);
  return d ? dateFmt.format(d) : '';
}

/** Local date and time. */
export function formatDateTime(value: string | null | undefined): string {
  const d = parse(value);
  return d ? dateTimeFmt.format(d) : '';
}

/** Local time of day, e.g. "14:05"; with the date when it is not today. */
export function formatTime(value: string | null | undefined): string {
  const d = parse(value);
  if (!d) return '';
  return d.toDateString() === new Date().toDateString() ? timeFmt.format(d) : dateTimeFmt.format(d);
}

function pad(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/**
 * The last day (yyyy-mm-dd) on which a grant is valid. The API stores the
 * exclusive end instant: a plain date "2026-01-31" becomes
 * "2026-02-01T00:00:00Z", so a UTC-midnight value maps back to the day before.
 */
export function lastValidDay(expiresAt: string | null | undefined): string {
  const d = parse(expiresAt);
  if (!d) return '';
  if (d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0 && d.getUTCMilliseconds() === 0) {
    const prev = new Date(d.getTime() - 24 * 3600 * 1000);
    return `${prev.getUTCFullYear()}-${pad(prev.getUTCMonth() + 1)}-${pad(prev.getUTCDate())}`;
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Human form of a yyyy-mm-dd date, in local format. */
export function formatDay(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  return dateFmt.format(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

export function todayISO(): string {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function fullName(c: { first_name?: string; last_name?: string; email?: string }): string {
  const n = [c.first_name, c.last_name].filter(Boolean).join(' ').trim();
  return n || c.email || 'Unnamed contact';
}

export function initials(c: { first_name?: string; last_name?: string; email?: string }): string {
  const a = (c.first_name || '').trim()[0] || '';
  const b = (c.last_name || '').trim()[0] || '';
  const s = (a + b) || (c.email || '?')[0];
  return s.toUpperCase();
}

export function capitalize(s: string): string {
  if (!s) return s;
  return s[0].toUpperCase() + s.slice(1);
}

export const ROLE_OPTIONS = ['Staff', 'Accountant', 'Developer', 'Project manager'];

export function roleLabel(role: string): string {
  if (!role) return '';
  const known = ROLE_OPTIONS.find((r) => r.toLowerCase() === role.toLowerCase());
  return known || capitalize(role);
}

export function servicesLabel(c: Contact): string {
  if (c.grant.all_services || !c.grant.service_ids || c.grant.service_ids.length === 0) return 'All services';
  const n = c.grant.service_ids.length;
  return n === 1 ? '1 service' : `${n} services`;
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function isEmail(s: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s.trim());
}

export function prettyJSON(v: unknown): string {
  if (v === null || v === undefined) return '—';
  try {
    return JSON.stringify(v, null, 2);
  } catch {
    return String(v);
  }
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** An amount in cents with its ISO currency, e.g. "€123.45". */
export function formatMoney(cents: number, currency: string): string {
  const cur = (currency || 'EUR').toUpperCase();
  let f = moneyFormats.get(cur);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency: cur });
    } catch {
      return `${(cents / 100).toFixed(2)} ${cur}`;
    }
    moneyFormats.set(cur, f);
  }
  return f.format(cents / 100);
}

/** Parses "123", "123.4" or "123,45" into cents; null when malformed. */
export function parseAmount(text: string): number | null {
  const t = text.trim().replace(/\s/g, '');
  if (!/^\d+(?:[.,]\d{1,2})?$/.test(t)) return null;
  const [whole, frac = ''] = t.split(/[.,]/);
  return Number(whole) * 100 + Number((frac + '00').slice(0, 2));
}

/** A short description of a browser user agent ("Chrome on Linux"). */
export function describeUserAgent(ua: string): string {
  if (!ua) return 'Unknown browser';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\//.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /HeadlessChrome\//.test(ua)
          ? 'Headless Chrome'
          : /Chrom(e|ium)\//.test(ua)
            ? 'Chrome'
            : /Safari\//.test(ua)
              ? 'Safari'
              : /curl\//i.test(ua)
                ? 'curl'
                : '';
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Mac OS X|Macintosh/.test(ua)
        ? 'macOS'
        : /Android/.test(ua)
          ? 'Android'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  if (browser && os) return `${browser} on ${os}`;
  return browser || os || ua.slice(0, 40);
}

/** An evaluation's reason as a sentence: "denied: grant is Billing; x not
 * included" → "Grant is Billing; x not included." */
export function reasonText(reason: string): string {
  const r = reason.replace(/^(denied|allowed):\s*/i, '').trim();
  if (!r) return '';
  const s = r[0].toUpperCase() + r.slice(1);
  return /[.!?]$/.test(s) ? s : s + '.';
}

/** A refusal's reason after "Not allowed: ". */
export function notAllowed(reason: string): string {
  const r = reasonText(reason);
  return r ? 'Not allowed: ' + r[0].toLowerCase() + r.slice(1) : 'Not allowed.';
}
