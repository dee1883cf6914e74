/** pino's numeric levels → hclog's labels, padded as Vault prints them (`[INFO]  `). */
const LEVEL_LABELS: ReadonlyArray<readonly [number, string]> = [
  [50, '[ERROR]'],
  [40, '[WARN] '],
  [30, '[INFO] '],
  [20, '[DEBUG]'],
  [0, '[TRACE]'],
];

/** Fields every pino line carries that the standard format shows in its own place or drops. */
const FRAMING_FIELDS: ReadonlySet<string> = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'module']);

/**
 * Turns one pino JSON line into Vault's "standard" (hclog) text line:
 * `2026-11-28T09:30:00.123Z [INFO]  core: server listening: api_addr=http://… storage=sqlite`.
 * A line that is not JSON is passed through unchanged.
 */
export function formatStandardLogLine(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString() : new Date().toISOString();
  const level = typeof record.level === 'number' ? record.level : 30;
  const label = (LEVEL_LABELS.find(([min]) => level >= min) ?? LEVEL_LABELS[2])?.[1] ?? '[INFO] ';
  const module = typeof record.module === 'string' ? `${record.module}: ` : '';
  const message = typeof record.msg === 'string' ? record.msg : '';
  const fields = Object.entries(record)
    .filter(([name]) => !FRAMING_FIELDS.has(name))
    .map(([name, value]) => `${name}=${formatValue(value)}`);
  const tail = fields.length > 0 ? `${message === '' ? '' : ': '}${fields.join(' ')}` : '';
  return `${time} ${label} ${module}${message}${tail}\n`;
}

function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[^\s"=]*$/.test(text) && text !== '' ? text : JSON.stringify(text);
}
