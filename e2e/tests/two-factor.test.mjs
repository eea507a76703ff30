// An inspector who is not a demo account must set up two-factor authentication before
// anything else; the next login asks for the code.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { docs, launchBrowser, startMamori, totp } from "./helpers.mjs";

let server;
let browser;

before(async () => {
  server = await startMamori();
  browser = await launchBrowser();
  server.addUser(["--login", "tanaka-13", "--role", "inspector", "--prefecture", "13"], "a quiet harbour at dawn");
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function passwordStep(page) {
  await page.goto(`${server.base}/login`);
  await page.getByLabel("ログインID").fill("tanaka-13");
  await page.getByLabel("パスワード").fill("a quiet harbour at dawn");
  await page.getByRole("button", { name: "ログイン" }).click();
}

test("an inspector enrols in two-factor authentication and logs in with a code", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  await passwordStep(page);
  await page.waitForURL(/\/account\/two-factor$/);
  await page.getByText("このアカウントは二要素認証の設定が必要です").waitFor();
  // Other pages lead back here until it is done.
  await page.goto(`${server.base}/institutions`);
  await page.waitForURL(/\/account\/two-factor$/);
  assert.equal(await page.locator(".qr svg").count(), 1, "a QR code is shown");
  await page.screenshot({ path: `${docs}/two-factor.png` });
  const secret = (await page.locator("[data-secret]").innerText()).trim();
  await page.getByLabel("確認コード").fill(totp(secret));
  await page.getByRole("button", { name: "有効にする" }).click();
  await page.getByText("二要素認証を有効にしました。").waitFor();
  const codes = await page.locator("ul.codes code").allInnerTexts();
  assert.equal(codes.length, 10, "ten recovery codes are shown once");
  await page.getByRole("link", { name: "続ける" }).click();
  // An inspector lands on the prefecture's figures and search.
  await page.getByRole("heading", { name: "対策状況" }).waitFor();
  await context.close();

  // The next login asks for the second factor; a recovery code works.
  const again = await browser.newContext();
  const second = await again.newPage();
  await passwordStep(second);
  await second.waitForURL(/\/login\/two-factor/);
  await second.getByLabel("確認コード").fill("000000");
  await second.getByRole("button", { name: "ログイン" }).click();
  await second.getByText("二要素認証のコードが正しくないか、既に使われています").waitFor();
  await second.getByLabel("確認コード").fill(codes[0]);
  await second.getByRole("button", { name: "ログイン" }).click();
  await second.getByRole("heading", { name: "対策状況" }).waitFor();
  // The account page lists this session.
  await second.goto(`${server.base}/account`);
  await second.getByText("この端末").waitFor();
  await again.close();
});
