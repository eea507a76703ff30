// Starts mamori on a fresh SQLite database with the demo data, and Debian's Chromium.
import { execFileSync, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "..", "..");

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

export async function startMamori() {
  const dir = mkdtempSync(join(tmpdir(), "mamori-e2e-"));
  const port = await freePort();
  const binary = process.env.MAMORI_BIN || join(root, "target", "debug", "mamori");
  const child = spawn(binary, ["serve", "--demo", "--listen", `127.0.0.1:${port}`, "--database-url", `sqlite:${join(dir, "e2e.db")}`], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  const databaseUrl = `sqlite:${join(dir, "e2e.db")}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("mamori did not start within 60 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    /** Adds a user with the CLI, as an operator would. */
    addUser(args, password) {
      execFileSync(binary, ["user", "add", ...args, "--database-url", databaseUrl], {
        cwd: root,
        env: { ...process.env, MAMORI_PASSWORD: password, MAMORI_LOG: "warn" },
      });
    },
    /** Runs a command of the binary on the server's database, as cron would; its output. */
    cli(args) {
      return execFileSync(binary, [...args, "--database-url", databaseUrl], {
        cwd: root,
        env: { ...process.env, MAMORI_LOG: "warn" },
        encoding: "utf8",
      });
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's aiosmtpd on a port of its own, writing what it takes into a Maildir. */
export async function startMailServer() {
  const dir = mkdtempSync(join(tmpdir(), "mamori-mail-"));
  const maildir = join(dir, "maildir");
  const port = await freePort();
  const child = spawn("/usr/bin/python3", ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "aiosmtpd.handlers.Mailbox", maildir], { stdio: "ignore" });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await new Promise((ok) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.end();
        ok(true);
      });
      socket.on("error", () => ok(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error("aiosmtpd did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `smtp://127.0.0.1:${port}`,
    /** The raw messages received so far. */
    messages() {
      const inbox = join(maildir, "new");
      return existsSync(inbox) ? readdirSync(inbox).map((f) => readFileSync(join(inbox, f), "utf8")) : [];
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

export async function login(page, base, user) {
  await page.goto(`${base}/login`);
  await page.getByLabel("ログインID").fill(user);
  await page.getByLabel("パスワード").fill("demo-password");
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/login")), page.getByRole("button", { name: "ログイン" }).click()]);
}

/** Today in Japan, YYYY-MM-DD. */
export function todayInJapan() {
  return new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
}

export const docs = join(root, "docs");

/** The current TOTP code (RFC 6238: SHA-1, 6 digits, 30 s) for a base32 secret. */
export function totp(secretBase32, now = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secretBase32.replace(/=+$/, "").toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, "0");
}
