import { Redis } from 'ioredis';
import { RedisCallStore } from '../../lib/redis';
import { BlockingReaders } from '../../lib/redis/redis-connections';
import { until } from '../utils/latch';
import type { CallLogEntry } from '../../lib/resume/call-store';
import { batch, batches, limitsOf, newId, pollUntil, useRedis } from './store-fixtures';

/** What RedisCallStore does in Redis beyond the contract: its keys, TTLs and round trips. */
const { client, clusterClient, clusterNodes, track } = useRedis({ cluster: true });

describe('RedisCallStore keys and round trips', () => {
  /** Calls of each command since the last CONFIG RESETSTAT. */
  async function commandCalls(probe: Redis): Promise<Record<string, number>> {
    const stats = await probe.info('commandstats');
    const calls: Record<string, number> = {};
    for (const [, name, count] of stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) {
      calls[name] = Number(count);
    }
    return calls;
  }

  it('keeps one call under one hash tag, with a TTL while it runs and retainMs after its end', async () => {
    const probe = client();
    const store = track(new RedisCallStore(client(), { keyPrefix: 'app:' }));
    const callId = newId();
    const limits = limitsOf({ retainMs: 5000, heartbeatMs: 1000 });
    await store.create({ callId, name: 'job' }, limits);
    const release = store.run(
      callId,
      () => undefined,
      () => undefined,
    );
    await store.append(callId, [batch(1)]);
    const keys = ['meta', 'log', 'alive'].map((kind) => `app:{${callId}}:${kind}`);
    expect((await probe.keys(`app:{${callId}}:*`)).sort()).toEqual([...keys].sort());
    for (const key of keys) expect(await probe.pttl(key)).toBeGreaterThan(0);
    await store.append(callId, [{ offset: 2, outcome: 'end' }]);
    release();
    expect(await probe.exists(keys[2])).toBe(0);
    for (const key of keys.slice(0, 2)) {
      const ttl = await probe.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5000);
    }
  });

  /** `count` calls, each with its first batch in the log. */
  async function startedCalls(store: RedisCallStore, count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => newId());
    for (const callId of ids) {
      await store.create({ callId, name: 'job' }, limitsOf());
      await store.append(callId, [batch(1)]);
    }
    return ids;
  }

  /** The commands Redis ran (and how often) for one append after a call's first batch. */
  async function commandsOfAppend(entries: CallLogEntry[]) {
    const probe = client();
    const store = track(new RedisCallStore(client()));
    const [callId] = await startedCalls(store, 1);
    await probe.config('RESETSTAT');
    await store.append(callId, entries);
    // Apart from the probe's own.
    const calls = Object.entries(await commandCalls(probe)).filter(
      ([name]) => !['config', 'info'].includes(name),
    );
    return { calls: Object.fromEntries(calls), log: (await store.read(callId, 0)).entries };
  }

  it('writes the batches of one append in one command, a script', async () => {
    const { calls, log } = await commandsOfAppend(batches(2, 6));
    // The XADDs the script ran are counted too; no other command.
    expect(calls).toEqual({ evalsha: 1, xadd: 5 });
    expect(log).toEqual(batches(1, 6));
  });

  it('writes one batch of a running call as one plain XADD', async () => {
    const { calls, log } = await commandsOfAppend([batch(2)]);
    expect(calls).toEqual({ xadd: 1 });
    expect(log).toEqual(batches(1, 2));
  });

  it('still appends when Redis has lost its scripts (a restart, a flush)', async () => {
    const probe = client();
    const store = track(new RedisCallStore(client()));
    const callId = newId();
    await store.create({ callId, name: 'job' }, limitsOf());
    await store.append(callId, [batch(1)]);
    await probe.script('FLUSH');
    await store.append(callId, batches(2, 3));
    await store.append(callId, [{ offset: 4, outcome: 'end' }]);
    expect(await store.read(callId, 0)).toEqual({
      entries: [batch(1), ...batches(2, 3), { offset: 4, outcome: 'end' }],
      ended: true,
    });
  });

  it('sends the appends that many calls make in one tick together, in one pipeline', async () => {
    const redis = client();
    const store = track(new RedisCallStore(redis));
    const ids = await startedCalls(store, 20);
    const pipelines = jest.spyOn(redis, 'pipeline');
    // One tick: the first leaves at once, the 19 others together at its end.
    await Promise.all(ids.map((callId) => store.append(callId, [batch(2)])));
    expect(pipelines).toHaveBeenCalledTimes(1);
    for (const callId of ids) {
      expect((await store.read(callId, 0)).entries).toEqual(batches(1, 2));
    }
  });

  it('appends in one pipeline still when Redis has lost its scripts', async () => {
    const probe = client();
    const store = track(new RedisCallStore(client()));
    const ids = await startedCalls(store, 5);
    await probe.script('FLUSH');
    // Several entries each, and the terminal ones: the script's path, in one tick.
    await Promise.all(ids.map((callId) => store.append(callId, batches(2, 3))));
    await Promise.all(ids.map((callId) => store.append(callId, [{ offset: 4, outcome: 'end' }])));
    for (const callId of ids) {
      expect(await store.read(callId, 0)).toEqual({
        entries: [...batches(1, 3), { offset: 4, outcome: 'end' }],
        ended: true,
      });
    }
  });

  it('rejects the appends of a pipeline ioredis refuses at once, and goes on', async () => {
    const redis = client();
    const store = track(new RedisCallStore(redis));
    const ids = await startedCalls(store, 3);
    const pipeline = redis.pipeline.bind(redis);
    jest.spyOn(redis, 'pipeline').mockImplementationOnce(() => {
      const refused = pipeline();
      refused.exec = () => {
        throw new Error('refused at once');
      };
      return refused;
    });
    // The first leaves on its own; the two after it share the refused pipeline (on nextTick,
    // where a throw would end the process).
    const appended = await Promise.allSettled(
      ids.map((callId) => store.append(callId, [batch(2)])),
    );
    expect(appended.map(({ status }) => status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((appended[1] as PromiseRejectedResult).reason).toEqual(new Error('refused at once'));
    // The queue is not stuck: the next tick's appends go through.
    await Promise.all(ids.slice(1).map((callId) => store.append(callId, [batch(2)])));
    for (const callId of ids) expect((await store.read(callId, 0)).entries).toEqual(batches(1, 2));
  });

  it('cancels a call whose cancel was published, through another instance, before it listened', async () => {
    const running = track(new RedisCallStore(client()));
    const elsewhere = track(new RedisCallStore(client()));
    const callId = newId();
    await running.create({ callId, name: 'job' }, limitsOf());
    // The call exists but is not listening yet (its instance is between create and run).
    await elsewhere.requestCancel(callId);
    let cancels = 0;
    const release = running.run(
      callId,
      () => cancels++,
      () => undefined,
    );
    try {
      await until(() => cancels > 0, 2000, 'the cancel requested before the call listened');
      expect(cancels).toBe(1);
    } finally {
      release();
    }
  });

  it('subscribes once per instance: the start and end of a call send no pub/sub command', async () => {
    const probe = client();
    const store = track(new RedisCallStore(client()));
    const run = async () => {
      const callId = newId();
      await store.create({ callId, name: 'job' }, limitsOf());
      const release = store.run(
        callId,
        () => undefined,
        () => undefined,
      );
      await store.append(callId, [batch(1)]);
      await store.append(callId, [{ offset: 2, outcome: 'end' }]);
      release();
    };
    await run();
    await probe.config('RESETSTAT');
    for (let i = 0; i < 5; i++) await run();
    const calls = await commandCalls(probe);
    for (const command of ['subscribe', 'unsubscribe', 'exists', 'publish']) {
      expect(calls[command]).toBeUndefined();
    }
    expect(((await probe.pubsub('CHANNELS', 'sijax:*')) as string[]).length).toBe(1);
  });

  it('brings a cancel to the call it names only, among the calls its instance runs', async () => {
    const running = track(new RedisCallStore(client()));
    const elsewhere = track(new RedisCallStore(client()));
    const ids = [newId(), newId(), newId()];
    const cancelled: string[] = [];
    const releases: (() => void)[] = [];
    for (const callId of ids) {
      await running.create({ callId, name: 'job' }, limitsOf());
      releases.push(
        running.run(
          callId,
          () => cancelled.push(callId),
          () => undefined,
        ),
      );
    }
    await elsewhere.requestCancel(ids[1]);
    await until(() => cancelled.length > 0, 2000, 'the cancel');
    // Another call's cancel, and one for a call that no instance knows, come and go meanwhile.
    await elsewhere.requestCancel(newId());
    await elsewhere.requestCancel(ids[2]);
    await until(() => cancelled.length > 1, 2000, 'the second cancel');
    expect(cancelled).toEqual([ids[1], ids[2]]);
    releases.forEach((release) => release());
  });

  it('ignores messages on its channel that name no call of its own or that it cannot read', async () => {
    const probe = client();
    const store = track(new RedisCallStore(client()));
    const callId = newId();
    await store.create({ callId, name: 'job' }, limitsOf());
    let cancels = 0;
    const progress: number[] = [];
    const release = store.run(
      callId,
      () => cancels++,
      (offset) => progress.push(offset),
    );
    const { runner } = JSON.parse((await probe.get(`sijax:{${callId}}:meta`))!) as {
      runner: string;
    };
    for (const message of [
      'cancel',
      ` cancel`,
      `${callId}`,
      `${callId} cancelled`,
      `${callId} progress:`,
      `${callId} progress:1e400`,
      `${callId} progress:0x1f`,
      `${callId} progress: 4`,
      `${callId}x cancel`,
      `${newId()} progress:7`,
    ]) {
      await probe.publish(runner, message);
    }
    // Messages on one channel arrive in order: this one is heard after all of the above.
    await probe.publish(runner, `${callId} progress:3`);
    await until(() => progress.length > 0, 2000, 'the progress report');
    expect(progress).toEqual([3]);
    expect(cancels).toBe(0);
    release();
  });

  it('blocks on at most maxFollowConnections connections: more followers wait their turn', async () => {
    const probe = client();
    const blocked = async () =>
      Number(/^blocked_clients:(\d+)/m.exec(await probe.info('clients'))![1]);
    const store = track(new RedisCallStore(client()));
    const followers = track(new RedisCallStore(client(), { maxFollowConnections: 2 }));
    const calls = await startedCalls(store, 4);
    const releases = calls.map((callId) =>
      store.run(
        callId,
        () => undefined,
        () => undefined,
      ),
    );
    const seen = calls.map(() => [] as number[]);
    const controllers = calls.map(() => new AbortController());
    const following = calls.map((callId, i) =>
      followers.follow(
        callId,
        0,
        (entry) => void seen[i].push(entry.offset),
        controllers[i].signal,
      ),
    );
    await until(() => seen.every((offsets) => offsets.length === 1), 5000, 'the first batches');
    // The fourth, waiting, leaves before its turn: it is done at once, and out of the queue.
    controllers[3].abort();
    await following[3];
    await pollUntil(async () => (await blocked()) === 2, 5000, 'two followers blocked');
    // The third waits for a connection: a batch for it is not read yet.
    await store.append(calls[2], [batch(2)]);
    await store.append(calls[0], [batch(2)]);
    await until(() => seen[0].length === 2, 5000, 'the first follower reads on');
    expect(seen[2]).toEqual([1]);
    expect(await blocked()).toBe(2);
    // One leaves: its connection goes to the third, which reads what it missed.
    controllers[1].abort();
    await following[1];
    await until(() => seen[2].length === 2, 5000, 'the third follower reads');
    expect(seen[2]).toEqual([1, 2]);
    for (const i of [0, 2]) controllers[i].abort();
    await Promise.all(following);
    for (const release of releases) release();
  });

  it('refuses a key prefix with braces (the call id is the hash tag)', () => {
    // A client that never connects: the constructor refuses before any use.
    const idle = new Redis({ lazyConnect: true });
    expect(() => new RedisCallStore(idle, { keyPrefix: '{app}:' })).toThrow(/braces/);
  });

  it('gives back a connection opened for a waiter that left meanwhile', async () => {
    const readers = new BlockingReaders(client(), 1);
    try {
      const held = (await readers.acquire(new AbortController().signal))!;
      const leaving = new AbortController();
      const waiter = readers.acquire(leaving.signal);
      // The held connection fails: a new one is opened for the waiter, which leaves meanwhile.
      const closed = new Promise((resolve) => held.connection.once('end', resolve));
      held.connection.disconnect();
      await closed;
      readers.release(held);
      leaving.abort();
      expect(await waiter).toBeUndefined();
      // The pool's one connection is not lost: the next follower gets it.
      const next = await Promise.race([
        readers.acquire(new AbortController().signal),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2000)),
      ]);
      expect(next).toMatchObject({ connection: expect.anything() });
    } finally {
      readers.close();
    }
  });

  it('refuses a maxFollowConnections that would let no follower read', () => {
    const idle = new Redis({ lazyConnect: true });
    for (const maxFollowConnections of [0, -1, 1.5, Number.NaN]) {
      expect(() => new RedisCallStore(idle, { maxFollowConnections })).toThrow(
        /maxFollowConnections/,
      );
    }
  });
});

