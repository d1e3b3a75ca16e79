// Real-browser check of a self-contained HTML report (run by scripts/test-report-browser.sh).
//
//   node report_browser_check.mjs REPORT.html SCREENSHOT_DIR
//
// Opens the report as a file:// URL in Debian's headless Chromium (via playwright-core, no
// downloaded browser) at a laptop viewport (1366x900) and a phone viewport (390x844, DPR 2,
// isMobile), saves full-page screenshots laptop.png and phone.png, and fails (exit 1, one line
// per problem) on what a reader would see as broken:
//   - network access: any request that is not file:, data: or blob: is blocked and reported,
//     because the report must be self-contained (it is read offline, attached, archived);
//   - any console error or uncaught page error, and any failed request (a missing local file);
//   - a broken <img> (not complete, or naturalWidth 0);
//   - an empty inline <svg> figure: no drawn element (path, rect, circle, ...) or a zero-size box;
//   - no figures at all (inline <svg> or <img>): a report without its plots is not a report;
//   - no <meta name="viewport">: phones would lay the page out 980px wide and shrink it;
//   - horizontal overflow on the phone (scrollWidth > 390 + 1), naming the elements too wide;
//   - figures or tables that only appear with JavaScript (a JS-disabled load must show them too).
// Closed <details> are opened before checking, so figures inside them are checked too.
// Exit codes: 0 pass, 1 check failed, 2 usage or browser launch error.

import { createRequire } from 'node:module';
import { mkdirSync, existsSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { pathToFileURL } from 'node:url';

// playwright-core lives in the cache folder installed by the shell script, not next to this file.
const cache = resolve(process.env.VANISH_BROWSER_CACHE || 'target/browser-driver');
const { chromium } = createRequire(join(cache, 'package.json'))('playwright-core');

const [reportArg, shotArg] = process.argv.slice(2);
if (!reportArg || !shotArg || !existsSync(reportArg)) {
  console.error('usage: report_browser_check.mjs REPORT.html SCREENSHOT_DIR (report must exist)');
  process.exit(2);
}
const reportUrl = pathToFileURL(resolve(reportArg)).href;
const shotDir = resolve(shotArg);
mkdirSync(shotDir, { recursive: true });

const problems = [];
const fail = (view, msg) => problems.push({ view, msg });

const LAPTOP = { viewport: { width: 1366, height: 900 } };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true, // launch() gives every run a fresh, empty temporary user data dir
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
}).catch((e) => {
  console.error(`cannot launch /usr/bin/chromium: ${e.message.split('\n')[0]}`);
  process.exit(2);
});

