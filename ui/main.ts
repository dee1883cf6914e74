import { dashboardView } from './dashboard-view.js';
import { loginView } from './login-view.js';
import { sessionToken } from './session-token.js';

/** The dashboard's entry: the sign-in form until a token is in this tab's session, then the dashboard. */
function show(): void {
  const root = document.getElementById('app');
  if (root === null) return;
  const signedIn = sessionToken.get() !== undefined;
  root.replaceChildren(signedIn ? dashboardView(show) : loginView(show));
  // Keyboard users land on the first field of the form, or on the dashboard's heading.
  root.querySelector<HTMLElement>(signedIn ? 'h1' : 'input, select')?.focus();
}

show();
