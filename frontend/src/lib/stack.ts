// On a phone a table is shown as stacked cards (app.css): each cell gets
// the text of its column's header as data-label, so the card names every
// field without the markup saying it twice.
export function stack(table: HTMLTableElement) {
  const label = () => {
    const heads = [...(table.tHead?.rows[0]?.cells ?? [])].map((th) =>
      th.querySelector('.sr-only') ? '' : (th.textContent ?? '').trim(),
    );
    for (const body of table.tBodies) {
      for (const tr of body.rows) {
        let col = 0;
        for (const td of tr.cells) {
          const want = td.colSpan > 1 ? '' : (heads[col] ?? '');
          if (td.dataset.label !== want) td.dataset.label = want;
          col += td.colSpan;
        }
      }
    }
  };
  label();
  const watch = new MutationObserver(label);
  watch.observe(table, { childList: true, subtree: true });
  return { destroy: () => watch.disconnect() };
}
