// The one data loader of the UI: loading, error, retry, and a reload
// whenever the reactive values the fetch reads change (an account, a
// filter, a page). Answers that arrive after a newer request are dropped.
import { untrack } from 'svelte';
import { ApiError, errorMessage } from './api';

export class Loader<T> {
  data: T = $state() as T;
  /** a request is on its way */
  loading = $state(true);
  /** an answer (or an error) has arrived at least once */
  loaded = $state(false);
  error = $state('');
  /** the last answer was a 404: the record is gone (or not this user's) */
  missing = $state(false);

  #fetch: () => Promise<T> | null;
  #describe: (e: unknown) => string;
  #seq = 0;

  constructor(fetch: () => Promise<T> | null, initial: T, describe: (e: unknown) => string = errorMessage) {
    this.data = initial;
    this.#fetch = fetch;
    this.#describe = describe;
    // The fetch runs inside the effect so that what it reads is tracked.
    $effect(() => {
      const p = fetch();
      untrack(() => this.#settle(p));
    });
  }

  /** Fetches again now (a Try again button, a refresh, polling). */
  reload = (): Promise<void> => this.#settle(untrack(this.#fetch));

  async #settle(p: Promise<T> | null): Promise<void> {
    const my = ++this.#seq;
    if (!p) {
      this.loading = false;
      return;
    }
    this.loading = true;
    try {
      const v = await p;
      if (my === this.#seq) {
        this.data = v;
        this.error = '';
        this.missing = false;
      }
    } catch (e) {
      if (my === this.#seq) {
        this.error = this.#describe(e);
        this.missing = e instanceof ApiError && e.status === 404;
      }
    } finally {
      if (my === this.#seq) {
        this.loading = false;
        this.loaded = true;
      }
    }
  }
}

/** Loads with fetch; see Loader. Call it while a component initialises. */
export function load<T>(fetch: () => Promise<T> | null, initial: T, describe?: (e: unknown) => string): Loader<T> {
  return new Loader(fetch, initial, describe);
}
