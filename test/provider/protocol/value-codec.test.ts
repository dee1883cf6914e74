import { expect } from 'chai';
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import {
  boolType,
  dynamicType,
  listOf,
  mapOf,
  numberType,
  objectOf,
  setOf,
  stringType,
  parseTypeJson,
  typeToJson,
  type ValueType,
} from '../../../provider/framework/value-type.js';
import { DecimalNumber, DynamicTypedValue, unknown, valuesEqual, type Value } from '../../../provider/framework/values.js';
import {
  decodeDynamicValue,
  decodeJsonValue,
  decodeMsgpackValue,
  encodeJsonValue,
  encodeMsgpackValue,
  ValueCodecError,
} from '../../../provider/protocol/value-codec.js';

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);

/** Arbitrary cty types, nesting limited so values stay small. */
const typeArb: fc.Arbitrary<ValueType> = fc.letrec<{ type: ValueType }>((tie) => ({
  type: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(stringType),
    fc.constant(numberType),
    fc.constant(boolType),
    tie('type').map(listOf),
    tie('type').map(setOf),
    tie('type').map(mapOf),
    fc.dictionary(name, tie('type'), { minKeys: 1, maxKeys: 4 }).map((attrs) => objectOf(attrs)),
  ),
})).type;

const decimalArb = fc
  .tuple(fc.integer({ min: -99999, max: 99999 }), fc.integer({ min: 1, max: 999999 }))
  .map(([i, f]) => new DecimalNumber(`${i}.${String(f).padStart(6, '0')}1`));

/** A value of `type` that may contain nulls and unknowns at any level. */
function valueArb(type: ValueType, depth = 0): fc.Arbitrary<Value> {
  const known = ((): fc.Arbitrary<Value> => {
    switch (type.kind) {
      case 'string':
        return fc.string({ unit: 'binary', maxLength: 12 });
      case 'number':
        return fc.oneof(
          fc.integer(),
          fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
          fc.bigInt({ min: 2n ** 60n, max: 2n ** 62n }).map((b) => new DecimalNumber(b.toString())),
          decimalArb,
        );
      case 'bool':
        return fc.boolean();
      case 'list':
      case 'set':
        return fc.array(valueArb(type.element, depth + 1), { maxLength: 3 });
      case 'map':
        return fc.dictionary(
          fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__'),
          valueArb(type.element, depth + 1),
          { maxKeys: 3 },
        ) as fc.Arbitrary<Value>;
      case 'object':
        return fc.record(Object.fromEntries(Object.entries(type.attributes).map(([k, t]) => [k, valueArb(t, depth + 1)]))) as fc.Arbitrary<Value>;
      default:
        return fc.constant(null);
    }
  })();
  return fc.oneof({ weight: 6, arbitrary: known }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constant(unknown as Value) });
}

const typedValue = typeArb.chain((type) => valueArb(type).map((value) => ({ type, value })));

describe('provider/protocol/value-codec', () => {
  it('round-trips any value of any type through msgpack, unknowns included', () => {
    fc.assert(
      fc.property(typedValue, ({ type, value }) => {
        const decoded = decodeMsgpackValue(encodeMsgpackValue(value, type), type);
        expect(valuesEqual(decoded, value, type), `${JSON.stringify(typeToJson(type))}`).to.equal(true);
      }),
      { numRuns: 400 },
    );
  });

  it('round-trips cty type expressions', () => {
    fc.assert(
      fc.property(typeArb, (type) => {
        expect(parseTypeJson(JSON.parse(JSON.stringify(typeToJson(type))))).to.deep.equal(type);
      }),
    );
  });

  it('round-trips wholly known values through the JSON state form', () => {
    const knownOnly = (v: Value): boolean =>
      v !== unknown &&
      (!Array.isArray(v) ? v === null || typeof v !== 'object' || v instanceof DecimalNumber || Object.values(v).every(knownOnly) : v.every(knownOnly));
    fc.assert(
      fc.property(
        typedValue.filter(({ value }) => knownOnly(value)),
        ({ type, value }) => {
          const json = JSON.parse(JSON.stringify(encodeJsonValue(value, type)));
          const back = decodeJsonValue(json, type);
          // JSON numbers lose decimal exactness; compare through msgpack-normalised numbers.
          expect(JSON.stringify(encodeJsonValue(back, type))).to.equal(JSON.stringify(json));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('encodes unknown as the canonical extension 0 (d4 00 00)', () => {
    expect(Buffer.from(encodeMsgpackValue(unknown, stringType)).toString('hex')).to.equal('d40000');
  });

  it('reads any extension type as unknown, including refined unknowns (ext 12)', () => {
    const refined = Buffer.from('d40c00', 'hex'); // fixext1, type 12
    expect(decodeMsgpackValue(refined, numberType)).to.equal(unknown);
    const ext5 = Buffer.from([0xc7, 3, 5, 1, 2, 3]); // ext8 with type 5
    expect(decodeMsgpackValue(ext5, listOf(stringType))).to.equal(unknown);
  });

  it('accepts numbers that arrive as decimal strings and keeps them exact', () => {
    const bytes = Buffer.from('a3302e31', 'hex'); // str "0.1", as Terraform sends 0.1
    const v = decodeMsgpackValue(bytes, numberType);
    expect(v).to.be.instanceOf(DecimalNumber);
    expect((v as DecimalNumber).decimal).to.equal('0.1');
    expect(Buffer.from(encodeMsgpackValue(v, numberType)).toString('hex')).to.equal('a3302e31');
  });

  it('writes every object attribute, null where the value leaves it out', () => {
    const type = objectOf({ a: stringType, b: numberType });
    const bytes = encodeMsgpackValue({ a: 'x' }, type);
    expect(Buffer.from(bytes)).to.deep.equal(Buffer.from(encode({ a: 'x', b: null })));
  });

  it('rejects attributes the schema does not have', () => {
    const type = objectOf({ a: stringType });
    expect(() => decodeMsgpackValue(encode({ a: 'x', z: 1 }), type)).to.throw(ValueCodecError, /unsupported attribute "z"/);
  });

  it('decodes a dynamic value from its [type, value] pair and the JSON {"value","type"} form', () => {
    const type = objectOf({ d: dynamicType });
    const v = { d: new DynamicTypedValue(listOf(stringType), ['a', 'b']) };
    const back = decodeMsgpackValue(encodeMsgpackValue(v, type), type) as { d: DynamicTypedValue };
    expect(back.d.type).to.deep.equal(listOf(stringType));
    expect(back.d.value).to.deep.equal(['a', 'b']);
    const fromJson = decodeJsonValue({ d: { value: 3, type: 'number' } }, type) as { d: DynamicTypedValue };
    expect(fromJson.d.value).to.equal(3);
  });

  it('fills attributes missing from stored JSON state with null', () => {
    const type = objectOf({ a: stringType, added_later: boolType });
    expect(decodeJsonValue({ a: 'x' }, type)).to.deep.equal({ a: 'x', added_later: null });
  });

  it('treats an absent DynamicValue as null and falls back to JSON when msgpack is empty', () => {
    expect(decodeDynamicValue(null, stringType)).to.equal(null);
    expect(decodeDynamicValue({ msgpack: new Uint8Array(), json: Buffer.from('"hi"') }, stringType)).to.equal('hi');
  });
});
