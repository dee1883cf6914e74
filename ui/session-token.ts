const KEY = 'ferry.token';

/** The logged-in token: in this tab's sessionStorage only (gone when the tab closes), never shown. */
export const sessionToken = {
  get(): string | undefined {
    return sessionStorage.getItem(KEY) ?? undefined;
  },
  set(token: string): void {
    sessionStorage.setItem(KEY, token);
  },
  clear(): void {
    sessionStorage.removeItem(KEY);
  },
};
