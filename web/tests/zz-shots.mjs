import { chromium } from 'playwright-core';
const pages = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
for (const name of pages) {
  for (const width of [400, 1300]) {
    const ctx = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await ctx.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`http://127.0.0.1:${process.env.PORT || 8123}/${name}`);
    await page.waitForTimeout(name.startsWith('double') ? 25000 : 12000);
    await page.screenshot({ path: `${process.env.SHOTS || "/tmp/pages-shots"}/${name.replace(/\W/g, '_')}-${width}.png`, fullPage: true });
    if (problems.length) console.log(name, width, problems);
    await ctx.close();
  }
}
await browser.close();
