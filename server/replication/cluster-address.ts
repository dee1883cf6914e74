import { invalidRequest } from '../core/vault-error.js';

/**
 * Host and port of a cluster address (`host:port`, `[v6]:port` or a URL); the port defaults to 8201.
 * An address that is none of these is a 400 naming the parameter (fuzzer finding: `new URL` threw a 500).
 */
export function parseClusterAddress(addr: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(addr) ? addr : `https://${addr}`);
  } catch {
    throw invalidRequest('invalid cluster address: expected host:port or an https URL');
  }
  if (url.hostname === '') throw invalidRequest('invalid cluster address: expected host:port or an https URL');
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 8201) };
}

/** `host:port`, with an IPv6 host in brackets: how messages name a cluster address. */
export function showClusterAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
