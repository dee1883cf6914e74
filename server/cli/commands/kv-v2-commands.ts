import type { JsonObject } from '../../api-client/vault-envelope.js';
import { flag, type FlagSpec } from '../args.js';
import { callApi, CommandError, EXIT_OK, EXIT_REMOTE_ERROR, type Command } from '../command.js';
import { parseKeyValuePairs } from '../kv-pairs.js';
import { printPathHeader, printSection, resolveKvTarget } from '../kv-mount.js';
import type { Printer } from '../output.js';
import { UsageError } from '../usage-error.js';

const MOUNT_FLAG: FlagSpec = {
  mount: flag('string', 'The KV mount; the path argument is then relative to it (e.g. -mount=secret foo).'),
};

function asObject(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};
}

function parseVersions(list: readonly string[]): number[] {
  if (list.length === 0) throw new UsageError('No versions provided, use the "-versions" flag to specify the versions to act on.');
  return list.map((text) => {
    if (!/^\d+$/.test(text)) throw new UsageError(`invalid version "${text}": expected a whole number`);
    return Number(text);
  });
}

/** `ferry kv get [-version=N] PATH`: data/PATH on v2 (metadata and data sections), PATH on v1. */
export const kvGetCommand: Command = {
  path: ['kv', 'get'],
  usage: 'kv get [options] KEY',
  synopsis: 'Retrieves data from the KV store',
  flags: { ...MOUNT_FLAG, version: flag('string', 'The version to return (KV v2); the latest when absent.', '0') },
  async run({ args, client, printer }) {
    const [given] = args.expectPositional(1) as [string];
    const target = await resolveKvTarget(client, args, given);
    const version = args.string('version');
    if (version !== undefined && !/^\d+$/.test(version)) throw new UsageError(`invalid value "${version}" for -version: expected a whole number`);
    const apiPath = target.apiPath('data');
    const query = target.version === 2 && version !== undefined && version !== '0' ? `?version=${version}` : '';
    const secret = await callApi(`Error reading ${apiPath}`, () => client.request('GET', `${apiPath}${query}`, { allowNotFound: true }));
    if (secret === null) throw new CommandError(`No value found at ${apiPath}`, EXIT_REMOTE_ERROR);
    if (target.version === 1) return printer.secret(secret);
    const outer = asObject(secret.data);
    if (printer.field !== undefined) return printer.secret({ ...secret, data: asObject(outer.data) });
    if (printer.isStructured) return printer.secret(secret);
    printPathHeader(printer, 'Secret Path', apiPath);
    printSection(printer, 'Metadata', asObject(outer.metadata));
    if (outer.data === null || outer.data === undefined) return EXIT_REMOTE_ERROR;
    printer.out('');
    printSection(printer, 'Data', asObject(outer.data));
    printer.warnings(secret);
    return EXIT_OK;
  },
};

/** Prints what `kv put`/`kv patch` print: the new version's metadata on v2, a success line on v1. */
function printWritten(printer: Printer, apiPath: string, secret: JsonObject | null): number {
  if (secret === null) {
    printer.out(`Success! Data written to: ${apiPath}`);
    return EXIT_OK;
  }
  if (printer.field !== undefined || printer.isStructured) return printer.secret(secret);
  printPathHeader(printer, 'Secret Path', apiPath);
  printSection(printer, 'Metadata', asObject(secret.data));
  return EXIT_OK;
}

/** `ferry kv put [-cas=N] PATH K=V...`: POST data/PATH `{data, options}` on v2, PUT the pairs on v1. */
export const kvPutCommand: Command = {
  path: ['kv', 'put'],
  usage: 'kv put [options] KEY [DATA K=V...]',
  synopsis: 'Sets or updates data in the KV store',
  flags: { ...MOUNT_FLAG, cas: flag('string', 'Check-and-set version (KV v2): 0 writes only if the key does not exist.', '-1') },
  async run({ args, client, printer, io }) {
    const [given, ...pairs] = args.expectPositional(1, Number.MAX_SAFE_INTEGER) as [string, ...string[]];
    const data = await parseKeyValuePairs(pairs, io);
    if (Object.keys(data).length === 0) throw new UsageError('Must supply data');
    const target = await resolveKvTarget(client, args, given);
    const apiPath = target.apiPath('data');
    let body: JsonObject = data;
    if (target.version === 2) {
      body = { data };
      const cas = args.string('cas');
      if (cas !== undefined && cas !== '-1') {
        if (!/^\d+$/.test(cas)) throw new UsageError(`invalid value "${cas}" for -cas: expected a whole number`);
        body.options = { cas: Number(cas) };
      }
    }
    const secret = await callApi(`Error writing data to ${apiPath}`, () => client.request(target.version === 2 ? 'POST' : 'PUT', apiPath, { body }));
    return printWritten(printer, apiPath, secret);
  },
};

