import { BlockList, isIP } from 'node:net';
import { invalidRequest } from './vault-error.js';

/** Validates CIDR blocks (a bare address counts as /32 or /128). */
export function parseCidrs(raw: readonly string[]): string[] {
  return raw.map((text) => {
    const [address = '', prefix] = text.trim().split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    if (family === 0 || (prefix !== undefined && (!/^\d+$/.test(prefix) || Number(prefix) > max))) {
      throw invalidRequest('invalid value for token_bound_cidrs: expected CIDR blocks');
    }
    return `${address}/${prefix ?? max}`;
  });
}

/** True when there are no bound CIDRs or the address is inside one of them. */
export function isAddressAllowed(cidrs: readonly string[], address: string): boolean {
  if (cidrs.length === 0) return true;
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const family = isIP(plain);
  if (family === 0) return false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net = '', prefix = ''] = cidr.split('/');
    list.addSubnet(net, Number(prefix), isIP(net) === 4 ? 'ipv4' : 'ipv6');
  }
  return list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}
