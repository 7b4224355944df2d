// One actor of a web node: an instance of a seed-world component that jco transpiled for JSPI
// (`actr build --web`): the imports that wait for the network (call, tell, call-raw, discover,
// send-data-stream) return promises and suspend the guest's stack; the exports return promises.
//
// As on a native node: one export call at a time, in arrival order, signal lane first; the
// context getters read the running call's context (`lifecycle:on_start`, `hook:on_<name>`,
// `data-stream:<id>:<seq>`, a dispatch's own request id) and trap outside one; a trap answers
// the caller `internal`, discards the instance and starts a fresh one (on-start, on-ready, then
// on-error with category handler-panic), within a restart budget.
import { ActrFailure, err, errorOf } from './errors.js';

const RESTART_LIMIT = 10; // restarts within RESTART_WINDOW_MS before the actor is failed
// The native mailbox's defaults ([mailbox] backpressure_threshold, hard_limit).
const BACKPRESSURE_THRESHOLD = 1000;
const HARD_LIMIT = 10_000;
const RESTART_WINDOW_MS = 10_000;

const HOOK_EXPORTS = {
  on_signaling_connecting: 'onSignalingConnecting',
  on_signaling_connected: 'onSignalingConnected',
  on_signaling_disconnected: 'onSignalingDisconnected',
  on_websocket_connecting: 'onWebsocketConnecting',
  on_websocket_connected: 'onWebsocketConnected',
  on_websocket_disconnected: 'onWebsocketDisconnected',
  on_webrtc_connecting: 'onWebrtcConnecting',
  on_webrtc_connected: 'onWebrtcConnected',
  on_webrtc_disconnected: 'onWebrtcDisconnected',
  on_credential_renewed: 'onCredentialRenewed',
  on_credential_expiring: 'onCredentialExpiring',
  on_mailbox_backpressure: 'onMailboxBackpressure',
  on_error: 'onError',
};

export class Actor {
  // `component`: {instantiate, getCoreModule} of the transpiled component; `mailbox`:
  // {backpressureThreshold, hardLimit} as a native node's [mailbox].
  constructor(node, { name, id, component, mailbox = {} }) {
    this.node = node;
    this.name = name;
    this.id = id;
    this.component = component;
    this.state = 'new'; // new | running | restarting | failed | stopped
    this.signalQueue = [];
    this.queue = [];
    this.busy = false;
    this.context = null;
    this.restarts = [];
    this.streams = new Set();
    this.threshold = mailbox.backpressureThreshold ?? BACKPRESSURE_THRESHOLD;
    this.hardLimit = mailbox.hardLimit ?? HARD_LIMIT;
    this.queued = 0; // messages waiting (hooks not counted)
    this.pressureArmed = true;
    this.stats = { calls: 0, traps: 0, restarts: 0 };
  }

  get label() {
    return `${this.name} (${this.id.realm.realmId}:${this.id.serialNumber})`;
  }

  async start() {
    await this.instantiate();
    await this.lifecycle();
    this.state = 'running';
  }

  async instantiate() {
    this.exports = null;
    // jco names the imports by interface, with and without the version depending on its release.
    const host = this.imports();
    const root = await this.component.instantiate(this.component.getCoreModule, {
      'actr:workload/host': host, 'actr:workload/host@0.1.0': host,
      'actr:workload/types': {}, 'actr:workload/types@0.1.0': {},
    });
    this.exports = root.workload ?? root['actr:workload/workload@0.1.0'];
  }

  async lifecycle() {
    for (const [hook, fn] of [['on_start', 'onStart'], ['on_ready', 'onReady']]) {
      const ctx = { caller: undefined, requestId: `lifecycle:${hook}`, chain: [] };
      try {
        await this.run(ctx, () => this.exports[fn]());
      } catch (e) {
        if (e instanceof WebAssembly.RuntimeError || !e?.payload) throw e;
        throw new Error(`${this.label}: ${hook} failed: ${e.message}`);
      }
    }
  }

  // The guest's imports, bound to this actor.
  imports() {
    const current = (name) => {
      if (!this.context) {
        throw new Error(`\`${name}\` was called outside an export call of an actor (trap)`);
      }
      return this.context;
    };
    const node = this.node;
    return {
      call: (target, routeKey, payload) =>
        node.call(this, current('call'), target, routeKey, payload),
      tell: (target, routeKey, payload) =>
        node.tell(this, current('tell'), target, routeKey, payload),
      callRaw: (target, routeKey, payload) =>
        node.call(this, current('call-raw'), { tag: 'actor', val: target }, routeKey, payload),
      discover: (type) => node.discover(this, current('discover'), type),
      registerStream: (streamId) => {
        current('register-stream');
        node.registerStream(this, streamId);
      },
      unregisterStream: (streamId) => {
        current('unregister-stream');
        node.unregisterStream(this, streamId);
      },
      sendDataStream: (target, chunk, payloadType) =>
        node.sendDataStream(this, current('send-data-stream'), target, chunk, payloadType),
      logMessage: (level, message) => node.log(this, this.context, level, message),
      getSelfId: () => (current('get-self-id'), this.id),
      getCallerId: () => current('get-caller-id').caller,
      getRequestId: () => current('get-request-id').requestId,
    };
  }

  async run(ctx, fn) {
    this.context = ctx;
    try {
      return await fn();
    } finally {
      this.context = null;
    }
  }

  // ---- the mailbox: messages wait here and run one at a time ----

