// One confirmed action at a time (a delete, a revert, mark paid): busy
// while it runs, its failure kept for the confirmation dialog to show, a
// toast when it is done.
import { ApiError, errorMessage } from './api';
import { toast } from '../stores/toasts.svelte';

export class Action {
  busy = $state(false);
  error = $state('');

  /** Runs fn; on success toasts done and returns true. A 409 means the
   * thing changed meanwhile: stale reloads what the page shows behind the
   * dialog, which keeps the reason. */
  async run(fn: () => Promise<unknown>, done: string, stale?: () => void): Promise<boolean> {
    this.busy = true;
    this.error = '';
    try {
      await fn();
      toast(done);
      return true;
    } catch (e) {
      this.error = errorMessage(e);
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
