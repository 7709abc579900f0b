// Needs your attention, shared by the sidebar badge and its page: loaded
// once, again on the window's events (attention:changed,
// invitations:changed) and, in a browser, every half minute.
import { errorMessage, request } from '../lib/api';
import { isDesktop, onDesktopEvent } from '../lib/desktop';
import type { Attention } from '../lib/types';

export const attention = $state({ data: null as Attention | null, error: '', loading: false });
let seq = 0;

export async function loadAttention(): Promise<void> {
  const my = ++seq;
  attention.loading = true;
  try {
    const a = await request<Attention>('GET', '/api/attention');
    if (my === seq) (attention.data = a), (attention.error = '');
  } catch (e) {
    if (my === seq) attention.error = errorMessage(e);
  } finally {
    if (my === seq) attention.loading = false;
  }
}

/** Starts watching; returns the stop. */
export function watchAttention(): () => void {
  loadAttention();
  const offs = ['attention:changed', 'invitations:changed'].map((e) => onDesktopEvent(e, loadAttention));
  const timer = setInterval(() => document.visibilityState === 'visible' && loadAttention(), isDesktop() ? 60000 : 30000);
  return () => {
    offs.forEach((off) => off());
    clearInterval(timer);
  };
}
