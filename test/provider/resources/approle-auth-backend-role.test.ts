import { expect } from 'chai';
import { Diagnostics } from '../../../provider/framework/diagnostics.js';
import { AppRoleAuthBackendRoleResource } from '../../../provider/resources/approle-auth-backend-role.js';

describe('ferry_approle_auth_backend_role', () => {
  const resource = new AppRoleAuthBackendRoleResource();

  it('imports auth/<backend>/role/<role_name>, nested backends included', async () => {
    const diagnostics = new Diagnostics();
    expect(await resource.importState('auth/approle/role/web', diagnostics)).to.deep.equal({ backend: 'approle', role_name: 'web' });
    expect(await resource.importState('/auth/teams/ci/role/deploy', diagnostics)).to.deep.equal({ backend: 'teams/ci', role_name: 'deploy' });
    expect(diagnostics.items).to.deep.equal([]);
  });

  it('refuses any other import ID with a diagnostic naming the expected form', async () => {
    for (const id of ['web', 'approle/role/web', 'auth/approle/web', 'auth/approle/role/']) {
      const diagnostics = new Diagnostics();
      expect(await resource.importState(id, diagnostics)).to.equal(null);
      expect(diagnostics.items.map((d) => d.summary)).to.deep.equal(['Invalid import ID']);
      expect(diagnostics.items[0]?.detail).to.include('auth/<backend>/role/<role_name>');
    }
  });

  it('describes every attribute and replaces on a new backend, role name or local_secret_ids', () => {
    const { attributes } = resource.schema().block;
    for (const [name, attribute] of Object.entries(attributes)) expect(attribute.description, name).to.not.equal('');
    for (const name of ['backend', 'role_name', 'local_secret_ids']) {
      expect(
        attributes[name]?.planModifiers?.some((m) => /replace/i.test(m.description)),
        name,
      ).to.equal(true);
    }
  });
});
