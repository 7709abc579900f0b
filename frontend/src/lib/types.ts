// The API's bodies are generated from the Go structs (api-types.ts); this
// file adds what only the UI has: the drafts its forms edit.
import type { Contact } from './api-types';

export type * from './api-types';

/** Editable state of the permission editor. */
export interface AccessDraft {
  preset: string;
  permissions: string[];
  scope: 'all' | 'selected';
  service_ids: number[];
  expiry: 'never' | 'date';
  /** yyyy-mm-dd, the last day on which access is valid */
  expires_on: string;
  /** the RFC 3339 value loaded from the server, kept when the date is unchanged */
  expires_at_original: string | null;
  expires_on_original: string;
  admin_mode: 'off' | 'all' | 'areas';
  admin_areas: string[];
  /** billing follows the service selection, or covers the whole account */
  billing_scope: 'services' | 'account';
}

/** Editable person details shared by add, invite and detail. */
export type PersonDraft = Pick<Contact, 'account_type' | 'first_name' | 'last_name' | 'email' | 'phone' | 'company' | 'role'>;

export type PortalSection = 'services' | 'orders' | 'invoices' | 'quotes' | 'support' | 'emails' | 'contacts' | 'admin' | 'profile';
