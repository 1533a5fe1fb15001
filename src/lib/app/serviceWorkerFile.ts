/**
 * The service worker's file name. vite.config.ts has it generated at the root of the build, and
 * `AppUpdates` registers it from there, whatever page the app was opened on.
 */
export const SERVICE_WORKER_FILE = 'sw.js';
