// The security-assurance project (確保事業) in a real browser: a Tokyo hospital answers the
// prefecture's survey, the Tokyo officer drags it to the top of the ranking, saves, sees the
// selection and exports 別紙1; the national office opens a new year with the quotas read from
// a 別紙2 file; the Tokyo officer imports a ranking from a spreadsheet after a preview.
import assert from "node:assert/strict";
import { statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

test("a hospital answers the survey; the prefecture ranks it first and exports 別紙1", async () => {
  const hospital = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await login(hospital, server.base, "demo-hospital");
  await hospital.getByRole("link", { name: "確保事業", exact: true }).click();
  await hospital.waitForURL(/\/assurance\/\d{4}\/institutions\/\d+$/);
  await hospital.getByText("まだ回答していません").waitFor();
  await hospital.getByLabel("一部導入している", { exact: false }).check();
  await hospital.getByLabel("病床数（許可病床数）").fill("250");
  await hospital.getByLabel("(1)(2)の両方を希望する").check();
  await hospital.locator('input[name="gmis_reuse_consent"][value="yes"]').check();
  await hospital.locator('input[name="renewal_planned"][value="no"]').check();
  await hospital.getByLabel("担当者名").fill("情報システム課 山田");
  await hospital.getByLabel("電話番号").fill("03-1234-5678");
  await hospital.getByLabel("メールアドレス").fill("it@minato.example.jp");
  await hospital.getByRole("button", { name: "回答を送信" }).click();
  await hospital.getByText("回答を保存しました。").waitFor();
  await hospital.locator(".tag.ok", { hasText: "対象" }).first().waitFor();

  const officer = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  await login(officer, server.base, "demo-prefecture-13");
  await officer.waitForURL(/\/assurance\/\d{4}\/prefectures\/13$/);
  const listUrl = officer.url();
  // The new applicant is not ranked yet: the selection asks for a full ranking.
  await officer.getByText("希望したすべての病院に順位を付けてください", { exact: false }).waitFor();
  const rows = officer.locator("tbody[data-rank-list] tr");
  assert.equal(await rows.count(), 7);
  const minato = rows.filter({ hasText: "みなと中央病院" });
  assert.equal(await minato.locator("input[data-rank]").inputValue(), "7");
  // Drag it above the first row: the ranks are renumbered 1..n.
  // (Headless Chromium does not turn mouse moves into HTML drag events: the events are sent
  // as a browser would send them.)
  const first = rows.first();
  const box = await first.boundingBox();
  const transfer = await officer.evaluateHandle(() => new DataTransfer());
  await minato.dispatchEvent("dragstart", { dataTransfer: transfer });
  await first.dispatchEvent("dragover", { dataTransfer: transfer, clientX: box.x + 10, clientY: box.y + 2 });
  await minato.dispatchEvent("drop", { dataTransfer: transfer });
  await minato.dispatchEvent("dragend", { dataTransfer: transfer });
  assert.equal(await rows.first().locator("input[data-rank]").inputValue(), "1");
  assert.match(await rows.first().innerText(), /みなと中央病院/);
  const ranks = await officer.locator("input[data-rank]").evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(ranks, ["1", "2", "3", "4", "5", "6", "7"]);
  await officer.locator('select[name^="reason_"]').first().selectOption("regional_emergency_role");
  await officer.getByRole("button", { name: "順位を保存して選定" }).click();
  await officer.getByText("順位を保存し、選定をやり直しました。").waitFor();
  const top = officer.locator("tbody[data-rank-list] tr").first();
  assert.match(await top.innerText(), /みなと中央病院[\s\S]*支援対象/);
  await officer.locator("tbody[data-rank-list] .tag.warn", { hasText: "次点" }).first().waitFor();
  await officer.screenshot({ path: `${docs}/assurance.png`, fullPage: true });

  const [download] = await Promise.all([officer.waitForEvent("download"), officer.getByRole("link", { name: "別紙1（Excel）を出力" }).click()]);
  assert.match(download.suggestedFilename(), /^betsushi1_\d{4}_13\.xlsx$/);
  const saved = join(tmpdir(), `mamori-e2e-${process.pid}.xlsx`);
  await download.saveAs(saved);
  assert.ok(statSync(saved).size > 2000, "the list is a real workbook");
  assert.equal(new URL(officer.url()).pathname, new URL(listUrl).pathname);
});

test("the national office opens a new year with its quotas read from a 別紙2 file", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  await login(page, server.base, "demo-national");
  await page.goto(`${server.base}/assurance/new`);
  await page.getByRole("heading", { name: "確保事業の年度を開始" }).waitFor();
  const year = Number(await page.getByLabel("事業年度（西暦）").inputValue());
  assert.ok(year >= 2025, `a default year is offered: ${year}`);
  await page.getByLabel("回答期限").fill(`${year}-06-30`);
  const quotas = join(tmpdir(), `mamori-e2e-quotas-${process.pid}.csv`);
  writeFileSync(quotas, "都道府県,20〜199床,200〜399床,400床以上\n東京都,40,12,5\n大阪府,30,9,4\n鹿児島県,20,5,2\n");
  await page.getByLabel("別紙2のファイル").setInputFiles(quotas);
  await page.getByRole("button", { name: "ファイルを読み込む" }).click();
  await page.getByText("ファイルを読み込みました", { exact: false }).waitFor();
  assert.equal(await page.locator('input[name="q_13_0"]').inputValue(), "40");
  assert.equal(await page.locator('input[name="q_27_2"]').inputValue(), "4");
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${docs}/assurance-open.png`, fullPage: false });
  // A mistake typed into the table is named by prefecture and band, and nothing is stored.
  await page.locator('input[name="q_46_1"]').fill("五");
  await page.getByRole("button", { name: "この内容で開始する" }).click();
  await page.getByText("鹿児島県（46）の「200〜399床」", { exact: false }).waitFor();
  assert.equal(await page.locator('input[name="q_46_1"]').getAttribute("aria-invalid"), "true");
  await page.locator('input[name="q_46_1"]').fill("5");
  await page.getByRole("button", { name: "この内容で開始する" }).click();
  await page.waitForURL(new RegExp(`/assurance/${year}\\?done=as-opened$`));
  await page.getByText("確保事業の年度を開始しました", { exact: false }).waitFor();
  const tokyo = page.locator("tbody tr", { hasText: "東京都" }).first();
  assert.match(await tokyo.innerText(), /40 \/ 12 \/ 5/);
  await page.screenshot({ path: `${docs}/assurance-overview.png`, fullPage: false });
});

test("the prefecture imports its ranking from a spreadsheet after a preview", async () => {
  const officer = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  await login(officer, server.base, "demo-prefecture-13");
  // The demo's programme is the current fiscal year's (the test above opened a later one).
  const [y, m] = todayInJapan().split("-").map(Number);
  await officer.goto(`${server.base}/assurance/${m >= 4 ? y : y - 1}/prefectures/13`);
  const ids = await officer.locator("tbody[data-rank-list] tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-application")));
  assert.ok(ids.length >= 2, "the demo has applicants");
  // The current order reversed, the new first with a reason; one bad file first.
  const reversed = [...ids].reverse();
  const file = join(tmpdir(), `mamori-e2e-ranking-${process.pid}.csv`);
  writeFileSync(file, `申請ID,順位\n${reversed[0]},1\n${reversed[1]},1\n`);
  await officer.getByLabel("順位のファイル").setInputFiles(file);
  await officer.getByRole("button", { name: "内容を確認" }).click();
  await officer.getByText("ファイルに問題があります", { exact: false }).waitFor();
  await officer.locator("#problems td", { hasText: "順位 1 が重複しています" }).waitFor();
  const lines = reversed.map((id, i) => `${id},${i + 1},${i === 0 ? "地域の救急等の主要な診療機能" : ""}`);
  writeFileSync(file, `申請ID,順位,順位指定の理由\n${lines.join("\n")}\n`);
  await officer.goto(officer.url().replace(/\/ranking\/upload$/, ""));
  await officer.getByLabel("順位のファイル").setInputFiles(file);
  await officer.getByRole("button", { name: "内容を確認" }).click();
  await officer.getByRole("heading", { name: "取り込む順位の確認" }).waitFor();
  const preview = officer.locator("#preview tbody tr");
  assert.equal(await preview.count(), ids.length);
  assert.match(await preview.first().innerText(), /地域の救急医療等の主要な役割/);
  await officer.screenshot({ path: `${docs}/assurance-ranking-import.png`, fullPage: false });
  await officer.getByRole("button", { name: "この順位を適用して選定" }).click();
  await officer.getByText("順位を保存し、選定をやり直しました。").waitFor();
  const first = officer.locator("tbody[data-rank-list] tr").first();
  assert.equal(await first.getAttribute("data-application"), reversed[0]);
  assert.equal(await first.locator("input[data-rank]").inputValue(), "1");
  assert.equal(await first.locator('select[name^="reason_"]').inputValue(), "regional_emergency_role");
});

test("the officer asks the hospitals that have not answered, once they tick that it cannot be undone", async () => {
  const officer = await browser.newPage({ viewport: { width: 390, height: 900 } });
  await login(officer, server.base, "demo-prefecture-13");
  await officer.waitForURL(/\/assurance\/\d{4}\/prefectures\/13$/);
  const section = officer.locator("#non-responders");
  const send = section.getByRole("button", { name: "未回答の病院に回答のお願いを送る" });
  // Without the tick nothing is sent, and the box says why.
  await send.click();
  await officer.waitForURL(/confirm=missing/);
  await section.getByText("まだ何も送っていません", { exact: false }).waitFor();
  assert.equal(await section.getByText("まだ送っていません", { exact: true }).count() > 0, true);
  await officer.screenshot({ path: join(tmpdir(), "mamori-reminder-unconfirmed-390.png"), fullPage: false });
  await officer.setViewportSize({ width: 1280, height: 900 });
  await officer.screenshot({ path: join(tmpdir(), "mamori-reminder-unconfirmed-1280.png"), fullPage: false });
  await section.getByLabel("送ったものは取り消せません", { exact: false }).check();
  await send.click();
  await officer.getByText("回答のお願いを送りました", { exact: false }).waitFor();
  assert.equal(await section.getByText("まだ送っていません", { exact: true }).count(), 0);
});
