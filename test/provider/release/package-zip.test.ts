import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { buildPackageZip } from '../../../provider/release/package-zip.js';
import { packageHashV1, zipHash, type PackageFile } from '../../../provider/release/provider-hash.js';

const files: PackageFile[] = [
  { name: 'terraform-provider-ferry_v0.1.0', content: Buffer.from('#!/bin/sh\nexit 0\n'), mode: 0o755 },
  { name: 'dist/provider-bundle/loader.cjs', content: Buffer.from('module.exports = 1;\n'), mode: 0o644 },
];

describe('provider/release/package-zip and provider-hash', () => {
  const savedTz = process.env['TZ'];
  afterEach(() => {
    if (savedTz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = savedTz;
  });

  it('builds the same bytes for the same files and timestamp, in any time zone and file order', async () => {
    process.env['TZ'] = 'America/Los_Angeles';
    const a = await buildPackageZip(files, 1_790_000_000);
    process.env['TZ'] = 'Asia/Tokyo';
    const b = await buildPackageZip([...files].reverse(), 1_790_000_000);
    expect(b.equals(a)).to.equal(true);
    expect((await buildPackageZip(files, 1_790_000_060)).equals(a), 'another timestamp changes the bytes').to.equal(false);
  });

  it('stores Unix modes: the launcher is executable, the rest is not', async () => {
    const zip = await buildPackageZip(files, 1_790_000_000);
    // Central directory entries: signature 0x02014b50; "version made by" host byte at +5 (3 = Unix), external
    // attributes (mode << 16) at +38, name length at +28, name at +46.
    const modes = new Map<string, number>();
    for (let at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at >= 0; at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)) {
      expect(zip[at + 5]).to.equal(3);
      const nameLength = zip.readUInt16LE(at + 28);
      modes.set(zip.subarray(at + 46, at + 46 + nameLength).toString(), (zip.readUInt32LE(at + 38) >>> 16) & 0o777);
    }
    expect(Object.fromEntries(modes)).to.deep.equal({ 'dist/provider-bundle/loader.cjs': 0o644, 'terraform-provider-ferry_v0.1.0': 0o755 });
  });

  it('h1: hashes names and contents only (Go dirhash Hash1), zh: is the SHA-256 of the zip', async () => {
    const lines = [...files]
      .sort((x, y) => (x.name < y.name ? -1 : 1))
      .map((f) => `${createHash('sha256').update(f.content).digest('hex')}  ${f.name}\n`)
      .join('');
    expect(packageHashV1(files)).to.equal(`h1:${createHash('sha256').update(lines).digest('base64')}`);
    expect(packageHashV1(files.map((f) => ({ ...f, mode: 0o600 })))).to.equal(packageHashV1(files));
    expect(packageHashV1([{ ...files[0]!, content: Buffer.from('other') }, files[1]!])).to.not.equal(packageHashV1(files));
    const zip = await buildPackageZip(files, 1_790_000_000);
    expect(zipHash(zip)).to.equal(`zh:${createHash('sha256').update(zip).digest('hex')}`);
    expect(() => packageHashV1([files[0]!, files[0]!])).to.throw(/duplicate/);
  });
});
