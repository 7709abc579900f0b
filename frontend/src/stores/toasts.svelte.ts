// Short confirmations and failures, shown bottom right for a few seconds.
export interface Toast {
  id: number;
  kind: 'success' | 'error' | 'info';
  text: string;
}

export const toasts = $state<Toast[]>([]);
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
