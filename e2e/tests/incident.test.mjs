// インシデントかも?: a hospital's staff member presses the button on the page, answers the
// short form, and sees at once whom to call (tel: links) and the first steps; the desk
// (demo-operator) sees the case first in its list and takes it up; the reporter sees the
// new state. Signed out, the button leads to the steps and the public contacts.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { join } from "node:path";
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

test("report a suspected incident, see who to call, the desk takes it up, the reporter sees it", async () => {
  // Signed out: the button shows the first steps and the public contacts.
  const visitor = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await visitor.goto(`${server.base}/login`);
  await visitor.getByRole("link", { name: "インシデントかも？" }).click();
  await visitor.waitForURL(/\/incidents\/new$/);
  await visitor.getByRole("heading", { name: "まずすること", exact: true }).waitFor();
  assert.equal(await visitor.locator('a[href="tel:%239110"]').count(), 1, "the police consultation line");
  await visitor.screenshot({ path: join(docs, "incident-guide.png"), fullPage: true });

  const staffContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const staff = await staffContext.newPage();
  await login(staff, server.base, "demo-hospital-staff");
  await staff.getByRole("link", { name: "インシデントかも？" }).click();
  await staff.waitForURL(/\/incidents\/new$/);
  // Sending without the answers: each missing one is named, nothing is sent.
  await staff.getByLabel("システムにログインできない").check();
  await staff.getByRole("button", { name: "相談を送信する" }).click();
  await staff.getByText("「どのシステムですか」を1つ以上選んでください").waitFor();
  await staff.getByText("「診療に影響がありますか」を選んでください").waitFor();
  assert.ok(await staff.getByLabel("システムにログインできない").isChecked(), "answers are kept");
  await staff.screenshot({ path: join(docs, "incident-form.png"), fullPage: true });

  await staff.getByLabel("脅迫文（身代金の要求）が表示された・印刷された").check();
  await staff.getByLabel("電子カルテ").check();
  await staff.getByLabel("影響がある").check();
  await staff.getByLabel(/詳しい状況/).fill("受付と外来の端末に英語の脅迫文。電子カルテが開けない。");
  await staff.getByLabel(/折り返しの電話番号/).fill("03-1234-5678");
  await staff.getByRole("button", { name: "相談を送信する" }).click();
  await staff.waitForURL(/\/incidents\/\d+\?sent=1$/);
  const caseUrl = staff.url().replace("?sent=1", "");
  await staff.getByText("相談を受け付けました").waitFor();
  await staff.getByText("緊急度: 緊急").waitFor();
  await staff.getByRole("heading", { name: "今すぐ電話する", exact: true }).waitFor();
  const tel = staff.locator(".calls-panel a.tel");
  assert.ok((await tel.count()) >= 3, "phone links from the contact chart and the ministry");
  assert.match(await tel.first().getAttribute("href"), /^tel:\+?[0-9%#]+$/);
  await staff.locator(".first-steps").getByText("ネットワークから切り離す").waitFor();
  await staff.locator(".first-steps").getByText("電源は切らない・再起動しない").waitFor();
  assert.equal((await staff.locator("#case-state").innerText()).trim(), "受付");
  await staff.screenshot({ path: join(docs, "incident-result.png"), fullPage: true });

  // The desk sees the case, most urgent first, and takes it up with a note.
  const deskContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const desk = await deskContext.newPage();
  await login(desk, server.base, "demo-operator");
  await desk.getByRole("link", { name: "相談窓口" }).click();
  await desk.waitForURL(/\/incidents$/);
  const first = desk.locator("table.incidents tbody tr").first();
  assert.match(await first.innerText(), /緊急[\s\S]*受付[\s\S]*みなと中央病院/);
  await desk.screenshot({ path: join(docs, "incident-desk.png"), fullPage: true });
  await first.getByRole("link").click();
  await desk.waitForURL(/\/incidents\/\d+$/);
  assert.equal(desk.url(), caseUrl);
  await desk.getByLabel("新しい状態").selectOption("in_progress");
  await desk.getByRole("button", { name: "変更する" }).click();
  await desk.getByText("対応中", { exact: true }).first().waitFor();
  await desk.getByLabel(/メモを追加/).fill("初動対応支援の技術者が向かいます。LANケーブルは抜いたままにしてください。");
  await desk.getByRole("button", { name: "送信" }).click();
  await desk.getByText("初動対応支援の技術者が向かいます").waitFor();

  // The reporter sees the new state and the desk's note.
  await staff.goto(caseUrl);
  assert.equal((await staff.locator("#case-state").innerText()).trim(), "対応中");
  await staff.getByText("初動対応支援の技術者が向かいます").waitFor();
  // Another institution cannot open the case.
  const clinicContext = await browser.newContext();
  const clinic = await clinicContext.newPage();
  await login(clinic, server.base, "demo-clinic");
  const response = await clinic.goto(caseUrl);
  assert.equal(response.status(), 404);
  // English is one click away.
  await staff.getByRole("link", { name: "English" }).click();
  await staff.getByRole("heading", { name: "Call now", exact: true }).waitFor();
  assert.equal((await staff.locator("#case-state").innerText()).trim(), "In progress");
  await staff.screenshot({ path: join(docs, "incident-case-en.png"), fullPage: true });
});
