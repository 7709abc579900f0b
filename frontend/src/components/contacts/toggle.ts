/** list with names added (on) or removed, in the order of `order` (names
 * not in it go last). */
export function toggled<T>(list: T[], names: T[], on: boolean, order: T[] = []): T[] {
  const set = new Set(list);
  for (const n of names) {
    if (on) set.add(n);
    else set.delete(n);
  }
  return [...order.filter((n) => set.has(n)), ...[...set].filter((n) => !order.includes(n))];
}
