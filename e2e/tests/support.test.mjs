// Anyone browses the support menu without logging in and estimates Tokyo's equipment
// subsidy for a 350-bed hospital; the demo hospital sees which programmes fit its gaps.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { docs, launchBrowser, login, startMamori } from "./helpers.mjs";

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

test("the support menu is public and a subsidy is estimated with its formula", async () => {
  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  await page.goto(`${server.base}/support`);
  await page.getByRole("heading", { name: "サイバーセキュリティ対策の支援メニュー" }).waitFor();
  for (const phase of ["知る", "育てる", "確認する"]) {
    await page.getByRole("heading", { name: phase, exact: true }).waitFor();
  }
  const assurance = page.locator("#program-mhlw-security-assurance");
  await assurance.getByText("受付終了").waitFor();
  await page.screenshot({ path: `${docs}/support.png` });

  // Filter by provider with the plain form (no JavaScript needed).
  await page.getByLabel("実施主体").selectOption("police");
  await page.getByRole("button", { name: "表示" }).click();
  await page.waitForURL(/provider=police/);
  assert.equal(await page.locator(".support-card").count(), 1);
  await page.getByText("サイバーセキュリティ対策セミナー（警視庁）").waitFor();

  // The equipment subsidy: a 350-bed hospital planning 30,000,000 yen.
  await page.goto(`${server.base}/support`);
  await page.locator("#program-tokyo-cybersecurity-equipment").getByRole("link", { name: "補助額を概算する" }).click();
  await page.waitForURL(/\/support\/programs\/tokyo-cybersecurity-equipment/);
  await page.getByLabel("施設種別").selectOption("hospital");
  await page.getByLabel("病床数").fill("350");
  await page.getByLabel("対象経費（円）").fill("30,000,000");
  await page.getByRole("button", { name: "概算する" }).click();
  await page.locator("#estimate-amount").waitFor();
  assert.equal(await page.locator("#estimate-amount").textContent(), "6,250,000円");
  const result = page.locator("#estimate-result");
  await result.getByText("千円未満切り捨て", { exact: false }).first().waitFor();
  const formula = await result.locator(".formula").textContent();
  assert.match(formula, /min\(基準額 12,500,000円, 対象経費 30,000,000円\) × 1\/2/);
  await page.screenshot({ path: `${docs}/support-estimate.png`, fullPage: true });

  // Beds that do not fit the kind (a clinic without beds with 5): a clear message, no estimate.
  await page.getByLabel("施設種別").selectOption("clinic_without_beds");
  await page.getByLabel("病床数").fill("5");
  await page.getByRole("button", { name: "概算する" }).click();
  await page.locator("#estimate-error").waitFor();
  assert.match(await page.locator("#estimate-error").textContent(), /無床診療所/);
  assert.equal(await page.locator("#estimate-amount").count(), 0);

  // English is one click away.
  await page.getByRole("link", { name: "English" }).click();
  await page.getByRole("heading", { name: "Estimate the subsidy" }).waitFor();
  await page.close();
});

test("the demo hospital sees the programmes that answer its gaps", async () => {
  const page = await browser.newPage({ viewport: { width: 1360, height: 1100 } });
  await login(page, server.base, "demo-hospital");
  const section = page.locator("#suggestions");
  await section.locator('[data-gap="no_offline_backup"]').getByText("PACS", { exact: false }).waitFor();
  await section.locator('[data-gap="vpn_device_flagged"]').getByRole("link", { name: /VPN装置等のネットワーク機器/ }).waitFor();
  await section.scrollIntoViewIfNeeded();
  await section.screenshot({ path: `${docs}/support-suggestions.png` });
  await section.locator('[data-gap="no_offline_backup"]').getByRole("link", { name: "概算" }).first().click();
  await page.waitForURL(/\/support\/programs\/tokyo-cybersecurity-equipment#estimate/);
  // The estimator starts from the hospital's own kind and beds.
  assert.equal(await page.getByLabel("病床数").inputValue(), "250");
  await page.close();
});
