import * as openpgp from 'openpgp';

/** The OpenPGP key a release is signed with, as the packaging step takes it (an armored private key). */
export interface SigningKeyInput {
  armoredPrivateKey: string;
  /** Needed when the key is protected; taken from the environment by the CLI, never from its arguments. */
  passphrase?: string;
}

/** What registries publish next to a release so Terraform can check its SHA256SUMS signature. */
export interface PublicSigningKey {
  /** The key ID in upper-case hex, as registries list it (`key_id`). */
  keyId: string;
  armoredPublicKey: string;
}

export interface ReleaseSigner {
  publicKey: PublicSigningKey;
  /** A binary detached OpenPGP signature of `data`: the `.sig` file Terraform verifies. */
  signDetached(data: Buffer): Promise<Buffer>;
}

/**
 * Opens the signing key with openpgp (OpenPGP.js, the maintained implementation of RFC 4880/9580 for
 * JavaScript). Errors name what is wrong with the key and never echo the key or the passphrase.
 */
export async function openReleaseSigner(input: SigningKeyInput): Promise<ReleaseSigner> {
  let key: openpgp.PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey: input.armoredPrivateKey });
  } catch {
    throw new Error('the signing key is not an armored OpenPGP private key');
  }
  if (!key.isDecrypted()) {
    if (input.passphrase === undefined) throw new Error('the signing key is protected by a passphrase, and none was given');
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase: input.passphrase });
    } catch {
      throw new Error('the passphrase does not unlock the signing key');
    }
  }
  const signingKey = key;
  return {
    publicKey: { keyId: signingKey.getKeyID().toHex().toUpperCase(), armoredPublicKey: signingKey.toPublic().armor() },
    async signDetached(data: Buffer): Promise<Buffer> {
      const message = await openpgp.createMessage({ binary: new Uint8Array(data) });
      const signature = await openpgp.sign({ message, signingKeys: signingKey, detached: true, format: 'binary' });
      return Buffer.from(signature);
    },
  };
}
