import type { Diagnostics } from '../framework/diagnostics.js';

export type Request = Record<string, unknown>;

/** One tfplugin6 RPC: the decoded request in, the response out; problems go into `diagnostics`. */
export type Handler = (request: Request, diagnostics: Diagnostics) => Promise<Record<string, unknown>>;
