// The hospital's administrator invites a vendor; the vendor accepts the link, answers its
// 事業者確認用; the hospital sees every form side by side with who covers each item, and prints
// its contact chart (連絡体制図) on one A4 page.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { docs, launchBrowser, login, startMamori, todayInJapan, totp } from "./helpers.mjs";

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
  // A vendor's user holds remote access to hospitals: two-factor login comes first.
  await Promise.all([
    vendor.waitForURL(/\/account\/two-factor$/),
    vendor.getByRole("button", { name: "ログイン" }).click(),
  ]);
  await vendor.getByText("このアカウントは二要素認証の設定が必要です").waitFor();
  const secret = (await vendor.locator("[data-secret]").innerText()).trim();
  await vendor.getByLabel("確認コード").fill(totp(secret));
  await vendor.getByRole("button", { name: "有効にする" }).click();
  await vendor.getByText("二要素認証を有効にしました。").waitFor();
  await vendor.goto(`${server.base}/vendor`);
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

test("the vendor delivers its MDS; the hospital edits its backup and BCP records and its contact chart", async () => {
  const today = todayInJapan();
  // The EMR vendor records an SDS with its file on its form.
  const vendorContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const vendor = await vendorContext.newPage();
  await login(vendor, server.base, "demo-vendor");
  await vendor.goto(`${server.base}/vendor`);
  await vendor.getByRole("link", { name: "事業者確認用を開く" }).first().click();
  await vendor.waitForURL(/\/vendor\/contracts\/\d+\/\d{4}$/);
  const deliveries = vendor.locator("#deliveries");
  await deliveries.getByLabel("種類").selectOption("sds");
  await deliveries.getByLabel("提出日").fill(today);
  await deliveries.locator("input[type=file]").setInputFiles({
    name: "SDS_東和メディカルシステム.pdf",
    mimeType: "application/pdf",
    buffer: Buffer.from("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\nxref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n"), // a real one-page PDF
  });
  await Promise.all([vendor.waitForURL(/#deliveries$/), deliveries.getByRole("button", { name: "提出を記録" }).click()]);
  await vendor.locator("#deliveries").getByRole("link", { name: "SDS_東和メディカルシステム.pdf" }).waitFor();
  // A text file is refused with a clear message.
  await vendor.locator("#deliveries input[type=file]").setInputFiles({ name: "memo.txt", mimeType: "text/plain", buffer: Buffer.from("memo") });
  await vendor.locator("#deliveries").getByRole("button", { name: "提出を記録" }).click();
  await vendor.getByText("PDF（.pdf）か Excel（.xlsx）にしてください").waitFor();
  await vendor.locator("#deliveries").scrollIntoViewIfNeeded();
  await vendor.screenshot({ path: `${docs}/mds-sds.png` });
  await vendorContext.close();

  const staff = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await login(staff, server.base, "demo-hospital-staff");
  const institution = new URL(staff.url()).pathname.match(/\/institutions\/\d+/)?.[0] ?? "/institutions/1";
  // The hospital sees the file among its contracts.
  await staff.goto(`${server.base}${institution}/vendors`);
  await staff.getByRole("link", { name: "SDS_東和メディカルシステム.pdf" }).waitFor();

  // Backup and BCP: a refused field is named beside it; then a record is added.
  await staff.goto(`${server.base}${institution}/continuity`);
  await staff.getByRole("link", { name: "記録を編集" }).click();
  await staff.waitForURL(/\/continuity\/edit$/);
  const added = staff.locator("fieldset.backup-block.new");
  await added.getByLabel("電子カルテ", { exact: true }).check();
  await added.getByLabel(/^対象データ/).fill("電子カルテDB（夜間差分）");
  await added.getByLabel("オフライン").check();
  await added.getByLabel("世代数").fill("三");
  await staff.locator("#bcp").getByLabel("状況").selectOption("established");
  await staff.getByRole("button", { name: "保存" }).click();
  await staff.getByText("世代数「三」は1〜999の数字で記入してください").first().waitFor();
  assert.equal(await staff.locator("input[aria-invalid=true]").count() >= 2, true, "the fields are marked");
  await staff.screenshot({ path: `${docs}/continuity-edit.png`, fullPage: true });
  const again = staff.locator("fieldset.backup-block").nth(2);
  await again.getByLabel("世代数").fill("3");
  await again.getByLabel("最終リストア訓練日").fill(today);
  await again.getByLabel("所要時間（分）").fill("90");
  await staff.locator("#bcp").getByLabel(/^策定日/).fill(today);
  await Promise.all([staff.waitForURL(/\/continuity$/), staff.getByRole("button", { name: "保存" }).click()]);
  assert.ok((await staff.locator("table").first().innerText()).includes("電子カルテDB（夜間差分）"));
  assert.ok((await staff.getByText("策定済").count()) > 0);

  // The contact chart: a person is added at the first step, the insurer removed.
  await staff.goto(`${server.base}${institution}/contact-chart/edit`);
  const person = staff.locator("tr#i3");
  await person.getByLabel("システム担当").check();
  await person.getByLabel("氏名・窓口").fill("情報 次郎");
  await person.getByLabel("電話番号").fill("03-1234-5610");
  await person.getByLabel("連絡の順番").fill("1");
  await staff.locator("tr#o3").getByLabel("削除").check();
  await staff.screenshot({ path: `${docs}/contact-chart-edit.png`, fullPage: true });
  await Promise.all([staff.waitForURL(/\/contact-chart$/), staff.getByRole("button", { name: "保存" }).click()]);
  const svg = await staff.request.get(`${server.base}${institution}/contact-chart.svg`);
  const drawing = await svg.text();
  assert.ok(drawing.includes("情報 次郎"), "the drawing follows the editor");
  assert.ok(!drawing.includes("0120-987-654"), "the removed insurer is gone");
});
