import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { protoDescriptorFile, providerSchemaFile, providerSourceAddress } from '../../../provider/paths.js';
import { bundledSchemaAnswer, encodeSchemaAnswer } from '../../../provider/plugin/bundled-schema-answer.js';
import { buildServiceDefinitions } from '../../../provider/protocol/grpc-services.js';
import { providerSchemaResponse, type ProviderSchemaFile } from '../../../provider/protocol/schema-messages.js';
import { startProviderProcess } from '../helpers/provider-process.js';

describe('provider/plugin/bundled-schema-answer', () => {
  const services = buildServiceDefinitions(protobuf, JSON.parse(readFileSync(protoDescriptorFile, 'utf8')) as object);
  const method = services.provider['GetProviderSchema'];
  const schemaFile = (): ProviderSchemaFile => JSON.parse(readFileSync(providerSchemaFile, 'utf8')) as ProviderSchemaFile;

  it('encodes the same answer the live RPC builds from schemas/', () => {
    const encoded = encodeSchemaAnswer(method, schemaFile(), providerSourceAddress);
    const live = method?.responseDeserialize(method.responseSerialize({ ...providerSchemaResponse(schemaFile(), providerSourceAddress), diagnostics: [] }));
    expect(method?.responseDeserialize(encoded)).to.deep.equal(live);
    expect(() => encodeSchemaAnswer(undefined, schemaFile(), providerSourceAddress)).to.throw('no GetProviderSchema');
  });

  it('is absent outside the provider bundle', () => {
    expect(bundledSchemaAnswer()).to.equal(undefined);
  });

  it('is what the bundled provider answers over mTLS, equal to the answer from the current schemas/ (npm run build first)', async function () {
    this.timeout(30_000);
    const provider = await startProviderProcess();
    try {
      const answered: unknown = await provider.provider['GetProviderSchema']?.({});
      expect(answered).to.deep.equal(method?.responseDeserialize(encodeSchemaAnswer(method, schemaFile(), providerSourceAddress)));
      expect(JSON.stringify(answered)).to.include('ferry_mount');
    } finally {
      await provider.close();
    }
  });
});
