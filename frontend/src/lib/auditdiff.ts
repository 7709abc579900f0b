// An audit entry's before and after as field changes in words:
// "Access: Personal → Billing", "Allowed actions: added Pay invoices".
import { formatDateTime } from './format';
import { app, presetLabel } from '../stores/app.svelte';

export interface FieldChange {
  field: string;
  from: string;
  to: string;
}

const LABELS: Record<string, string> = {
  first_name: 'First name',
  last_name: 'Last name',
  account_type: 'Type',
  'grant.preset': 'Access',
  'grant.permissions': 'Allowed actions',
  'grant.all_services': 'All services',
  'grant.service_ids': 'Services',
  'grant.expires_at': 'Expires',
  'grant.billing_scope': 'Billing scope',
  'grant.term_days': 'Term (days)',
  'admin.all': 'Admin access: everything',
  'admin.areas': 'Admin access: areas',
  expires_at: 'Expires',
  smtp: 'Outgoing mail',
  imap: 'Incoming mail',
};
// Bookkeeping that says nothing to a person.
const SKIP = new Set(['id', 'created_at', 'updated_at', 'effective_status', 'email_key', 'search_key', 'token', 'message_id', 'invitation']);

function label(path: string): string {
  if (LABELS[path]) return LABELS[path];
  const last = path.split('.').pop() || path;
  const words = last.replace(/_ids?$/, '').replace(/_/g, ' ');
  return words[0].toUpperCase() + words.slice(1);
}

function permLabel(name: string): string {
  return app.catalog?.permissions.find((p) => p.name === name)?.label || name;
}

function serviceName(id: unknown): string {
  for (const list of Object.values(app.services)) {
    const s = list.find((x) => x.id === id);
    if (s) return s.name;
  }
  return `a service no longer listed`;
}

function words(path: string, v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (path.endsWith('preset') && typeof v === 'string') return presetLabel(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return 'none';
    if (path.endsWith('permissions')) return v.map((x) => permLabel(String(x))).join(', ');
    if (path.endsWith('service_ids')) return v.map(serviceName).join(', ');
    return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ');
  }
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) return formatDateTime(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function flatten(v: unknown, prefix: string, out: Map<string, unknown>) {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (SKIP.has(k)) continue;
      flatten(x, prefix ? `${prefix}.${k}` : k, out);
    }
  } else if (prefix) out.set(prefix, v);
}

/** The fields that differ; an entry with only one side lists what it held. */
export function fieldChanges(before: unknown, after: unknown): FieldChange[] {
  const b = new Map<string, unknown>();
  const a = new Map<string, unknown>();
  flatten(before, '', b);
  flatten(after, '', a);
  const out: FieldChange[] = [];
  for (const key of new Set([...b.keys(), ...a.keys()])) {
    const x = b.get(key);
    const y = a.get(key);
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (key.endsWith('permissions') && Array.isArray(x) && Array.isArray(y)) {
      const added = y.filter((p) => !x.includes(p)).map(String);
      const removed = x.filter((p) => !y.includes(p)).map(String);
      out.push({
        field: label(key),
        from: removed.length ? 'removed ' + removed.map(permLabel).join(', ') : '',
        to: added.length ? 'added ' + added.map(permLabel).join(', ') : '',
      });
      continue;
    }
    out.push({ field: label(key), from: before == null ? '' : words(key, x), to: after == null ? '' : words(key, y) });
  }
  return out;
}
