import { h } from './create-element.js';
import { sessionToken } from './session-token.js';
import { ApiError, VaultApi } from './vault-api.js';

/**
 * Sign in as Vault's UI does: a token, or a userpass name and password (the login answers a token).
 * The token is checked with `auth/token/lookup-self` and kept in sessionStorage; the form fields are
 * cleared either way, and no token is ever written into the page.
 */
export function loginView(onLoggedIn: () => void): HTMLElement {
  const method = h('select', { id: 'login-method', name: 'method' }, h('option', { value: 'token' }, 'Token'), h('option', { value: 'userpass' }, 'Username'));
  const token = h('input', { id: 'login-token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false' });
  const mount = h('input', { id: 'login-mount', name: 'mount', type: 'text', value: 'userpass', autocomplete: 'off' });
  const username = h('input', { id: 'login-username', name: 'username', type: 'text', autocomplete: 'username' });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password' });
  const error = h('p', { class: 'error', role: 'alert', id: 'login-error' });
  const tokenFields = h('div', { class: 'fields' }, h('label', { for: 'login-token' }, 'Token'), token);
  const userpassFields = h(
    'div',
    { class: 'fields', hidden: true },
    h('label', { for: 'login-username' }, 'Username'),
    username,
    h('label', { for: 'login-password' }, 'Password'),
    password,
    h('label', { for: 'login-mount' }, 'Mount path'),
    mount,
  );
  method.addEventListener('change', () => {
    tokenFields.hidden = method.value !== 'token';
    userpassFields.hidden = method.value !== 'userpass';
  });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Ferry replication dashboard'),
    h('label', { for: 'login-method' }, 'Method'),
    method,
    tokenFields,
    userpassFields,
    submit,
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    void (async () => {
      try {
        let candidate = token.value.trim();
        if (method.value === 'userpass') {
          const path = `auth/${encodeURIComponent(mount.value.trim() || 'userpass')}/login/${encodeURIComponent(username.value.trim())}`;
          const answer = await new VaultApi(() => undefined).write<{ auth?: { client_token?: string } }>(path, { password: password.value });
          candidate = answer?.auth?.client_token ?? '';
        }
        if (candidate === '') throw new ApiError(400, ['enter a token']);
        await new VaultApi(() => candidate).read('auth/token/lookup-self');
        sessionToken.set(candidate);
        onLoggedIn();
      } catch (err) {
        error.textContent =
          err instanceof ApiError && err.status === 403
            ? 'Sign-in refused: permission denied.'
            : `Sign-in failed: ${err instanceof Error ? err.message : String(err)}`;
      } finally {
        token.value = '';
        password.value = '';
        submit.disabled = false;
      }
    })();
  });
  return h('main', { class: 'login-page' }, form);
}
