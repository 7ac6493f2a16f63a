import { Component, ElementRef, ViewChild, computed, inject, signal } from '@angular/core';
import {
  PoButtonModule,
  PoLoadingModule,
  PoModalAction,
  PoModalComponent,
  PoModalModule,
  PoTabsModule,
} from '@po-ui/ng-components';

import { EnvironmentRow, EnvironmentTable } from './environment-table';
import { ConnectionLost, WizardApi, WizardView } from './wizard-api';

/**
 * The SmartLink wizard, drawn only from the library's screen model: the
 * screen names what to draw, its texts give every word, and every decision
 * (a valid name, a selectable environment, a typed confirmation that
 * matches) is the core's answer to an action.
 */
@Component({
  selector: 'app-root',
  imports: [PoButtonModule, PoLoadingModule, PoModalModule, PoTabsModule, EnvironmentTable],
  templateUrl: './app.html',
})
export class App {
  private readonly api = inject(WizardApi);
  private readonly host = inject(ElementRef<HTMLElement>);

  @ViewChild('alert') alert?: PoModalComponent;

  readonly view = signal<WizardView | null>(null);
  /** The last environment list, drawn behind the alerts. */
  readonly listing = signal<WizardView | null>(null);
  readonly labels = signal<{ [key: string]: string }>({});
  readonly busy = signal(false);
  readonly overlay = signal(false);
  readonly lost = signal(false);
  readonly closed = signal(false);
  readonly announcement = signal('');
  readonly copied = signal('');
  readonly selected = signal<string | null>(null);
  readonly tab = signal<'select' | 'create'>('select');
  readonly selectError = signal('');
  readonly createError = signal('');
  nameValue = '';
  createValue = '';
  confirmValue = '';

  readonly kind = computed(() => this.view()?.screen.screen ?? '');
  readonly texts = computed(() => this.view()?.texts ?? {});
  readonly choose = computed(() => {
    const v = this.view();
    return v?.screen.screen === 'choose_environment' ? v : this.listing();
  });
  readonly rows = computed<EnvironmentRow[]>(() => {
    const v = this.choose();
    if (!v) return [];
    const words: any[] = v.texts['choices'] ?? [];
    return (v.screen['choices'] as any[]).map((c, i) => ({
      id: c.environment.id,
      name: words[i]?.name ?? c.environment.name,
      kind: words[i]?.kind ?? '',
      bindings: words[i]?.bindings ?? [],
      status: words[i]?.availability ?? '',
      choosable: c.availability.availability !== 'unavailable',
    }));
  });
  readonly alertOpen = computed(
    () => this.kind() === 'confirm_regeneration' || this.kind() === 'confirm_overwrite',
  );

  private typing = false;
  private overlayTimer?: ReturnType<typeof setTimeout>;
  private polling = false;
  private lastScreen = '';

  readonly confirmAction: PoModalAction = {
    label: '',
    action: () => this.act({ action: 'confirm' }),
  };
  readonly backAction: PoModalAction = {
    label: '',
    action: () => this.act({ action: 'back' }),
  };

  constructor() {
    const app = this;
    // po-modal reads these on every check: the core's answer decides.
    Object.defineProperty(this.confirmAction, 'disabled', {
      get: () => app.confirmDisabled(),
    });
    Object.defineProperty(this.confirmAction, 'label', {
      get: () => app.texts()['confirm'] ?? '',
    });
    Object.defineProperty(this.backAction, 'label', { get: () => app.texts()['back'] ?? '' });
    Object.defineProperty(this.backAction, 'disabled', { get: () => app.busy() });
    this.start();
  }

  label(key: string): string {
    return this.labels()[key] ?? '';
  }

  /**
   * A text whose commands are quoted in backticks (the error screen's report
   * line), as plain and command parts: the template draws each as text, the
   * commands in `<code>`.
   */
  parts(text: string | undefined): { text: string; command: boolean }[] {
    return (text ?? '')
      .split('`')
      .map((t, i) => ({ text: t, command: i % 2 === 1 }))
      .filter((p) => p.text !== '');
  }

