// The sync line's words (issue 18): what the window and the hub's owner
// page say about a pairing, from GET /api/sync or GET /api/sync/hub.
import { ApiError } from './api';
import type { SyncStatus } from './api-types';
import { formatDateTime, formatTime } from './format';

export const syncColour: Record<SyncStatus['state'], string> = {
  connected: 'green',
  catching_up: 'blue',
  offline: 'orange',
  unpaired: 'grey',
};

/** The pill's colour: red when the other side's stream was forged. */
export function syncTone(s: SyncStatus): string {
  return s.forged ? 'red' : syncColour[s.state];
}

/** One short line: connected / catching up (n changes) / offline since …
 * (onHub: said of a paired computer on the hub's page). */
export function syncLine(s: SyncStatus, onHub = false): string {
  // Forged changes in the other side's stream are done with, never pending:
  // say so rather than a progress that will not come.
  if (s.forged) return `${s.forged} ${s.forged === 1 ? 'change' : 'changes'} from ${onHub ? 'this computer' : 'the hub'} refused`;
  switch (s.state) {
    case 'connected':
      return onHub ? 'Connected' : 'Connected to your hub';
    case 'catching_up':
      return s.pending ? `Catching up (${s.pending} ${s.pending === 1 ? 'change' : 'changes'})` : 'Catching up';
    case 'offline':
      return s.offline_since ? `Offline since ${formatTime(s.offline_since)}` : 'Offline';
    default:
      return 'Not connected to a hub';
  }
}

/** When both sides were last seen in step. */
export function lastSync(s: SyncStatus): string {
  return s.last_sync ? `Last sync ${formatDateTime(s.last_sync)}` : 'Not yet in sync';
}

/** Reloads a sync status every 5 s while the calling component lives: the
 * state changes on its own (the link drops, the other side writes). */
export function pollSync(status: () => { reload: () => Promise<void> }): void {
  $effect(() => {
    const timer = setInterval(() => status().reload(), 5000);
    return () => clearInterval(timer);
  });
}

/** A sync GET's refusal where sync does not run (409, or 404 on an older
 * server) reads as no status; other errors stay errors. */
export function syncOff(e: unknown): null {
  if (e instanceof ApiError && (e.status === 409 || e.status === 404)) return null;
  throw e;
}
