import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { protoDescriptorFile } from '../../../provider/paths.js';
import { buildServiceDefinitions } from '../../../provider/protocol/grpc-services.js';

describe('provider/protocol/grpc-services', () => {
  const descriptor = JSON.parse(readFileSync(protoDescriptorFile, 'utf8')) as object;

  it('defines every service method from the descriptor without building the protobuf tree until a message needs it', () => {
    let treesBuilt = 0;
    const counting = {
      Root: {
        fromJSON: (json: protobuf.INamespace) => {
          treesBuilt++;
          return protobuf.Root.fromJSON(json);
        },
      },
    };
    const services = buildServiceDefinitions(counting as unknown as typeof protobuf, descriptor);
    expect(Object.keys(services.provider)).to.include.members(['GetProviderSchema', 'PlanResourceChange', 'ApplyResourceChange', 'ImportResourceState']);
    expect(services.provider['GetProviderSchema']?.path).to.equal('/tfplugin6.Provider/GetProviderSchema');
    expect(services.controller['Shutdown']?.path).to.equal('/plugin.GRPCController/Shutdown');
    expect(services.health['Check']?.path).to.equal('/grpc.health.v1.Health/Check');
    expect(treesBuilt).to.equal(0);

    const check = services.health['Check'];
    const bytes = check?.responseSerialize({ status: 'SERVING' });
    expect(check?.responseDeserialize(bytes as Buffer)).to.deep.equal({ status: 'SERVING' });
    services.controller['Shutdown']?.requestSerialize({});
    expect(treesBuilt).to.equal(1);
  });

  it('decodes field-less requests without building the protobuf tree, and sends an encoded answer as it is', () => {
    let treesBuilt = 0;
    const counting = { Root: { fromJSON: (json: protobuf.INamespace) => (treesBuilt++, protobuf.Root.fromJSON(json)) } };
    const services = buildServiceDefinitions(counting as unknown as typeof protobuf, descriptor);
    const schema = services.provider['GetProviderSchema'];
    expect(schema?.requestDeserialize(Buffer.from([0x08, 0x01]))).to.deep.equal({});
    expect(services.provider['GetMetadata']?.requestDeserialize(Buffer.alloc(0))).to.deep.equal({});
    const encoded = Buffer.from([1, 2, 3]);
    expect(schema?.responseSerialize(encoded)).to.equal(encoded);
    expect(treesBuilt).to.equal(0);
    // A request with fields still decodes through protobufjs.
    const validate = services.provider['ValidateProviderConfig'];
    const bytes = validate?.requestSerialize({ config: { msgpack: Buffer.from([0xc0]) } });
    expect(validate?.requestDeserialize(bytes as Buffer)).to.deep.include({ config: { msgpack: Buffer.from([0xc0]), json: Buffer.alloc(0) } });
    expect(treesBuilt).to.equal(1);
  });
});
