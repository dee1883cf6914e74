import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { generateMessageTypes, messageTypesFile } from '../../../provider/protocol/message-types-generator.js';

describe('provider/protocol/message-types-generator', () => {
  it('provider/protocol/tfplugin6-messages.ts matches schemas/proto/tfplugin6.proto (run npm run provider:messages after editing it)', () => {
    expect(readFileSync(messageTypesFile, 'utf8')).to.equal(generateMessageTypes());
  });

  it('types every field the proto declares, with the shapes grpc-services.ts decodes into', () => {
    const types = generateMessageTypes();
    expect(types).to.match(/^\/\/ GENERATED — do not edit\./);
    expect(types).to.contain('export interface PlanResourceChangeRequest {');
    expect(types).to.contain('  prior_private?: Uint8Array;'); // bytes
    expect(types).to.contain('  requires_replace?: AttributePath[];'); // repeated message
    expect(types).to.contain('  resource_schemas?: Record<string, Schema>;'); // map
    expect(types).to.contain("  selector?: 'attribute_name' | 'element_key_string' | 'element_key_int';"); // oneof
    expect(types).to.contain("export type DiagnosticSeverity = 'INVALID' | 'ERROR' | 'WARNING';"); // enum as names
    expect(types).to.contain('  ApplyResourceChange: { request: ApplyResourceChangeRequest; response: ApplyResourceChangeResponse };');
  });
});
