import { request, errorMessage } from './api';
import type { Account, Catalog, Service } from './types';

const ACCOUNT_KEY = 'grantbook.account';

export type Page = 'contacts' | 'contact' | 'invitations' | 'accounts' | 'audit' | 'settings';

export interface Route {
  page: Page;
  id: number | null;
}

export interface Toast {
  id: number;
  kind: 'success' | 'error' | 'info';
  text: string;
}

export const app = $state({
  accounts: [] as Account[],
  accountsLoaded: false,
  accountsError: '',
  accountId: null as number | null,
  catalog: null as Catalog | null,
  catalogError: '',
  needToken: false,
  route: parseRoute(typeof window !== 'undefined' ? window.location.hash : '') as Route,
  toasts: [] as Toast[],
  services: {} as Record<number, Service[]>,
  /** Desktop only: the window answered 423 and waits for the passphrase. */
  locked: false,
  /** An owner passphrase is set (GET /api/lock). */
  lockEnabled: false,
  /** Bumped to remount the current page (after unlocking or a restore). */
  reloadKey: 0,
});

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const [first, second] = h.split('/');
  const id = second && /^\d+$/.test(second) ? Number(second) : null;
  switch (first) {
    case 'contacts':
      return id !== null ? { page: 'contact', id } : { page: 'contacts', id: null };
    case 'invitations':
      return { page: 'invitations', id: null };
    case 'accounts':
      return { page: 'accounts', id };
    case 'audit':
      return { page: 'audit', id: null };
    case 'settings':
      return { page: 'settings', id: null };
    default:
      return { page: 'contacts', id: null };
  }
}

export function navigate(path: string): void {
  const target = '#' + path;
  if (window.location.hash !== target) window.location.hash = target;
  else app.route = parseRoute(target);
}

export function startRouter(): () => void {
  const onHash = () => {
    if (/token=/.test(window.location.hash)) return;
    app.route = parseRoute(window.location.hash);
    window.scrollTo(0, 0);
  };
  window.addEventListener('hashchange', onHash);
  return () => window.removeEventListener('hashchange', onHash);
}

let toastSeq = 0;

export function toast(text: string, kind: Toast['kind'] = 'success', ms = 4000): void {
  const id = ++toastSeq;
  app.toasts = [...app.toasts, { id, kind, text }];
  setTimeout(() => dismissToast(id), ms);
}

export function dismissToast(id: number): void {
  app.toasts = app.toasts.filter((t) => t.id !== id);
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
    /* ignore */
  }
}

export async function loadAccounts(): Promise<void> {
  try {
    const res = await request<{ accounts: Account[] }>('GET', '/api/accounts');
    app.accounts = res?.accounts || [];
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
  const res = await request<{ services: Service[] }>('GET', `/api/accounts/${accountId}/services`);
  app.services[accountId] = res?.services || [];
  return app.services[accountId];
}

export function currentAccount(): Account | null {
  return app.accounts.find((a) => a.id === app.accountId) || null;
}

export function presetLabel(name: string): string {
  const p = app.catalog?.presets.find((x) => x.name === name);
  if (p) return p.label;
  if (name === 'custom') return 'Custom';
  return name ? name[0].toUpperCase() + name.slice(1) : '';
}

export async function loadLockStatus(): Promise<void> {
  try {
    const res = await request<{ enabled: boolean }>('GET', '/api/lock');
    app.lockEnabled = !!res?.enabled;
  } catch {
    /* older server without the lock: leave it off */
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
