import { mount } from 'svelte';
import { getCurrentWindow } from '@tauri-apps/api/window';
import './styles.css';
import Root from './Root.svelte';
import { pickBackend, runningInTauri } from './backend';
import { AppState } from './lib/app-state.svelte';
import { systemClock } from './lib/clock';
import { windowRole } from './lib/window-role';

const label = runningInTauri() ? getCurrentWindow().label : null;
const view = windowRole(label, window.location.search);
document.documentElement.dataset.view = view;

const app = new AppState(pickBackend());
const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

mount(Root, { target, props: { app, clock: systemClock, view } });
void app.start({ loadDevices: view === 'main' });
