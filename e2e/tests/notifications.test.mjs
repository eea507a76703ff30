// お知らせ: the demo hospital's admin finds, in the header, that a target date has passed
// (the server's first scheduler pass tells every date already passed, once), reads it on the
// notifications page, opens the item it is about and the count is gone. At 1280 and 390 px.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { join } from "node:path";
import { docs, launchBrowser, login, startMailServer, startMamori } from "./helpers.mjs";

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

test("an overdue target date reaches the admin, who opens the item from it", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await login(page, server.base, "demo-hospital");
  // The pass runs as the server starts: wait for it rather than for a fixed time.
  const unread = page.locator("header a.notifications-link.has-unread");
  for (let i = 0; i < 20 && (await unread.count()) === 0; i++) {
    await page.waitForTimeout(250);
    await page.reload();
  }
  const countOf = async () => Number((await unread.innerText()).match(/^お知らせ（未読 (\d+) 件）$/)[1]);
  const before = await countOf();
  assert.ok(before >= 1);
  await unread.click();
  await page.waitForURL(/\/notifications$/);
  await page.getByRole("heading", { name: "お知らせ", exact: true }).waitFor();
  const item = page.locator("li.notification.unread", { hasText: "を過ぎました" }).first();
  assert.match(await item.innerText(), /の目標日（令和\d+年（\d+年）\d+月\d+日）を過ぎました/);
  assert.doesNotMatch(await item.innerText(), /\d{4}-\d{2}-\d{2}T|target_overdue/, "no codes or ISO times");
  await page.screenshot({ path: join(docs, "notifications.png"), fullPage: true });

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const small = await phone.newPage();
  await login(small, server.base, "demo-hospital");
  await small.goto(`${server.base}/notifications`);
  await small.locator("li.notification").first().waitFor();
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling at 390 px (${overflow} px)`);
  await small.screenshot({ path: join(docs, "notifications-phone.png"), fullPage: true });
  await phone.close();

  // The calendar feed's address is on the page, and the feed answers without a session.
  const feedUrl = await page.locator("#calendar-url").inputValue();
  assert.match(feedUrl, /\/calendar\/[A-Za-z0-9_-]+\.ics$/);
  const feed = await (await fetch(feedUrl)).text();
  assert.match(feed, /^BEGIN:VCALENDAR/);
  assert.match(feed, /の目標日/);

  // Opening it lands on the item of the checklist and marks it read.
  await item.getByRole("link", { name: "項目を開く" }).click();
  await page.waitForURL(/\/institutions\/1\/checklist\/\d+#item-/);
  const anchor = new URL(page.url()).hash.slice(1);
  assert.equal(await page.locator(`#${anchor}`).count(), 1, "the item is on the page");
  await page.goto(`${server.base}/notifications`);
  if (before > 1) {
    assert.equal(await countOf(), before - 1, "the opened one is read");
  }
  // Everything read at once: the header says お知らせ without a count.
  await page.getByRole("button", { name: "すべて既読にする" }).click();
  await page.waitForURL(/\/notifications$/);
  assert.equal(await page.locator("li.notification.unread").count(), 0);
  assert.equal((await page.locator("header a.notifications-link").innerText()).trim(), "お知らせ");

  // In English.
  await page.getByRole("link", { name: "English" }).click();
  await page.getByRole("heading", { name: "Notifications", exact: true }).waitFor();
  assert.match(await page.locator("li.notification", { hasText: "The target date of" }).first().innerText(), /The target date of .* has passed/);
  await context.close();
});

test("the admin gives a mail address, chooses per kind, and the notifications come by mail", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await login(page, server.base, "demo-hospital");
  await page.goto(`${server.base}/notifications`);
  await page.getByRole("link", { name: "通知の設定（メール）" }).click();
  await page.getByRole("heading", { name: "通知の設定", exact: true }).waitFor();
  // What is not a mailbox is refused beside the field, and nothing is saved.
  await page.getByLabel("メールアドレス").fill("anzen@@example");
  await page.getByRole("button", { name: "保存する" }).click();
  await page.locator("#email-error").waitFor();
  assert.equal(await page.getByLabel("メールアドレス").getAttribute("aria-invalid"), "true");
  await page.getByText("保存していません").waitFor();
  const address = "anzen@minato-chuo.example.jp";
  await page.getByLabel("メールアドレス").fill(address);
  await page.locator("#kind-target_in_30_days").getByLabel("アプリ内のみ").check();
  await page.locator("#kind-target_overdue").getByLabel("1日1回まとめてメール（朝7時）").check();
  await page.getByRole("button", { name: "保存する" }).click();
  await page.getByText("通知の設定を保存しました。").waitFor();
  assert.equal(await page.getByLabel("メールアドレス").inputValue(), address);
  assert.ok(await page.locator("#kind-target_in_30_days").getByLabel("アプリ内のみ").isChecked());
  assert.doesNotMatch(await page.locator("main").innerText(), /target_|mail_now|in_app/, "no codes on the page");
  await page.screenshot({ path: join(docs, "notification-settings.png"), fullPage: true });

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const small = await phone.newPage();
  await login(small, server.base, "demo-hospital");
  await small.goto(`${server.base}/notifications/settings`);
  await small.getByRole("heading", { name: "通知の設定", exact: true }).waitFor();
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling at 390 px (${overflow} px)`);
  await small.screenshot({ path: join(docs, "notification-settings-phone.png"), fullPage: true });
  await phone.close();

  // cron's pass with an SMTP server mails what is waiting (the demo's inspection and the
  // desk's answer, told at once) to the address just given.
  const mail = await startMailServer();
  try {
    const said = server.cli(["notify", "run-once", "--smtp-url", mail.url, "--public-url", server.base]);
    assert.match(said, /お知らせのメール: [1-9]\d* 通送信/);
    const received = mail.messages().filter((m) => m.includes(`To: ${address}`));
    assert.ok(received.length >= 1, "a mail reached the address given on the page");
    assert.match(received[0], /multipart\/alternative/);
  } finally {
    await mail.stop();
  }

  // The national office's list of mails that failed: none here.
  const national = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const office = await national.newPage();
  await login(office, server.base, "demo-national");
  await office.goto(`${server.base}/notifications/failed-mail`);
  await office.getByText("送信できなかったメールはありません。").waitFor();
  await national.close();
  await context.close();
});
