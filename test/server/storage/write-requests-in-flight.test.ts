import { expect } from 'chai';
import { WriteRequestsInFlight } from '../../../server/storage/write-requests-in-flight.js';

describe('WriteRequestsInFlight', () => {
  it('counts write requests being handled, then their connections until they come back', () => {
    const inFlight = new WriteRequestsInFlight();
    const [a, b] = [{}, {}];
    inFlight.begin(a);
    inFlight.begin(b);
    expect(inFlight.count).to.equal(2);
    inFlight.end(a);
    expect(inFlight.count, 'a was answered and is expected back').to.equal(2);
    inFlight.begin(a);
    expect(inFlight.count, 'a came back: counted once').to.equal(2);
    inFlight.end(a);
    inFlight.end(b);
    expect(inFlight.count).to.equal(2);
  });

  it('stops expecting a connection that closed, and says so', () => {
    const inFlight = new WriteRequestsInFlight();
    const connection = {};
    let heard = 0;
    const stop = inFlight.onForget(() => heard++);
    inFlight.begin(connection);
    inFlight.end(connection);
    inFlight.forget(connection);
    expect(inFlight.count).to.equal(0);
    expect(heard).to.equal(1);
    inFlight.forget(connection);
    expect(heard, 'a connection not expected is not news').to.equal(1);
    stop();
    inFlight.begin(connection);
    inFlight.end(connection);
    inFlight.forget(connection);
    expect(heard, 'the listener was removed').to.equal(1);
  });

  it('stops expecting a connection a few milliseconds after its answer', async () => {
    const inFlight = new WriteRequestsInFlight();
    const connection = {};
    inFlight.begin(connection);
    inFlight.end(connection);
    expect(inFlight.count).to.equal(1);
    const deadline = Date.now() + 2_000;
    while (inFlight.count > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(inFlight.count).to.equal(0);
  });
});
