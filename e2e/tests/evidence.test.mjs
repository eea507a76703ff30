// A hospital's security manager attaches the restore test record to 3(2) (backups) as its
// evidence (証跡): a form missing its title is explained at the field; the record is then
// listed beside the item, and the Tokyo inspector finds it on the inspection page and
// downloads it. Screenshots at 1280 px and 390 px.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { docs, launchBrowser, login, startMamori, todayInJapan } from "./helpers.mjs";

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

test("evidence attached to 3(2) is seen beside the item and on the inspector's page", async () => {
  const admin = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(admin, server.base, "demo-hospital");
  await admin.getByRole("link", { name: "チェックリスト", exact: true }).first().click();
  await admin.waitForURL(/\/checklist\/\d{4}$/);
  const checklistUrl = admin.url();
  const card = admin.locator("#item-3-2");
  await card.getByRole("link", { name: "証跡を添付・管理" }).click();
  await admin.waitForURL(/\/items\/3-2\/evidence$/);
  await admin.getByRole("heading", { name: /証跡: 3\(2\)/ }).waitFor();

  // A real PDF, printed by the browser itself.
  const printer = await browser.newPage();
  await printer.setContent("<h1>Restore test record</h1><p>EMR backup restored on a test server.</p>");
  const pdf = await printer.pdf({ format: "A4" });
  await printer.close();

  const form = admin.locator("#attach form");
  const today = todayInJapan();
  await form.getByLabel("ファイル", { exact: true }).setInputFiles({ name: "復元テスト記録.pdf", mimeType: "application/pdf", buffer: pdf });
  await form.getByLabel("責任者").fill("情報システム課 佐藤");
  await form.getByLabel("作成日").fill(today);
  await form.getByRole("button", { name: "添付する" }).click();
  // Refused: the title is missing; said at the field, what was typed kept.
  await admin.getByText("証跡の名称を入力してください").waitFor();
  assert.equal(await admin.locator("#attach #owner").inputValue(), "情報システム課 佐藤");

  const again = admin.locator("#attach form");
  await again.getByLabel("ファイル", { exact: true }).setInputFiles({ name: "復元テスト記録.pdf", mimeType: "application/pdf", buffer: pdf });
  await again.getByLabel("名称").fill("電子カルテ バックアップ復元テスト記録");
  await again.getByLabel("作成日").fill(today);
  const nextYear = `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`;
  await again.getByLabel(/^有効期限/).fill(nextYear);
  await again.getByRole("button", { name: "添付する" }).click();
  await admin.getByText("証跡を添付しました。").waitFor();
  const attached = admin.locator("article.evidence-card");
  assert.equal(await attached.count(), 1);
  assert.match(await attached.innerText(), /情報システム課 佐藤/);
  assert.match(await attached.innerText(), /令和/, "dates as clerks write them");
  await admin.screenshot({ path: `${docs}/evidence.png`, fullPage: true });

  // Beside the item on the checklist.
  await admin.goto(checklistUrl);
  await admin.locator("#item-3-2").getByRole("link", { name: "電子カルテ バックアップ復元テスト記録" }).waitFor();

  // The same page on a phone: nothing wider than the screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const small = await phone.newPage();
  await login(small, server.base, "demo-hospital");
  await small.goto(admin.url().replace(/\/checklist\/(\d{4}).*$/, "/checklist/$1/items/3-2/evidence"));
  await small.getByText("電子カルテ バックアップ復元テスト記録").first().waitFor();
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the evidence page fits 390 px (${overflow} px over)`);
  await small.screenshot({ path: `${docs}/evidence-390.png`, fullPage: true });
  await phone.close();

  // The Tokyo inspector sees it beside the verdict, read only, and downloads it.
  const inspectorContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const inspector = await inspectorContext.newPage();
  await login(inspector, server.base, "demo-inspector-13");
  await inspector.goto(checklistUrl.replace("/checklist/", "/inspection/"));
  const panel = inspector.locator("#evidence");
  await panel.getByText("3(2)").waitFor();
  const [download] = await Promise.all([
    inspector.waitForEvent("download"),
    panel.getByRole("link", { name: "電子カルテ バックアップ復元テスト記録" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "復元テスト記録.pdf");
  const path = await download.path();
  const { readFile } = await import("node:fs/promises");
  const bytes = await readFile(path);
  assert.equal(bytes.subarray(0, 5).toString(), "%PDF-");
  // Read only: no form to attach or remove.
  await inspector.goto(admin.url().replace(/\/checklist\/(\d{4}).*$/, "/checklist/$1/items/3-2/evidence"));
  await inspector.getByText("電子カルテ バックアップ復元テスト記録").first().waitFor();
  assert.equal(await inspector.locator("#attach").count(), 0);
  assert.equal(await inspector.getByRole("button", { name: "この証跡を外す" }).count(), 0);
  await inspectorContext.close();
});
