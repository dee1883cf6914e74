import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { generateProtoDescriptor } from '../../../provider/protocol/descriptor-generator.js';
import { protoDescriptorFile } from '../../../provider/paths.js';

describe('provider/protocol/descriptor-generator', () => {
  it('schemas/tfplugin6.descriptor.json matches the .proto files (run npm run provider:descriptor after editing them)', () => {
    expect(readFileSync(protoDescriptorFile, 'utf8')).to.equal(generateProtoDescriptor());
  });
});
