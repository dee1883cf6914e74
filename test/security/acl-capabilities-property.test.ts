/**
 * Issue #10, class 2, as a property: for random policies (exact paths, `*` globs, `+` segments,
 * deny) and random requests (LIST with and without the trailing slash, reads, writes, deletes,
 * patches), what `sys/capabilities-self` reports on a real server is exactly what the same server
 * enforces when the token then tries the operation (403 versus anything else).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';

const MOUNT = 'pa';
const SEGMENTS = ['a', 'b', 'ab', 'hr'] as const;
const CAPABILITIES: readonly string[] = ['create', 'read', 'update', 'delete', 'list', 'patch', 'sudo', 'deny'];
/** Keys written before the run, so that LISTs and reads find something. */
const SEEDED = ['a', 'b', 'a/b', 'a/ab', 'hr/a', 'hr/b/a', 'ab/hr', 'b/a/b'];

type Method = 'GET' | 'LIST' | 'GET?list' | 'POST' | 'DELETE' | 'PATCH';

interface Probe {
  readonly method: Method;
  readonly path: string;
}

const segmentArb = fc.constantFrom(...SEGMENTS);
const composedPatternArb = fc
  .tuple(
    fc.constantFrom(`${MOUNT}/`, `${MOUNT}/`, `${MOUNT}/`, '+/'),
    fc.array(fc.oneof({ weight: 3, arbitrary: segmentArb }, { weight: 1, arbitrary: fc.constant('+') }), { maxLength: 3 }),
    fc.constantFrom('', '*', '/*', '/', 'a*'),
  )
  .map(([head, parts, tail]) => {
    const body = parts.join('/');
    if (body === '') return tail === '/' || tail === '/*' ? `${head}${tail.slice(1)}` : `${head}${tail}`;
    return `${head}${body}${tail}`;
  })
  .filter((p) => !p.includes('+*') && !p.endsWith('//') && p !== '+/');
const patternArb = fc.oneof({ weight: 5, arbitrary: composedPatternArb }, { weight: 1, arbitrary: fc.constant(`${MOUNT}/*`) });
const grantArb = fc.subarray(
  CAPABILITIES.filter((c) => c !== 'deny'),
  { minLength: 2 },
);
// One rule in five denies; the others grant a few capabilities, so both outcomes are common.
const capabilitiesArb = fc.oneof({ weight: 1, arbitrary: fc.constant(['deny']) }, { weight: 4, arbitrary: grantArb });
const ruleArb = fc.tuple(patternArb, capabilitiesArb);
const policyArb = fc.array(ruleArb, { minLength: 1, maxLength: 5 });
const probeArb: fc.Arbitrary<Probe> = fc
  .tuple(fc.constantFrom<Method>('GET', 'LIST', 'GET?list', 'POST', 'DELETE', 'PATCH'), fc.array(segmentArb, { minLength: 0, maxLength: 3 }), fc.boolean())
  .map(([method, parts, slash]) => {
    const isList = method === 'LIST' || method === 'GET?list';
    const base = parts.length === 0 ? MOUNT : `${MOUNT}/${parts.join('/')}`;
    // Only a LIST may end in "/" (writes to such paths are refused outright); an empty read is not a key.
    return { method: isList || parts.length > 0 ? method : 'LIST', path: isList && slash ? `${base}/` : base };
  });

function policyText(rules: readonly (readonly [string, readonly string[]])[]): string {
  return rules.map(([pattern, caps]) => `path "${pattern}" { capabilities = ${JSON.stringify(caps)} }`).join('\n');
}

describe('ACL property: sys/capabilities-self equals enforcement on a real server (issue #10, class 2)', function () {
  this.timeout(120_000);
  let server: ServerHandle;
  let policyCounter = 0;

  before(async () => {
    server = await startDevServer();
    expect((await server.request('POST', `sys/mounts/${MOUNT}`, { body: { type: 'kv' } })).status).to.equal(204);
    for (const key of SEEDED) await seed(key);
  });
  after(async () => {
    await server?.stop();
  });

  async function seed(key: string): Promise<void> {
    const response = await server.request('POST', `${MOUNT}/${key}`, { body: { v: key } });
    expect(response.status).to.equal(204);
  }

  /** The capability the server checks for `probe`: a POST is `create` or `update` by existence. */
  async function capabilityOf(probe: Probe): Promise<string> {
    switch (probe.method) {
      case 'GET':
        return 'read';
      case 'LIST':
      case 'GET?list':
        return 'list';
      case 'DELETE':
        return 'delete';
      case 'PATCH':
        return 'patch';
      case 'POST': {
        const existing = await server.request('GET', probe.path);
        return existing.status === 200 ? 'update' : 'create';
      }
    }
  }

  async function attempt(probe: Probe, token: string): Promise<number> {
    switch (probe.method) {
      case 'GET?list':
        return (await server.request('GET', `${probe.path}?list=true`, { token })).status;
      case 'POST':
        return (await server.request('POST', probe.path, { token, body: { v: 'written' } })).status;
      case 'PATCH':
        return (await server.request('PATCH', probe.path, { token, body: { v: 'patched' }, headers: { 'Content-Type': 'application/merge-patch+json' } }))
          .status;
      default:
        return (await server.request(probe.method, probe.path, { token })).status;
    }
  }

  it('agrees for random policies and requests (LIST included)', async () => {
    let probes = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(policyArb, fc.array(probeArb, { minLength: 1, maxLength: 8 }), async (rules, probeList) => {
        const name = `prop-${++policyCounter}`;
        const text = policyText(rules);
        const put = await server.request('PUT', `sys/policies/acl/${name}`, { body: { policy: text } });
        expect(put.status, text).to.equal(204);
        const created = await server.request('POST', 'auth/token/create', { body: { policies: [name] } });
        const token = created.body.auth.client_token as string;
        for (const probe of probeList) {
          const capability = await capabilityOf(probe);
          const reported = await server.request('POST', 'sys/capabilities-self', { token, body: { paths: [probe.path] } });
          expect(reported.status).to.equal(200);
          const capabilities = reported.body[probe.path] as string[];
          const status = await attempt(probe, token);
          const context = `${probe.method} ${probe.path} needs ${capability}; capabilities-self ${JSON.stringify(capabilities)}; status ${status}\n${text}`;
          expect(status === 403, context).to.equal(!capabilities.includes(capability));
          probes++;
          if (status === 403) refused++;
          // Keep the seeded tree in place for the next probes.
          if (probe.method === 'DELETE' && status !== 403 && SEEDED.includes(probe.path.slice(MOUNT.length + 1)))
            await seed(probe.path.slice(MOUNT.length + 1));
        }
      }),
      { numRuns: 100 },
    );
    console.log(`      ${probes} requests checked against capabilities-self: ${refused} refused (403), ${probes - refused} let through`);
    // The property is only meaningful when both outcomes occur often.
    expect(refused).to.be.greaterThan(probes / 10);
    expect(probes - refused).to.be.greaterThan(probes / 10);
  });
});
