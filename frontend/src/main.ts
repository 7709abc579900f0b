import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { captureTokenFromUrl } from './lib/api';

captureTokenFromUrl();

const app = mount(App, { target: document.getElementById('app')! });

export default app;
