import { dashboardView } from './dashboard-view.js';
import { loginView } from './login-view.js';
import { sessionToken } from './session-token.js';

/** The dashboard's entry: the sign-in form until a token is in this tab's session, then the dashboard. */
function show(): void {
  const root = document.getElementById('app');
  if (root === null) return;
  root.replaceChildren(sessionToken.get() === undefined ? loginView(show) : dashboardView(show));
  root.querySelector<HTMLElement>('input, button')?.focus();
}

show();