describe('RedisCallStore on a Redis Cluster', () => {
  it('appends for calls all over the cluster in one tick, each on its own node', async () => {
    const store = track(new RedisCallStore(clusterClient()));
    const ids = Array.from({ length: 30 }, () => newId());
    for (const callId of ids) await store.create({ callId, name: 'job' }, limitsOf());
    // One tick: on one server these would share a pipeline, which a cluster refuses.
    await Promise.all(ids.map((callId) => store.append(callId, [batch(1)])));
    await Promise.all(ids.map((callId) => store.append(callId, [batch(2)])));
    await Promise.all(ids.map((callId) => store.append(callId, [{ offset: 3, outcome: 'end' }])));
    for (const callId of ids) {
      expect(await store.read(callId, 0)).toEqual({
        entries: [...batches(1, 2), { offset: 3, outcome: 'end' }],
        ended: true,
      });
    }
    // The calls did spread: every node holds some of the logs.
    const logsPerNode = await Promise.all(
      clusterNodes().map(async (node) => (await node.keys('sijax:*:log')).length),
    );
    expect(logsPerNode.reduce((sum, count) => sum + count, 0)).toBe(ids.length);
    expect(logsPerNode.every((count) => count > 0)).toBe(true);
  });

  it('frees the blocked connection of a follower that left at once (no CLIENT UNBLOCK there)', async () => {
    const nodes = clusterNodes();
    const blocked = async () => {
      let count = 0;
      for (const node of nodes) {
        count += Number(/^blocked_clients:(\d+)/m.exec(await node.info('clients'))![1]);
      }
      return count;
    };
    const store = track(new RedisCallStore(clusterClient()));
    const follower = track(new RedisCallStore(clusterClient()));
    const callId = newId();
    // A follower's XREAD blocks a quarter heartbeat (here 3.75 s) unless it is ended.
    await store.create({ callId, name: 'job' }, limitsOf({ heartbeatMs: 15_000 }));
    const release = store.run(
      callId,
      () => undefined,
      () => undefined,
    );
    try {
      await store.append(callId, [batch(1)]);
      for (let i = 0; i < 3; i++) {
        const controller = new AbortController();
        const following = follower.follow(callId, 0, () => undefined, controller.signal);
        await pollUntil(async () => (await blocked()) === 1, 2000, 'the follower blocked');
        controller.abort();
        await following;
        await pollUntil(async () => (await blocked()) === 0, 1000, 'its XREAD ended');
      }
    } finally {
      release();
    }
  });
});
