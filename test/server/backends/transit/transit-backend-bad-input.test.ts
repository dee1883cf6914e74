import { expect } from 'chai';
import { isVaultError } from '../../../../server/core/vault-error.js';
import { startInProcessCore, type InProcessCore } from '../../../helpers/in-process-core.js';

/**
 * Every transit endpoint against every field set to values of the wrong shape: each answer is a
 * success or a 4xx VaultError — never a 500 or a stray exception — and no key changes.
 */
describe('transit backend: bad input is a 4xx, never a 500', function () {
  this.timeout(120_000);
  let env: InProcessCore;
  const ct: Record<string, string> = {};

  const FIELDS = [
    'plaintext',
    'ciphertext',
    'context',
    'nonce',
    'associated_data',
    'key_version',
    'batch_input',
    'type',
    'derived',
    'convergent_encryption',
    'exportable',
    'allow_plaintext_backup',
    'auto_rotate_period',
    'key_size',
    'min_decryption_version',
    'min_encryption_version',
    'min_available_version',
    'deletion_allowed',
    'bits',
    'input',
    'signature',
    'hmac',
    'algorithm',
    'hash_algorithm',
    'signature_algorithm',
    'marshaling_algorithm',
    'salt_length',
    'format',
    'bytes',
    'backup',
    'force',
    'partial_failure_response_code',
    'prehashed',
  ];
  const BAD: unknown[] = [
    null,
    -1,
    2 ** 40,
    1.5,
    'x',
    'vault:v1:',
    'vault:v0:AAAA',
    [],
    [1],
    '{"policy":{}}',
    true,
    '',
    '!!!',
    'vault:v99999999999:AAAA',
    'A'.repeat(5000),
    [{}],
    [{ plaintext: 5, ciphertext: [] }],
    { a: 1 },
  ];
  const KEYS = ['aes', 'ed', 'ec', 'rsa', 'mac', 'der'];
  const PATHS = (k: string) => [
    `keys/${k}`,
    `keys/${k}/config`,
    `keys/${k}/trim`,
    `encrypt/${k}`,
    `decrypt/${k}`,
    `rewrap/${k}`,
    `datakey/plaintext/${k}`,
    `datakey/wrapped/${k}`,
    `hmac/${k}`,
    `hmac/${k}/sha3-256`,
    `sign/${k}`,
    `sign/${k}/sha2-384`,
    `verify/${k}`,
    `restore/${k}-r`,
    'hash',
    'hash/sha2-512',
    'random',
    'random/16',
    'restore',
  ];

  before(async () => {
    env = await startInProcessCore();
    await env.call('update', 'sys/mounts/transit', { data: { type: 'transit' } });
    const types: Record<string, Record<string, unknown>> = {
      aes: {},
      ed: { type: 'ed25519' },
      ec: { type: 'ecdsa-p256' },
      rsa: { type: 'rsa-2048' },
      mac: { type: 'hmac' },
      der: { derived: true, convergent_encryption: true },
    };
    for (const [k, body] of Object.entries(types))
      await env.call('update', `transit/keys/${k}`, { data: { ...body, exportable: true, allow_plaintext_backup: true } });
    ct.aes = (await env.call('update', 'transit/encrypt/aes', { data: { plaintext: 'aGk=' } }))?.data?.ciphertext as string;
  });

  it('answers every (path, field, bad value) with a success or a 4xx', async () => {
    const before = JSON.stringify((await env.call('read', 'transit/keys/aes'))?.data);
    let calls = 0;
    for (const k of KEYS) {
      for (const path of PATHS(k)) {
        // Trim and config may legitimately change a key: `aes` is left out of them so it can be compared after.
        if (k === 'aes' && /\/(config|trim)$/.test(path)) continue;
        for (const field of FIELDS) {
          for (const value of BAD) {
            calls++;
            try {
              await env.call('update', `transit/${path}`, { data: { [field]: value } });
            } catch (err) {
              expect(isVaultError(err), `${path} ${field}=${JSON.stringify(value)?.slice(0, 40)}: ${String(err)}`).to.equal(true);
              const status = (err as { status: number }).status;
              expect(status, `${path} ${field}=${JSON.stringify(value)?.slice(0, 40)}: ${(err as Error).message}`).to.be.within(400, 499);
            }
          }
        }
      }
    }
    expect(calls).to.be.greaterThan(10_000);
    expect(JSON.stringify((await env.call('read', 'transit/keys/aes'))?.data)).to.equal(before);
    const dec = await env.call('update', 'transit/decrypt/aes', { data: { ciphertext: ct.aes } });
    expect(dec?.data?.plaintext).to.equal('aGk=');
  });
});
