import type { GenerateRoot } from '../../core/generate-root.js';
import type { PathDefinition } from '../../core/path-table.js';

/** `sys/generate-root/attempt` (GET, POST/PUT, DELETE) and `sys/generate-root/update`; unauthenticated. */
export function generateRootPaths(generator: GenerateRoot): PathDefinition[] {
  return [
    {
      pattern: 'generate-root/attempt',
      fields: { otp: { type: 'string' }, pgp_key: { type: 'string' } },
      operations: {
        read: async () => ({ data: { ...(await generator.status()) }, injectDataAtTopLevel: true }),
        update: async ({ fields }) => ({
          data: { ...(await generator.start({ otp: fields.string('otp'), pgpKey: fields.string('pgp_key') })) },
          injectDataAtTopLevel: true,
        }),
        delete: async () => (generator.cancel(), {}),
      },
    },
    {
      pattern: 'generate-root/update',
      fields: { key: { type: 'string' }, nonce: { type: 'string' } },
      operations: {
        update: async ({ fields }) => ({ data: { ...(await generator.update(fields.string('key'), fields.string('nonce'))) }, injectDataAtTopLevel: true }),
      },
    },
  ];
}
