import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { captureTokenFromUrl } from './lib/api';

// The contact portal (/portal) never uses the owner's token.
if (!window.location.pathname.startsWith('/portal')) captureTokenFromUrl();

const app = mount(App, { target: document.getElementById('app')! });

export default app;
