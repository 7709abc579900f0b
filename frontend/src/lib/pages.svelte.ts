// Each owner page but Contacts is its own chunk, loaded on its first visit
// (then from memory). Contacts, where the window opens, is in the entry: a
// chunk fetched while the app starts arrives only after the start's work.
import type { Component } from 'svelte';
import type { Page } from '../stores/router.svelte';
import Contacts from '../pages/Contacts.svelte';

type PageModule = { default: Component<any> };

const loaders: Record<Page, () => Promise<PageModule>> = {
  contacts: () => Promise.resolve({ default: Contacts }),
  contact: () => import('../pages/ContactDetail.svelte'),
  invitations: () => import('../pages/Invitations.svelte'),
  accounts: () => import('../pages/Accounts.svelte'),
  service: () => import('../pages/ServiceDetail.svelte'),
  audit: () => import('../pages/Audit.svelte'),
  settings: () => import('../pages/Settings.svelte'),
  attention: () => import('../pages/Attention.svelte'),
  reviews: () => import('../pages/Reviews.svelte'),
};

/** The pages loaded so far, and why the last one could not be. */
export const pages = $state({
  loaded: { contacts: Contacts } as Partial<Record<Page, Component<any>>>,
  failed: null as Page | null,
  error: '',
});

const pending = new Map<Page, Promise<void>>();

/** Starts loading page's module unless it is loaded or on its way. */
export function loadPage(page: Page): Promise<void> {
  if (pages.loaded[page]) return Promise.resolve();
  let p = pending.get(page);
  if (!p) {
    p = loaders[page]().then(
      (m) => {
        pages.loaded[page] = m.default;
        if (pages.failed === page) pages.failed = null;
      },
      (e: unknown) => {
        pages.failed = page;
        pages.error = e instanceof Error ? e.message : String(e);
      },
    );
    p.finally(() => pending.delete(page));
    pending.set(page, p);
  }
  return p;
}
