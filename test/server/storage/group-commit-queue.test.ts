import { expect } from 'chai';
import type { StorageOp } from '../../../server/storage/backend.js';
import { GroupCommitQueue, type GroupRunner } from '../../../server/storage/group-commit-queue.js';
import { WriteRequestsInFlight } from '../../../server/storage/write-requests-in-flight.js';

/** A runner that records each group's ops and holds the first group until released. */
function recordingRunner(): { runner: GroupRunner; groups: StorageOp[][]; release: () => void } {
  const groups: StorageOp[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const runner: GroupRunner = async (body) => {
    const ops: StorageOp[] = [];
    await body({
      apply: async (applied) => {
        ops.push(...applied);
      },
      savepoint: async () => undefined,
      releaseSavepoint: async () => undefined,
      rollbackToSavepoint: async () => undefined,
    });
    if (groups.length === 0) await gate;
    groups.push(ops);
  };
  return { runner, groups, release };
}

const put = (key: string, bytes: number): StorageOp => ({ op: 'put', key, value: Buffer.alloc(bytes) });

describe('GroupCommitQueue', () => {
  it('bounds each group by write count and by bytes, in submission order', async () => {
    const { runner, groups, release } = recordingRunner();
    const queue = new GroupCommitQueue(runner, { maxWrites: 4, maxBytes: 100 });
    const writes = [...Array.from({ length: 9 }, (_, i) => put(`small${i}`, 5)), put('big1', 70), put('big2', 70), put('huge', 500), put('last', 5)];
    const done = writes.map((op) => queue.submit({ bytes: op.op === 'put' ? op.value.length : 0, prepare: () => [op] }));
    release();
    await Promise.all(done);
    const keys = groups.map((g) => g.map((op) => (op.op === 'put' ? op.key : '')));
    expect(keys).to.deep.equal([
      ['small0'],
      ['small1', 'small2', 'small3', 'small4'],
      ['small5', 'small6', 'small7', 'small8'],
      ['big1'],
      ['big2'],
      ['huge'],
      ['last'],
    ]);
    expect(queue.stats).to.deep.equal({ groups: 7, writes: 13 });
  });

  it('runs an exclusive job after the writes submitted before it and before those after it', async () => {
    const { runner, groups, release } = recordingRunner();
    const queue = new GroupCommitQueue(runner);
    const order: string[] = [];
    const first = queue.submit({ bytes: 1, prepare: () => [put('a', 1)], committed: () => order.push('a') });
    const second = queue.submit({ bytes: 1, prepare: () => [put('b', 1)], committed: () => order.push('b') });
    const job = queue.exclusive(async () => {
      order.push(`job after ${groups.length} groups`);
    });
    const third = queue.submit({ bytes: 1, prepare: () => [put('c', 1)], committed: () => order.push('c') });
    release();
    await Promise.all([first, second, job, third]);
    expect(order).to.deep.equal(['a', 'b', 'job after 2 groups', 'c']);
  });

  it("defers a group's flush only when every write in it allows that", async () => {
    const flags: boolean[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = new GroupCommitQueue(async (body, canDeferFlush) => {
      await body({
        apply: async () => undefined,
        savepoint: async () => undefined,
        releaseSavepoint: async () => undefined,
        rollbackToSavepoint: async () => undefined,
      });
      if (flags.length === 0) await gate;
      flags.push(canDeferFlush);
    });
    const write = (canDeferFlush: boolean | undefined) =>
      queue.submit({ bytes: 1, prepare: () => [put('k', 1)], ...(canDeferFlush === undefined ? {} : { canDeferFlush }) });
    const first = write(true);
    // Held while the first group commits: a deferrable write with a flushed one, then deferrable ones alone.
    const mixed = [write(true), write(undefined)];
    const job = queue.exclusive(async () => undefined);
    const deferrable = [write(true), write(true)];
    const job2 = queue.exclusive(async () => undefined);
    const flushed = [write(false)];
    release();
    await Promise.all([first, ...mixed, job, ...deferrable, job2, ...flushed]);
    expect(flags).to.deep.equal([true, false, true, false]);
  });

  describe('commit siblings', () => {
    /** A queue over a runner that records each group's keys, with the request layer's count beside it. */
    /** A runner that records each group's put keys in `groups`, after `beforeRecording` (when given) settles. */
    function recordingRunner(groups: string[][], beforeRecording?: () => Promise<void>): GroupRunner {
      return async (body) => {
        const keys: string[] = [];
        await body({
          apply: async (ops) => {
            for (const op of ops) keys.push(op.op === 'put' ? op.key : '');
          },
          savepoint: async () => undefined,
          releaseSavepoint: async () => undefined,
          rollbackToSavepoint: async () => undefined,
        });
        await beforeRecording?.();
        groups.push(keys);
      };
    }

    /** Connection `b` just had its write answered (it is expected back) while `a`'s write is being handled. */
    function justAnsweredBeside(inFlight: WriteRequestsInFlight): { a: object; b: object } {
      const [a, b] = [{}, {}];
      inFlight.begin(b);
      inFlight.end(b);
      inFlight.begin(a);
      return { a, b };
    }

    function siblingQueue(maxWaitMs: number): { queue: GroupCommitQueue; groups: string[][]; inFlight: WriteRequestsInFlight } {
      const groups: string[][] = [];
      const inFlight = new WriteRequestsInFlight();
      return { queue: new GroupCommitQueue(recordingRunner(groups), undefined, { inFlight, maxWaitMs }), groups, inFlight };
    }
    const write = (queue: GroupCommitQueue, key: string, canDeferFlush?: boolean) =>
      queue.submit({ bytes: 1, prepare: () => [put(key, 1)], ...(canDeferFlush === undefined ? {} : { canDeferFlush }) });
    /** Resolves with how long `promise` took, or rejects once it has taken `limitMs`. */
    const timed = async (promise: Promise<void>, limitMs: number): Promise<number> => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still waiting after ${limitMs} ms`)), limitMs)));
      try {
        await Promise.race([promise, late]);
      } finally {
        clearTimeout(timer);
      }
      return performance.now() - started;
    };

    it('commits a lone writer at once, however long a group may wait', async () => {
      const { queue, groups, inFlight } = siblingQueue(60_000);
      const connection = {};
      inFlight.begin(connection);
      await timed(write(queue, 'alone'), 2_000);
      inFlight.end(connection);
      // Its own next write does not wait for it either: the connection is back, not expected.
      inFlight.begin(connection);
      await timed(write(queue, 'again'), 2_000);
      inFlight.end(connection);
      expect(groups).to.deep.equal([['alone'], ['again']]);
    });

    it('waits for a writer in flight and commits both in one group', async () => {
      const { queue, groups, inFlight } = siblingQueue(60_000);
      const [a, b] = [{}, {}];
      inFlight.begin(a);
      inFlight.begin(b);
      const first = write(queue, 'a');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(groups, 'the first write committed without waiting for its sibling').to.deep.equal([]);
      await timed(
        Promise.all([first, write(queue, 'b')]).then(() => undefined),
        2_000,
      );
      expect(groups).to.deep.equal([['a', 'b']]);
    });

    it('waits for a connection whose write was just answered, as it is about to send the next', async () => {
      const { queue, groups, inFlight } = siblingQueue(60_000);
      const { b } = justAnsweredBeside(inFlight);
      const first = write(queue, 'a');
      inFlight.begin(b);
      await timed(
        Promise.all([first, write(queue, 'b')]).then(() => undefined),
        2_000,
      );
      expect(groups).to.deep.equal([['a', 'b']]);
    });

    it('does not wait for the writers of the group that just committed: they are the next wave', async () => {
      const groups: string[][] = [];
      const inFlight = new WriteRequestsInFlight();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const queue = new GroupCommitQueue(
        recordingRunner(groups, async () => {
          if (groups.length === 0) await gate;
        }),
        undefined,
        { inFlight, maxWaitMs: 60_000 },
      );
      const [a, b] = [{}, {}];
      inFlight.begin(a);
      const first = write(queue, 'a');
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight.begin(b);
      const second = write(queue, 'b');
      release();
      // a's request is still being answered when b's group forms: b does not wait for a's next write.
      await timed(
        Promise.all([first, second]).then(() => undefined),
        2_000,
      );
      expect(groups).to.deep.equal([['a'], ['b']]);
    });

    it('waits no longer than its bound for a sibling that never writes', async () => {
      const { queue, groups, inFlight } = siblingQueue(40);
      inFlight.begin({});
      inFlight.begin({});
      const tookMs = await timed(write(queue, 'a'), 2_000);
      expect(tookMs).to.be.at.least(30);
      expect(groups).to.deep.equal([['a']]);
    });

    it('stops waiting when the expected writer closes its connection', async () => {
      const { queue, groups, inFlight } = siblingQueue(60_000);
      const { b } = justAnsweredBeside(inFlight);
      const first = write(queue, 'a');
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight.forget(b);
      await timed(first, 2_000);
      expect(groups).to.deep.equal([['a']]);
    });

    it('never waits for a group that will not flush', async () => {
      const { queue, groups, inFlight } = siblingQueue(60_000);
      inFlight.begin({});
      inFlight.begin({});
      await timed(write(queue, 'deferred', true), 2_000);
      expect(groups).to.deep.equal([['deferred']]);
    });
  });
});
