export interface Account {
  id: number;
  name: string;
  created_at: string;
  service_count: number;
  contact_count: number;
  email?: string;
  phone?: string;
  address?: string;
}

export type ServiceKind = 'hosting' | 'domain' | 'licence' | 'email' | 'other';
export type ServiceStatus = 'active' | 'suspended' | 'cancelled';

export interface Service {
  id: number;
  account_id: number;
  name: string;
  kind: ServiceKind;
  status: ServiceStatus;
  created_at: string;
}

export interface Grant {
  preset: string;
  permissions: string[];
  all_services: boolean;
  service_ids: number[] | null;
  expires_at: string | null;
}

export interface AdminAccess {
  all?: boolean;
  areas?: string[] | null;
}

export interface Contact {
  id: number;
  account_id: number;
  account_type: 'individual' | 'company';
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
  company: string;
  role: string;
  status: 'active' | 'invited' | 'suspended';
  effective_status: 'active' | 'expired' | 'invited' | 'suspended';
  grant: Grant;
  admin: AdminAccess | null;
  created_at: string;
  updated_at: string;
}

export interface PermissionDef {
  name: string;
  label: string;
  group: string;
  service_scoped: boolean;
}

export interface PresetDef {
  name: string;
  label: string;
  description: string;
  permissions: string[];
}

export interface AdminArea {
  name: string;
  label: string;
  site_id?: number;
  site?: string;
}

export interface Catalog {
  permissions: PermissionDef[];
  presets: PresetDef[];
  admin_areas: AdminArea[];
}

export interface AccessRow {
  permission: string;
  label: string;
  group: string;
  allowed: boolean;
  reason: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entity_id: number;
  summary: string;
  before: unknown;
  after: unknown;
}

export type InvitationState = 'queued' | 'sent' | 'awaiting' | 'accepted' | 'declined' | 'expired' | 'revoked' | 'bounced' | 'voided';

export interface Invitation {
  id: number;
  account_id: number;
  contact_id: number | null;
  email: string;
  name: string;
  state: InvitationState;
  created_at: string;
  sent_at: string | null;
  expires_at: string | null;
  decided_at: string | null;
  detail: string;
  /** what an awaiting (unverified) reply asked for */
  review?: '' | 'accept' | 'decline';
  /** a delivery report that changes nothing by itself */
  notice?: '' | 'possible_bounce' | 'delayed';
  notice_detail?: string;
  notice_at?: string | null;
}

export type Security = 'tls' | 'starttls' | 'plain';

export interface SmtpSettings {
  host: string;
  port: number;
  security: Security;
  username: string;
  password_set: boolean;
  from_name: string;
  from_email: string;
  password?: string;
}

export interface ImapSettings {
  host: string;
  port: number;
  security: Security;
  username: string;
  password_set: boolean;
  mailbox: string;
  /** authserv-id of the owner's receiving server (RFC 8601) */
  trusted_authserv_id?: string;
  password?: string;
}

export interface MailSettings {
  smtp: SmtpSettings;
  imap: ImapSettings;
  invitation_expiry_days: number;
}

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
}

/** Editable person details shared by add / invite / detail. */
export interface PersonDraft {
  account_type: 'individual' | 'company';
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
  company: string;
  role: string;
}

export interface Invoice {
  id: number;
  account_id: number;
  /** 0: not tied to a service */
  service_id: number;
  number: string;
  amount_cents: number;
  currency: string;
  status: 'unpaid' | 'paid' | string;
  issued_at: string;
  due_at: string | null;
  paid_at: string | null;
  paid_by: string;
}

export interface Quote {
  id: number;
  account_id: number;
  number: string;
  title: string;
  amount_cents: number;
  currency: string;
  issued_at: string;
}

export interface SupportRequest {
  id: number;
  account_id: number;
  /** 0: not about a service */
  service_id: number;
  subject: string;
  body: string;
  status: 'open' | 'closed' | string;
  opened_by: string;
  created_at: string;
}

export interface PortalSession {
  id: number;
  created_at: string;
  last_seen: string;
  expires_at: string;
  revoked_at: string | null;
  user_agent: string;
  remote_addr: string;
}

export type PortalSection = 'services' | 'invoices' | 'quotes' | 'support' | 'profile';

export interface PortalHome {
  contact: Contact;
  account: string;
  sections: Record<PortalSection, boolean>;
  csrf_token: string;
  /** What a support request may be opened about (support.open). */
  support_targets: { services: { id: number; name: string }[]; none: boolean };
  /** The client areas the person may switch to (one address, several accounts). */
  accounts: PortalAccount[];
}

export interface PortalAccount {
  contact_id: number;
  account: string;
}

export interface ImportJob {
  state: 'running' | 'done' | 'failed';
  total: number;
  processed: number;
  imported: number;
  errors: { line: number; message: string }[] | null;
  /** every row with an error; `errors` lists the first 100 */
  error_count?: number;
}

export type MailVerdict = 'accept' | 'decline' | 'bounce' | 'reject' | 'ignore';

/** One decision of the reply classifier (GET /api/mail/events). */
export interface MailEvent {
  id: number;
  at: string;
  /** 0 when the message matched no invitation */
  invitation_id: number;
  uid: number;
  message_id: string;
  from: string;
  subject: string;
  verdict: MailVerdict | string;
  reason: string;
}

/** GET /api/mail/status */
export interface MailStatus {
  outbox: {
    last_error: string;
    last_error_at?: string;
    last_sent_at?: string;
    retry_at?: string;
  };
  /** outbox messages by state: pending, sent, failed, cancelled (absent: 0) */
  messages: Record<string, number> | null;
  inbox: {
    /** off, connecting, idle, polling, error */
    state: string;
    /** idle or polling */
    mode: string;
    last_error: string;
    last_error_at?: string;
    last_check_at?: string;
  };
  secrets?: string;
}

/** The editable invitation email (GET/PUT /api/settings/template). */
export interface InvitationTemplate {
  subject: string;
  body: string;
}
