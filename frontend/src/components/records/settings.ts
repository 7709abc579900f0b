// A service's settings as a form edits them: one string (or boolean) per
// field of its kind, and back to the JSON values the API takes. Shared by
// the owner's service page and the client area's.
import type { ServiceField } from '../../lib/types';
import type { FieldErrors } from '../../lib/form.svelte';
import { isEmail } from '../../lib/format';

export type SettingsDraft = Record<string, string | boolean>;

/** The form's name of a setting: the API reports its errors so. */
export const settingName = (f: { name: string }) => 'settings.' + f.name;

function draftValue(f: ServiceField, v: unknown): string | boolean {
  if (f.type === 'bool') return v === true;
  if (f.type === 'nameservers') return Array.isArray(v) ? v.join('\n') : '';
  return v === null || v === undefined ? '' : String(v);
}

export function settingsDraft(fields: (ServiceField & { value?: unknown })[]): SettingsDraft {
  return Object.fromEntries(fields.map((f) => [f.name, draftValue(f, f.value)]));
}

/** The settings that differ from `saved`, as the API takes them (null
 * clears), with the local checks' errors by form name. */
export function settingsChanges(fields: ServiceField[], saved: SettingsDraft, draft: SettingsDraft): { changes: Record<string, unknown>; errors: FieldErrors } {
  const changes: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const f of fields) {
    const v = draft[f.name];
    if (v === saved[f.name]) continue;
    const text = typeof v === 'string' ? v.trim() : '';
    switch (f.type) {
      case 'bool':
        changes[f.name] = v === true;
        break;
      case 'nameservers': {
        const hosts = text.split(/[\s,]+/).filter(Boolean);
        if (hosts.length < 2) errors[settingName(f)] = 'Enter at least two nameservers, one per line.';
        changes[f.name] = hosts;
        break;
      }
      case 'count':
        if (text && !/^\d+$/.test(text)) errors[settingName(f)] = 'Enter a whole number.';
        changes[f.name] = text ? Number(text) : null;
        break;
      case 'email':
        if (text && !isEmail(text)) errors[settingName(f)] = 'This does not look like an email address.';
        changes[f.name] = text || null;
        break;
      default:
        changes[f.name] = text || null;
    }
  }
  return { changes, errors };
}
