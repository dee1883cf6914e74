import { expect } from 'chai';
import type { CliIo } from '../../../server/cli/cli-io.js';
import { extractField, formatTable, formatValue, parseOutputFormat, Printer, secretRows } from '../../../server/cli/output.js';
import { UsageError } from '../../../server/cli/usage-error.js';

function captureIo(isStdoutTerminal = false): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    writeOut: (text: string) => void (io.out += text),
    writeErr: (text: string) => void (io.err += text),
    readStdin: async () => '',
    readLine: async () => '',
    readFile: async () => '',
    isStdoutTerminal,
  };
  return io;
}

const WRAPPED = {
  request_id: '',
  lease_id: '',
  renewable: false,
  lease_duration: 0,
  data: null,
  wrap_info: {
    token: 'eyJhbGciOiJFUzUxMiJ9.e30.sig',
    accessor: 'wacc',
    ttl: 1800,
    creation_time: '2024-05-09T01:04:36Z',
    creation_path: 'sys/replication/primary/secondary-token',
  },
  warnings: null,
  auth: null,
};

const TOKEN_CREATED = {
  lease_duration: 0,
  data: null,
  auth: {
    client_token: 'hvs.child',
    accessor: 'acc1',
    policies: ['default', 'ops'],
    token_policies: ['default', 'ops'],
    metadata: { team: 'x' },
    lease_duration: 3600,
    renewable: true,
  },
};

describe('cli output', () => {
  it('aligns a Key/Value table with four spaces after the widest key', () => {
    expect(
      formatTable([
        ['a', '1'],
        ['longer_key', 'v'],
      ]),
    ).to.equal('Key           Value\n---           -----\na             1\nlonger_key    v\n');
  });

  it('renders values like Go %v', () => {
    expect(formatValue('s')).to.equal('s');
    expect(formatValue(3)).to.equal('3');
    expect(formatValue(null)).to.equal('<nil>');
    expect(formatValue(['a', 'b'])).to.equal('[a b]');
    expect(formatValue({ b: 1, a: 'x' })).to.equal('map[a:x b:1]');
  });

  it('shows refresh_interval for a lease without an id, then data sorted', () => {
    const rows = secretRows({ lease_id: '', lease_duration: 2764800, data: { z: '1', a: '2' } });
    expect(rows).to.deep.equal([
      ['refresh_interval', '768h'],
      ['a', '2'],
      ['z', '1'],
    ]);
  });

  it('shows the wrap info fields the way vault does for a wrapped response', () => {
    const keys = secretRows(WRAPPED).map(([key]) => key);
    expect(keys).to.deep.equal([
      'wrapping_token:',
      'wrapping_accessor:',
      'wrapping_token_ttl:',
      'wrapping_token_creation_time:',
      'wrapping_token_creation_path:',
    ]);
    expect(secretRows(WRAPPED)[2]).to.deep.equal(['wrapping_token_ttl:', '30m']);
  });

  it('shows auth fields with quoted policy lists and token metadata', () => {
    const rows = new Map(secretRows(TOKEN_CREATED));
    expect(rows.get('token')).to.equal('hvs.child');
    expect(rows.get('token_duration')).to.equal('1h');
    expect(rows.get('token_policies')).to.equal('["default" "ops"]');
    expect(rows.get('token_meta_team')).to.equal('x');
  });

  it('shows an infinite duration for a token without a lease', () => {
    const rows = new Map(secretRows({ auth: { client_token: 'r', lease_duration: 0 } }));
    expect(rows.get('token_duration')).to.equal('∞');
  });

  it('extracts -field values from wrap info, auth and data', () => {
    expect(extractField(WRAPPED, 'wrapping_token')).to.deep.equal({ found: true, value: WRAPPED.wrap_info.token });
    expect(extractField(TOKEN_CREATED, 'token')).to.deep.equal({ found: true, value: 'hvs.child' });
    expect(extractField(TOKEN_CREATED, 'token_accessor')).to.deep.equal({ found: true, value: 'acc1' });
    expect(extractField({ data: { password: 'p' } }, 'password')).to.deep.equal({ found: true, value: 'p' });
    expect(extractField({ data: { password: 'p' } }, 'nope')).to.deep.equal({ found: false });
  });

  it('prints a -field raw without a newline when stdout is not a terminal', () => {
    const io = captureIo(false);
    expect(new Printer(io, 'table', 'password').secret({ data: { password: 's3cr3t' } })).to.equal(0);
    expect(io.out).to.equal('s3cr3t');
  });

  it('adds the newline for a terminal', () => {
    const io = captureIo(true);
    new Printer(io, 'table', 'password').secret({ data: { password: 's3cr3t' } });
    expect(io.out).to.equal('s3cr3t\n');
  });

  it('exits 1 and says so when the -field is missing', () => {
    const io = captureIo();
    expect(new Printer(io, 'table', 'nope').secret({ data: {} })).to.equal(1);
    expect(io.err).to.equal('Field "nope" not present in secret\n');
    expect(io.out).to.equal('');
  });

  it("prints the envelope as pretty JSON with the fields of Vault's Secret", () => {
    const io = captureIo();
    new Printer(io, 'json', undefined).secret(TOKEN_CREATED);
    expect(JSON.parse(io.out)).to.deep.equal({ ...TOKEN_CREATED, lease_id: '', renewable: false, warnings: null });
    expect(io.out).to.include('\n  "auth": {');
  });

  it('drops data a sys/ endpoint repeats at the top level, keeping the flat Secret', () => {
    const io = captureIo();
    const body = {
      mode: 'primary',
      state: 'running',
      request_id: 'r1',
      lease_id: '',
      lease_duration: 0,
      renewable: false,
      data: { mode: 'primary', state: 'running' },
    };
    new Printer(io, 'json', undefined).secret(body);
    expect(JSON.parse(io.out)).to.deep.equal({
      request_id: 'r1',
      lease_id: '',
      lease_duration: 0,
      renewable: false,
      data: { mode: 'primary', state: 'running' },
      warnings: null,
    });
  });

  it('prints YAML for -format=yaml', () => {
    const io = captureIo();
    new Printer(io, 'yaml', undefined).secret({ data: { a: '1', list: ['x', 'y'] } });
    expect(io.out).to.include('data:\n  a: "1"\n  list:\n    - x\n    - y\n');
    expect(io.out).to.include('lease_duration: 0');
  });

  it('appends server warnings to table output', () => {
    const io = captureIo();
    new Printer(io, 'table', undefined).secret({ data: { a: '1' }, warnings: ['be careful'] });
    expect(io.out).to.include('WARNING! The following warnings were returned from Ferry:');
    expect(io.out).to.include('  * be careful');
  });

  it('accepts table, json and yaml formats only', () => {
    expect(parseOutputFormat(undefined)).to.equal('table');
    expect(parseOutputFormat('json')).to.equal('json');
    expect(parseOutputFormat('yaml')).to.equal('yaml');
    expect(() => parseOutputFormat('xml')).to.throw(UsageError, 'Invalid output format: xml');
  });
});
