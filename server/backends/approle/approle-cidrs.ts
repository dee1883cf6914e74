import { BlockList, isIP } from 'node:net';
import type { FieldData } from '../../core/field-data.js';
import { parseCidrs } from '../../core/bound-cidrs.js';
import { invalidRequest, VaultError } from '../../core/vault-error.js';

/** The CIDR list in request field `name`, validated; a bad block is a 400 naming that field. */
export function parseCidrField(fields: FieldData, name: string): string[] {
  try {
    return parseCidrs(fields.list(name));
  } catch (err) {
    if (err instanceof VaultError && err.code === 'invalid_request') throw invalidRequest(`invalid value for ${name}: expected CIDR blocks`);
    throw err;
  }
}

/** True when every block of `inner` lies inside one of `outer` (no restriction when `outer` is empty). */
export function isSubsetOfCidrs(inner: readonly string[], outer: readonly string[]): boolean {
  if (outer.length === 0) return true;
  return inner.every((cidr) => {
    const [net = '', prefix = ''] = cidr.split('/');
    return outer.some((o) => {
      const [onet = '', oprefix = ''] = o.split('/');
      if (isIP(net) !== isIP(onet) || Number(prefix) < Number(oprefix)) return false;
      const family = isIP(onet) === 4 ? 'ipv4' : 'ipv6';
      const list = new BlockList();
      list.addSubnet(onet, Number(oprefix), family);
      return list.check(net, family);
    });
  });
}
