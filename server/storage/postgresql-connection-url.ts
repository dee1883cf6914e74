/** Where a connection URL points, for logs and errors: never its password or query parameters. */
export interface ConnectionTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

const DEFAULT_PORT = 5432;

/**
 * True for the URL forms the driver understands (`postgres://…`, `postgresql://…`). Keyword/value
 * DSNs (`host=… dbname=…`) are not accepted.
 */
export function isPostgresUrl(text: string): boolean {
  const url = parse(text);
  return url !== undefined && (url.protocol === 'postgres:' || url.protocol === 'postgresql:');
}

/** Host, port, database and user of a `postgres://` URL; the password and parameters are left out. */
export function describeConnectionUrl(text: string): ConnectionTarget {
  const url = parse(text);
  if (url === undefined) return { host: '', port: DEFAULT_PORT, database: '', user: '' };
  // `?host=/run/postgresql` (a socket directory) stands in for an empty host.
  const socketHost = url.searchParams.get('host');
  return {
    host: url.hostname !== '' ? url.hostname : (socketHost ?? 'localhost'),
    port: url.port === '' ? DEFAULT_PORT : Number(url.port),
    database: safeDecode(url.pathname.replace(/^\//, '')),
    user: safeDecode(url.username),
  };
}

function parse(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
