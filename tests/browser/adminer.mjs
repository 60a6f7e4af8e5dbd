// tests/browser/adminer.mjs — logs in to adminer in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core), opens the demo database and
// checks that the page is styled (its stylesheets load and apply), that both
// tables are listed and the odds table shows the final odds.
// Prints "ok - …" / "not ok - …" lines like the rest of the suite.
//
//   node adminer.mjs ADMINER_URL PG_SERVER SCREENSHOT_DIR
import { chromium } from 'playwright-core';

const [url, server, shots] = process.argv.slice(2);
let failed = 0;
const ok = (name) => console.log(`ok - ${name}`);
const notOk = (name, why) => { failed++; console.log(`not ok - ${name}: ${why}`); };
const check = (name, cond, why) => (cond ? ok(name) : notOk(name, why));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url, { waitUntil: 'load' });
  // styled, not bare HTML: every stylesheet link answers 200 with CSS, and
  // default.css is applied (it positions #menu absolutely)
  const sheets = await page.$$eval('link[rel="stylesheet"]', (ls) => ls.map((l) => l.href));
  check('adminer links a stylesheet', sheets.length > 0, 'no <link rel="stylesheet">');
  for (const href of sheets) {
    const res = await page.request.get(href);
    check(`stylesheet ${href.replace(url, '')} loads (HTTP ${res.status()})`,
          res.status() === 200 && /text\/css/.test(res.headers()['content-type'] || ''),
          `HTTP ${res.status()} ${res.headers()['content-type']}`);
  }
  const menuPos = await page.$eval('#menu', (m) => getComputedStyle(m).position).catch(() => 'none');
  check('default.css is applied (#menu is position: absolute)', menuPos === 'absolute',
        `#menu position ${menuPos}`);
  await page.selectOption('select[name="auth[driver]"]', 'pgsql');
  await page.fill('input[name="auth[server]"]', server);
  await page.fill('input[name="auth[username]"]', 'postgres');
  await page.fill('input[name="auth[password]"]', 'example');
  await page.fill('input[name="auth[db]"]', 'totebets');
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('input[type="submit"]')]);
  // the database page lists the tables (schema public)
  await page.goto(`${url}?pgsql=${encodeURIComponent(server)}&username=postgres&db=totebets&ns=public`);
  const tables = await page.textContent('body');
  check('adminer login and table list', /tote_win_bets/.test(tables) &&
        /tote_win_bet_race_runners_odds/.test(tables), 'tables not listed');
  await page.screenshot({ path: `${shots}/adminer-tables.png`, fullPage: true });
  await page.goto(`${url}?pgsql=${encodeURIComponent(server)}&username=postgres&db=totebets&ns=public` +
                  '&select=tote_win_bet_race_runners_odds');
  const odds = await page.textContent('body');
  check('odds table shows runner 1 at 1.867 (140/75)', /1\.86666/.test(odds), 'no 1.8666…');
  check('odds table shows runner 2 at 2.154 (140/65)', /2\.15384/.test(odds), 'no 2.1538…');
  await page.screenshot({ path: `${shots}/adminer-odds.png`, fullPage: true });
  await page.goto(`${url}?pgsql=${encodeURIComponent(server)}&username=postgres&db=totebets&ns=public` +
                  '&select=tote_win_bets');
  const bets = await page.textContent('body');
  check('bets table shows the -20 bet', /-20/.test(bets), 'no -20 amount');
} catch (e) {
  notOk('adminer browser session', String(e).split('\n')[0]);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
