// A hospital's security manager fills in the open items of her checklist in a real browser,
// sees what is missing for the inspection shrink, and the Tokyo inspector records the contact
// chart as seen: the verdict turns to ready.
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

test("filling three items and recording the contact chart makes the institution ready", async () => {
  const hospital = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(hospital, server.base, "demo-hospital");
  assert.match(new URL(hospital.url()).pathname, /^\/institutions\/\d+$/);
  await hospital.getByRole("link", { name: "チェックリスト", exact: true }).first().click();
  await hospital.waitForURL(/\/checklist\/\d{4}$/);
  const checklistUrl = hospital.url();
  const year = checklistUrl.match(/(\d{4})$/)[1];
  await hospital.screenshot({ path: `${docs}/checklist.png` });

  const summary = hospital.locator("#summary");
  await assert.doesNotReject(summary.getByText("次の点が不足しています (4)").waitFor());

  const open = hospital.locator("article.item.missing");
  assert.equal(await open.count(), 3, "the demo leaves three items open");
  const today = todayInJapan();
  for (let n = 0; n < 3; n++) {
    const card = hospital.locator("article.item.missing").first();
    const id = await card.getAttribute("id");
    const round1 = card.locator(".round").first();
    await round1.getByLabel("はい").check();
    await round1.getByLabel("確認日").fill(today);
    await round1.getByRole("button", { name: "保存" }).click();
    const saved = hospital.locator(`#${id}`);
    await saved.getByText("保存しました").waitFor();
    assert.equal(await saved.evaluate((el) => el.classList.contains("missing")), false);
  }
  // The summary is refreshed in place after each save.
  await summary.getByText("次の点が不足しています (1)").waitFor();
  assert.match(await summary.innerText(), /連絡体制図/);

  // A refused answer is explained in place: a target date on はい.
  const first = hospital.locator("article.item").first();
  const round1 = first.locator(".round").first();
  await round1.getByLabel("はい").check();
  await round1.getByLabel("目標日").fill(today);
  await round1.getByRole("button", { name: "保存" }).click();
  await first.getByText("目標日は「いいえ」の場合にのみ記入します").waitFor();

  await hospital.goto(`${server.base}${new URL(checklistUrl).pathname.replace("/checklist/", "/inspection/")}`);
  assert.equal(await hospital.locator("[data-verdict]").getAttribute("data-verdict"), "not-ready");

  // The Tokyo inspector records that the contact chart was seen on site.
  const inspectorContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const inspector = await inspectorContext.newPage();
  await login(inspector, server.base, "demo-inspector-13");
  // The inspector lands on the prefecture's figures and search, and opens the hospital there.
  assert.equal(new URL(inspector.url()).pathname, "/oversight");
  await inspector.getByRole("link", { name: "みなと中央病院" }).click();
  await inspector.waitForURL(new RegExp(`/inspection/${year}$`));
  assert.equal(await inspector.locator("[data-verdict]").getAttribute("data-verdict"), "not-ready");
  await inspector.getByLabel("確認した").check();
  await inspector.getByRole("button", { name: "記録する" }).click();
  await inspector.locator('[data-verdict="ready"]').waitFor();
  await inspector.screenshot({ path: `${docs}/inspection.png`, fullPage: true });

  // The institution sees the same verdict.
  await hospital.reload();
  assert.equal(await hospital.locator("[data-verdict]").getAttribute("data-verdict"), "ready");
  await inspectorContext.close();
});

test("an inspector of another prefecture gets 404 for the hospital", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await login(page, server.base, "demo-inspector-46");
  const response = await page.goto(`${server.base}/institutions/1`);
  assert.equal(response.status(), 404);
  await page.getByText("見つかりません").waitFor();
  await context.close();
});

test("every page has an English switch", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await login(page, server.base, "demo-pharmacy");
  await page.getByRole("link", { name: "English" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  await page.getByRole("link", { name: "Checklist" }).first().click();
  await page.getByText("Form for pharmacies").first().waitFor();
  await context.close();
});