  /** Confirmar: enabled only when the core said the text it saw matches. */
  confirmDisabled(): boolean {
    if (this.busy()) return true;
    const v = this.view();
    if (v?.screen.screen !== 'confirm_overwrite') return false;
    return !(v.screen['confirm_enabled'] === true && v.screen['typed'] === this.confirmValue);
  }

  private async start(): Promise<void> {
    try {
      const v = await this.api.screen();
      this.labels.set(v.labels ?? {});
      document.title = v.labels?.['welcome.title'] ?? document.title;
      this.show(v);
    } catch {
      this.lost.set(true);
    }
  }

  /** Sends one action; a second one while it runs is ignored. */
  async act(action: { action: string; [field: string]: unknown }): Promise<void> {
    if (this.busy() || this.lost() || this.closed()) return;
    const current = this.view()?.screen.screen ?? '';
    this.busy.set(true);
    this.overlayTimer = setTimeout(() => this.overlay.set(true), 150);
    this.selectError.set('');
    this.createError.set('');
    try {
      const v = await this.api.apply(action, current);
      this.show(v);
      if (!v.ok && v.error && v.error.code !== 'stale' && v.error.code !== 'busy') {
        if (action.action === 'select') this.selectError.set(v.error.text);
        if (action.action === 'create') this.createError.set(v.error.text);
        if (action.action !== 'set_name') this.announce(v.error.text);
      }
    } catch (e) {
      this.connectionLost(e);
    } finally {
      clearTimeout(this.overlayTimer);
      this.overlay.set(false);
      this.busy.set(false);
    }
  }

  private connectionLost(e: unknown): void {
    if (e instanceof ConnectionLost || e instanceof Error) {
      this.lost.set(true);
      this.closeAlert();
      this.announce(this.label('web.lost'));
    }
  }

  /** Draws an answer of the server. */
  private show(v: WizardView): void {
    const name = v.screen.screen;
    const changed = name !== this.lastScreen;
    const wasAlert = this.lastScreen.startsWith('confirm_');
    this.lastScreen = name;
    if (name === 'choose_environment') {
      this.listing.set(v);
    }
    if (changed && name === 'name_installation') {
      this.nameValue = v.screen['name'] ?? '';
    }
    if (changed && name === 'confirm_overwrite') {
      this.confirmValue = v.screen['typed'] ?? '';
    }
    if (changed && name === 'choose_environment' && !wasAlert) {
      // The only candidate of a first binding comes preselected by the core.
      this.selected.set(v.screen['preselected'] ?? null);
      this.tab.set('select');
    }
    this.view.set(v);
    if (v.closed) {
      this.closed.set(true);
      this.closeAlert();
      this.announce(this.label('cli.cancelled_by_admin'));
      return;
    }
    if (name === 'name_installation' && v.texts['error']) {
      this.announce(v.texts['error']);
    }
    if (changed) {
      this.announce(this.screenAnnouncement(v));
      setTimeout(() => this.afterChange(name, wasAlert));
    } else if (name === 'finishing') {
      this.announce(v.texts['step'] ?? '');
    }
    if (name === 'finishing') this.poll();
  }

  private screenAnnouncement(v: WizardView): string {
    const t = v.texts;
    if (v.screen.screen === 'finishing') return `${t['title']}. ${t['step'] ?? ''}`;
    if (v.screen.screen === 'done') return `${t['title']}. ${t['body']}`;
    if (v.screen.screen === 'error') return `${t['title']}. ${t['detail']}`;
    return t['title'] ?? '';
  }

  private afterChange(name: string, wasAlert: boolean): void {
    if (name.startsWith('confirm_')) {
      this.alert?.open();
      setTimeout(() => this.markDialog(), 50);
      return;
    }
    this.closeAlert();
    if (wasAlert && name === 'choose_environment') {
      // Back from the alert: focus returns to the button that opened it.
      this.focus('#sl-generate button');
      return;
    }
    this.focus('h1');
  }

