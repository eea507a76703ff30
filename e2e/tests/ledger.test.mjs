// The demo hospital's admin imports the Excel ledger she already keeps, checks the preview
// (added / changed / rejected), confirms it, and sees each device's flags: the vendor's
// FortiGate on an old FortiOS is urgent, the Windows 10 PCs past support need action.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { docs, launchBrowser, login, startMamori } from "./helpers.mjs";

const fixtures = resolve(import.meta.dirname, "..", "..", "crates", "mamori-reports", "tests", "fixtures");

let server;
let browser;

before(async () => {
  server = await startMamori();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("importing a ledger shows a preview, stores it on confirmation, and flags the devices", async () => {
  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  await login(page, server.base, "demo-hospital");
  const institution = new URL(page.url()).pathname;
  await page.getByRole("link", { name: "機器台帳を開く" }).click();
  await page.waitForURL(`**${institution}/ledger`);

  // A file with duplicate asset numbers is refused as a whole, row by row.
  await page.getByRole("link", { name: "Excel・CSVから取り込む" }).click();
  await page.getByLabel("ファイル").setInputFiles(join(fixtures, "duplicate_asset_numbers.csv"));
  await page.getByRole("button", { name: "内容を確認する" }).click();
  await page.getByText("取り込めない行があるため").waitFor();
  assert.equal(await page.getByRole("button", { name: "この内容で取り込む" }).count(), 0);

  // The Shift_JIS ledger with shuffled headers: 1 new device, 3 replaced.
  await page.getByLabel("ファイル").setInputFiles(join(fixtures, "shift_jis_shuffled.csv"));
  await page.getByRole("button", { name: "内容を確認する" }).click();
  const preview = page.locator(".import-preview");
  await preview.getByText("追加 1").waitFor();
  await preview.getByText("変更 3").waitFor();
  await page.screenshot({ path: `${docs}/ledger-import.png` });
  await page.getByRole("button", { name: "この内容で取り込む" }).click();
  await page.waitForURL(/\/ledger\?imported=1-3$/);
  await page.getByText("取り込みました（追加 1 台・変更 3 台）").waitFor();

  // The flags: the FortiGate from the file (7.0.12, vendor VPN, always on) and the demo's own.
  const vpn = page.locator("tr.device-row", { hasText: "VPN-001" });
  await vpn.locator('li[data-code="known_exploited"]').waitFor();
  const pc = page.locator("tr.device-row", { hasText: "PC-002" });
  assert.equal(await pc.locator('li[data-code="end_of_support"]').count(), 1, "Windows 10 21H2 is past its support");
  const urgent = await page.locator("tr.device-row.worst-high").count();
  assert.ok(urgent >= 2, `devices flagged urgent: ${urgent}`);
  await page.screenshot({ path: `${docs}/ledger.png` });

  // The institution page sums the flags up; the checklist shows the ledger beside 2(1).
  await page.goto(`${server.base}${institution}`);
  const summary = page.locator("#ledger");
  await summary.getByText("台が使用中").waitFor();
  await page.getByRole("link", { name: "チェックリスト", exact: true }).first().click();
  await page.waitForURL(/\/checklist\/\d{4}$/);
  assert.ok((await page.locator(".ledger-evidence").count()) >= 2);
});
