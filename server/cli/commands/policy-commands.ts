import { callApi, CommandError, EXIT_LOCAL_ERROR, EXIT_OK, EXIT_REMOTE_ERROR, type Command } from '../command.js';
import { UsageError } from '../usage-error.js';

/** ACL policies live under `sys/policies/acl/NAME`, as Vault's API client uses them. */
function policyPath(name: string): string {
  return `sys/policies/acl/${encodeURIComponent(name)}`;
}

/** `ferry policy write NAME FILE|-`: uploads the policy text from a file or stdin. */
export const policyWriteCommand: Command = {
  path: ['policy', 'write'],
  usage: 'policy write [options] NAME PATH',
  synopsis: 'Upload a named policy from a file',
  flags: {},
  async run({ args, client, printer, io }) {
    const [name, source] = args.expectPositional(2) as [string, string];
    let policy: string;
    if (source === '-') {
      policy = await io.readStdin();
    } else {
      try {
        policy = await io.readFile(source);
      } catch (err) {
        throw new CommandError(`Error opening policy file "${source}": ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`, EXIT_LOCAL_ERROR);
      }
    }
    if (policy.trim() === '') throw new UsageError('Policy is empty');
    await callApi('Error uploading policy', () => client.request('PUT', policyPath(name), { body: { policy } }));
    printer.out(`Success! Uploaded policy: ${name}`);
    return EXIT_OK;
  },
};

/** `ferry policy read NAME`: prints the policy text (JSON prints the envelope). */
export const policyReadCommand: Command = {
  path: ['policy', 'read'],
  usage: 'policy read [options] NAME',
  synopsis: 'Print the contents of a policy',
  flags: {},
  async run({ args, client, printer }) {
    const [name] = args.expectPositional(1) as [string];
    const secret = await callApi('Error reading policy', () => client.request('GET', policyPath(name), { allowNotFound: true }));
    if (secret === null) throw new CommandError(`No policy named: ${name}`, EXIT_REMOTE_ERROR);
    if (printer.isStructured || printer.field !== undefined) return printer.secret(secret);
    const data = (secret.data ?? secret) as Record<string, unknown>;
    const text = data.policy ?? data.rules;
    printer.out(typeof text === 'string' ? text.trim() : '');
    return EXIT_OK;
  },
};

/** `ferry policy list`: one policy name per line. */
export const policyListCommand: Command = {
  path: ['policy', 'list'],
  usage: 'policy list [options]',
  synopsis: 'List the names of the installed policies',
  flags: {},
  async run({ args, client, printer }) {
    args.expectPositional(0);
    const secret = await callApi('Error listing policies', () => client.request('LIST', 'sys/policies/acl'));
    const data = (secret?.data ?? {}) as Record<string, unknown>;
    const keys = Array.isArray(data.keys) ? data.keys.map(String) : [];
    if (printer.isStructured) printer.structured(keys);
    else if (keys.length > 0) printer.out(keys.join('\n'));
    return EXIT_OK;
  },
};

/** `ferry policy delete NAME`. */
export const policyDeleteCommand: Command = {
  path: ['policy', 'delete'],
  usage: 'policy delete [options] NAME',
  synopsis: 'Delete a policy by name',
  flags: {},
  async run({ args, client, printer }) {
    const [name] = args.expectPositional(1) as [string];
    await callApi(`Error deleting ${name}`, () => client.request('DELETE', policyPath(name)));
    printer.out(`Success! Deleted policy: ${name}`);
    return EXIT_OK;
  },
};
