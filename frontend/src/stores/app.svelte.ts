// What the owner UI shares across pages: the accounts and the current one,
// the permission catalog (presets come only from GET /api/permissions), the
// services of each account, and the window's lock.
import { errorMessage, request } from '../lib/api';
import type { Account, AdminArea, PermissionInfo, Preset, Service, TimeZone } from '../lib/types';
import { setTimeZone } from '../lib/format';

const ACCOUNT_KEY = 'grantbook.account';

export interface Catalog {
  permissions: PermissionInfo[];
  presets: Preset[];
  admin_areas: AdminArea[];
}

export const app = $state({
  accounts: [] as Account[],
  accountsLoaded: false,
  accountsError: '',
  accountId: null as number | null,
  catalog: null as Catalog | null,
  catalogError: '',
  services: {} as Record<number, Service[]>,
  /** The window answered 423 and waits for the passphrase. */
  locked: false,
  /** An owner passphrase is set (GET /api/lock). */
  lockEnabled: false,
  /** Bumped to remount the current page (after unlocking or a restore). */
  reloadKey: 0,
  /** The owner's time zone: every date and time is shown in it. */
  timeZone: { time_zone: '', effective: '' } as TimeZone,
});

/** Reads the owner's time zone; dates are shown in it from then on. */
export async function loadTimeZone(): Promise<void> {
  try {
    app.timeZone = await request<TimeZone>('GET', '/api/settings/time-zone');
  } catch {
    /* the browser's zone until it can be read */
  }
  setTimeZone(app.timeZone.effective);
}

function rememberedAccount(): number | null {
  try {
    const v = localStorage.getItem(ACCOUNT_KEY);
    return v && /^\d+$/.test(v) ? Number(v) : null;
  } catch {
    return null;
  }
}

export function selectAccount(id: number | null): void {
  app.accountId = id;
  try {
    if (id === null) localStorage.removeItem(ACCOUNT_KEY);
    else localStorage.setItem(ACCOUNT_KEY, String(id));
  } catch {
    /* storage off: the choice lasts until the page reloads */
  }
}

export async function loadAccounts(): Promise<void> {
  try {
    const res = await request<{ accounts: Account[] | null }>('GET', '/api/accounts');
    app.accounts = res.accounts || [];
    app.accountsError = '';
    const ids = app.accounts.map((a) => a.id);
    let pick = app.accountId ?? rememberedAccount();
    if (pick === null || !ids.includes(pick)) pick = ids.length ? ids[0] : null;
    selectAccount(pick);
  } catch (e) {
    app.accountsError = errorMessage(e);
  } finally {
    app.accountsLoaded = true;
  }
}

export async function loadCatalog(): Promise<void> {
  if (app.catalog) return;
  try {
    app.catalog = await request<Catalog>('GET', '/api/permissions');
    app.catalogError = '';
  } catch (e) {
    app.catalogError = errorMessage(e);
  }
}

export async function loadServices(accountId: number, force = false): Promise<Service[]> {
  if (!force && app.services[accountId]) return app.services[accountId];
  const res = await request<{ services: Service[] | null }>('GET', `/api/accounts/${accountId}/services`);
  app.services[accountId] = res.services || [];
  return app.services[accountId];
}

export function currentAccount(): Account | null {
  return app.accounts.find((a) => a.id === app.accountId) || null;
}

/** A preset's label from the catalog (the name itself until it arrives). */
export function presetLabel(name: string): string {
  return app.catalog?.presets.find((p) => p.name === name)?.label || name;
}

export async function loadLockStatus(): Promise<void> {
  try {
    app.lockEnabled = (await request<{ enabled: boolean }>('GET', '/api/lock')).enabled;
  } catch {
    /* shown as "no passphrase" until Settings reads it again */
  }
}

/** Reloads shared data and remounts the page (after unlocking or restoring). */
export function reloadAll(): void {
  app.catalog = null;
  app.services = {};
  loadAccounts();
  loadCatalog();
  loadLockStatus();
  app.reloadKey++;
}
