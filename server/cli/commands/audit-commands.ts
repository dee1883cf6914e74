import type { JsonObject } from '../../api-client/vault-envelope.js';
import { flag } from '../args.js';
import { callApi, EXIT_OK, EXIT_REMOTE_ERROR, type Command } from '../command.js';
import { mountPath, parseOptionPairs } from '../mount-flags.js';
import { formatColumns } from '../mount-list.js';

/** `ferry audit enable [options] TYPE [K=V...]`: PUT sys/audit/PATH with the pairs as `options`. */
export const auditEnableCommand: Command = {
  path: ['audit', 'enable'],
  usage: 'audit enable [options] TYPE [CONFIG K=V...]',
  synopsis: 'Enable an audit device',
  flags: {
    path: flag('string', 'Place where the audit device will be reachable; defaults to its type.'),
    description: flag('string', 'Human-friendly description of the audit device.'),
    local: flag('boolean', 'Mark the device as local-only: it is not replicated to secondaries.', 'false'),
  },
  async run({ args, client, printer }) {
    const [type, ...pairs] = args.expectPositional(1, Number.MAX_SAFE_INTEGER) as [string, ...string[]];
    const path = mountPath(args.string('path') ?? type);
    const body: Record<string, unknown> = { type, options: parseOptionPairs(pairs, 'configuration'), local: args.bool('local') === true };
    const description = args.string('description');
    if (description !== undefined) body.description = description;
    await callApi('Error enabling audit device', () => client.request('PUT', `sys/audit/${path}`, { body }));
    printer.out(`Success! Enabled the ${type} audit device at: ${path}`);
    return EXIT_OK;
  },
};

/** `ferry audit disable PATH`: DELETE sys/audit/PATH. */
export const auditDisableCommand: Command = {
  path: ['audit', 'disable'],
  usage: 'audit disable [options] PATH',
  synopsis: 'Disable an audit device',
  flags: {},
  async run({ args, client, printer }) {
    const path = mountPath((args.expectPositional(1) as [string])[0]);
    await callApi('Error disabling audit device', () => client.request('DELETE', `sys/audit/${path}`));
    printer.out(`Success! Disabled audit device (if it was enabled) at: ${path}`);
    return EXIT_OK;
  },
};

/** `ferry audit list`: GET sys/audit; like Vault, no devices prints a note and exits 2. */
export const auditListCommand: Command = {
  path: ['audit', 'list'],
  usage: 'audit list [options]',
  synopsis: 'List enabled audit devices',
  flags: { detailed: flag('boolean', 'Print additional columns: replication behaviour and options.', 'false') },
  async run({ args, client, printer }) {
    args.expectPositional(0);
    const response = (await callApi('Error listing audits', () => client.request('GET', 'sys/audit'))) ?? {};
    const devices = (response.data ?? response) as Record<string, JsonObject>;
    const paths = Object.keys(devices)
      .filter((key) => key.endsWith('/') && typeof devices[key] === 'object' && devices[key] !== null)
      .sort();
    if (printer.isStructured) {
      printer.structured(Object.fromEntries(paths.map((path) => [path, devices[path]])));
      return EXIT_OK;
    }
    if (paths.length === 0) {
      printer.out('No audit devices are enabled.');
      return EXIT_REMOTE_ERROR;
    }
    const isDetailed = args.bool('detailed') === true;
    const header = isDetailed ? ['Path', 'Type', 'Description', 'Replication', 'Options'] : ['Path', 'Type', 'Description'];
    const rows = paths.map((path) => {
      const device = devices[path] as JsonObject;
      const base = [path, String(device.type ?? ''), String(device.description ?? '')];
      if (!isDetailed) return base;
      const options = Object.entries((device.options ?? {}) as JsonObject);
      return [...base, device.local === true ? 'local' : 'replicated', options.map(([k, v]) => `${k}=${String(v)}`).join(' ')];
    });
    printer.out(formatColumns([header, header.map((title) => '-'.repeat(title.length)), ...rows]));
    return EXIT_OK;
  },
};
