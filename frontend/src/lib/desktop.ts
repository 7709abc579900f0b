// What only the desktop window has: its native file dialogs (Go bindings)
// and the events the Go side sends. Everything else goes through api.ts.
import type { RestoreResult } from './api-types';

interface Bindings {
  ExportBackup?: () => Promise<string>;
  RestoreBackup?: () => Promise<RestoreResult | null>;
}

declare global {
  interface Window {
    go?: { app?: { App?: Bindings } };
    runtime?: { EventsOn?: (name: string, cb: (...args: unknown[]) => void) => (() => void) | void };
  }
}

/** True inside the Wails window (its bindings are injected before the page). */
export function isDesktop(): boolean {
  return typeof window !== 'undefined' && typeof window.go?.app?.App?.ExportBackup === 'function';
}

/** The window's bindings; callers check isDesktop() first. */
export function bindings(): Bindings {
  return window.go?.app?.App || {};
}

/** Calls fn on a Go event (desktop only); returns the unsubscribe. */
export function onDesktopEvent(name: string, fn: () => void): () => void {
  const off = window.runtime?.EventsOn?.(name, fn);
  return typeof off === 'function' ? off : () => {};
}
