// Words for issue 17's lifecycle: days left, why an invitation waits,
// review flags. Shared by Needs your attention, the invitations list,
// the contact page and the access reviews.
import type { Invitation } from './types';
import { plural } from './format';

/** "expires in 3 days", "expires today"; '' when not pending. */
export function expiresIn(days: number | null | undefined): string {
  if (days === null || days === undefined) return '';
  return days === 0 ? 'expires today' : `expires in ${plural(days, 'day', 'days')}`;
}

/** Whole days until an instant: 0 within a day, negative once past. */
export function daysUntil(at: string | null | undefined): number | null {
  if (!at) return null;
  const t = new Date(at).getTime();
  return isNaN(t) ? null : Math.floor((t - Date.now()) / 86400000);
}

/** Why an invitation waits for the owner. */
export function awaitingReason(inv: Pick<Invitation, 'awaiting_reason'>): string {
  return inv.awaiting_reason === 'high_privilege' ? 'You asked to confirm high privilege' : 'Unverified sender';
}

const FLAGS: Record<string, string> = { unused: 'Unused', high_privilege: 'High privilege' };
export function flagLabel(f: string): string {
  return FLAGS[f] || f;
}
