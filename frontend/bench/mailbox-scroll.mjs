// Benchmark: does scrolling a mailbox of thousands cost what scrolling one page does? Same run, same browser.
// Serves the built app from frontend/dist, answers the API from memory (page.route), loads N messages through the
// list's own infinite scroll, then scrolls smoothly and records frame times, rows in the DOM and JS heap.
/* global window, document, requestAnimationFrame -- the functions passed to page.evaluate run in the browser */
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join, resolve } from 'node:path'
import { chromium } from 'playwright-core'

const dist = resolve(import.meta.dirname, '..', 'dist')
const LARGE = Number(process.env.BENCH_MESSAGES ?? 5000)
const PAGE = 50
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' }

function serveDist() {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname)
    let file = join(dist, path)
    if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html')
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' })
    createReadStream(file).pipe(res)
  })
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)))
}

const user = { id: 'u1', email: 'bench@example.com', role: 'user', status: 'active', display_name: 'Bench', created_at: '2026-01-01T00:00:00Z', email_verified_at: '2026-01-01T00:00:00Z' }
const account = { id: 'a1', provider: 'demo', address: 'bench@example.com', status: 'active', scopes: [], created_at: '2026-01-01T00:00:00Z', last_error: null }
const labels = [{ id: 'INBOX', name: 'INBOX', type: 'system', messages_total: LARGE, messages_unread: 10 }]

function summary(i) {
  return {
    id: `m${i}`, thread_id: `t${i}`, from: { name: `Sender ${i}`, address: `sender${i}@example.com` }, to: [],
    subject: `Message number ${i} about the quarterly plan`, snippet: 'A realistic snippet of the first line of the body, long enough to be cut off.',
    date: new Date(Date.UTC(2026, 10, 26) - i * 60_000).toISOString(), label_ids: i % 3 ? ['INBOX'] : ['INBOX', 'UNREAD'],
    unread: i % 3 === 0, starred: false, has_attachments: i % 7 === 0,
  }
}

const envelope = (data, meta = {}) => JSON.stringify({ data, error: null, meta: { request_id: 'bench', ...meta } })

async function measure(browser, base, total) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  await page.addInitScript(() => window.localStorage.setItem('mailagent.hasSession', '1'))
  await page.route('**/api/v1/**', (route) => {
    const url = new URL(route.request().url())
    const json = (body) => route.fulfill({ status: 200, contentType: 'application/json', body })
    if (url.pathname === '/api/v1/auth/refresh') return json(envelope({ access_token: 'bench', refresh_token: null, token_type: 'bearer', expires_in: 900, user }))
    if (url.pathname === '/api/v1/mail/accounts') return json(envelope([account]))
    if (url.pathname === '/api/v1/labels') return json(envelope(labels))
    if (url.pathname === '/api/v1/emails') {
      const start = Number(url.searchParams.get('page_token') ?? 0)
      const end = Math.min(total, start + PAGE)
      const items = Array.from({ length: end - start }, (_, k) => summary(start + k))
      return json(envelope(items, { next_page_token: end < total ? String(end) : null }))
    }
    return route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ data: null, error: { code: 'not_found', message: 'bench' }, meta: {} }) })
  })
  await page.routeWebSocket('**/api/v1/ws', () => {}) // no live server in the benchmark
  await page.goto(`${base}/mail/INBOX`)
  const scroller = page.getByTestId('message-scroller')
  await page.getByRole('list', { name: 'Inbox messages' }).getByRole('listitem').first().waitFor()
  // Load everything through the list's own infinite scroll.
  const loadStarted = Date.now()
  for (;;) {
    const count = await page.evaluate(() => document.querySelector('[data-testid=message-scroller]')?.scrollHeight ?? 0)
    await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight))
    await page.waitForTimeout(60)
    const after = await page.evaluate(() => document.querySelector('[data-testid=message-scroller]')?.scrollHeight ?? 0)
    if (after === count && (await page.getByText(/^\d+ messages$/).count()) > 0) break
    if (Date.now() - loadStarted > 120_000) throw new Error('loading every page took over 2 minutes')
  }
  const loadSeconds = (Date.now() - loadStarted) / 1000
  const loadedText = await page.getByText(/^\d+ messages$/).first().textContent()
  // Smooth scroll from the top to the bottom over ~3 s, one step per frame, recording frame intervals.
  const result = await scroller.evaluate(
    (el) =>
      new Promise((done) => {
        el.scrollTo(0, 0)
        const frames = []
        let last = performance.now()
        const steps = 180
        let step = 0
        const tick = (now) => {
          frames.push(now - last)
          last = now
          step += 1
          el.scrollTo(0, ((el.scrollHeight - el.clientHeight) * step) / steps)
          if (step < steps) requestAnimationFrame(tick)
          else done({ frames: frames.slice(1), rows: el.querySelectorAll('li').length, nodes: document.getElementsByTagName('*').length, heap: performance.memory?.usedJSHeapSize ?? 0 })
        }
        requestAnimationFrame(tick)
      }),
  )
  await context.close()
  const sorted = [...result.frames].sort((a, b) => a - b)
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
  return { total, loaded: loadedText, loadSeconds, p50: pct(50), p95: pct(95), worst: sorted.at(-1), rows: result.rows, nodes: result.nodes, heapMb: result.heap / 1e6 }
}

async function main() {
  if (!existsSync(join(dist, 'index.html'))) throw new Error('No build in frontend/dist: run `make web` first.')
  const server = await serveDist()
  const base = `http://127.0.0.1:${server.address().port}`
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--enable-precise-memory-info'],
  })
  try {
    const small = await measure(browser, base, PAGE)
    const large = await measure(browser, base, LARGE)
    const row = (name, r) =>
      `${name.padEnd(22)} ${String(r.loaded).padEnd(16)} frame p50 ${r.p50.toFixed(1).padStart(5)} ms  p95 ${r.p95.toFixed(1).padStart(5)} ms  worst ${r.worst.toFixed(1).padStart(6)} ms  rows in DOM ${String(r.rows).padStart(4)}  DOM nodes ${String(r.nodes).padStart(5)}  JS heap ${r.heapMb.toFixed(1)} MB`
    console.log('mailbox scroll in Chromium (virtualized list), same run:')
    console.log(row(`${PAGE} messages`, small))
    console.log(row(`${LARGE} messages`, large))
    console.log(`loading ${LARGE} through infinite scroll took ${large.loadSeconds.toFixed(1)} s (${LARGE / PAGE} pages)`)
    console.log(
      `ratios ${LARGE}/${PAGE}: frame p95 ${(large.p95 / small.p95).toFixed(2)}x, rows in DOM ${(large.rows / small.rows).toFixed(2)}x, DOM nodes ${(large.nodes / small.nodes).toFixed(2)}x, JS heap ${(large.heapMb / small.heapMb).toFixed(2)}x`,
    )
  } finally {
    await browser.close()
    server.close()
  }
}

await main()
