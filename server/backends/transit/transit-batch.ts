import { FieldData, type FieldSchemas } from '../../core/field-data.js';
import type { LogicalResponse } from '../../core/logical.js';
import type { PathContext } from '../../core/path-table.js';
import { invalidRequest, isVaultError } from '../../core/vault-error.js';

export const BATCH_FIELDS = {
  batch_input: { type: 'raw' },
  partial_failure_response_code: { type: 'int' },
  reference: { type: 'string' },
} as const;

/**
 * Runs one item (the request's own fields) or every item of `batch_input`, as Vault does: batch
 * results keep the input order, a failed item carries `error`, and any failure makes the answer a
 * 400 unless `partial_failure_response_code` names another status (used when some items succeeded).
 */
export async function runSingleOrBatch(
  ctx: PathContext,
  itemFields: FieldSchemas,
  one: (fields: FieldData) => Promise<Record<string, unknown>>,
): Promise<LogicalResponse> {
  const batch = ctx.fields.get('batch_input');
  if (batch === undefined || batch === null) return { data: await one(ctx.fields) };
  if (!Array.isArray(batch)) throw invalidRequest('batch_input must be a list of objects');
  if (batch.length === 0) throw invalidRequest('missing batch input to process');
  const results: Record<string, unknown>[] = [];
  let failures = 0;
  for (const item of batch) {
    const reference =
      typeof item === 'object' && item !== null && typeof (item as { reference?: unknown }).reference === 'string'
        ? (item as { reference: string }).reference
        : undefined;
    try {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalidRequest('batch item must be an object');
      const fields = new FieldData({ ...itemFields, reference: { type: 'string' } }, item as Record<string, unknown>);
      fields.validate();
      results.push({ ...(await one(fields)), ...(reference === undefined ? {} : { reference }) });
    } catch (err) {
      if (!isVaultError(err) || err.status >= 500) throw err;
      failures++;
      results.push({ error: err.message, ...(reference === undefined ? {} : { reference }) });
    }
  }
  const response: LogicalResponse = { data: { batch_results: results } };
  if (failures > 0) {
    const partial = ctx.fields.int('partial_failure_response_code');
    response.httpStatus = failures < results.length && partial >= 200 && partial < 600 ? partial : 400;
  }
  return response;
}
