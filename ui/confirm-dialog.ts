import { h } from './create-element.js';

export interface ConfirmOptions {
  readonly title: string;
  /** What happens, what is checked, what is lost: shown before anything is sent. */
  readonly body: readonly (Node | string)[];
  readonly confirmLabel: string;
  readonly isDangerous?: boolean;
  /** Runs on confirm; may answer something to show in the dialog (then it stays open until closed). */
  readonly onConfirm: () => Promise<Node | undefined>;
}

/**
 * A modal confirmation (`<dialog>`: focus moves in, Escape cancels, focus returns to the opener).
 * Errors are shown in the dialog; a result node (a minted token) replaces the buttons with Close, and
 * closing removes the dialog from the page, so a one-time value does not linger in the DOM.
 */
export function confirmDialog(options: ConfirmOptions): void {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
  const titleId = `dialog-title-${Math.random().toString(36).slice(2)}`;
  const error = h('p', { class: 'error', role: 'alert' });
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const confirm = h('button', { type: 'button', class: options.isDangerous === true ? 'danger' : 'primary' }, options.confirmLabel);
  const buttons = h('div', { class: 'buttons' }, cancel, confirm);
  const result = h('div', { class: 'result' });
  const dialog = h('dialog', { 'aria-labelledby': titleId }, h('h2', { id: titleId }, options.title), ...options.body, result, error, buttons);
  const close = (): void => {
    dialog.close();
  };
  dialog.addEventListener('close', () => {
    dialog.remove();
    opener?.focus();
  });
  cancel.addEventListener('click', close);
  confirm.addEventListener('click', () => {
    confirm.disabled = true;
    error.textContent = '';
    void (async () => {
      try {
        const shown = await options.onConfirm();
        if (shown === undefined) {
          close();
          return;
        }
        result.append(shown);
        const done = h('button', { type: 'button', class: 'primary' }, 'Close');
        done.addEventListener('click', close);
        buttons.replaceChildren(done);
        done.focus();
      } catch (err) {
        error.textContent = err instanceof Error ? err.message : String(err);
        confirm.disabled = false;
      }
    })();
  });
  document.body.append(dialog);
  dialog.showModal();
  cancel.focus();
}

/** A label and an input, for dialogs. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement): HTMLElement {
  input.id ||= `field-${Math.random().toString(36).slice(2)}`;
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input);
}
