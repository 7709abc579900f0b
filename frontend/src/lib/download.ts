// Downloads that go through the API: a CSV saved as a file, with a toast
// saying it worked or why not.
import { errorMessage, request, saveBlob } from './api';
import { toast } from '../stores/toasts.svelte';

export async function downloadCsv(path: string, filename: string, done: string): Promise<void> {
  try {
    const text = await request<string>('GET', path, undefined, { as: 'text' });
    saveBlob(new Blob([text], { type: 'text/csv;charset=utf-8' }), filename);
    toast(done);
  } catch (e) {
    toast(`Could not export: ${errorMessage(e)}`, 'error', 6000);
  }
}

/** fn, run once typing has paused for ms. */
export function debounce(fn: () => void, ms = 250): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}
