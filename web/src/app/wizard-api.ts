import { Injectable } from '@angular/core';

/** One answer of the server: the library's screen model, as the C ABI gives it. */
export interface WizardView {
  ok: boolean;
  locale: string;
  /** The screen (`screen` names it: welcome, name_installation, ...). */
  screen: { screen: string; [field: string]: any };
  /** The screen's texts in the administrator's language (the core's `screen_texts`). */
  texts: { [role: string]: any };
  /** The background task's status. */
  task: { status: string; [field: string]: any };
  /** The page's own labels (only from `screen()`). */
  labels?: { [key: string]: string };
  /** Why the action was refused (the core's refusal code and its text). */
  error?: { code: string; text: string };
  /** The configurator stopped after this answer (cancel). */
  closed?: boolean;
}

/** The server could not be reached, or did not answer as the API does. */
export class ConnectionLost extends Error {}

/**
 * The wizard's transport. This page talks to `smartlink-configurator web`;
 * an ERP that embeds the library gives its own implementation of these three
 * calls (the C ABI's `screen`, `apply` and `task_status`).
 */
@Injectable({ providedIn: 'root' })
export class WizardApi {
  screen(): Promise<WizardView> {
    return this.call('GET', '/api/screen');
  }

  task(): Promise<WizardView> {
    return this.call('GET', '/api/task');
  }

  apply(action: object, screen: string): Promise<WizardView> {
    return this.call('POST', '/api/apply', { action, screen });
  }

  private async call(method: string, url: string, body?: object): Promise<WizardView> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 60000);
    try {
      const res = await fetch(url, {
        method,
        headers: body ? { 'Content-Type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
        credentials: 'same-origin',
        cache: 'no-store',
        signal: abort.signal,
      });
      const type = res.headers.get('content-type') ?? '';
      if (!type.startsWith('application/json')) {
        throw new ConnectionLost(`HTTP ${res.status}`);
      }
      return (await res.json()) as WizardView;
    } catch (e) {
      throw e instanceof ConnectionLost ? e : new ConnectionLost(String(e));
    } finally {
      clearTimeout(timer);
    }
  }
}
