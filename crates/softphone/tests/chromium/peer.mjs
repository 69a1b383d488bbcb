// Headless Chromium as the customer's WebRTC peer for tests/chromium_peer.rs.
//
// Protocol: JSON lines. stdout (to the test): {"type":"offer","sdp"}, then {"type":"heard",...}
// and {"type":"error","message"} on failure. stdin (from the test): {"type":"answer","sdp"},
// then {"type":"listen","packets":N,"samples":M}, then {"type":"close"}. Logs go to stderr.
// With --answer (a call the business places) the offer comes from the test on stdin and
// Chromium sends {"type":"answer","sdp"}; the rest is the same.
//
// Usage: node peer.mjs --wav <440 Hz WAV for the fake microphone> --user-data-dir <fresh dir> [--answer]
import { createInterface } from "node:readline";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";

const arg = (name) => {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`missing ${name}`);
  return process.argv[i + 1];
};
const send = (msg) => process.stdout.write(JSON.stringify(msg) + "\n");
const log = (...a) => console.error("[chromium peer]", ...a);

const lines = createInterface({ input: process.stdin });
const inbox = [];
const waiting = [];
lines.on("line", (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line);
  const w = waiting.shift();
  if (w) w(msg); else inbox.push(msg);
});
// The test went away (closed our stdin): end too.
lines.on("close", () => { const w = waiting.shift(); if (w) w({ type: "close" }); else inbox.push({ type: "close" }); });
const next = () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((r) => waiting.push(r)));
const expect = async (type) => {
  const msg = await next();
  if (msg.type !== type) throw new Error(`expected ${type}, got ${msg.type}`);
  return msg;
};

// page.html from http://127.0.0.1 (a secure context with an origin, which the AudioWorklet's
// blob module needs; a file:// page has an opaque origin).
const here = dirname(fileURLToPath(import.meta.url));
const server = createServer(async (req, res) => {
  if (req.url !== "/page.html") { res.writeHead(req.url === "/favicon.ico" ? 204 : 404).end(); return; }
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(await readFile(join(here, "page.html")));
});

let context;
try {
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  context = await chromium.launchPersistentContext(arg("--user-data-dir"), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    ignoreDefaultArgs: ["--mute-audio"],
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${arg("--wav")}`,
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => log("console:", m.text()));
  page.on("pageerror", (e) => log("page error:", e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/page.html`);
  log("browser", context.browser()?.version() ?? "(persistent)");

  if (process.argv.includes("--answer")) {
    // The business calls: its offer comes first, Chromium answers.
    const { sdp } = await expect("offer");
    send({ type: "answer", sdp: await page.evaluate((s) => window.peer.answerOffer(s), sdp) });
  } else {
    send({ type: "offer", sdp: await page.evaluate(() => window.peer.offer()) });
    const { sdp } = await expect("answer");
    await page.evaluate((s) => window.peer.answer(s), sdp);
  }
  const { packets, samples } = await expect("listen");
  const heard = await page.evaluate(([p, n]) => window.peer.listen(p, n), [packets, samples]);
  send({ type: "heard", ...heard });
  await expect("close");
} catch (e) {
  log(e?.stack ?? String(e));
  send({ type: "error", message: String(e?.message ?? e) });
  process.exitCode = 1;
} finally {
  await context?.close().catch(() => {});
  server.closeAllConnections();
  server.close();
  lines.close(); // stdin would keep node alive
  process.exit();
}
