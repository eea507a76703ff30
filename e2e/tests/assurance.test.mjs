// The security-assurance project (確保事業) in a real browser: a Tokyo hospital answers the
// prefecture's survey, the Tokyo officer drags it to the top of the ranking, saves, sees the
// selection and exports 別紙1.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
