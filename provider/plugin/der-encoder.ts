/**
 * The few DER encodings (ITU-T X.690) the plugin's one-time X.509 certificate needs, written by hand: an ASN.1
 * library costs the provider's start-up more (module set-up, schema decorators) than the certificate itself.
 * Each function answers the complete TLV (tag, length, value) as bytes.
 */

/** Tag and definite length (short form below 128 bytes, long form above) around `value`. */
export function derTlv(tag: number, value: Uint8Array): Buffer {
  const length = value.length;
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else {
    const bytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), value]);
}

export const derSequence = (...items: Uint8Array[]): Buffer => derTlv(0x30, Buffer.concat(items));
export const derSet = (...items: Uint8Array[]): Buffer => derTlv(0x31, Buffer.concat(items));
export const derBoolean = (value: boolean): Buffer => derTlv(0x01, Buffer.from([value ? 0xff : 0x00]));
export const derOctetString = (value: Uint8Array): Buffer => derTlv(0x04, value);
export const derPrintableString = (value: string): Buffer => derTlv(0x13, Buffer.from(value, 'latin1'));
/** `[n] EXPLICIT`: a constructed context-specific tag wrapping a whole encoding. */
export const derExplicit = (n: number, inner: Uint8Array): Buffer => derTlv(0xa0 | n, inner);
/** `[n] IMPLICIT` of a primitive type: the context-specific tag replaces the type's own. */
export const derImplicitPrimitive = (n: number, value: Uint8Array): Buffer => derTlv(0x80 | n, value);

/** A non-negative INTEGER from its big-endian magnitude: minimal, with a 0x00 in front when the top bit is set. */
export function derUnsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  return derTlv(0x02, ((trimmed[0] ?? 0) & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** A BIT STRING; `unusedBits` of the last byte are padding. */
export const derBitString = (bytes: Uint8Array, unusedBits = 0): Buffer => derTlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));

/** An OBJECT IDENTIFIER from its dotted form (`1.2.840.10045.4.3.2`). */
export function derObjectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new Error(`not an object identifier: ${dotted}`);
  const [first = 0, second = 0, ...rest] = arcs;
  const out: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const base128: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) base128.unshift(0x80 | (n & 0x7f));
    out.push(...base128);
  }
  return derTlv(0x06, Buffer.from(out));
}

/**
 * X.509's Time: UTCTime (`YYMMDDHHMMSSZ`) for 1950–2049, GeneralizedTime (`YYYYMMDDHHMMSSZ`) otherwise
 * (RFC 5280, 4.1.2.5); whole seconds, UTC.
 */
export function derTime(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-11-28T13:45:00.123Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? derTlv(0x17, Buffer.from(digits.slice(2), 'latin1')) : derTlv(0x18, Buffer.from(digits, 'latin1'));
}
