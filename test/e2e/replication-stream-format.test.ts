import { expect } from 'chai';
import http2 from 'node:http2';
import type { ActivationBundle } from '../../server/replication/activation-bundle.js';
import { ClusterClient } from '../../server/replication/cluster-client.js';
import { decodeWalEntry, walEntryFromJson, type WalEntry } from '../../server/replication/wal-entry.js';
import { FrameReader, isControlFrame, WAL_FRAMES_CONTENT_TYPE } from '../../server/replication/wal-frames.js';
import { leafDigest } from '../../server/replication/merkle-index.js';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * The WAL stream's format between builds: a secondary of this build asks for binary frames and
 * gets them; one of a build before them (no `Accept`) gets NDJSON with entries in the older JSON
 * form, carrying the same changes. Both are read here with the secondary's own credentials.
 */
describe('replication: the WAL stream format is negotiated with each secondary', function () {
  this.timeout(60_000);
  let primary: ServerHandle;
  let client: ClusterClient;
  let bundle: ActivationBundle;

  before(async () => {
    primary = await startDevServer({ rootTokenId: 'format' });
    await primary.request('POST', 'sys/replication/primary/enable', { body: {} });
    const token = (await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'format' } })).body.wrap_info.token as string;
    bundle = (await primary.request('POST', 'sys/wrapping/unwrap', { token })).body.data as ActivationBundle;
    client = new ClusterClient(
      bundle.primary_cluster_addr,
      { caCertPem: bundle.ca_cert, client: { certPem: bundle.client_cert, keyPem: bundle.client_key } },
      () => ({
        'x-ferry-epoch': String(bundle.epoch),
      }),
    );
    expect((await primary.request('POST', 'secret/data/streamed', { body: { data: { v: 'over the wire' } } })).status).to.equal(200);
  });
  after(async () => {
    client?.close();
    await primary?.stop();
  });

  /** Streams from the oldest retained entry until `enough` says so; what the primary sent, as items. */
  async function streamed(
    binary: boolean,
    enough: (entries: WalEntry[]) => boolean,
  ): Promise<{ status: number; entries: WalEntry[]; items: (string | Buffer)[] }> {
    const status = (await primary.request('GET', 'sys/replication/status', { token: null })).body.data as { last_wal: number };
    const entries: WalEntry[] = [];
    const items: (string | Buffer)[] = [];
    let code = 0;
    const onItems = async (received: readonly (string | Buffer)[]): Promise<void> => {
      for (const item of received) {
        items.push(item);
        if (typeof item !== 'string') {
          if (!isControlFrame(item)) entries.push(decodeWalEntry(item));
          continue;
        }
        const frame = JSON.parse(item) as { type: string; entry?: unknown };
        if (frame.type === 'wal') entries.push(walEntryFromJson(frame.entry));
      }
      if (enough(entries)) transfer.cancel();
    };
    const path = `/v1/replication/stream?from=${Math.max(1, status.last_wal - 50)}`;
    const transfer = binary ? client.streamFrames(path, (s) => (code = s), onItems) : client.stream(path, (s) => (code = s), onItems);
    await transfer.done.catch(() => undefined);
    return { status: code, entries, items };
  }

  /** An entry as a build before digested puts has it. */
  const undigested = (e: WalEntry): WalEntry => ({ ...e, ops: e.ops.map((op) => (op.op === 'put' ? { op: 'put', key: op.key, value: op.value } : op)) });
  const hasWrite = (entries: WalEntry[]): boolean => entries.some((e) => e.ops.some((op) => op.op === 'put' && op.key.includes('streamed')));

  it('streams binary frames (entries as stored, control frames as JSON) to a secondary that asks for them', async () => {
    const { status, entries, items } = await streamed(true, hasWrite);
    expect(status).to.equal(200);
    expect(items.every((i) => Buffer.isBuffer(i))).to.equal(true);
    expect(items.some((i) => Buffer.isBuffer(i) && isControlFrame(i))).to.equal(true);
    expect(hasWrite(entries)).to.equal(true);
    // Indexes follow one another: nothing skipped or repeated.
    expect(entries.every((e, i) => i === 0 || e.index === (entries[i - 1] as WalEntry).index + 1)).to.equal(true);
  });

  it('streams NDJSON with entries in the older JSON form to a secondary of an older build, with the same changes', async () => {
    const binary = await streamed(true, hasWrite);
    const { status, entries, items } = await streamed(false, hasWrite);
    expect(status).to.equal(200);
    expect(items.every((i) => typeof i === 'string')).to.equal(true);
    expect(entries).to.deep.equal(binary.entries.slice(0, entries.length).map(undigested));
    expect(hasWrite(entries)).to.equal(true);
  });

  it('streams digested puts to a secondary of this build, and the same entries without digests to one that asks for version-1 frames', async () => {
    const binary = await streamed(true, hasWrite);
    const puts = binary.entries.flatMap((e) => e.ops).filter((op) => op.op === 'put');
    expect(puts.length).to.be.greaterThan(0);
    expect(puts.every((op) => op.op === 'put' && op.digest !== undefined && op.digest.equals(leafDigest(op.key, op.value)))).to.equal(true);
    // A secondary of the build before digests: `Accept` names version 1 only.
    const status = (await primary.request('GET', 'sys/replication/status', { token: null })).body.data as { last_wal: number };
    const session = http2.connect(bundle.primary_cluster_addr, { ca: bundle.ca_cert, cert: bundle.client_cert, key: bundle.client_key });
    try {
      const stream = session.request({
        ':path': `/v1/replication/stream?from=${Math.max(1, status.last_wal - 50)}`,
        accept: `${WAL_FRAMES_CONTENT_TYPE}, application/x-ndjson`,
        'x-ferry-epoch': String(bundle.epoch),
      });
      stream.end();
      const reader = new FrameReader(1 << 24);
      const v1: WalEntry[] = [];
      const contentType = await new Promise<string>((resolve, reject) => {
        let type = '';
        stream.on('response', (h) => (type = String(h['content-type'])));
        stream.on('data', (chunk: Buffer) => {
          for (const frame of reader.push(chunk)) if (!isControlFrame(frame)) v1.push(decodeWalEntry(frame));
          if (hasWrite(v1)) {
            stream.close();
            resolve(type);
          }
        });
        stream.on('error', reject);
        stream.on('close', () => resolve(type));
      });
      expect(contentType).to.equal(WAL_FRAMES_CONTENT_TYPE);
      expect(hasWrite(v1)).to.equal(true);
      expect(v1).to.deep.equal(binary.entries.slice(0, v1.length).map(undigested));
    } finally {
      session.close();
    }
  });
});