  // `message`: {kind: 'call' | 'tell' | 'stream' | 'hook', ...}; resolves with the call's reply
  // bytes (calls) or once handled; rejects with an ActrFailure.
  deliver(message) {
    if (this.state === 'failed' || this.state === 'stopped') {
      return Promise.reject(new ActrFailure(err.unavailable(`actor ${this.label} is ${this.state}`)));
    }
    if (message.chain?.includes(this.id.serialNumber) && message.kind === 'call') {
      return Promise.reject(new ActrFailure(err.unavailable(
          `call cycle: actor ${this.label} is waiting for this call chain`)));
    }
    const counted = message.kind !== 'hook';
    if (counted && this.queued >= this.hardLimit) {
      return Promise.reject(new ActrFailure(err.unavailable(
          `actor ${this.label}: mailbox full (${this.queued} messages, hard limit ${this.hardLimit})`)));
    }
    if (counted && this.queued >= this.threshold &&
        message.kind === 'stream' && message.latencyFirst) {
      return Promise.resolve(); // latency-first chunks above the threshold: accepted, dropped
    }
    const done = new Promise((resolve, reject) => {
      (message.lane === 'signal' ? this.signalQueue : this.queue)
        .push({ message, resolve, reject, counted });
    });
    if (counted) {
      this.queued += 1;
      if (this.queued >= this.threshold && this.pressureArmed) {
        this.pressureArmed = false;
        const event = { queueLen: BigInt(this.queued), threshold: BigInt(this.threshold) };
        this.signalQueue.push({ message: { kind: 'hook', hook: 'on_mailbox_backpressure',
                                           args: [event], lane: 'signal' },
                                resolve: () => {}, reject: () => {}, counted: false });
      }
    }
    this.pump();
    return done;
  }

  async pump() {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.state === 'running' || this.state === 'new') {
        const item = this.signalQueue.shift() ?? this.queue.shift();
        if (!item) break;
        if (item.counted) {
          this.queued -= 1;
          if (this.queued < this.threshold) this.pressureArmed = true;
        }
        await this.handle(item);
      }
    } finally {
      this.busy = false;
    }
  }

  async handle({ message: m, resolve, reject }) {
    const ctx = { caller: m.caller, requestId: m.requestId, chain: m.chain ?? [], lane: m.lane };
    let what;
    let invoke;
    switch (m.kind) {
      case 'call':
      case 'tell':
        what = `dispatch ${m.routeKey}`;
        invoke = () => this.exports.dispatch({
          requestId: m.requestId, routeKey: m.routeKey, payload: m.payload });
        break;
      case 'stream':
        what = 'on-data-stream';
        ctx.requestId = `data-stream:${m.chunk.streamId}:${m.chunk.sequence}`;
        invoke = () => this.exports.onDataStream(m.chunk, m.caller);
        break;
      case 'hook':
        what = m.hook;
        ctx.caller = undefined;
        ctx.requestId = m.hook === 'on_error' ? 'hook:on_error' : `hook:${m.hook}`;
        invoke = () => this.exports[HOOK_EXPORTS[m.hook]](...(m.args ?? []));
        break;
      default:
        return reject(new ActrFailure(err.internal(`unknown message kind ${m.kind}`)));
    }
    this.stats.calls += 1;
    try {
      resolve(await this.run(ctx, invoke));
    } catch (e) {
      if (e instanceof ActrFailure || (e?.payload?.tag && !(e instanceof WebAssembly.RuntimeError))) {
        return reject(new ActrFailure(errorOf(e))); // the guest's own error result
      }
      const trap = err.internal(`actor ${this.label} trapped in ${what}: ${e?.message ?? e}`);
      reject(new ActrFailure(trap));
      await this.trapped(what, e, trap);
    }
  }

  async trapped(what, e, trap) {
    this.stats.traps += 1;
    this.node.log(this, null, 'error', `trapped in ${what}: ${e?.stack ?? e}`);
    this.exports = null; // its memory may be inconsistent: never called again
    const now = performance.now();
    this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.restarts.length >= RESTART_LIMIT) {
      return this.fail(`restart limit reached (${RESTART_LIMIT} within ${RESTART_WINDOW_MS} ms)`);
    }
    this.restarts.push(now);
    this.state = 'restarting';
    try {
      await this.instantiate();
      await this.lifecycle();
    } catch (e2) {
      return this.fail(`after a restart: ${e2?.message ?? e2}`);
    }
    this.stats.restarts += 1;
    this.state = 'running';
    const event = {
      source: trap,
      category: { tag: 'handler-panic' },
      context: `${what}: ${e?.message ?? e}`,
      timestamp: timestampNow(),
    };
    this.deliver({ kind: 'hook', hook: 'on_error', args: [event], lane: 'signal' }).catch(() => {});
    this.pump();
  }

  fail(why) {
    this.state = 'failed';
    this.node.log(this, null, 'error', `failed: ${why}`);
    this.queued = 0;
    for (const item of [...this.signalQueue.splice(0), ...this.queue.splice(0)]) {
      item.reject(new ActrFailure(err.unavailable(`actor ${this.label} failed: ${why}`)));
    }
  }

  async stop() {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    try {
      await this.run({ caller: undefined, requestId: 'lifecycle:on_stop', chain: [] },
                     () => this.exports.onStop());
    } catch {
      // on-stop's error ends nothing more: the actor is going either way.
    }
    this.state = 'stopped';
    this.fail('stopped');
    this.state = 'stopped';
  }
}

export function timestampNow() {
  const ms = Date.now();
  return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
}
