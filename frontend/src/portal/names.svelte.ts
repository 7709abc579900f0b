// The names of the contact's services, which label invoices and support
// requests: asked for only when the grant lets the contact see services
// (each fetch is an audited "view services"); until then, and without that
// right, a service is "Service #id".
import type { Service } from '../lib/types';
import { serviceNames } from '../components/records/records';

export type ServiceNames = { readonly of: (id: number, none: string) => string };

/** Call it while a component initialises; show is read reactively. */
export function loadServiceNames(services: () => Promise<Service[]>, show: () => boolean): ServiceNames {
  let names = $state(serviceNames([]));
  $effect(() => {
    if (show()) services().then((list) => (names = serviceNames(list)), () => {});
  });
  return {
    get of() {
      return names;
    },
  };
}
