// protobufjs's runtime, loaded through serve.ts only: the provider needs it for the first message with
// fields (not for GetProviderSchema, GetMetadata or the health check), so its set-up is kept off the path
// to the handshake line in the provider bundle.
import protobuf from 'protobufjs/light.js';

export { protobuf };
