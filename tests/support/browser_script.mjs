// What the scripts that drive Chromium in the tests and benchmarks share: their `--key value`
// arguments, a deadline after which they give up, and the installed Chromium started headless
// by puppeteer-core (which downloads nothing) with a throwaway profile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

// {args, need, fail} for the script `name`: need(key) fails when --key is missing; fail(why)
// prints "name: why" and exits 1. With `timeoutMs`, the script fails once that much time passed.
export function scriptArgs(name, { timeoutMs } = {}) {
  const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
    if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
    return pairs;
  }, []));
  const fail = (why) => {
    console.error(`${name}: ${why}`);
    process.exit(1);
  };
  const need = (key) => {
    if (!args[key]) fail(`missing --${key}`);
    return args[key];
  };
  if (timeoutMs) setTimeout(() => fail(`timed out after ${timeoutMs / 1000} s`), timeoutMs).unref();
  return { args, need, fail };
}

// Headless Chromium (default /usr/bin/chromium). Host candidates are addresses, not mDNS names
// (nodes resolve no .local names). close() ends it and removes the profile.
export async function launchChromium(executablePath = '/usr/bin/chromium') {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'actr-chromium-'));
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-features=WebRtcHideLocalIpsWithMdns'],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