  private closeAlert(): void {
    if (this.alert?.isHidden === false) this.alert.close();
  }

  private focus(selector: string): void {
    const el = (this.host.nativeElement as HTMLElement).querySelector<HTMLElement>(selector);
    el?.focus();
  }

  private announce(text: string): void {
    // Cleared first so that the same words are read again.
    this.announcement.set('');
    setTimeout(() => this.announcement.set(text), 50);
  }

  /** Follows the background task while the finishing screen is shown. */
  private poll(): void {
    if (this.polling) return;
    this.polling = true;
    const tick = async () => {
      if (this.kind() !== 'finishing' || this.lost()) {
        this.polling = false;
        return;
      }
      try {
        this.show(await this.api.task());
      } catch (e) {
        this.polling = false;
        this.connectionLost(e);
        return;
      }
      setTimeout(tick, 400);
    };
    setTimeout(tick, 300);
  }

  submitName(event?: Event): void {
    event?.preventDefault?.();
    this.act({ action: 'set_name', name: this.nameValue });
  }

  submitCreate(event?: Event): void {
    event?.preventDefault?.();
    this.act({ action: 'create', name: this.createValue });
  }

  generate(): void {
    const id = this.selected();
    if (!id) {
      this.selectError.set(this.label('web.select_first'));
      this.announce(this.label('web.select_first'));
      return;
    }
    this.act({ action: 'select', environment_id: id });
  }

  /** Each change of the field is sent whole; the core answers whether it matches. */
  async typed(value: string): Promise<void> {
    this.confirmValue = value;
    if (this.typing) return;
    this.typing = true;
    try {
      while (this.view()?.screen.screen === 'confirm_overwrite' && !this.lost()) {
        const sent = this.confirmValue;
        if (this.view()?.screen['typed'] === sent) break;
        const v = await this.api.apply({ action: 'type_confirmation', text: sent }, 'confirm_overwrite');
        if (v.error?.code === 'busy') {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        this.show(v);
      }
    } catch (e) {
      this.connectionLost(e);
    } finally {
      this.typing = false;
    }
  }

  async copySupport(code: string, field: HTMLInputElement): Promise<void> {
    try {
      await navigator.clipboard.writeText(code);
    } catch {
      field.select();
      document.execCommand?.('copy');
    }
    this.copied.set(this.label('web.copied'));
    this.announce(this.label('web.copied'));
  }

  /** Inside the alert: Escape is Back, Tab cycles through the alert only. */
  onAlertKey(event: KeyboardEvent): void {
    if (!this.alertOpen()) return;
    if (event.key === 'Escape') {
      event.preventDefault();
      this.act({ action: 'back' });
      return;
    }
    if (event.key !== 'Tab') return;
    const dialog = (this.host.nativeElement as HTMLElement).querySelector('.po-modal-content');
    if (!dialog) return;
    const focusable = Array.from(
      dialog.querySelectorAll<HTMLElement>('input:not([disabled]), button:not([disabled]), a[href]'),
    );
    if (focusable.length === 0) return;
    const at = focusable.indexOf(document.activeElement as HTMLElement);
    const next = event.shiftKey
      ? at <= 0 ? focusable.length - 1 : at - 1
      : at === -1 || at === focusable.length - 1 ? 0 : at + 1;
    event.preventDefault();
    focusable[next].focus();
  }

  /** PO's modal container, named as a modal dialog for assistive technology. */
  private markDialog(): void {
    const dialog = (this.host.nativeElement as HTMLElement).querySelector('.po-modal-content');
    if (!dialog) return;
    dialog.setAttribute('role', 'alertdialog');
    dialog.setAttribute('aria-modal', 'true');
    dialog.setAttribute('aria-labelledby', 'sl-alert-title');
    dialog.querySelector('.po-modal-title .po-text-ellipsis')?.setAttribute('id', 'sl-alert-title');
    if (!dialog.contains(document.activeElement)) {
      dialog.querySelector<HTMLElement>('input, button:not([disabled])')?.focus();
    }
  }
}
