// Between the API's contact and grant JSON and the drafts the forms edit,
// with the checks made before sending.
import type { AccessDraft, Contact, PersonDraft } from './types';
import type { Catalog } from '../stores/app.svelte';
import type { FieldErrors } from './form.svelte';
import { isEmail, lastValidDay, todayISO } from './format';

/** How far a grant being edited may reach: in the client area, no
 * further than the manager's own (GET /api/portal/grantable). */
export interface GrantLimits {
  services: { id: number; name: string }[];
  /** every service may be given, also ones added later */
  allServices: boolean;
  /** admin access may be given at all, and to everything */
  admin: boolean;
  adminAll: boolean;
  /** yyyy-mm-dd, the last day the manager's own access works ('' never ends) */
  lastDay: string;
}

export function emptyAccess(catalog: Catalog | null, preset: string): AccessDraft {
  const p = catalog?.presets.find((x) => x.name === preset);
  return {
    preset,
    permissions: [...(p?.permissions || [])],
    scope: 'all',
    service_ids: [],
    expiry: 'never',
    expires_on: '',
    expires_at_original: null,
    expires_on_original: '',
    admin_mode: 'off',
    admin_areas: [],
    billing_scope: 'services',
  };
}

/** Draft from a stored contact. When keepServices is false (contact from
 * another account) the service selection is reset to all services. */
export function accessFromContact(c: Contact, keepServices = true): AccessDraft {
  const g = c.grant;
  const ids = keepServices && !g.all_services && g.service_ids ? [...g.service_ids] : [];
  const day = lastValidDay(g.expires_at);
  let adminMode: AccessDraft['admin_mode'] = 'off';
  if (c.admin) adminMode = c.admin.all ? 'all' : 'areas';
  return {
    preset: g.preset || 'custom',
    permissions: [...(g.permissions || [])],
    scope: ids.length > 0 ? 'selected' : 'all',
    service_ids: ids,
    expiry: day ? 'date' : 'never',
    expires_on: day,
    expires_at_original: g.expires_at || null,
    expires_on_original: day,
    admin_mode: adminMode,
    admin_areas: c.admin && !c.admin.all ? [...(c.admin.areas || [])] : [],
    billing_scope: g.billing_scope === 'account' ? 'account' : 'services',
  };
}

export interface AccessBody {
  preset: string;
  permissions?: string[];
  service_ids: number[];
  /** a plain date: access lasts through that day in the owner's time zone */
  expires_at?: string | null;
  admin?: { all: true } | { areas: string[] } | null;
  billing_scope: 'services' | 'account';
}

/**
 * API fields for a draft. forPatch: send explicit nulls to clear expiry/admin;
 * otherwise omit them.
 */
export function accessBody(d: AccessDraft, forPatch: boolean): AccessBody {
  const body: AccessBody = {
    preset: d.preset,
    service_ids: d.scope === 'selected' ? [...d.service_ids] : [],
    billing_scope: d.billing_scope,
  };
  if (d.preset === 'custom') body.permissions = [...d.permissions];
  if (d.expiry === 'date' && d.expires_on) {
    body.expires_at =
      d.expires_at_original && d.expires_on === d.expires_on_original ? d.expires_at_original : d.expires_on;
  } else if (forPatch) {
    body.expires_at = null;
  }
  if (d.admin_mode === 'all') body.admin = { all: true };
  else if (d.admin_mode === 'areas') body.admin = { areas: [...d.admin_areas] };
  else if (forPatch) body.admin = null;
  return body;
}

export function validateAccess(d: AccessDraft): FieldErrors {
  const errs: FieldErrors = {};
  if (d.preset === 'custom' && d.permissions.length === 0 && d.admin_mode === 'off') {
    errs.permissions = 'Choose at least one action, or pick a preset.';
  }
  if (d.scope === 'selected' && d.service_ids.length === 0) {
    errs.service_ids = 'Choose at least one service, or allow all services.';
  }
  if (d.expiry === 'date') {
    if (!d.expires_on) errs.expires_at = 'Choose the last day of access, or pick "Never".';
    else if (d.expires_on < todayISO() && d.expires_on !== d.expires_on_original)
      errs.expires_at = 'This date is in the past: access would already have ended.';
  }
  if (d.admin_mode === 'areas' && d.admin_areas.length === 0) {
    errs.admin = 'Choose at least one admin area, or turn admin access off.';
  }
  return errs;
}

export function emptyPerson(): PersonDraft {
  return { account_type: 'individual', first_name: '', last_name: '', email: '', phone: '', company: '', role: '' };
}

export function personFromContact(c: Contact): PersonDraft {
  return {
    account_type: c.account_type === 'company' ? 'company' : 'individual',
    first_name: c.first_name || '',
    last_name: c.last_name || '',
    email: c.email || '',
    phone: c.phone || '',
    company: c.company || '',
    role: c.role || '',
  };
}

export function validatePerson(p: PersonDraft, requireEmail = true): FieldErrors {
  const errs: FieldErrors = {};
  if (!p.first_name.trim()) errs.first_name = 'Enter a first name.';
  if (!p.last_name.trim()) errs.last_name = 'Enter a last name.';
  if (requireEmail) {
    if (!p.email.trim()) errs.email = 'Enter an email address.';
    else if (!isEmail(p.email)) errs.email = 'This does not look like an email address (for example name@company.com).';
  }
  if (p.account_type === 'company' && !p.company.trim()) errs.company = 'Enter the company name for a company account.';
  return errs;
}

export function personBody(p: PersonDraft) {
  return {
    account_type: p.account_type,
    first_name: p.first_name.trim(),
    last_name: p.last_name.trim(),
    email: p.email.trim(),
    phone: p.phone.trim(),
    company: p.company.trim(),
    role: p.role.trim(),
  };
}

/** The server field names of the permission editor and of PersonFields. */
export const ACCESS_FIELDS = ['preset', 'permissions', 'service_ids', 'expires_at', 'admin', 'billing_scope'];

/** Actions that only make sense with another one of the same grant. */
export const REQUIRES: Record<string, string[]> = { 'quotes.accept': ['quotes.view'] };

/** After names were turned on or off: what they need comes with them, and
 * what needs a name turned off goes with it. */
export function withRequirements(perms: string[], names: string[], on: boolean): string[] {
  const set = new Set(perms);
  for (const [p, needs] of Object.entries(REQUIRES)) {
    if (on && names.includes(p)) needs.forEach((n) => set.add(n));
    if (!on && needs.some((n) => names.includes(n))) set.delete(p);
  }
  return perms.filter((p) => set.has(p)).concat([...set].filter((p) => !perms.includes(p)));
}
export const PERSON_FIELDS = ['account_type', 'first_name', 'last_name', 'email', 'phone', 'company', 'role'];
