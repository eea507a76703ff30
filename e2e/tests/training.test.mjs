// Training (研修) in a real browser: the demo's beginners' workshop has one seat left. The
// hospital takes it, the clinic joins the waitlist, the hospital cancels and the clinic moves
// up; the operator sees the list; a 480-bed hospital's record shows the yearly training done.
import assert from "node:assert/strict";
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

const WORKSHOP = "初学者等向け研修（ワークショップ）";

test("register for a full session, wait, and move up after a cancellation", async () => {
  const hospital = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  await login(hospital, server.base, "demo-hospital");
  await hospital.getByRole("link", { name: "研修", exact: true }).click();
  await hospital.waitForURL(/\/training$/);
  const card = hospital.locator("section.training-session", { hasText: WORKSHOP });
  assert.equal(await card.getAttribute("data-availability"), "open");
  assert.match(await card.innerText(), /残り 1席/);
  // The last seat.
  await card.getByLabel("受講者名").fill("佐藤 一郎");
  await card.getByRole("button", { name: "申し込む" }).click();
  await hospital.getByText("申し込みました。席が確保されています。").waitFor();
  const full = hospital.locator("section.training-session", { hasText: WORKSHOP });
  assert.equal(await full.getAttribute("data-availability"), "waitlist_only");
  await full.locator('li[data-status="registered"]', { hasText: "佐藤 一郎" }).waitFor();

  // The clinic finds the session full and joins the waitlist.
  const clinic = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  await login(clinic, server.base, "demo-clinic");
  await clinic.goto(`${server.base}/training`);
  const clinicCard = clinic.locator("section.training-session", { hasText: WORKSHOP });
  await clinicCard.getByText("満席・キャンセル待ち受付中").waitFor();
  await clinicCard.getByLabel("受講者名").fill("鈴木 花子");
  await clinicCard.getByRole("button", { name: "キャンセル待ちで申し込む" }).click();
  await clinic.getByText("キャンセル待ちで申し込みました", { exact: false }).waitFor();
  const waiting = clinic.locator("section.training-session", { hasText: WORKSHOP }).locator('li[data-status="waitlisted"]');
  await waiting.waitFor();
  assert.match(await waiting.innerText(), /鈴木 花子[\s\S]*キャンセル待ち（1番目）/);
  // The same person again is refused with the reason, nothing added.
  const again = clinic.locator("section.training-session", { hasText: WORKSHOP });
  await again.getByLabel("受講者名").fill("鈴木　花子");
  await again.getByRole("button", { name: "キャンセル待ちで申し込む" }).click();
  await clinic.getByText("この受講者は同じ回に既に申し込まれています", { exact: false }).waitFor();
  await clinic.goto(`${server.base}/training`);
  await clinic.locator("section.training-session", { hasText: WORKSHOP }).scrollIntoViewIfNeeded();
  await clinic.screenshot({ path: join(docs, "training.png"), fullPage: true });

  // The hospital gives its seat back.
  await hospital.goto(`${server.base}/training`);
  const mine = hospital.locator("section.training-session", { hasText: WORKSHOP }).locator("li", { hasText: "佐藤 一郎" });
  await mine.getByRole("button", { name: "取り消す" }).click();
  await hospital.getByText("申込みを取り消しました。").waitFor();

  // The clinic has moved up.
  await clinic.reload();
  const moved = clinic.locator("section.training-session", { hasText: WORKSHOP }).locator("li", { hasText: "鈴木 花子" });
  assert.equal(await moved.getAttribute("data-status"), "registered");
  assert.match(await moved.innerText(), /申込み済み/);

  // English on request.
  await clinic.getByRole("link", { name: "English" }).click();
  await clinic.getByRole("heading", { name: "Training", exact: true }).waitFor();

  // The operator sees the session's places in order, with the clinic holding a seat.
  const operator = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await login(operator, server.base, "demo-operator");
  await operator.goto(`${server.base}/training/manage`);
  await operator.getByRole("link", { name: WORKSHOP }).click();
  const rows = operator.locator("tbody tr[data-place]");
  await rows.first().waitFor();
  const statuses = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.status));
  assert.deepEqual(statuses, ["registered", "registered", "cancelled", "registered"]);
  await operator.screenshot({ path: join(docs, "training-operator.png"), fullPage: true });

  // The operator edits the session: a capacity below the seats taken is refused at the field.
  await operator.goto(`${server.base}/training/manage`);
  await operator.locator("tr[data-session]", { hasText: WORKSHOP }).getByRole("link", { name: "変更・中止" }).click();
  await operator.waitForURL(/\/training\/sessions\/\d+\/edit$/);
  await operator.getByLabel("定員").fill("1");
  await operator.getByRole("button", { name: "変更を保存" }).click();
  await operator.locator("#capacity-error", { hasText: "定員を1名にはできません。すでに3名が席を確保しています" }).waitFor();
  assert.equal(await operator.getByLabel("定員").getAttribute("aria-invalid"), "true");
  await operator.screenshot({ path: join(docs, "training-session-edit.png"), fullPage: true });
  // Withdrawing asks for the box to be ticked, then keeps the registrations.
  await operator.getByLabel("この回を中止することを確認しました").check();
  await operator.getByRole("button", { name: "この回を中止する" }).click();
  await operator.getByText("開催回を中止しました。", { exact: false }).waitFor();
  const withdrawnRow = operator.locator("tr[data-session]", { hasText: WORKSHOP });
  await withdrawnRow.getByText("中止", { exact: true }).waitFor();
  await operator.screenshot({ path: join(docs, "training-manage.png"), fullPage: true });

  // The registrant sees that the session was withdrawn, its place kept, no form to register.
  await clinic.reload();
  await clinic.locator("section.training-session.withdrawn").getByText("This session has been withdrawn", { exact: false }).waitFor();
  await clinic.getByRole("link", { name: "日本語" }).click();
  const notice = clinic.locator("section.training-session", { hasText: WORKSHOP });
  await notice.getByText("この回は中止になりました", { exact: false }).waitFor();
  assert.equal(await notice.getAttribute("data-availability"), "withdrawn");
  await notice.locator("li", { hasText: "鈴木 花子" }).waitFor();
  assert.equal(await notice.getByRole("button").count(), 0, "neither register nor cancel");
  await notice.scrollIntoViewIfNeeded();
  await clinic.screenshot({ path: join(docs, "training-withdrawn.png"), fullPage: true });
  // Another institution without a place no longer sees it.
  const other = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(other, server.base, "demo-pharmacy");
  await other.goto(`${server.base}/training`);
  assert.equal(await other.locator("section.training-session", { hasText: WORKSHOP }).count(), 0);

  // The national office opens the 480-bed applicant's training record: done this year.
  const national = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(national, server.base, "demo-national");
  await national.goto(`${server.base}/institutions`);
  await national.getByRole("link", { name: "東京湾岸総合病院" }).click();
  await national.getByRole("link", { name: "研修の受講記録" }).first().click();
  await national.waitForURL(/\/training\/\d{4}$/);
  const banner = national.locator("[data-obligation]");
  const state = await banner.getAttribute("data-obligation");
  // The demo's past session is forty days ago: in this fiscal year unless the year began since.
  assert.ok(["met", "not_met"].includes(state), state);
  if (state === "met") await national.getByText("年1回の研修：実施済み").waitFor();
  await national.screenshot({ path: join(docs, "training-record.png"), fullPage: true });
});
