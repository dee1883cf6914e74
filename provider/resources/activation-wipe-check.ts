import { ApiError } from '../../server/api-client/api-error.js';
import type { FerryClient } from '../client/ferry-client.js';

/** What a fresh (or dev-mode) cluster already holds; anything more is user data that activation would wipe. */
const freshMounts = new Set(['secret/', 'cubbyhole/', 'identity/', 'sys/']);
const freshAuthMounts = new Set(['token/']);
const freshPolicies = new Set(['default', 'root', 'response-wrapping']);

function tableKeys(res: Record<string, unknown> | null): string[] {
  if (res === null) return [];
  const data = res['data'];
  const table = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : res;
  return Object.keys(table).filter((k) => k.endsWith('/') && table[k] !== null && typeof table[k] === 'object');
}

/** Lists what the cluster holds beyond a fresh cluster's defaults. */
export async function findDataActivationWouldWipe(client: FerryClient): Promise<string[]> {
  const found: string[] = [];
  const mounts = tableKeys(await client.read('sys/mounts'));
  for (const m of mounts) if (!freshMounts.has(m)) found.push(`secrets engine mount ${m}`);
  for (const m of tableKeys(await client.read('sys/auth'))) if (!freshAuthMounts.has(m)) found.push(`auth method ${m}`);
  const policies = await client.list('sys/policies/acl');
  for (const p of policies) if (!freshPolicies.has(p)) found.push(`policy ${p}`);
  if (mounts.includes('secret/')) {
    const secrets = await client.list('secret/metadata/').catch(async (err: unknown) => {
      if (err instanceof ApiError && err.status === 400) return await client.list('secret/'); // a KV v1 mount
      throw err;
    });
    for (const s of secrets) found.push(`secret secret/${s}`);
  }
  return found;
}
