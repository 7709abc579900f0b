// Short confirmations and failures, shown for a few seconds at a corner
// that holds no controls (see base/Toasts); Escape dismisses the newest.
export interface Toast {
  id: number;
  kind: 'success' | 'error' | 'info';
  text: string;
}

export const toasts = $state<Toast[]>([]);
/** Shells mounted: each shows the toasts in its own free corner. */
export const toastDocks = $state({ shells: 0 });
let seq = 0;

export function toast(text: string, kind: Toast['kind'] = 'success', ms = 4000): void {
  const id = ++seq;
  toasts.push({ id, kind, text });
  setTimeout(() => dismissToast(id), ms);
}

export function dismissToast(id: number): void {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}

/** Escape outside a dialog dismisses the newest toast. */
export function dismissByKey(e: KeyboardEvent): void {
  if (e.key !== 'Escape' || e.defaultPrevented || !toasts.length) return;
  if (document.querySelector('dialog[open]')) return; // Escape closes the dialog
  dismissToast(toasts[toasts.length - 1].id);
}
