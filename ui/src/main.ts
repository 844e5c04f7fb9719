import './styles.css';
import { errorMessage, tauriApi, tauriEvents } from './api';
import { mountApp } from './app';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');

const app = mountApp(root, tauriApi, tauriEvents);
const report = await app.start();
// Tells the app the page is up (the `--smoke-test` run exits on this).
tauriApi.uiReady(report).catch((err: unknown) => console.warn('ui_ready failed:', errorMessage(err)));
