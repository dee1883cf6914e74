import { expect } from 'chai';
import { DEFAULT_POLICY_TEXT, RESPONSE_WRAPPING_POLICY_TEXT, parsePolicy, validatePolicyName, type PathRule } from '../../../server/core/policy.js';
import { VaultError } from '../../../server/core/vault-error.js';

async function parseError(text: string, name = 'p'): Promise<VaultError> {
  try {
    await parsePolicy(name, text);
  } catch (err) {
    expect(err).to.be.instanceOf(VaultError);
    return err as VaultError;
  }
  throw new Error('expected parsePolicy to throw');
}

function byPattern(rules: readonly PathRule[]): Record<string, readonly string[]> {
  return Object.fromEntries(rules.map((r) => [r.pattern, r.capabilities]));
}

describe('policy', () => {
  describe('parsePolicy', () => {
    it('parses capabilities stanzas in HCL', async () => {
      const policy = await parsePolicy('Readers', 'path "secret/*" {\n  capabilities = ["read", "list"]\n}\n');
      expect(policy.name).to.equal('readers');
      expect(policy.rules).to.deep.equal([
        { pattern: 'secret/*', path: 'secret/', isPrefix: true, hasSegmentWildcards: false, capabilities: ['list', 'read'], parameters: {} },
      ]);
    });

    it('parses parameter constraints, lower-casing names, the same in HCL and JSON', async () => {
      const hcl = await parsePolicy(
        'p',
        'path "a" {\n capabilities = ["update"]\n allowed_parameters = { "TTL" = ["1h", "2h"] "name" = [] }\n denied_parameters = { "secret" = [] }\n required_parameters = ["name"]\n}',
      );
      expect(hcl.rules[0]?.parameters).to.deep.equal({ allowed: { ttl: ['1h', '2h'], name: [] }, denied: { secret: [] }, required: ['name'] });
      const json = await parsePolicy(
        'p',
        JSON.stringify({
          path: {
            a: {
              capabilities: ['update'],
              allowed_parameters: { TTL: ['1h', '2h'], name: [] },
              denied_parameters: { secret: [] },
              required_parameters: ['name'],
            },
          },
        }),
      );
      expect(json.rules).to.deep.equal(hcl.rules);
    });

    it('drops parameter constraints from a deny stanza', async () => {
      const policy = await parsePolicy('p', 'path "a" {\n capabilities = ["deny"]\n required_parameters = ["x"]\n}');
      expect(policy.rules[0]?.parameters).to.deep.equal({});
    });

    it('keeps the submitted text verbatim', async () => {
      const text = '# mine\npath "a" { capabilities = ["read"] }\n';
      expect((await parsePolicy('p', text)).text).to.equal(text);
    });

    it('parses the same policy written as JSON', async () => {
      const json = await parsePolicy('p', '{"path": {"secret/*": {"capabilities": ["read", "list"]}, "sys/mounts": {"policy": "read"}}}');
      const hcl = await parsePolicy('p', 'path "secret/*" { capabilities = ["read", "list"] }\npath "sys/mounts" { policy = "read" }');
      expect(json.rules).to.deep.equal(hcl.rules);
    });

    it('maps legacy policy values to capability sets as Vault does', async () => {
      const policy = await parsePolicy('legacy', ['deny', 'read', 'write', 'sudo'].map((p) => `path "${p}" { policy = "${p}" }`).join('\n'));
      expect(byPattern(policy.rules)).to.deep.equal({
        deny: ['deny'],
        read: ['list', 'read'],
        write: ['create', 'delete', 'list', 'read', 'update'],
        sudo: ['create', 'delete', 'list', 'read', 'sudo', 'update'],
      });
    });

    it('adds legacy capabilities to explicit ones', async () => {
      const policy = await parsePolicy('p', 'path "a" {\n policy = "read"\n capabilities = ["patch"]\n}');
      expect(policy.rules[0]?.capabilities).to.deep.equal(['list', 'patch', 'read']);
    });

    it('lets deny replace every other capability in a stanza', async () => {
      const policy = await parsePolicy('p', 'path "a" { capabilities = ["read", "deny", "sudo"] }');
      expect(policy.rules[0]?.capabilities).to.deep.equal(['deny']);
    });

    it('classifies prefix, exact and segment-wildcard patterns', async () => {
      const policy = await parsePolicy(
        'p',
        ['/secret/exact', 'secret/pre*', 'secret/+/teamb', 'secret/+/data/*', '+', '+/x', 'a+b']
          .map((p) => `path "${p}" { capabilities = ["read"] }`)
          .join('\n'),
      );
      const shape = policy.rules.map((r) => [r.pattern, r.path, r.isPrefix, r.hasSegmentWildcards]);
      expect(shape).to.deep.equal([
        ['secret/exact', 'secret/exact', false, false],
        ['secret/pre*', 'secret/pre', true, false],
        ['secret/+/teamb', 'secret/+/teamb', false, true],
        ['secret/+/data/*', 'secret/+/data/*', true, true],
        ['+', '+', false, true],
        ['+/x', '+/x', false, true],
        ['a+b', 'a+b', false, false],
      ]);
    });

    it('accepts a policy with no paths and a stanza with no capabilities', async () => {
      expect((await parsePolicy('p', '# nothing yet\n')).rules).to.deep.equal([]);
      expect((await parsePolicy('p', 'path "a" {}')).rules[0]?.capabilities).to.deep.equal([]);
    });

    it('returns a frozen policy', async () => {
      const policy = await parsePolicy('p', 'path "a" { capabilities = ["read"] }');
      expect(Object.isFrozen(policy)).to.equal(true);
      expect(Object.isFrozen(policy.rules)).to.equal(true);
      expect(Object.isFrozen(policy.rules[0]?.capabilities)).to.equal(true);
    });

    it('parses the built-in default and response-wrapping policies', async () => {
      const policy = await parsePolicy('default', DEFAULT_POLICY_TEXT);
      const rules = byPattern(policy.rules);
      expect(rules['auth/token/lookup-self']).to.deep.equal(['read']);
      expect(rules['auth/token/renew-self']).to.deep.equal(['update']);
      expect(rules['auth/token/revoke-self']).to.deep.equal(['update']);
      expect(rules['sys/capabilities-self']).to.deep.equal(['update']);
      expect(rules['cubbyhole/*']).to.deep.equal(['create', 'delete', 'list', 'read', 'update']);
      expect(rules['sys/wrapping/unwrap']).to.deep.equal(['update']);
      expect(rules['sys/leases/lookup']).to.deep.equal(['update']);
      expect(rules['sys/tools/hash']).to.deep.equal(['update']);
      expect((await parsePolicy('response-wrapping', RESPONSE_WRAPPING_POLICY_TEXT)).rules).to.have.length(2);
    });

    describe('refuses bad input with invalid_request naming the problem', () => {
      const cases: readonly (readonly [string, string, RegExp])[] = [
        ['an unknown capability', 'path "a" { capabilities = ["reed"] }', /^failed to parse policy: path "a": invalid capability "reed"$/],
        ['the root capability', 'path "a" { capabilities = ["root"] }', /invalid capability "root"/],
        ['capabilities in the wrong case', 'path "a" { capabilities = ["READ"] }', /invalid capability "READ"/],
        ['an unknown legacy policy', 'path "a" { policy = "admin" }', /^failed to parse policy: path "a": invalid policy "admin"$/],
        ['an unknown key in a stanza', 'path "a" { capabilites = ["read"] }', /path "a": invalid key "capabilites"/],
        ['an unknown top-level key', 'paths "a" { capabilities = ["read"] }', /^failed to parse policy: invalid key "paths"$/],
        [
          'parameter constraints that are not an object',
          'path "a" {\n capabilities = ["update"]\n denied_parameters = "ttl"\n}',
          /path "a": denied_parameters must be an object/,
        ],
        ['wrapping TTL constraints', 'path "a" {\n capabilities = ["update"]\n max_wrapping_ttl = "1h"\n}', /max_wrapping_ttl is not supported/],
        ['"+*" in a pattern', 'path "secret/+*" { capabilities = ["read"] }', /invalid use of wildcards/],
        ['capabilities that are not strings', 'path "a" { capabilities = [1] }', /path "a": capabilities must be a list of strings/],
        ['path given as an attribute', 'path = "secret/*"', /failed to parse policy: path must be a block/],
        ['a syntax error', 'path "a" { capabilities = [', /^failed to parse policy: At 1:\d+: /],
        ['malformed JSON', '{"path": {"a": {"capabilities": ["read"]}}', /^failed to parse policy: invalid JSON/],
        ['an empty document', '   \n', /^failed to parse policy: policy document is empty$/],
      ];
      for (const [what, text, message] of cases) {
        it(`refuses ${what}`, async () => {
          const err = await parseError(text);
          expect(err.code).to.equal('invalid_request');
          expect(err.message).to.match(message);
        });
      }
    });

    it('does not echo a long document in its error', async () => {
      const filler = 'x'.repeat(5000);
      const err = await parseError(`path "${filler}" { capabilities = ["nope"] }`);
      expect(err.message.length).to.be.below(300);
      const err2 = await parseError(`# ${filler}\npath "a" { capabilities = [`);
      expect(err2.message).not.to.include(filler.slice(0, 100));
    });

    it('refuses to define the root policy from a document', async () => {
      const err = await parseError('path "*" { capabilities = ["sudo"] }', 'Root');
      expect(err.code).to.equal('invalid_request');
      expect(err.message).to.equal('cannot update "root" policy');
    });
  });

  describe('validatePolicyName', () => {
    it('trims and lower-cases names like Vault', () => {
      expect(validatePolicyName('  Team-A_Readers ')).to.equal('team-a_readers');
      expect(validatePolicyName('app.v2@prod:ro')).to.equal('app.v2@prod:ro');
    });

    for (const bad of ['', '   ', 'a,b', 'a b', 'a/b', '-lead', '../x', 'x'.repeat(129), 'tab\tname', 'nul\u0000']) {
      it(`refuses ${JSON.stringify(bad.length > 20 ? `${bad.slice(0, 20)}…` : bad)}`, () => {
        expect(() => validatePolicyName(bad))
          .to.throw(VaultError)
          .with.property('code', 'invalid_request');
      });
    }
  });
});
