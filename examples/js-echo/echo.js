// A workload of the seed world written in JavaScript, built into a component by
// @bytecodealliance/componentize-js (pinned in package.json) with its default features, so it
// imports WASI (clocks, random, stdio, filesystem, http) like most JavaScript guests do.
//
// Routes:
//   echo     the payload back
//   reverse  the payload's bytes in reverse order
//   log      console.log (stdout, which the node logs a line at a time) and log-message
//   now      Date.now() through wasi:clocks, as decimal text
//   random   16 bytes from crypto.getRandomValues (wasi:random), as hex
//   count    a counter kept in the instance, as decimal text
//   fetch    tries outgoing HTTP: the node grants none, so it fails
//   who      the context getters: self id, caller, request id
//   greet    discovers an actor of type `echo` and calls its `echo` route with "Hello, <payload>"
// Errors are actr-error variants: thrown as { tag, val } (a thrown Error would be a trap).
import {
  call,
  discover,
  getCallerId,
  getRequestId,
  getSelfId,
  logMessage,
} from 'actr:workload/host@0.1.0';

const text = (bytes) => new TextDecoder().decode(bytes);
const bytes = (string) => new TextEncoder().encode(string);
const id = (actor) => `${actor.realm.realmId}:${actor.serialNumber}`;

let count = 0;

const routes = {
  echo: (payload) => payload,
  reverse: (payload) => payload.slice().reverse(),
  log: (payload) => {
    console.log(`js-echo says: ${text(payload)}`);
    logMessage('info', `js-echo logged: ${text(payload)}`);
    return new Uint8Array(0);
  },
  now: () => bytes(String(Date.now())),
  random: () => {
    const buf = new Uint8Array(16);
    crypto.getRandomValues(buf);
    return bytes(Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join(''));
  },
  count: () => bytes(String(++count)),
  fetch: async (payload) => {
    try {
      const response = await fetch(text(payload));
      return bytes(`status ${response.status}`);
    } catch (e) {
      throw { tag: 'unavailable', val: `fetch failed: ${e}` };
    }
  },
  who: () => {
    const caller = getCallerId();
    return bytes(`self=${id(getSelfId())} caller=${caller ? id(caller) : 'none'} ` +
                 `req=${getRequestId()}`);
  },
  greet: (payload) => {
    let target;
    try {
      target = discover({ manufacturer: '', name: 'echo', version: '' });
    } catch (e) {
      throw e.payload ?? { tag: 'internal', val: String(e) };
    }
    try {
      return call({ tag: 'actor', val: target }, 'echo', bytes(`Hello, ${text(payload)}`));
    } catch (e) {
      throw e.payload ?? { tag: 'internal', val: String(e) };
    }
  },
};

const ok = () => {};

export const workload = {
  dispatch({ routeKey, payload }) {
    const route = routes[routeKey];
    if (!route) throw { tag: 'unknown-route', val: routeKey };
    return route(payload);
  },
  onStart: ok,
  onReady: ok,
  onStop: ok,
  onError: ok,
  onSignalingConnecting: ok,
  onSignalingConnected: ok,
  onSignalingDisconnected: ok,
  onWebsocketConnecting: ok,
  onWebsocketConnected: ok,
  onWebsocketDisconnected: ok,
  onWebrtcConnecting: ok,
  onWebrtcConnected: ok,
  onWebrtcDisconnected: ok,
  onCredentialRenewed: ok,
  onCredentialExpiring: ok,
  onMailboxBackpressure: ok,
  onDataStream: ok,
};
