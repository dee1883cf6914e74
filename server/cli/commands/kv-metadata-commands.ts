import type { JsonObject } from '../../api-client/vault-envelope.js';
import { flag } from '../args.js';
import { callApi, CommandError, EXIT_OK, EXIT_REMOTE_ERROR, type Command } from '../command.js';
import { parseDurationFlag } from '../duration-flag.js';
import { printPathHeader, printSection, resolveKvTarget, type KvTarget } from '../kv-mount.js';
import { parseOptionPairs } from '../mount-flags.js';
import { UsageError } from '../usage-error.js';

const mountFlag = flag('string', 'The KV mount; the path argument is then relative to it (e.g. -mount=secret foo).');

async function v2Target(...params: Parameters<typeof resolveKvTarget>): Promise<KvTarget> {
  const target = await resolveKvTarget(...params);
  if (target.version !== 2) throw new CommandError('Metadata is only supported on KV version 2 mounts', EXIT_REMOTE_ERROR);
  return target;
}

/** `ferry kv metadata get PATH`: the key's metadata, then one section per version, as Vault prints it. */
export const kvMetadataGetCommand: Command = {
  path: ['kv', 'metadata', 'get'],
  usage: 'kv metadata get [options] KEY',
  synopsis: 'Retrieves the metadata of a key in the KV store',
  flags: { mount: mountFlag },
  async run({ args, client, printer }) {
    const [given] = args.expectPositional(1) as [string];
    const apiPath = (await v2Target(client, args, given)).apiPath('metadata');
    const secret = await callApi(`Error reading ${apiPath}`, () => client.request('GET', apiPath, { allowNotFound: true }));
    if (secret === null) throw new CommandError(`No value found at ${apiPath}`, EXIT_REMOTE_ERROR);
    if (printer.isStructured || printer.field !== undefined) return printer.secret(secret);
    const data = { ...((secret.data ?? {}) as JsonObject) };
    const versions = (data.versions ?? {}) as Record<string, JsonObject>;
    delete data.versions;
    printPathHeader(printer, 'Metadata Path', apiPath);
    printSection(printer, 'Metadata', data);
    for (const version of Object.keys(versions).sort((a, b) => Number(a) - Number(b))) {
      printer.out('');
      printSection(printer, `Version ${version}`, versions[version] ?? {});
    }
    return EXIT_OK;
  },
};

/** `ferry kv metadata put [options] PATH`: POST metadata/PATH with the settings given. */
export const kvMetadataPutCommand: Command = {
  path: ['kv', 'metadata', 'put'],
  usage: 'kv metadata put [options] KEY',
  synopsis: 'Sets or updates key settings in the KV store',
  flags: {
    mount: mountFlag,
    'max-versions': flag('string', 'Number of versions to keep; 0 uses the mount setting.'),
    'cas-required': flag('boolean', 'Require check-and-set on every write of this key.'),
    'delete-version-after': flag('string', 'Delete versions this long after they are written (e.g. "72h"); 0 disables.'),
    'custom-metadata': flag('list', 'Key=value metadata to store with the key; repeatable.'),
  },
  async run({ args, client, printer }) {
    const [given] = args.expectPositional(1) as [string];
    const apiPath = (await v2Target(client, args, given)).apiPath('metadata');
    const body: JsonObject = {};
    const maxVersions = args.string('max-versions');
    if (maxVersions !== undefined) {
      if (!/^\d+$/.test(maxVersions)) throw new UsageError(`invalid value "${maxVersions}" for -max-versions: expected a whole number`);
      body.max_versions = Number(maxVersions);
    }
    const casRequired = args.bool('cas-required');
    if (casRequired !== undefined) body.cas_required = casRequired;
    const deleteAfter = args.string('delete-version-after');
    if (deleteAfter !== undefined) body.delete_version_after = `${parseDurationFlag(deleteAfter, 'delete-version-after')}s`;
    const custom = args.list('custom-metadata');
    if (custom.length > 0) body.custom_metadata = parseOptionPairs(custom, 'custom metadata');
    await callApi(`Error writing data to ${apiPath}`, () => client.request('POST', apiPath, { body }));
    printer.out(`Success! Data written to: ${apiPath}`);
    return EXIT_OK;
  },
};

/** `ferry kv metadata delete PATH`: every version and the metadata of the key. */
export const kvMetadataDeleteCommand: Command = {
  path: ['kv', 'metadata', 'delete'],
  usage: 'kv metadata delete [options] PATH',
  synopsis: 'Deletes all versions and metadata for a key in the KV store',
  flags: { mount: mountFlag },
  async run({ args, client, printer }) {
    const [given] = args.expectPositional(1) as [string];
    const apiPath = (await v2Target(client, args, given)).apiPath('metadata');
    await callApi(`Error deleting ${apiPath}`, () => client.request('DELETE', apiPath));
    printer.out(`Success! Data deleted (if it existed) at: ${apiPath}`);
    return EXIT_OK;
  },
};
