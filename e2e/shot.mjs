// Takes screenshots of the main pages: node shot.mjs BASE_URL OUT_DIR
import { chromium } from "playwright-core";
const [base = "http://127.0.0.1:8080", out = "../docs"] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
async function login(user) {
  await page.goto(`${base}/login`);
  await page.fill("#login", user);
  await page.fill("#password", "demo-password");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}
const year = process.env.FY || "2026";
await page.goto(`${base}/login`);
await page.screenshot({ path: `${out}/login.png` });
await login("demo-hospital");
await page.goto(`${base}/institutions/1`);
await page.screenshot({ path: `${out}/institution.png`, fullPage: true });
await page.goto(`${base}/institutions/1/checklist/${year}`);
await page.screenshot({ path: `${out}/checklist.png` });
await page.screenshot({ path: `${out}/checklist-full.png`, fullPage: true });
await page.goto(`${base}/institutions/1/checklist/${year}/print`);
await page.screenshot({ path: `${out}/print.png`, fullPage: true });
await browser.close();
