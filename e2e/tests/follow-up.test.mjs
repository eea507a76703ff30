// What follows the inspection, in a real browser: a Tokyo inspector finds a hospital by part
// of its name in katakana, schedules its inspection, records a 指導 on 2(7), prints the
// result notice and notifies it; the hospital sees the 指摘 on its checklist item and files
// its improvement report; the inspector accepts it. Screenshots of the page and the notice
// (1280 px and 390 px) for the docs, and the notice printed to PDF on one A4 page.
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

test("an inspection runs from the schedule to the accepted improvement report", async () => {
  const inspectorContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const inspector = await inspectorContext.newPage();
  await login(inspector, server.base, "demo-inspector-13");
  await inspector.getByLabel("施設名・市区町村・コード").fill("ミナト");
  await inspector.getByRole("button", { name: "検索" }).click();
  await inspector.waitForURL(/q=/);
  await inspector.locator("#results tbody tr").first().getByRole("link", { name: "みなと中央病院" }).click();
  await inspector.getByRole("link", { name: "立入検査の予定と結果" }).click();
  await inspector.getByRole("heading", { name: "立入検査の予定と結果" }).waitFor();
  const followUp = new URL(inspector.url()).pathname;

  // A schedule without inspectors is refused at the field, and what was typed stays.
  const year = Number(followUp.split("/")[4]);
  // Held two days ago: a result is notified once the inspection is held.
  const held = new Date(Date.now() + 9 * 3600 * 1000 - 2 * 86400 * 1000);
  const heldOn = held.toISOString().slice(0, 10);
  const heldLabel = `令和${held.getUTCFullYear() - 2018}年${held.getUTCMonth() + 1}月${held.getUTCDate()}日 10:00`;
  await inspector.getByLabel("実施日").fill(heldOn);
  await inspector.getByLabel("開始時刻（任意）").fill("10:00");
  await inspector.getByRole("button", { name: "予定を登録" }).click();
  await inspector.getByText("検査員の氏名を1人以上入力してください").waitFor();
  assert.equal(await inspector.getByLabel("実施日").inputValue(), heldOn);
  await inspector.getByLabel("検査員", { exact: true }).fill("佐藤 一郎\n鈴木 花子");
  await inspector.getByRole("button", { name: "予定を登録" }).click();
  await inspector.locator("[data-schedule-when]").getByText(heldLabel).waitFor();

  // 指導 on 2(7).
  const passwords = await inspector.locator("#item_key option", { hasText: /^2\(7\)/ }).first().getAttribute("value");
  await inspector.getByLabel("項目", { exact: true }).selectOption(passwords);
  await inspector.getByLabel("指導", { exact: true }).check();
  await inspector.getByLabel("指摘の内容（任意）").fill("保守用端末のパスワードが8文字未満のまま");
  await inspector.getByRole("button", { name: "記録", exact: true }).click();
  const remark = inspector.locator(`#remark-${passwords}`);
  await remark.getByText("記録中（未通知）").waitFor();

  // The notice, as a draft, on one A4 page.
  await inspector.getByRole("link", { name: "結果通知書を印刷" }).click();
  await inspector.getByRole("heading", { name: "立入検査結果通知書" }).waitFor();
  await inspector.locator("[data-draft]").waitFor();
  await inspector.goBack();

  // Notifying cannot be undone: refused until ticked.
  await inspector.getByLabel("総評").fill("概ね適切に対策されている");
  await inspector.getByRole("button", { name: "結果を通知する" }).click();
  await inspector.getByText("通知後は取り消せないことを確認し、チェックを入れてください").waitFor();
  await inspector.getByLabel("通知後は取り消せないことを確認しました").check();
  await inspector.getByRole("button", { name: "結果を通知する" }).click();
  await inspector.getByText("通知済み", { exact: true }).waitFor();
  await inspector.locator("[data-result]").getByText("指導事項あり（改善報告を求めます）").waitFor();

  await inspector.goto(`${server.base}${followUp.replace("/follow-up", "/notice")}`);
  assert.equal(await inspector.locator("[data-draft]").count(), 0);
  await inspector.getByText("東京都知事").waitFor();
  await inspector.screenshot({ path: `${docs}/inspection-notice.png`, fullPage: true });
  await inspector.emulateMedia({ media: "print" });
  const pdf = await inspector.pdf({ format: "A4", preferCSSPageSize: true });
  const pages = pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? [];
  assert.equal(pages.length, 1, "the notice fits on one A4 page");
  await inspector.emulateMedia({ media: "screen" });

  // The hospital sees the 指摘 on its checklist item and reports.
  const hospitalContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const hospital = await hospitalContext.newPage();
  await login(hospital, server.base, "demo-hospital");
  await hospital.goto(`${server.base}/institutions/1/checklist/${year}`);
  const card = hospital.locator(`#item-${passwords}`);
  await card.locator("[data-remark=guidance]").getByText("改善報告待ち").waitFor();
  await card.getByRole("link", { name: "改善報告を提出" }).click();
  const own = hospital.locator(`#remark-${passwords}`);
  await own.getByText("保守用端末のパスワードが8文字未満のまま").waitFor();
  await own.getByLabel("実施した改善の内容").fill("保守用端末のパスワードを13文字以上に変更した");
  await own.getByLabel("改善した日").fill(todayInJapan());
  await own.getByRole("button", { name: "改善報告を提出" }).click();
  await hospital.locator(`#remark-${passwords}[data-progress=reported]`).waitFor();
  await hospital.screenshot({ path: `${docs}/inspection-follow-up-institution.png`, fullPage: true });

  // On a phone the page reads top to bottom, nothing off the side.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const small = await phone.newPage();
  await login(small, server.base, "demo-hospital");
  await small.goto(`${server.base}${followUp}`);
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than the phone`);
  await small.screenshot({ path: `${docs}/inspection-follow-up-390.png`, fullPage: true });
  await phone.close();

  // The inspector accepts it.
  await inspector.goto(`${server.base}${followUp}`);
  await inspector.locator(`#remark-${passwords}`).getByRole("button", { name: "受理する" }).click();
  await inspector.locator(`#remark-${passwords}[data-progress=accepted]`).getByText("改善確認済み").waitFor();
  await inspector.screenshot({ path: `${docs}/inspection-follow-up.png`, fullPage: true });

  // The oversight page lists the inspection, with nothing left open.
  await inspector.goto(`${server.base}/oversight`);
  const listed = inspector.locator("#inspections tbody tr", { hasText: "みなと中央病院" });
  await listed.getByText(heldLabel).waitFor();
  assert.equal((await listed.locator("td.num").textContent()).trim(), "0");
  await inspectorContext.close();
  await hospitalContext.close();
});
