import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { secretsEqual } from '../core/token-id.js';
import { layout } from '../core/storage-layout.js';

/** Where the active leaves a standby's sealed copy of a new root key (per cluster, never replicated). */
export const KEYRING_HANDOVER_PREFIX = `${layout.clusterSecrets}keyring-handover/`;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** What a standby publishes in its heartbeat: its node public key and proof that it holds the root key. */
export interface HandoverKeyAdvert {
  /** X25519 public key, SPKI DER, base64. */
  readonly public_key: string;
  /** HMAC over node id and public key, under a key derived from the root key, base64. */
  readonly proof: string;
}

/** The storage key of node `nodeId`'s handover. */
export function handoverKey(nodeId: string): string {
  return `${KEYRING_HANDOVER_PREFIX}${nodeId}`;
}

function proofKey(rootKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', rootKey, Buffer.alloc(0), 'ferry ha node key proof', 32));
}

function proofOf(rootKey: Buffer, nodeId: string, publicKey: string): Buffer {
  return createHmac('sha256', proofKey(rootKey)).update(`${nodeId}\n${publicKey}`).digest();
}

/** The key that seals a handover: only the node's private key and a holder of the old root key derive it. */
function sealingKey(shared: Buffer, oldRootKey: Buffer, nodeId: string): Buffer {
  const salt = createHmac('sha256', oldRootKey).update('ferry ha keyring handover').digest();
  return Buffer.from(hkdfSync('sha256', shared, salt, `ferry keyring handover ${nodeId}`, 32));
}

/**
 * A node's handover key pair: made when the node unseals as a standby, kept in memory only (it dies
 * with the process, and with it every handover ever sealed to it).
 */
export class NodeHandoverKey {
  private readonly privateKey: KeyObject;
  private readonly publicKeyB64: string;

  constructor() {
    const pair = generateKeyPairSync('x25519');
    this.privateKey = pair.privateKey;
    this.publicKeyB64 = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  }

  /** The advert for the heartbeat, proving this node holds `rootKey`. */
  advert(nodeId: string, rootKey: Buffer): HandoverKeyAdvert {
    return { public_key: this.publicKeyB64, proof: proofOf(rootKey, nodeId, this.publicKeyB64).toString('base64') };
  }

  /** Opens a handover sealed to this node by a holder of `oldRootKey`; undefined when it is not one. */
  open(nodeId: string, oldRootKey: Buffer, sealed: Buffer): Buffer | undefined {
    try {
      const parsed = JSON.parse(sealed.toString('utf8')) as { epk?: unknown; box?: unknown };
      if (typeof parsed.epk !== 'string' || typeof parsed.box !== 'string') return undefined;
      const ephemeral = createPublicKey({ key: Buffer.from(parsed.epk, 'base64'), format: 'der', type: 'spki' });
      const key = sealingKey(diffieHellman({ privateKey: this.privateKey, publicKey: ephemeral }), oldRootKey, nodeId);
      const box = Buffer.from(parsed.box, 'base64');
      if (box.length < NONCE_BYTES + TAG_BYTES) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', key, box.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(nodeId, 'utf8'));
      decipher.setAuthTag(box.subarray(box.length - TAG_BYTES));
      return Buffer.concat([decipher.update(box.subarray(NONCE_BYTES, box.length - TAG_BYTES)), decipher.final()]);
    } catch {
      return undefined;
    }
  }
}

/** Whether `advert` proves that node `nodeId` holds `rootKey` (constant time). */
export function isAdvertFrom(nodeId: string, advert: HandoverKeyAdvert, rootKey: Buffer): boolean {
  return secretsEqual(Buffer.from(advert.proof, 'base64'), proofOf(rootKey, nodeId, advert.public_key));
}

/**
 * Seals `newRootKey` to node `nodeId`'s advertised public key, with a key only that node (its
 * private key) and a holder of `oldRootKey` can derive: the node can tell the handover comes from
 * its own cluster, and nobody else can open it.
 */
export function sealHandover(nodeId: string, advert: HandoverKeyAdvert, oldRootKey: Buffer, newRootKey: Buffer): Buffer {
  const nodePublic = createPublicKey({ key: Buffer.from(advert.public_key, 'base64'), format: 'der', type: 'spki' });
  const ephemeral = generateKeyPairSync('x25519');
  const key = sealingKey(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: nodePublic }), oldRootKey, nodeId);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(nodeId, 'utf8'));
  const body = Buffer.concat([cipher.update(newRootKey), cipher.final()]);
  const box = Buffer.concat([nonce, body, cipher.getAuthTag()]);
  return Buffer.from(JSON.stringify({ epk: ephemeral.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), box: box.toString('base64') }));
}

/** Parses an advert from a heartbeat row's JSON field; undefined when absent or malformed. */
export function parseHandoverAdvert(value: unknown): HandoverKeyAdvert | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { public_key: publicKey, proof } = value as Record<string, unknown>;
  return typeof publicKey === 'string' && typeof proof === 'string' ? { public_key: publicKey, proof } : undefined;
}
