// The peer anchor of bench_path_bench: two RTCPeerConnections in one page of the installed
// Chromium (puppeteer-core, nothing downloaded) move --mib MiB on a reliable ordered data
// channel in 64 KiB messages, and the page measures the time from the first send to the last
// byte received. Run it where Chromium can gather a candidate (not loopback-only).
//   node bulk.mjs [--mib 256] [--chromium /usr/bin/chromium]
// Prints one JSON line: {"mbit": ..., "seconds": ..., "rtt_us": ...}.
import { launchChromium, scriptArgs } from '../../tests/support/browser_script.mjs';

const { args } = scriptArgs('bulk');
const mib = Number(args.mib || 256);
const { browser, close: closeChromium } = await launchChromium(args.chromium);
try {
  const page = await browser.newPage();
  page.on('console', (m) => process.stderr.write(`page: ${m.text()}\n`));
  const result = await page.evaluate(async (mib) => {
    const a = new RTCPeerConnection(), b = new RTCPeerConnection();
    // Whole descriptions, candidates included (as the node's signaling carries them).
    const gathered = (pc) => new Promise((done) => {
      if (pc.iceGatheringState === 'complete') return done();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
    });
    const bulk = a.createDataChannel('bulk');
    const echo = a.createDataChannel('echo');
    bulk.binaryType = echo.binaryType = 'arraybuffer';
    const remote = {};
    const ready = new Promise((done) => {
      b.ondatachannel = (e) => {
        remote[e.channel.label] = e.channel;
        e.channel.binaryType = 'arraybuffer';
        if (remote.bulk && remote.echo) done();
      };
    });
    await a.setLocalDescription(await a.createOffer());
    await gathered(a);
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await gathered(b);
    await a.setRemoteDescription(b.localDescription);
    await ready;
    console.log('channels announced');
    await Promise.all([bulk, echo].map((c) => c.readyState === 'open' ? 0 :
        new Promise((r) => { c.onopen = r; })));
    console.log('channels open');
    // 64-byte round trips, as bench_webrtc_bench measures them.
    remote.echo.onmessage = (e) => remote.echo.send(e.data);
    const ping = new Uint8Array(64);
    const rtts = [];
    for (let i = 0; i < 2200; ++i) {
      const t0 = performance.now();
      await new Promise((r) => { echo.onmessage = r; echo.send(ping); });
      if (i >= 200) rtts.push((performance.now() - t0) * 1000);
    }
    rtts.sort((x, y) => x - y);
    // The transfer, with the sender paused while more than 4 MiB wait in its buffer.
    const message = new Uint8Array(64 * 1024);
    const total = mib * 1024 * 1024;
    let received = 0;
    const t0 = performance.now();
    const done = new Promise((r) => {
      remote.bulk.onmessage = (e) => {
        received += e.data.byteLength;
        if (received >= total) r(performance.now());
      };
    });
    bulk.bufferedAmountLowThreshold = 1 << 20;
    for (let sent = 0; sent < total; sent += message.length) {
      if (bulk.bufferedAmount > 4 << 20) {
        await new Promise((r) => {
          bulk.onbufferedamountlow = r;
          if (bulk.bufferedAmount <= bulk.bufferedAmountLowThreshold) r();
        });
      }
      bulk.send(message);
    }
    const t1 = await done;
    return {seconds: (t1 - t0) / 1000, mbit: total * 8 / ((t1 - t0) / 1000) / 1e6,
            rtt_us: rtts[Math.floor(rtts.length / 2)]};
  }, mib);
  console.log(JSON.stringify(result));
} finally {
  await closeChromium();
}
process.exit(0);
