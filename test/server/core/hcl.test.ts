import { expect } from 'chai';
import { HclError, parseHcl, readBlocks } from '../../../server/core/hcl.js';

describe('hcl', () => {
  describe('parseHcl', () => {
    it('parses one-line blocks with several attributes, as Vault configs write them', () => {
      const doc = parseHcl('listener "tcp" { address = "127.0.0.1:8200" tls_disable = true }\napi_addr = "http://127.0.0.1:8200"');
      expect(doc['api_addr']).to.equal('http://127.0.0.1:8200');
      expect(readBlocks(doc, 'listener', 1)).to.deep.equal([{ labels: ['tcp'], body: { address: '127.0.0.1:8200', tls_disable: true } }]);
    });

    it('reads JSON documents into the same shape as HCL', () => {
      const fromHcl = parseHcl('path "secret/*" {\n  capabilities = ["read", "list"]\n}\n');
      const fromJson = parseHcl('{"path": {"secret/*": {"capabilities": ["read", "list"]}}}');
      expect(readBlocks(fromJson, 'path', 1)).to.deep.equal(readBlocks(fromHcl, 'path', 1));
      expect(readBlocks(fromJson, 'path', 1)).to.deep.equal([{ labels: ['secret/*'], body: { capabilities: ['read', 'list'] } }]);
    });

    it('keeps repeated blocks with the same label apart, in source order', () => {
      const doc = parseHcl('path "a" { capabilities = ["read"] }\npath "b" { policy = "write" }\npath "a" { capabilities = ["list"] }');
      expect(readBlocks(doc, 'path', 1).map((b) => [b.labels[0], b.body])).to.deep.equal([
        ['a', { capabilities: ['read'] }],
        ['b', { policy: 'write' }],
        ['a', { capabilities: ['list'] }],
      ]);
    });

    it('reads unlabeled blocks, heredocs, numbers and comments', () => {
      const doc = parseHcl('# comment\nreplication {\n  logshipper_buffer_length = 16384 // trailing\n}\nnote = <<EOT\nhello\nEOT\n');
      expect(readBlocks(doc, 'replication', 0)).to.deep.equal([{ labels: [], body: { logshipper_buffer_length: 16384 } }]);
      expect(doc['note']).to.equal('hello\n');
    });

    it('treats an empty document as an empty object', () => {
      expect(parseHcl('')).to.deep.equal({});
      expect(parseHcl('  \n# only a comment\n')).to.deep.equal({});
    });

    it('returns deeply frozen objects', () => {
      const doc = parseHcl('path "a" { capabilities = ["read"] }');
      expect(Object.isFrozen(doc)).to.equal(true);
      const [block] = readBlocks(doc, 'path', 1);
      expect(Object.isFrozen(block?.body['capabilities'])).to.equal(true);
    });

    it('reports a syntax error with its position and without echoing the document', () => {
      const secret = 'hunter2-very-secret-value';
      const text = `password = "${secret}"\npath "x" { capabilities = [ `;
      expect(() => parseHcl(text)).to.throw(HclError, /^At 2:\d+: /);
      try {
        parseHcl(text);
      } catch (err) {
        expect((err as Error).message).not.to.include(secret);
      }
    });

    it('rejects truncated JSON and trailing text, which the HCL1 JSON reader alone would accept', () => {
      expect(() => parseHcl('{"path": {"a": ')).to.throw(HclError, /^invalid JSON/);
      expect(() => parseHcl('{"a": 1} junk')).to.throw(HclError, /^invalid JSON/);
      expect(() => parseHcl('  {"a": 1,}')).to.throw(HclError, /^invalid JSON/);
    });

    it('does not echo a JSON document in its error', () => {
      expect(() => parseHcl('{"token": "s.abcdefsecret" oops}'))
        .to.throw(HclError)
        .with.property('message')
        .that.does.not.include('secret');
    });
  });

  describe('readBlocks', () => {
    it('returns [] for a missing block', () => {
      expect(readBlocks(parseHcl('a = 1'), 'path', 1)).to.deep.equal([]);
    });

    it('refuses an attribute where a block is expected', () => {
      expect(() => readBlocks(parseHcl('path = "secret/*"'), 'path', 1)).to.throw(HclError, /path must be a block/);
    });

    it('refuses a block without the label it needs', () => {
      expect(() => readBlocks(parseHcl('path { capabilities = ["read"] }'), 'path', 1)).to.throw(HclError, /must be a block/);
      expect(() => readBlocks(parseHcl('storage {}'), 'storage', 1)).to.throw(HclError, /needs a label/);
    });

    it('reads several labels', () => {
      expect(readBlocks(parseHcl('a "b" "c" { d = 1 }'), 'a', 2)).to.deep.equal([{ labels: ['b', 'c'], body: { d: 1 } }]);
    });
  });
});
