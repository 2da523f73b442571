// Display load check (manual, not part of ctest): how long the page takes to draw and to take
// in one picture message at a given track count. Start a server with that many tracks first,
// e.g. build/tests/test_http --fixture --port 8088 --extra 10000, then:
//   LOOKOUT_URL=http://127.0.0.1:8088/ LOOKOUT_MIN_TRACKS=10000 node perf.mjs
// Prints median and worst draw time over 40 redraws (pan steps) and the message figures.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.LOOKOUT_URL;
const minTracks = Number(process.env.LOOKOUT_MIN_TRACKS || 1000);
const profile = mkdtempSync(join(tmpdir(), 'lookout-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1600, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = context.pages()[0] || await context.newPage();
try {
  await page.goto(url);
  await page.waitForFunction((n) => window.lookout && window.lookout.stats().tracks >= n, minTracks, { timeout: 120000 });
  const box = await page.locator('#map').boundingBox();
  const draws = [];
  for (let i = 0; i < 40; i++) {
    const before = (await page.evaluate(() => window.lookout.stats())).frames;
    await page.mouse.move(box.x + 400, box.y + 400);
    await page.mouse.down();
    await page.mouse.move(box.x + 400 + (i % 2 ? 20 : -20), box.y + 400);
    await page.mouse.up();
    await page.waitForFunction((f) => window.lookout.stats().frames > f, before);
    draws.push((await page.evaluate(() => window.lookout.stats())).lastDrawMs);
  }
  draws.sort((a, b) => a - b);
  if (process.env.LOOKOUT_SCREENSHOT) await page.screenshot({ path: process.env.LOOKOUT_SCREENSHOT });
  const s = await page.evaluate(() => window.lookout.stats());
  console.log(JSON.stringify({
    tracks: s.tracks, tracksDrawn: s.tracksDrawn, labelsDrawn: s.labelsDrawn,
    drawMsMedian: +draws[draws.length >> 1].toFixed(1), drawMsMax: +draws[draws.length - 1].toFixed(1),
    messageBytes: s.lastMessageBytes, phases: s.phaseMs, parseMs: +s.lastParseMs.toFixed(1), applyMs: +s.lastApplyMs.toFixed(1),
  }));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
