// One confirmed action at a time (a delete, a revert, mark paid): busy
// while it runs, its failure kept for the confirmation dialog to show, a
// toast when it is done.
import { errorMessage } from './api';
import { toast } from '../stores/toasts.svelte';

export class Action {
  busy = $state(false);
  error = $state('');

  /** Runs fn; on success toasts done and returns true. */
  async run(fn: () => Promise<unknown>, done: string): Promise<boolean> {
    this.busy = true;
    this.error = '';
    try {
      await fn();
      toast(done);
      return true;
    } catch (e) {
      this.error = errorMessage(e);
      return false;
    } finally {
      this.busy = false;
    }
  }

  reset(): void {
    this.error = '';
  }
}