/** `ferry kv patch PATH K=V...` (v2 only): reads the latest version and writes the merge with `cas` set to it. */
export const kvPatchCommand: Command = {
  path: ['kv', 'patch'],
  usage: 'kv patch [options] KEY [DATA K=V...]',
  synopsis: 'Sets or updates data in the KV store without overwriting',
  flags: MOUNT_FLAG,
  async run({ args, client, printer, io }) {
    const [given, ...pairs] = args.expectPositional(1, Number.MAX_SAFE_INTEGER) as [string, ...string[]];
    const patch = await parseKeyValuePairs(pairs, io);
    if (Object.keys(patch).length === 0) throw new UsageError('Must supply data');
    const target = await resolveKvTarget(client, args, given);
    if (target.version !== 2) throw new CommandError('K/V engine mount must be version 2 for patch support', EXIT_REMOTE_ERROR);
    const apiPath = target.apiPath('data');
    const current = await callApi(`Error reading ${apiPath}`, () => client.request('GET', apiPath, { allowNotFound: true }));
    const outer = asObject(current?.data);
    if (current === null || outer.data === null || outer.data === undefined) throw new CommandError(`No value found at ${apiPath}`, EXIT_REMOTE_ERROR);
    const body = { data: { ...asObject(outer.data), ...patch }, options: { cas: Number(asObject(outer.metadata).version ?? 0) } };
    const secret = await callApi(`Error writing data to ${apiPath}`, () => client.request('POST', apiPath, { body }));
    return printWritten(printer, apiPath, secret);
  },
};

/** `ferry kv list PATH`: LIST metadata/PATH on v2, PATH on v1. */
export const kvListCommand: Command = {
  path: ['kv', 'list'],
  usage: 'kv list [options] PATH',
  synopsis: 'List data or secrets',
  flags: MOUNT_FLAG,
  async run({ args, client, printer }) {
    const [given] = args.expectPositional(1) as [string];
    const target = await resolveKvTarget(client, args, given);
    const apiPath = target.apiPath('metadata');
    const secret = await callApi(`Error listing ${apiPath}`, () => client.request('LIST', apiPath, { allowNotFound: true }));
    const keys = asObject(secret?.data).keys;
    if (secret === null || !Array.isArray(keys)) throw new CommandError(`No value found at ${apiPath}`, EXIT_REMOTE_ERROR);
    if (printer.field !== undefined) return printer.secret(secret);
    if (printer.isStructured) printer.structured(keys);
    else
      printer.table(
        keys.map((key) => [String(key), ''] as const),
        ['Keys', ''],
      );
    return EXIT_OK;
  },
};

/** `ferry kv delete [-versions=N,...] PATH`: DELETE data/PATH, or POST delete/PATH with versions. */
export const kvDeleteCommand: Command = {
  path: ['kv', 'delete'],
  usage: 'kv delete [options] PATH',
  synopsis: 'Deletes versions in the KV store',
  flags: { ...MOUNT_FLAG, versions: flag('list', 'Comma-separated versions to delete (KV v2); the latest when absent.') },
  async run({ args, client, printer }) {
    const [given] = args.expectPositional(1) as [string];
    const target = await resolveKvTarget(client, args, given);
    const versions = args.list('versions');
    if (target.version === 2 && versions.length > 0) {
      const apiPath = target.apiPath('delete');
      await callApi(`Error deleting ${apiPath}`, () => client.request('POST', apiPath, { body: { versions: parseVersions(versions) } }));
      printer.out(`Success! Data deleted (if it existed) at: ${apiPath}`);
      return EXIT_OK;
    }
    const apiPath = target.apiPath('data');
    await callApi(`Error deleting ${apiPath}`, () => client.request('DELETE', apiPath));
    printer.out(`Success! Data deleted (if it existed) at: ${apiPath}`);
    return EXIT_OK;
  },
};

function versionsCommand(word: 'undelete' | 'destroy', synopsis: string, describe: string): Command {
  return {
    path: ['kv', word],
    usage: `kv ${word} [options] KEY`,
    synopsis,
    flags: { ...MOUNT_FLAG, versions: flag('list', `Comma-separated versions to ${describe} (required).`) },
    async run({ args, client, printer }) {
      const [given] = args.expectPositional(1) as [string];
      const versions = parseVersions(args.list('versions'));
      const target = await resolveKvTarget(client, args, given);
      if (target.version !== 2) throw new CommandError(`${word} is only supported on KV version 2 mounts`, EXIT_REMOTE_ERROR);
      const apiPath = target.apiPath(word);
      await callApi(`Error writing data to ${apiPath}`, () => client.request(word === 'destroy' ? 'PUT' : 'POST', apiPath, { body: { versions } }));
      printer.out(`Success! Data written to: ${apiPath}`);
      return EXIT_OK;
    },
  };
}

export const kvUndeleteCommand = versionsCommand('undelete', 'Undeletes versions in the KV store', 'undelete');
export const kvDestroyCommand = versionsCommand('destroy', 'Permanently removes one or more versions in the KV store', 'destroy permanently');

/** `ferry kv enable-versioning PATH`: tunes the mount to `options.version=2`. */
export const kvEnableVersioningCommand: Command = {
  path: ['kv', 'enable-versioning'],
  usage: 'kv enable-versioning [options] KEY',
  synopsis: 'Turns on versioning for a KV store',
  flags: {},
  async run({ args, client, printer }) {
    const [given] = args.expectPositional(1) as [string];
    const mount = `${given.replace(/^\/+|\/+$/g, '')}/`;
    await callApi('Error tuning secrets engine', () => client.request('POST', `sys/mounts/${mount}tune`, { body: { options: { version: '2' } } }));
    printer.out(`Success! Tuned the secrets engine at: ${mount}`);
    return EXIT_OK;
  },
};
