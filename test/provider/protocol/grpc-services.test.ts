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
});
