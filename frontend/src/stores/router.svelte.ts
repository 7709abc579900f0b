// Hash routes of the owner UI: #/contacts, #/contacts/{id}, #/invitations,
// #/accounts[/{id}], #/services/{id}, #/audit, #/settings[/{section}],
// #/attention, #/reviews.
export type Page = 'contacts' | 'contact' | 'invitations' | 'accounts' | 'service' | 'audit' | 'settings' | 'attention' | 'reviews';

export interface Route {
  page: Page;
  id: number | null;
  /** a part of the page: Settings' section */
  section: string;
}

export function parseRoute(hash: string): Route {
  const [first, second = ''] = hash.replace(/^#\/?/, '').split('/');
  const id = second && /^\d+$/.test(second) ? Number(second) : null;
  switch (first) {
    case 'contacts':
      return id !== null ? { page: 'contact', id, section: '' } : { page: 'contacts', id: null, section: '' };
    case 'accounts':
      return { page: 'accounts', id, section: '' };
    case 'services':
      return id !== null ? { page: 'service', id, section: '' } : { page: 'accounts', id: null, section: '' };
    case 'settings':
      return { page: 'settings', id: null, section: /^[a-z-]+$/.test(second) ? second : '' };
    case 'invitations':
    case 'audit':
    case 'attention':
    case 'reviews':
      return { page: first, id: null, section: '' };
    default:
      return { page: 'contacts', id: null, section: '' };
  }
}

export const router = $state({ route: parseRoute(typeof window !== 'undefined' ? window.location.hash : '') });

/** A control a page should scroll to and focus once drawn (the window's
 * menu asks for one); the page clears it. */
export const reveal = $state({ target: '' });

export function navigate(path: string): void {
  const target = '#' + path;
  if (window.location.hash !== target) window.location.hash = target;
  else router.route = parseRoute(target);
}

export function startRouter(): () => void {
  const onHash = () => {
    if (/token=/.test(window.location.hash)) return;
    router.route = parseRoute(window.location.hash);
    window.scrollTo(0, 0);
  };
  window.addEventListener('hashchange', onHash);
  return () => window.removeEventListener('hashchange', onHash);
}
