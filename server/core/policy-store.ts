import { Acl } from './acl.js';
import type { LogicalStorage } from './barrier.js';
import {
  DEFAULT_POLICY_TEXT,
  parsePolicy,
  RESPONSE_WRAPPING_POLICY_NAME,
  RESPONSE_WRAPPING_POLICY_TEXT,
  ROOT_POLICY_NAME,
  validatePolicyName,
  type Policy,
} from './policy.js';
import { layout } from './storage-layout.js';
import { invalidRequest } from './vault-error.js';

interface StoredPolicy {
  name: string;
  policy: string;
}

/**
 * ACL policies, stored under `core/policy/` (replicated). Parsed policies are cached; the cache
 * is dropped when replication applies a change to a policy key.
 */
export class PolicyStore {
  private readonly cache = new Map<string, Policy>();

  constructor(private readonly storage: LogicalStorage) {}

  /** Writes the built-in `default` policy if this cluster has none yet. */
  async ensureDefaults(): Promise<void> {
    if ((await this.storage.get(layout.policies + 'default')) === undefined) {
      await this.set('default', DEFAULT_POLICY_TEXT);
    }
  }

  invalidate(name?: string): void {
    if (name === undefined) this.cache.clear();
    else this.cache.delete(name);
  }

  /**
   * Drops the cached policies of changed storage keys (`core/policy/<name>`); a removed prefix or
   * `''` (everything) drops the whole cache.
   */
  invalidateKeys(keys: readonly string[]): void {
    for (const key of keys) {
      if (key.startsWith(layout.policies) && !key.endsWith('/')) this.invalidate(key.slice(layout.policies.length));
      else this.invalidate();
    }
  }

  /** The ACL of a set of policy names (`root` grants everything; unknown names grant nothing). */
  async aclFor(policyNames: readonly string[]): Promise<Acl> {
    const policies: Policy[] = [];
    for (const name of policyNames) {
      if (name === ROOT_POLICY_NAME) return Acl.fromPolicies([{ name: ROOT_POLICY_NAME, text: '', rules: [] }]);
      const policy = await this.get(name);
      if (policy) policies.push(policy);
    }
    return Acl.fromPolicies(policies);
  }

  async list(): Promise<string[]> {
    const names = (await this.storage.list(layout.policies)).filter((n) => !n.endsWith('/'));
    return [...new Set([...names, ROOT_POLICY_NAME])].sort();
  }

  async getText(name: string): Promise<string | undefined> {
    const raw = await this.storage.get(layout.policies + name);
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as StoredPolicy).policy;
  }

  async get(name: string): Promise<Policy | undefined> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const text = name === RESPONSE_WRAPPING_POLICY_NAME ? RESPONSE_WRAPPING_POLICY_TEXT : await this.getText(name);
    if (text === undefined) return undefined;
    const policy = await parsePolicy(name, text);
    this.cache.set(name, policy);
    return policy;
  }

  async set(rawName: string, text: string): Promise<void> {
    const name = validatePolicyName(rawName);
    if (name === ROOT_POLICY_NAME) throw invalidRequest('cannot update "root" policy');
    const policy = await parsePolicy(name, text);
    const stored: StoredPolicy = { name, policy: text };
    await this.storage.put(layout.policies + name, Buffer.from(JSON.stringify(stored)));
    this.cache.set(name, policy);
  }

  async delete(rawName: string): Promise<void> {
    const name = validatePolicyName(rawName);
    if (name === ROOT_POLICY_NAME || name === 'default') throw invalidRequest(`cannot delete "${name}" policy`);
    await this.storage.delete(layout.policies + name);
    this.cache.delete(name);
  }
}
