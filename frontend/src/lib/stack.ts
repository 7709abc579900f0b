// A table that does not fit its card, and every table on a phone, is shown
// as stacked cards (styles/pieces.css, .table-wrap.stacked): each cell gets
// the text of its column's header as data-label, so the card names every
// field without the markup saying it twice.
const phone = typeof matchMedia === 'function' ? matchMedia('(max-width: 767px)') : null;

export function stack(table: HTMLTableElement) {
  const wrap = table.parentElement;
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
  // Measured as a table in the same frame, so nothing flickers.
  const fit = () => {
    if (!wrap) return;
    wrap.classList.remove('stacked');
    if (phone?.matches || table.offsetWidth > wrap.clientWidth + 1) wrap.classList.add('stacked');
  };
  const update = () => {
    label();
    fit();
  };
  update();
  const watch = new MutationObserver(update);
  watch.observe(table, { childList: true, subtree: true });
  const resize = new ResizeObserver(fit);
  if (wrap) resize.observe(wrap);
  return {
    destroy: () => {
      watch.disconnect();
      resize.disconnect();
    },
  };
}