// Loads the report in a fresh context; records network, console and request problems under `view`.
async function open(view, options) {
  const context = await browser.newContext(options);
  const blocked = new Set();
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (/^(file|data|blob):/.test(url)) return route.continue();
    blocked.add(url);
    fail(view, `network request (report must be self-contained): ${url}`);
    return route.abort('blockedbyclient');
  });
  context.on('websocket', (ws) => fail(view, `network request (websocket): ${ws.url()}`)); // not routed
  const page = await context.newPage();
  const failed = new Set();
  page.on('requestfailed', (req) => {
    if (blocked.has(req.url())) return; // already reported as a network request
    failed.add(req.url());
    fail(view, `request failed (${req.failure()?.errorText}): ${req.url()}`);
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // Chromium echoes each failed load as "Failed to load resource"; it is reported above.
    const url = msg.location()?.url;
    if (/^Failed to load resource/.test(msg.text()) && (blocked.has(url) || failed.has(url))) return;
    fail(view, `console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => fail(view, `page error: ${err.message}`));
  await page.goto(reportUrl, { waitUntil: 'load', timeout: 30_000 });
  return { context, page };
}

// Runs in the page: counts figures (top-level inline <svg> and <img>), images and tables,
// and lists empty SVGs and broken images with where they are.
function inspect() {
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '')
    + (typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : '');
  const where = (el) => { // nearest ancestor with an id, or a caption, to find the element in the source
    const named = el.closest('[id]');
    const cap = el.closest('figure')?.querySelector('figcaption')?.textContent.trim().slice(0, 60);
    return describe(el) + (named && named !== el ? ` in #${named.id}` : '') + (cap ? ` ("${cap}")` : '');
  };
  const svgs = [...document.querySelectorAll('svg')].filter((s) => !s.parentElement.closest('svg'));
  const imgs = [...document.images];
  const drawn = 'path,rect,circle,ellipse,line,polyline,polygon,text,image,use';
  const emptySvgs = svgs.filter((s) => {
    const box = s.getBoundingClientRect();
    return !s.querySelector(drawn) || box.width === 0 || box.height === 0;
  }).map(where);
  const brokenImgs = imgs.filter((i) => !i.complete || i.naturalWidth === 0)
    .map((i) => `${where(i)} src=${(i.getAttribute('src') || '').slice(0, 80)}`);
  return {
    figures: svgs.length + imgs.length, svgs: svgs.length, images: imgs.length,
    tables: document.querySelectorAll('table').length,
    viewportMeta: !!document.querySelector('meta[name="viewport"]'),
    emptySvgs, brokenImgs,
  };
}

// Opens every <details>, loads lazy images and waits for them and for fonts.
async function prepare(page) {
  await page.evaluate(async () => {
    document.querySelectorAll('details').forEach((d) => { d.open = true; });
    const imgs = [...document.images];
    imgs.forEach((i) => { i.loading = 'eager'; });
    await Promise.all(imgs.map((i) => (i.complete ? null : new Promise((ok) => {
      i.addEventListener('load', ok); i.addEventListener('error', ok); setTimeout(ok, 5000);
    }))));
    await document.fonts.ready;
  });
}

// Names what makes the page too wide: the outermost elements whose box sticks out past the
// right edge, or else the innermost ones whose content (long text, a <pre>) spills out of them.
function tooWide(width) {
  const all = [...document.body.querySelectorAll('*')];
  const out = new Set(all.filter((el) => el.getBoundingClientRect().right > width + 1));
  let culprits = [...out].filter((el) => !out.has(el.parentElement));
  if (!culprits.length) {
    const spill = all.filter((el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible');
    culprits = spill.filter((el) => !spill.some((o) => o !== el && el.contains(o)));
  }
  return culprits.slice(0, 5).map((el) => {
    const box = el.getBoundingClientRect();
    const reach = Math.max(box.right, box.left + el.scrollWidth);
    return `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}> (${Math.round(box.width)}px box, reaches x=${Math.round(reach)}px)`;
  });
}

let summary;
for (const [view, options] of [['laptop', LAPTOP], ['phone', PHONE]]) {
  const { context, page } = await open(view, options);
  await prepare(page);
  const r = await page.evaluate(inspect);
  summary ??= r;
  if (view === 'laptop') { // page-level content checks, once
    if (r.figures === 0) fail(view, 'no figures: no inline <svg> and no <img> in the report');
    r.emptySvgs.forEach((s) => fail(view, `empty inline svg figure (nothing drawn or zero size): ${s}`));
    r.brokenImgs.forEach((s) => fail(view, `broken image (not loaded or naturalWidth 0): ${s}`));
    if (!r.viewportMeta) fail(view, 'no <meta name="viewport" content="width=device-width, ..."> (unreadable on phones)');
  } else {
    // Compare with the configured 390px, not innerWidth: a mobile browser zooms out to fit a too-wide
    // page, which makes innerWidth grow with the overflow and hides it.
    const width = PHONE.viewport.width;
    const scrollWidth = await page.evaluate(() => document.scrollingElement.scrollWidth);
    if (scrollWidth > width + 1) {
      const culprits = await page.evaluate(tooWide, width);
      fail(view, `horizontal overflow on the phone: page is ${scrollWidth}px wide, screen ${width}px; `
        + `too wide: ${culprits.join('; ') || 'unknown element'} (wrap it in a box with overflow-x:auto)`);
    }
  }
  const shot = join(shotDir, `${view}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  summary[view] = shot;
  await context.close();
}

// Without JavaScript the same figures and tables must be there.
{
  const context = await browser.newContext({ ...LAPTOP, javaScriptEnabled: false });
  const page = await context.newPage();
  await context.route('**/*', (route) => (/^(file|data|blob):/.test(route.request().url()) ? route.continue() : route.abort()));
  await page.goto(reportUrl, { waitUntil: 'load', timeout: 30_000 });
  const r = await page.evaluate(inspect);
  if (r.figures < summary.figures || r.tables < summary.tables) {
    fail('no-js', `with JavaScript disabled only ${r.figures}/${summary.figures} figures and `
      + `${r.tables}/${summary.tables} tables are there (the report must be readable without JS)`);
  }
  await context.close();
}
await browser.close();

console.log(`report: ${resolve(reportArg)}`);
console.log(`figures: ${summary.figures} (${summary.svgs} inline svg, ${summary.images} img), images: ${summary.images}, tables: ${summary.tables}`);
console.log(`screenshots: ${summary.laptop} ${summary.phone}`);
if (problems.length) {
  // One line per problem: the same message seen at several viewports is printed once.
  const views = new Map();
  for (const { view, msg } of problems) views.set(msg, [...(views.get(msg) || []), view]);
  views.forEach((vs, msg) => console.log(`FAIL [${[...new Set(vs)].join(', ')}] ${msg}`));
  console.log(`browser check FAILED: ${views.size} problem(s)`);
  process.exit(1);
}
console.log('browser check passed');
