import { createHash } from 'node:crypto';
import type { Core } from '../core/core.js';
import { GenerateRoot } from '../core/generate-root.js';
import { randomBase62, secretsEqual } from '../core/token-id.js';
import { VaultError } from '../core/vault-error.js';

/** The DR secondary operations a DR operation token authorises (`sys/replication/dr/secondary/<op>`). */
export type DrOperation = 'promote' | 'disable' | 'update-primary' | 'recover' | 'reindex' | 'operation-token/delete';

const sha256 = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * DR operation tokens on a DR secondary. Two kinds are accepted as `dr_operation_token`:
 * - tokens generated here with the generate-root flow and the *primary's* unseal key shares (the
 *   DR secondary holds the primary's keyring and seal configuration). They have no TTL; only
 *   their hashes are kept, in memory: a restart or a seal forgets them, and
 *   `operation-token/delete` revokes one.
 * - a batch token made on the primary before the disaster (Vault's batch DR operation token):
 *   it travelled here with the rest of the token store, and its policies must grant `update`
 *   on the operation's path.
 */
export class DrOperationTokens {
  readonly generator: GenerateRoot;
  private readonly hashes: Buffer[] = [];

  constructor(private readonly core: Core) {
    this.generator = new GenerateRoot(core, { mint: async () => this.issue(), noun: 'DR operation' });
  }

  /** Throws a 400 unless `token` may run `operation` (Vault answers a missing or bad token so). */
  async authorize(token: string, operation: DrOperation): Promise<void> {
    if (token === '') throw new VaultError('invalid_request', 'missing required field "dr_operation_token"');
    const hash = sha256(token);
    let generated = false;
    for (const h of this.hashes) generated = secretsEqual(h, hash) || generated;
    if (generated) return;
    if (await this.isAuthorizedBatchToken(token, operation)) return;
    throw new VaultError('invalid_request', 'invalid DR operation token');
  }

  /** Revokes a generated token (a batch token is revoked on the primary, or expires). */
  async revoke(token: string): Promise<void> {
    await this.authorize(token, 'operation-token/delete');
    const hash = sha256(token);
    const i = this.hashes.findIndex((h) => secretsEqual(h, hash));
    if (i >= 0) this.hashes.splice(i, 1);
  }

  /** Forgets every generated token and any attempt (seal, promotion, disable). */
  clear(): void {
    this.hashes.length = 0;
    this.generator.cancel();
  }

  private issue(): string {
    const token = `hvs.${randomBase62(24)}`;
    this.hashes.push(sha256(token));
    return token;
  }

  private async isAuthorizedBatchToken(token: string, operation: DrOperation): Promise<boolean> {
    const entry = await this.core.resolveToken(token).catch(() => undefined);
    if (entry === undefined || entry.type !== 'batch') return false;
    const { policies } = await this.core.effectivePoliciesOf(entry);
    const acl = await this.core.aclFor(policies);
    return acl.check(`sys/replication/dr/secondary/${operation}`, 'update', {}).allowed;
  }
}
