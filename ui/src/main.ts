import { mount } from 'svelte';
import './styles.css';
import Root from './Root.svelte';
import { pickBackend } from './backend';
import { AppState } from './lib/app-state.svelte';
import { systemClock } from './lib/clock';

const view = new URLSearchParams(window.location.search).get('view') === 'popup' ? 'popup' : 'main';
document.documentElement.dataset.view = view;

const app = new AppState(pickBackend());
const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

mount(Root, { target, props: { app, clock: systemClock, view } });
void app.start();
