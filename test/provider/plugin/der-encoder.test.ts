import { expect } from 'chai';
import {
  derBitString,
  derBoolean,
  derExplicit,
  derImplicitPrimitive,
  derObjectIdentifier,
  derSequence,
  derTime,
  derTlv,
  derUnsignedInteger,
} from '../../../provider/plugin/der-encoder.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('provider/plugin/der-encoder', () => {
  it('writes short and long definite lengths', () => {
    expect(hex(derTlv(0x04, Buffer.alloc(3)))).to.equal('0403000000');
    expect(hex(derTlv(0x04, Buffer.alloc(127))).slice(0, 4)).to.equal('047f');
    expect(hex(derTlv(0x04, Buffer.alloc(128))).slice(0, 6)).to.equal('048180');
    expect(hex(derTlv(0x04, Buffer.alloc(300))).slice(0, 8)).to.equal('0482012c');
    expect(derTlv(0x04, Buffer.alloc(300)).length).to.equal(304);
  });

  it('encodes object identifiers with base-128 arcs', () => {
    expect(hex(derObjectIdentifier('1.2.840.10045.4.3.2'))).to.equal('06082a8648ce3d040302');
    expect(hex(derObjectIdentifier('2.5.29.17'))).to.equal('0603551d11');
    expect(hex(derObjectIdentifier('1.3.6.1.5.5.7.3.1'))).to.equal('06082b06010505070301');
    expect(() => derObjectIdentifier('1')).to.throw('not an object identifier');
    expect(() => derObjectIdentifier('1.x.3')).to.throw('not an object identifier');
  });

  it('keeps unsigned integers positive and minimal', () => {
    expect(hex(derUnsignedInteger(Buffer.from([2])))).to.equal('020102');
    expect(hex(derUnsignedInteger(Buffer.from([0x80])))).to.equal('02020080');
    expect(hex(derUnsignedInteger(Buffer.from([0, 0, 0x7f])))).to.equal('02017f');
    expect(hex(derUnsignedInteger(Buffer.from([0])))).to.equal('020100');
  });

  it('writes booleans, bit strings and context-specific tags as DER wants', () => {
    expect(hex(derBoolean(true))).to.equal('0101ff');
    expect(hex(derBoolean(false))).to.equal('010100');
    expect(hex(derBitString(Buffer.from([0xac]), 2))).to.equal('030202ac');
    expect(hex(derExplicit(3, derSequence()))).to.equal('a3023000');
    expect(hex(derImplicitPrimitive(2, Buffer.from('localhost')))).to.equal('82096c6f63616c686f7374');
  });

  it('uses UTCTime until 2049 and GeneralizedTime from 2050, in whole UTC seconds', () => {
    expect(derTime(new Date('2026-11-28T13:45:07.999Z')).toString('latin1')).to.equal('\x17\x0d261128134507Z');
    expect(derTime(new Date('2049-12-31T23:59:59Z')).toString('latin1')).to.equal('\x17\x0d491231235959Z');
    expect(derTime(new Date('2050-01-01T00:00:00Z')).toString('latin1')).to.equal('\x18\x0f20500101000000Z');
    expect(derTime(new Date('1949-06-01T00:00:00Z')).toString('latin1')).to.equal('\x18\x0f19490601000000Z');
  });
});
