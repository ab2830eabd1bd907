// Every screen's navigation stays visible and clickable at desktop, laptop and phone sizes, with content far taller
// than the window (issue 17, item 1: the Settings and Admin tab bars collapsed to a pixel on long pages).
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { cli, signIn } from './support/actions'
import { launch, openSession } from './support/browser'
import { screenshot } from './support/browser'

const EMAIL = 'lea.moreau@e2e-layout.example'
const PASSWORD = 'Granite-meadow 62 owls!'
const VIEWPORTS = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'laptop', width: 1366, height: 768 },
  { name: 'phone', width: 390, height: 844 },
]

let browser: Browser

async function api(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  headers.set('content-type', 'application/json')
  if (init.token) headers.set('authorization', `Bearer ${init.token}`)
  return fetch(`${inject('baseUrl')}/api/v1${path}`, { ...init, headers })
}

beforeAll(async () => {
  cli('user', 'create', '--email', EMAIL, '--password', PASSWORD, '--admin')
  cli('mail', 'connect-demo', '--user', EMAIL)
  // Long content: a dozen sessions on the profile page, twenty keys on the API keys page, a long audit log.
  let token = ''
  for (let i = 0; i < 12; i++) {
    const response = await api('/auth/login', { method: 'POST', body: JSON.stringify({ email: EMAIL, password: PASSWORD }) })
    expect(response.status).toBe(200)
    token = ((await response.json()) as { data: { access_token: string } }).data.access_token
  }
  for (let i = 0; i < 20; i++) {
    const response = await api('/api-keys', { method: 'POST', token, body: JSON.stringify({ name: `layout key ${i + 1}` }) })
    expect(response.status).toBe(201)
  }
  browser = await launch()
})

afterAll(async () => {
  await browser?.close()
})

/** The element is laid out at a usable size, inside the window, and is the topmost thing at its centre. */
async function expectUsable(page: Page, selector: Parameters<Page['locator']>[0], what: string): Promise<void> {
  const locator = page.locator(selector).first()
  await locator.waitFor({ state: 'visible', timeout: 15_000 })
  const box = await locator.boundingBox()
  const viewport = page.viewportSize()
  expect(box, `${what} has no box`).not.toBeNull()
  if (!box || !viewport) return
  expect(box.height, `${what} is ${box.height}px tall`).toBeGreaterThanOrEqual(28)
  expect(box.y, `${what} is above the window`).toBeGreaterThanOrEqual(0)
  expect(box.y + box.height, `${what} is below the window`).toBeLessThanOrEqual(viewport.height)
}

/** Nothing makes the page itself scroll sideways. */
async function expectNoSidewaysScroll(page: Page, what: string): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  if (overflow > 0) {
    const wide = await page.evaluate(() =>
      Array.from(document.querySelectorAll('body *'))
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
        .filter((el) => {
          for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            if (getComputedStyle(up).overflowX !== 'visible') return false
          }
          return true
        })
        .slice(0, 8)
        .map((el) => `${el.tagName}.${el.className.toString().slice(0, 80)} right=${Math.round(el.getBoundingClientRect().right)}`),
    )
    expect.soft(wide, `${what}: what sticks out`).toEqual([])
  }
  expect(overflow, `${what} is ${overflow}px wider than the window`).toBeLessThanOrEqual(0)
}

const TABBED = [
  {
    nav: 'Settings sections',
    tabs: [
      ['Profile', /\/settings\/profile$/],
      ['Mailboxes', /\/settings\/accounts$/],
      ['API keys', /\/settings\/api-keys$/],
      ['Integrations', /\/settings\/integrations$/],
    ],
    // The long pages: scrolled to the bottom before each click, so a tab bar that scrolls away fails too.
    start: '/settings/api-keys',
  },
  {
    nav: 'Admin sections',
    tabs: [
      ['Users', /\/admin\/users$/],
      ['Audit log', /\/admin\/audit$/],
      ['System', /\/admin\/system$/],
    ],
    start: '/admin/audit',
  },
] as const

for (const viewport of VIEWPORTS) {
  it(`keeps every screen's navigation visible and clickable at ${viewport.width}×${viewport.height}`, async () => {
    const session = await openSession(browser, inject('baseUrl'), { width: viewport.width, height: viewport.height })
    const page = session.page
    await signIn(page, EMAIL, PASSWORD)
    const phone = viewport.width < 1024

    // The app's own navigation on every top-level screen: the sidebar (a drawer on a phone).
    for (const [path, heading] of [
      ['/mail/INBOX', 'Inbox'],
      ['/drafts', 'Drafts'],
      ['/scheduled', 'Scheduled'],
      ['/settings/profile', 'Settings'],
      ['/admin/audit', 'Administration'],
    ] as const) {
      await page.goto(path)
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor()
      if (phone) {
        await expectUsable(page, 'button[aria-label="Open navigation"]', `the menu button on ${path}`)
        await page.getByRole('button', { name: 'Open navigation' }).click()
      }
      const sidebar = page.getByRole('navigation', { name: 'Mailboxes and sections' })
      await sidebar.getByRole('link', { name: 'Scheduled' }).waitFor()
      await expectUsable(page, '#sidebar a[href="/compose"]', `Compose in the sidebar on ${path}`)
      if (phone) {
        // Escape closes the drawer (issue 17, item 10).
        await page.keyboard.press('Escape')
        await sidebar.waitFor({ state: 'hidden' })
      }
      await expectNoSidewaysScroll(page, path)
    }

    // The section tabs of Settings and Admin, on their longest pages, scrolled to the end.
    for (const group of TABBED) {
      await page.goto(group.start)
      const nav = page.getByRole('navigation', { name: group.nav })
      for (const [label, url] of group.tabs) {
        await page.evaluate(() => document.querySelectorAll('*').forEach((el) => el.scrollHeight > el.clientHeight && el.scrollTo(0, el.scrollHeight)))
        await expectUsable(page, `nav[aria-label="${group.nav}"] >> text="${label}"`, `the ${label} tab`)
        await nav.getByRole('link', { name: label, exact: true }).click({ timeout: 10_000 })
        await page.waitForURL(url)
        await page.getByRole('heading', { level: 2 }).first().waitFor()
        await expectNoSidewaysScroll(page, `${group.nav} → ${label}`)
      }
      await screenshot(page, `layout-${viewport.name}-${group.nav.split(' ')[0]?.toLowerCase()}`)
    }
    expect(session.consoleErrors).toEqual([])
    // Every page.goto above is a full load: React Router has a fallback to show meanwhile (issue 17, item 11).
    expect(session.consoleWarnings.filter((w) => /HydrateFallback/.test(w))).toEqual([])
    await session.context.close()
  })
}
