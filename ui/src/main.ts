import './styles.css';
import { errorMessage, tauriApi } from './api';
import { mountDashboard } from './dashboard';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');

const dashboard = mountDashboard(root, tauriApi);
const report = await dashboard.refresh();
// Tells the app the page is up (the `--smoke-test` run exits on this).
tauriApi.uiReady(report).catch((err: unknown) => console.warn('ui_ready failed:', errorMessage(err)));
// The window is hidden, not closed, when dismissed: reload whenever it comes back.
window.addEventListener('focus', () => void dashboard.refresh());
