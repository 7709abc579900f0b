// A step that asks first: what it is about (`target`, null while closed),
// then running it with busy and error for a ConfirmDialog.
import { errorMessage } from './api';

export class Confirm<T> {
  target: T | null = $state(null);
  busy = $state(false);
  error = $state('');

  open = (t: T): void => {
    this.target = t;
    this.error = '';
  };

  close = (): void => {
    this.target = null;
  };

  /** Runs fn on the target; closes on success, keeps the error otherwise. */
  run = async (fn: (t: T) => Promise<unknown>): Promise<void> => {
    const t = this.target;
    if (t === null) return;
    this.busy = true;
    this.error = '';
    try {
      await fn(t);
      this.target = null;
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.busy = false;
    }
  };
}
