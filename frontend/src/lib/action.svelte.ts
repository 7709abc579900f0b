// One action at a time (a delete, a revert, a sign-out, a report): busy
// while it runs, its failure kept for the dialog or the line that shows
// it, a toast when it is done.
import { ApiError, errorMessage } from './api';
import type { Form } from './form.svelte';
import { toast } from '../stores/toasts.svelte';

export class Action {
  busy = $state(false);
  error = $state('');

  #form: Form | undefined;

  /** form: a failure the server names a field for shows under that field
   * of it (and leaves error empty) instead. */
  constructor(form?: Form) {
    this.#form = form;
  }

  /** Runs fn; on success toasts done (when given) and returns true. A 409
   * means the thing changed meanwhile: stale reloads what the page shows
   * behind the dialog, which keeps the reason. A failure is kept in error,
   * or with failure 'toast' shown as a toast (no dialog to show it). */
  async run(fn: () => Promise<unknown>, done = '', stale?: () => void, failure: 'keep' | 'toast' = 'keep'): Promise<boolean> {
    this.busy = true;
    this.error = '';
    try {
      await fn();
      if (done) toast(done);
      return true;
    } catch (e) {
      if (failure === 'toast') toast(errorMessage(e), 'error', 6000);
      else if (this.#form && e instanceof ApiError && e.field) this.#form.fail(e);
      else this.error = errorMessage(e);
      if (e instanceof ApiError && e.status === 409) stale?.();
      return false;
    } finally {
      this.busy = false;
    }
  }

  reset(): void {
    this.error = '';
  }
}

/** Actions on the rows of a list (Resend, Keep, Sign out): which row is
 * busy; a failure is toasted, or, for a step a dialog confirmed, kept in
 * error for that dialog. */
export class RowAction<K> {
  on: K | null = $state(null);
  #act = new Action();

  get error(): string {
    return this.#act.error;
  }

  async run(key: K, fn: () => Promise<unknown>, done = '', confirmed = false): Promise<boolean> {
    this.on = key;
    const ok = await this.#act.run(fn, done, undefined, confirmed ? 'keep' : 'toast');
    this.on = null;
    return ok;
  }

  reset(): void {
    this.#act.reset();
  }
}
