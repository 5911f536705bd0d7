// The upload page of `datrace serve` in real headless Chromium, driven over
// the DevTools protocol on --remote-debugging-pipe (file descriptors 3 and
// 4, NUL-separated JSON): Node's standard library only, nothing from npm,
// no browser download. Used by tests/test_serve_browser.sh.
//
// usage: node serve_browser.js CHROMIUM URL CAPTURE OUTDIR
// Chooses CAPTURE in the file input (and the host), uploads with the upload
// throttled so the progress bar is seen between 0 and 100, follows the live
// status to the report, and writes page.png, progress.png, report.png and
// list.png into OUTDIR. Prints one JSON line of what it saw; exits non-zero
// when a step fails.
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");

const [browser, base, capture, out] = process.argv.slice(2);
const profile = fs.mkdtempSync(path.join(out, "profile-"));
const chrome = spawn(browser, [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
  "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-default-apps",
  "--disable-extensions", "--mute-audio", "--user-data-dir=" + profile,
  "--remote-debugging-pipe", "--window-size=1100,900", "about:blank",
], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
let chromeLog = "";
chrome.stdio[2].on("data", (d) => { chromeLog += d; });

let next = 0;
const pending = new Map();
const events = [];
let buf = Buffer.alloc(0);
chrome.stdio[4].on("data", (d) => {
  buf = Buffer.concat([buf, d]);
  let i;
  while ((i = buf.indexOf(0)) >= 0) {
    const msg = JSON.parse(buf.subarray(0, i).toString());
    buf = buf.subarray(i + 1);
    if (msg.id !== undefined && pending.has(msg.id)) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error.message));
      else p.resolve(msg.result);
    } else {
      events.push(msg);
    }
  }
});

let session;
function send(method, params) {
  return new Promise((resolve, reject) => {
    const m = { id: ++next, method, params: params || {} };
    if (session && !method.startsWith("Target.")) m.sessionId = session;
    pending.set(m.id, { resolve, reject });
    chrome.stdio[3].write(JSON.stringify(m) + "\0");
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function value(expr) {
  let r;
  try {
    r = await send("Runtime.evaluate", { expression: expr, returnByValue: true });
  } catch (e) {
    return null;		// the page is navigating: ask again
  }
  return r && r.result && !r.exceptionDetails ? r.result.value : null;
}
async function until(what, expr, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await value(expr);
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await sleep(50);
  }
}
async function shot(name) {
  const r = await send("Page.captureScreenshot", { format: "png" });
  fs.writeFileSync(path.join(out, name), Buffer.from(r.data, "base64"));
}

async function main() {
  const seen = {};
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  session = (await send("Target.attachToTarget", { targetId, flatten: true })).sessionId;
  await send("Page.enable");
  await send("Runtime.enable");
  await send("Network.enable");
  await send("Page.navigate", { url: base + "/" });
  await until("the page", "document.readyState === 'complete' && !!document.getElementById('capture')", 20000);
  seen.rows_before = await value("document.querySelectorAll('#rows tr[data-id]').length");
  await shot("page.png");

  // choose the file as a user would: the file input, then the options
  const doc = await send("DOM.getDocument", {});
  const input = await send("DOM.querySelector", { nodeId: doc.root.nodeId, selector: "#capture" });
  await send("DOM.setFileInputFiles", { nodeId: input.nodeId, files: [capture] });
  await value("document.getElementById('capture').dispatchEvent(new Event('change')), 1");
  await value("document.getElementById('host').value = 'da.corp.example', 1");
  seen.chosen = await value("document.getElementById('drop-text').textContent");

  // a slow uplink, so the bar is seen moving
  await send("Network.emulateNetworkConditions", {
    offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 200000,
  });
  await value("document.getElementById('send').click(), 1");
  const values = [];
  let mid = false;
  const end = Date.now() + 60000;
  while (Date.now() < end) {
    const v = await value("[document.getElementById('progress').value, location.pathname]");
    if (v === null || v[1] !== "/") break;
    values.push(v[0]);
    if (!mid && v[0] > 0 && v[0] < 100) {
      mid = true;
      await shot("progress.png");
    }
    await sleep(40);
  }
  await send("Network.emulateNetworkConditions", {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  seen.progress_values = [...new Set(values)];
  seen.progress_mid = mid;

  // the live status leads to the report
  seen.report_path = await until("the report", "/^\\/api\\/v1\\/analyses\\/[0-9a-f]{32}\\/report$/.test(location.pathname) && document.readyState === 'complete' && location.pathname", 60000);
  seen.report_title = await value("document.title");
  seen.report_has_verdict = await value("document.body.innerText.includes('null-cipher-absent')");
  seen.report_names_capture = await value("document.body.innerText.includes(" + JSON.stringify(path.basename(capture)) + ")");
  await shot("report.png");

  // back to the list: the new analysis on top, with its badge
  await send("Page.navigate", { url: base + "/" });
  await until("the list", "document.readyState === 'complete' && document.querySelectorAll('#rows tr[data-id]').length > 0", 20000);
  seen.rows_after = await value("document.querySelectorAll('#rows tr[data-id]').length");
  seen.top_badge = await value("document.querySelector('#rows tr .badge').textContent");
  seen.top_badge_class = await value("document.querySelector('#rows tr .badge').className");
  await send("Emulation.setDeviceMetricsOverride", { width: 1100, height: 900, deviceScaleFactor: 1, mobile: false });
  await shot("list.png");
  console.log(JSON.stringify(seen));
}

main().then(() => {
  chrome.kill("SIGKILL");
  process.exit(0);
}, (e) => {
  console.error("serve_browser: " + e.message);
  console.error(chromeLog.split("\n").slice(-5).join("\n"));
  chrome.kill("SIGKILL");
  process.exit(1);
});
