// Debian's Chromium through playwright-core: console-error capture, an axe-core check and a screenshot per screen.
import AxeBuilder from '@axe-core/playwright'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const SCREENSHOTS = resolve(import.meta.dirname, '..', 'screenshots')

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // As root on a machine without outside network: no sandbox, and none of Chromium's background fetches.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  })
}

export interface Session {
  context: BrowserContext
  page: Page
  consoleErrors: string[]
  /** Console warnings (React Router's, say): a run may insist there are none of a kind. */
  consoleWarnings: string[]
  /** Network 4xx lines the test provoked on purpose (a wrong password, say): expected, so not an error. */
  expectConsoleError(pattern: RegExp): void
}

export async function openSession(browser: Browser, baseUrl: string, viewport = { width: 1280, height: 800 }): Promise<Session> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport, locale: 'en-GB', timezoneId: 'Europe/Paris' })
  const page = await context.newPage()
  const consoleErrors: string[] = []
  const consoleWarnings: string[] = []
  const expected: RegExp[] = []
  page.on('console', (message) => {
    if (message.type() === 'warning') consoleWarnings.push(message.text())
    if (message.type() !== 'error') return
    const where = message.location().url
    const text = where ? `${message.text()} (${where})` : message.text()
    if (expected.some((pattern) => pattern.test(text))) return
    consoleErrors.push(text)
  })
  page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`))
  return { context, page, consoleErrors, consoleWarnings, expectConsoleError: (pattern) => expected.push(pattern) }
}

export interface AxeFinding {
  id: string
  impact: string | null | undefined
  help: string
  targets: string[]
}

/** Serious and critical accessibility violations on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  // The mail iframe (sandboxed, no scripts) holds the sender's markup, not our UI; axe cannot inject into it and
  // would hang trying.
  const results = await new AxeBuilder({ page }).exclude('iframe[sandbox]').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze()
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }))
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`), fullPage: false })
}
