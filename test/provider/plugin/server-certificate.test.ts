import { expect } from 'chai';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { generateServerKeys, issueServerCertificate } from '../../../provider/plugin/server-certificate.js';
import { loadVendor } from '../../../provider/plugin/vendor.js';

describe('provider/plugin/server-certificate', () => {
  it('issues a self-signed P-256 CA certificate for localhost that verifies with its own key', async () => {
    const keys = await generateServerKeys();
    const issued = issueServerCertificate(await loadVendor(), keys);
    const cert = new X509Certificate(issued.der);
    expect(cert.verify(keys.publicKey)).to.equal(true);
    expect(cert.checkPrivateKey(createPrivateKey(issued.keyPem))).to.equal(true);
    expect(cert.checkIssued(cert)).to.equal(true);
    expect(cert.ca).to.equal(true);
    expect(cert.subject).to.equal('O=HashiCorp\nCN=localhost');
    expect(cert.subjectAltName).to.equal('DNS:localhost');
    expect(cert.keyUsage).to.have.members(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).to.equal('prime256v1');
    expect(new X509Certificate(issued.certPem).fingerprint256).to.equal(cert.fingerprint256);
  });

  it('backdates validity by 30 s for clock skew and issues a fresh positive serial each time', async () => {
    const vendor = await loadVendor();
    const keys = await generateServerKeys();
    const before = Date.now();
    const a = new X509Certificate(issueServerCertificate(vendor, keys).der);
    const b = new X509Certificate(issueServerCertificate(vendor, keys).der);
    const validFrom = new Date(a.validFrom).getTime();
    expect(validFrom)
      .to.be.at.most(before - 29_000)
      .and.at.least(before - 32_000);
    expect(new Date(a.validTo).getTime()).to.be.greaterThan(before + 29 * 24 * 3600_000);
    expect(a.serialNumber).to.not.equal(b.serialNumber);
    expect(Number.parseInt(a.serialNumber.slice(0, 2), 16) & 0x80).to.equal(0);
  });

  it('yields a key and certificate pair that TLS accepts', async () => {
    const issued = issueServerCertificate(await loadVendor(), await generateServerKeys());
    expect(() => createSecureContext({ key: issued.keyPem, cert: issued.certPem })).to.not.throw();
  });
});
