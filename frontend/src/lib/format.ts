import type { Contact } from './types';

// Dates and times in the owner's time zone (setTimeZone, from Settings),
// else the browser's. Each formatter is made on its first use: an ICU date
// formatter costs the web view memory, and most pages need one or two.
let zone: string | undefined;
type Kind = 'date' | 'dateTime' | 'time' | 'parts' | 'day';
const made = new Map<Kind, Intl.DateTimeFormat>();
const day = { year: 'numeric', month: 'short', day: 'numeric' } as const;

function fmt(kind: Kind): Intl.DateTimeFormat {
  let f = made.get(kind);
  if (!f) {
    const timeZone = zone;
    switch (kind) {
      case 'date':
        f = new Intl.DateTimeFormat(undefined, { ...day, timeZone });
        break;
      case 'dateTime':
        f = new Intl.DateTimeFormat(undefined, { ...day, hour: '2-digit', minute: '2-digit', timeZone });
        break;
      case 'time':
        f = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone });
        break;
      case 'parts':
        f = new Intl.DateTimeFormat('en-CA', {
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
          hourCycle: 'h23',
          timeZone,
        });
        break;
      case 'day': // calendar days (yyyy-mm-dd) are shown as they are, in no zone
        f = new Intl.DateTimeFormat(undefined, { ...day, timeZone: 'UTC' });
        break;
    }
    made.set(kind, f);
  }
  return f;
}

/** Shows dates and times in an IANA zone from now on ("" or an unknown
 * name: the browser's). */
export function setTimeZone(name: string): void {
  try {
    if (name) new Intl.DateTimeFormat(undefined, { timeZone: name }); // an unknown zone throws
  } catch {
    name = '';
  }
  zone = name || undefined;
  for (const k of made.keys()) if (k !== 'day') made.delete(k);
}

/** The zone dates are shown in; undefined: the browser's. */
export function timeZone(): string | undefined {
  return zone;
}

function parse(value: string | null | undefined): Date | null {
  if (!value) return null;
  const d = new Date(value);
  return isNaN(d.getTime()) ? null : d;
}

/** Date in the owner's zone, e.g. "31 Jan 2026". */
export function formatDate(value: string | null | undefined): string {
  const d = parse(value);
  return d ? fmt('date').format(d) : '';
}

/** Date and time in the owner's zone. */
export function formatDateTime(value: string | null | undefined): string {
  const d = parse(value);
  return d ? fmt('dateTime').format(d) : '';
}

/** Time of day, e.g. "14:05"; with the date when it is not today. */
export function formatTime(value: string | null | undefined): string {
  const d = parse(value);
  if (!d) return '';
  return dayOf(d) === dayOf(new Date()) ? fmt('time').format(d) : fmt('dateTime').format(d);
}

function pad(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** The calendar day (yyyy-mm-dd) and time of an instant in the owner's zone. */
function partsOf(d: Date): { day: string; midnight: boolean } {
  const p: Record<string, string> = {};
  for (const x of fmt('parts').formatToParts(d)) p[x.type] = x.value;
  return { day: `${p.year}-${p.month}-${p.day}`, midnight: p.hour === '00' && p.minute === '00' && p.second === '00' };
}

function dayOf(d: Date): string {
  return partsOf(d).day;
}

/** The day before a yyyy-mm-dd day. */
function dayBefore(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d - 1));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/**
 * The last day (yyyy-mm-dd) on which a grant is valid. The API stores the
 * exclusive end: a grant that lasts through a day ends at the next
 * midnight in the owner's zone (or, written before there was one, in UTC).
 */
export function lastValidDay(expiresAt: string | null | undefined): string {
  const d = parse(expiresAt);
  if (!d) return '';
  const here = partsOf(d);
  if (here.midnight) return dayBefore(here.day);
  if (d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0) return dayBefore(d.toISOString().slice(0, 10));
  return here.day;
}

/** Human form of a yyyy-mm-dd day. */
export function formatDay(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  return fmt('day').format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12)));
}

/** Today in the owner's zone. */
export function todayISO(): string {
  return dayOf(new Date());
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
