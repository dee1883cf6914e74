import { expect } from 'chai';
import vault from 'node-vault';

/** The third-party Vault client the e2e tests drive Ferry with, unchanged. */
export type VaultClient = ReturnType<typeof vault>;

/** The HTTP status and body of a node-vault call that must fail; fails the test if it succeeds. */
export async function failureOf(call: Promise<unknown>): Promise<{ status: number; body: any }> {
  try {
    await call;
  } catch (err) {
    const response = (err as { response?: { statusCode: number; body: unknown } }).response;
    if (response === undefined) throw err;
    return { status: response.statusCode, body: response.body };
  }
  return expect.fail('the call succeeded');
}
