import { expect } from 'chai';
import * as openpgp from 'openpgp';
import { openReleaseSigner } from '../../../provider/release/release-signature.js';

describe('provider/release/release-signature (throwaway OpenPGP keys)', function () {
  this.timeout(30_000);

  it('makes a binary detached signature that verifies against the published public key, and not for other data', async () => {
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'Ferry test release' }], format: 'armored' });
    const signer = await openReleaseSigner({ armoredPrivateKey: privateKey });
    const sums = Buffer.from('abc  terraform-provider-ferry_0.1.0_linux_amd64.zip\n');
    const signature = await signer.signDetached(sums);
    expect(signature[0]! & 0x80, 'a binary OpenPGP packet, not ASCII armor').to.equal(0x80);
    const verificationKeys = await openpgp.readKey({ armoredKey: signer.publicKey.armoredPublicKey });
    expect(verificationKeys.getKeyID().toHex().toUpperCase()).to.equal(signer.publicKey.keyId);
    const verify = async (data: Buffer): Promise<unknown> => {
      const result = await openpgp.verify({
        message: await openpgp.createMessage({ binary: new Uint8Array(data) }),
        signature: await openpgp.readSignature({ binarySignature: new Uint8Array(signature) }),
        verificationKeys,
      });
      return await result.signatures[0]!.verified;
    };
    expect(await verify(sums)).to.equal(true);
    let tampered: unknown;
    try {
      await verify(Buffer.from('abd  terraform-provider-ferry_0.1.0_linux_amd64.zip\n'));
    } catch (err) {
      tampered = err;
    }
    expect(tampered).to.be.instanceOf(Error);
  });

  it('opens a passphrase-protected key with its passphrase, and names a missing or wrong one without echoing it', async () => {
    const passphrase = 'correct horse battery staple';
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'Ferry test release' }], passphrase, format: 'armored' });
    const signer = await openReleaseSigner({ armoredPrivateKey: privateKey, passphrase });
    expect((await signer.signDetached(Buffer.from('x'))).length).to.be.greaterThan(0);
    await expectRejection(openReleaseSigner({ armoredPrivateKey: privateKey }), /protected by a passphrase, and none was given/);
    const wrong = await expectRejection(openReleaseSigner({ armoredPrivateKey: privateKey, passphrase: 'wrong-passphrase-123' }), /does not unlock/);
    expect(wrong.message).to.not.contain('wrong-passphrase-123');
    const notAKey = await expectRejection(openReleaseSigner({ armoredPrivateKey: 'secret-looking-text' }), /not an armored OpenPGP private key/);
    expect(notAKey.message).to.not.contain('secret-looking-text');
  });
});

async function expectRejection(promise: Promise<unknown>, pattern: RegExp): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    expect((err as Error).message).to.match(pattern);
    return err as Error;
  }
  throw new Error(`expected a rejection matching ${pattern}`);
}
