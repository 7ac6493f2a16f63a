import { bootstrapApplication } from '@angular/platform-browser';
import { appConfig } from './app/app.config';
import { App } from './app/app';

// The server writes the administrator's language into <html lang>; PO UI
// reads its own labels' language from this key when its components start.
const lang = document.documentElement.lang || 'pt-BR';
try {
  localStorage.setItem('PO_USER_LOCALE', lang.toLowerCase());
} catch {
  // Storage refused: PO UI falls back to the browser's language.
}

bootstrapApplication(App, appConfig).catch((err) => console.error(err));
