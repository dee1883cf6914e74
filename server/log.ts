import pino, { type Logger } from 'pino';

/**
 * The one root logger. Modules take a child (`logger.child({ module })`). Paths that could carry
 * a token or a secret are redacted wherever they appear.
 */
export function createRootLogger(level: string, name = 'ferry'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    redact: {
      paths: [
        'token',
        'client_token',
        'req.headers["x-vault-token"]',
        'req.headers.authorization',
        'headers["x-vault-token"]',
        'headers.authorization',
        'password',
        'key',
        'keys',
        'root_token',
        'unseal_key',
        '*.token',
        '*.client_token',
        '*.password',
      ],
      censor: '[redacted]',
    },
  });
}
