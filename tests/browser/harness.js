// Starts a real `yiwang serve` on a free port with a fresh SQLite database and
// demo data, and a headless Chromium to drive it. The server takes the bank's
// deposit callbacks under a fresh secret; `bankDeposit` signs and sends one as
// the bank would.
import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { chromium } from "playwright-core";

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitReady(url, child, output) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`yiwang exited early (${child.exitCode}):\n${output.join("")}`);
    }
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`yiwang did not become ready:\n${output.join("")}`);
}

// `env` adds configuration (environment variables such as
// `YIWANG_DEMO__DRILL_END_S`) to the server's.
export async function startYiwang({ env: extra = {} } = {}) {
  const bin = process.env.YIWANG_BIN;
  if (!bin) throw new Error("YIWANG_BIN must name the yiwang binary");
  const dir = mkdtempSync(join(tmpdir(), "yiwang-browser-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output = [];
  const bankSecret = randomBytes(32).toString("hex");
  const env = { ...process.env };
  delete env.YIWANG_BIN; // not a configuration key
  const child = spawn(
    bin,
    ["serve", "--demo", "--listen", `127.0.0.1:${port}`, "--database-url", `sqlite://${join(dir, "y.db")}`],
    {
      env: {
        ...env,
        YIWANG_PUBLIC_URL: url,
        YIWANG_AUTH__ARGON2_MEMORY_KIB: "1024",
        YIWANG_AUTH__ARGON2_ITERATIONS: "1",
        YIWANG_BANK__HMAC_SECRET: bankSecret,
        ...extra,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout.on("data", (d) => output.push(d.toString()));
  child.stderr.on("data", (d) => output.push(d.toString()));
  await waitReady(url, child, output);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  return {
    url,
    browser,
    output,
    bankSecret,
    async stop() {
      await browser.close();
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A valid unified social credit code (GB 32100-2015) from its first 17 characters.
export function creditCode(first17) {
  const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += chars.indexOf(first17[i]) * weights[i];
  const c = (31 - (sum % 31)) % 31;
  return first17 + chars[c];
}

// Reports a deposit arrival as the bank does: `POST /api/v1/bank/deposits`,
// signed with HMAC-SHA256 over the Unix time in seconds, a newline and the
// body. Returns the HTTP status and the parsed answer.
export async function bankDeposit(yw, arrival) {
  const body = JSON.stringify(arrival);
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const signature = createHmac("sha256", yw.bankSecret)
    .update(`${timestamp}\n${body}`)
    .digest("hex");
  const r = await fetch(`${yw.url}/api/v1/bank/deposits`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-bank-timestamp": timestamp,
      "x-bank-signature": signature,
    },
    body,
  });
  return { status: r.status, answer: await r.json() };
}
