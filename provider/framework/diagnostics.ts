/** One step of an attribute path: `.name`, `["key"]` or `[0]`. */
export type PathStep = { attribute: string } | { elementKey: string } | { elementIndex: number };
export type AttributePath = readonly PathStep[];

/** Shorthand for the path of a top-level attribute. */
export function attributePath(...names: string[]): AttributePath {
  return names.map((attribute) => ({ attribute }));
}

/** A user-facing problem: errors stop the operation, warnings are shown next to the plan or apply. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail: string;
  path?: AttributePath;
}

/** An ordered collection of diagnostics, passed into operations that report problems. */
export class Diagnostics {
  readonly items: Diagnostic[] = [];

  error(summary: string, detail: string, path?: AttributePath): void {
    this.items.push(path === undefined ? { severity: 'error', summary, detail } : { severity: 'error', summary, detail, path });
  }

  warning(summary: string, detail: string, path?: AttributePath): void {
    this.items.push(path === undefined ? { severity: 'warning', summary, detail } : { severity: 'warning', summary, detail, path });
  }

  append(other: Diagnostics): void {
    this.items.push(...other.items);
  }

  hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}
