// Oversight in a real browser: a Tokyo inspector finds a hospital by part of its name in
// katakana and exports the result; the national office's tile map of the prefectures leads
// to Tokyo's figures. Screenshots of both at 1280 px and 390 px for the docs.
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

test("an inspector finds a hospital by part of its name in katakana", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  await login(page, server.base, "demo-inspector-13");
  assert.equal(new URL(page.url()).pathname, "/oversight");
  await page.getByRole("heading", { name: "状況別の施設数" }).waitFor();
  // No map of the country for one prefecture.
  assert.equal(await page.locator(".tile-map").count(), 0);
  await page.getByLabel("施設名・市区町村・コード").fill("ミナト");
  await page.getByRole("button", { name: "検索" }).click();
  await page.waitForURL(/q=/);
  const rows = page.locator("#results tbody tr");
  assert.equal(await rows.count(), 1);
  await rows.first().getByRole("link", { name: "みなと中央病院" }).waitFor();
  await page.getByText("該当: 1").waitFor();
  await page.screenshot({ path: `${docs}/oversight-prefecture.png`, fullPage: true });

  // The result as a workbook, saved as the browser saves it.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "検索結果を Excel（.xlsx）でダウンロード", exact: true }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^institutions-\d{4}-13\.xlsx$/);
  // And the prefecture's figures, for publication.
  const [figures] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "集計を Excel（.xlsx）でダウンロード", exact: true }).click(),
  ]);
  assert.match(figures.suggestedFilename(), /^institutions-\d{4}-13-figures\.xlsx$/);

  // A count is a link to the institutions it counts.
  await page.goto(`${server.base}/oversight`);
  await page.locator("ul.state-cards li.overdue a").click();
  await page.waitForURL(/overdue=1/);
  assert.equal(await page.getByLabel("目標日を超過した施設のみ").isChecked(), true);
  await context.close();
});

test("the national map leads to a prefecture's figures", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await login(page, server.base, "demo-national");
  assert.equal(new URL(page.url()).pathname, "/oversight");
  const tiles = page.locator(".tile-map a.tile");
  assert.equal(await tiles.count(), 47);
  // The same figures stand in a table beside the map.
  await page.getByRole("table", { name: "都道府県ごと" }).waitFor();
  await page.screenshot({ path: `${docs}/oversight-national.png`, fullPage: true });
  await page.locator(".tile-map a.tile", { hasText: "東京都" }).click();
  await page.waitForURL(/prefecture=13/);
  await page.getByText("13 東京都").first().waitFor();
  assert.equal(await page.locator(".tile-map").count(), 0);

  // On a phone the map and the table stack, and nothing runs off the side.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const small = await phone.newPage();
  await login(small, server.base, "demo-national");
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than the phone`);
  await small.screenshot({ path: `${docs}/oversight-national-390.png`, fullPage: true });
  await phone.close();
  await context.close();
});
