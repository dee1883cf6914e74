import { expect } from 'chai';
import { parseGoBool } from '../../../server/http/logical-request-from-http.js';

describe('logical-request-from-http', () => {
  describe('parseGoBool (how Vault reads ?list=)', () => {
    it("accepts exactly Go's strconv.ParseBool spellings", () => {
      for (const t of ['1', 't', 'T', 'true', 'TRUE', 'True']) expect(parseGoBool(t), t).to.equal(true);
      for (const f of ['0', 'f', 'F', 'false', 'FALSE', 'False']) expect(parseGoBool(f), f).to.equal(false);
    });

    it('refuses everything else', () => {
      for (const bad of ['', 'yes', 'on', 'tRuE', ' true', '2', 'no']) expect(parseGoBool(bad), bad).to.equal(undefined);
    });
  });
});
