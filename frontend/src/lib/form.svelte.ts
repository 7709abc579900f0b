// The one error path of every form: a submit runs through Form.run, which
// shows local checks and the server's field errors under their fields
// (Field.svelte reads them) and anything else in a banner.
import { tick } from 'svelte';
import { ApiError, errorMessage } from './api';

export type FieldErrors = Record<string, string>;
/** Local checks: a message per field, or a falsy value where it is fine. */
export type Checks = Record<string, string | false | null | undefined>;

/** Maps a server field name onto a form's field ("admin.areas" → "admin"). */
function fieldOf(field: string, known: string[]): string | undefined {
  const f = field.replace(/\[\d+\]$/, '');
  if (known.includes(f)) return f;
  const root = f.split('.')[0];
  return known.includes(root) ? root : undefined;
}

export class Form {
  errors: FieldErrors = $state({});
  banner = $state('');
  busy = $state(false);
  /** the form element, for focusing the first invalid field */
  el: HTMLElement | undefined = $state();

  #fields: string[];
  #invalid: string;

  /** fields: the server field names this form shows; invalid: the banner
   * that goes with field errors ('' for none). */
  constructor(fields: string[], invalid = '') {
    this.#fields = fields;
    this.#invalid = invalid;
  }

  /** Runs a submit: with local errors it stops there; otherwise fn runs and
   * its failure is shown. Returns fn's result, or undefined on failure. */
  async run<T>(fn: () => Promise<T>, checks: Checks = {}): Promise<T | undefined> {
    const local = Object.fromEntries(Object.entries(checks).filter(([, v]) => v)) as FieldErrors;
    this.errors = local;
    this.banner = '';
    if (Object.keys(local).length) {
      this.banner = this.#invalid;
      this.#focus();
      return undefined;
    }
    this.busy = true;
    try {
      return await fn();
    } catch (e) {
      this.fail(e);
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  /** Shows an error: under its field when the server named one of ours. */
  fail(e: unknown): void {
    const field =
      e instanceof ApiError && e.field
        ? fieldOf(e.field, this.#fields)
        : e instanceof ApiError && e.code === 'conflict' && this.#fields.includes('email')
          ? 'email'
          : undefined;
    if (field) {
      this.errors = { [field]: errorMessage(e) };
      this.banner = this.#invalid;
      this.#focus();
    } else {
      this.errors = {};
      this.banner = errorMessage(e);
    }
  }

  clear(name: string): void {
    if (name in this.errors) delete this.errors[name];
  }

  reset(): void {
    this.errors = {};
    this.banner = '';
  }

  async #focus(): Promise<void> {
    await tick();
    this.el?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }
}
