import { expect } from 'chai';
import { describeConnectionUrl, isPostgresUrl } from '../../../server/storage/postgresql-connection-url.js';

describe('postgresql-connection-url', () => {
  it('accepts postgres:// and postgresql:// URLs only', () => {
    expect(isPostgresUrl('postgres://u:p@h:5432/db')).to.equal(true);
    expect(isPostgresUrl('postgresql://h/db?sslmode=disable')).to.equal(true);
    expect(isPostgresUrl('host=h user=u password=p dbname=db')).to.equal(false);
    expect(isPostgresUrl('mysql://u:p@h/db')).to.equal(false);
    expect(isPostgresUrl('')).to.equal(false);
  });

  it('describes where a URL points without its password or parameters', () => {
    const target = describeConnectionUrl('postgres://ferry%40app:s3cret@db.internal:6432/vault%20kv?sslmode=require&password=other');
    expect(target).to.deep.equal({ host: 'db.internal', port: 6432, database: 'vault kv', user: 'ferry@app' });
    expect(JSON.stringify(target)).to.not.match(/s3cret|other|sslmode/);
  });

  it('fills in the default port, and names a socket directory given as ?host=', () => {
    expect(describeConnectionUrl('postgresql://u@h/db')).to.include({ host: 'h', port: 5432 });
    expect(describeConnectionUrl('postgresql:///db?host=/run/postgresql')).to.include({ host: '/run/postgresql', database: 'db' });
  });
});
