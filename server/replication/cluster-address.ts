/** Host and port of a cluster address (`host:port`, `[v6]:port` or a URL); the port defaults to 8201. */
export function parseClusterAddress(addr: string): { host: string; port: number } {
  const url = new URL(/^[a-z]+:\/\//.test(addr) ? addr : `https://${addr}`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 8201) };
}

/** `host:port`, with an IPv6 host in brackets: how messages name a cluster address. */
export function showClusterAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
