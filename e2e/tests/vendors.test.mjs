// The hospital's administrator invites a vendor; the vendor accepts the link, answers its
// 事業者確認用; the hospital sees every form side by side with who covers each item, and prints
// its contact chart (連絡体制図) on one A4 page.
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

test("invite a vendor, the vendor fills its form, the hospital sees coverage and prints the chart", async () => {
  const admin = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(admin, server.base, "demo-hospital");
  const institution = new URL(admin.url()).pathname;
  await admin.getByRole("link", { name: "事業者との契約" }).first().click();
  await admin.waitForURL(/\/vendors$/);
  await admin.getByLabel("事業者名").fill("北斗画像システム株式会社");
  await admin.getByLabel(/^システム/).fill("PACS");
  await admin.getByLabel("リモートメンテナンス（保守）を行う").check();
  await admin.getByLabel("招待先メールアドレス").fill("support@hokuto.example.jp");
  await admin.getByRole("button", { name: "登録して招待リンクを作成" }).click();
  const link = (await admin.locator("#invitation-url").innerText()).trim();
  assert.match(link, /\/invitations\/[0-9a-f]{64}$/);

  // The vendor opens the link in its own browser and chooses a login.
  const vendorContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const vendor = await vendorContext.newPage();
  await vendor.goto(link);
  await vendor.getByText("北斗画像システム株式会社").waitFor();
  await vendor.getByLabel("ログインID").fill("hokuto");
  await vendor.getByLabel("パスワード").fill("northern lights over the harbour");
  await vendor.getByRole("button", { name: "招待を受ける" }).click();
  await vendor.getByText("招待を受け付けました").waitFor();
  // The link works once.
  await vendor.goto(link);
  await vendor.getByText("既に使われています").waitFor();

  await vendor.goto(`${server.base}/login?next=/vendor`);
  await vendor.getByLabel("ログインID").fill("hokuto");
  await vendor.getByLabel("パスワード").fill("northern lights over the harbour");
  await Promise.all([vendor.waitForURL(/\/vendor$/), vendor.getByRole("button", { name: "ログイン" }).click()]);
  assert.equal(await vendor.getByRole("row").filter({ hasText: "みなと中央病院" }).count(), 1);
  await vendor.getByRole("link", { name: "事業者確認用を開く" }).click();
  await vendor.waitForURL(/\/vendor\/contracts\/\d+\/\d{4}$/);
  const today = todayInJapan();
  const rows = vendor.locator("tr[data-key]");
  const count = await rows.count();
  assert.ok(count > 5, `the form has its items (${count})`);
  for (let n = 0; n < 3; n++) {
    const row = vendor.locator("tr[data-key]").nth(n);
    const key = await row.getAttribute("data-key");
    await row.getByLabel("確認日").fill(today);
    await Promise.all([vendor.waitForURL(new RegExp(`#item-${key}$`)), row.getByRole("button", { name: "保存" }).click()]);
    assert.match(await vendor.locator(`tr[data-key="${key}"]`).innerText(), new RegExp(today));
  }
  await vendor.screenshot({ path: `${docs}/vendor-form.png` });
  await vendorContext.close();

  // The hospital sees its form and each vendor's side by side.
  await admin.goto(`${server.base}${institution}`);
  await admin.getByRole("link", { name: "回答の分担（事業者）" }).first().click();
  await admin.waitForURL(/\/coverage\/\d{4}$/);
  const head = await admin.locator("table.coverage thead").innerText();
  for (const name of ["医療機関確認用", "東和メディカルシステム株式会社", "北斗画像システム株式会社"]) {
    assert.ok(head.includes(name), `${name} in ${head}`);
  }
  assert.ok((await admin.locator("table.coverage tr.uncovered").count()) > 0, "items nobody covers are highlighted");
  await admin.screenshot({ path: `${docs}/coverage.png` });

  // The contact chart, printed on one A4 page.
  await admin.goto(`${server.base}${institution}/contact-chart`);
  await admin.getByRole("link", { name: "A4で印刷" }).click();
  await admin.waitForURL(/\/contact-chart\/print$/);
  const sheet = admin.locator("img.chart-sheet");
  await sheet.waitFor();
  assert.ok(await sheet.evaluate((img) => img.complete && img.naturalWidth > 0), "the chart is drawn");
  const chart = await browser.newPage({ viewport: { width: 794, height: 1123 } });
  await chart.context().addCookies(await admin.context().cookies());
  const svg = await chart.goto(`${server.base}${institution}/contact-chart.svg`);
  assert.match(svg.headers()["content-type"], /^image\/svg\+xml/);
  await chart.screenshot({ path: `${docs}/contact-chart.png` });
  const pdf = await admin.pdf({ format: "A4", printBackground: true });
  const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
  assert.equal(pages, 1, "the chart prints on one A4 page");
});
