import { mount } from 'svelte';
import './styles/base.css';
import './styles/layout.css';
import './styles/pieces.css';
import './styles/records.css';
import './styles/factors.css';
import App from './App.svelte';
import { captureTokenFromUrl } from './lib/api';
import { loadPage } from './lib/pages.svelte';
import { parseRoute } from './stores/router.svelte';

// The contact portal (/portal) never uses the owner's token. An owner page's
// chunk is fetched now, beside the first API calls.
if (!window.location.pathname.startsWith('/portal')) {
  captureTokenFromUrl();
  loadPage(parseRoute(window.location.hash).page);
}

const target = document.getElementById('app')!;
target.replaceChildren(); // drop the static shell index.html painted meanwhile
const app = mount(App, { target });

export default app;
