import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
const context = await chromium.launchPersistentContext(fs.mkdtempSync('/tmp/wb-prof-'), { executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'], viewport: { width: 1360, height: 900 } });
const page = await context.newPage();
const shots = JSON.parse(process.argv[2]!) as Array<[string, string, string, string?]>;
for (const [file, theme, out, selector] of shots) {
  await page.goto(pathToFileURL('/work/main/site/dist/' + file).href);
  await page.evaluate((t) => { document.documentElement.dataset.theme = t; }, theme);
  if (selector) { await page.locator(selector).first().evaluate((e) => e.scrollIntoView()); }
  await page.screenshot({ path: out });
}
await context.close();
