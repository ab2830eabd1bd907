// Settings and the admin's audit log (issue 17, items 8 and 9 and the per-user settings), in Chromium against the
// real backend: the audit log names actors, filters by e-mail, hides routine entries, fits a 1440 px window and
// exports CSV.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { launch, openSession, type Session } from './support/browser'
import { lookAt, type ScreenReport } from './support/journey'

const EMAIL = 'ines.moreau@e2e-settings.example'
const PASSWORD = 'Amber-harbour 42 kites!'
const MAILAGENT = resolve(import.meta.dirname, '..', '..', '.venv', 'bin', 'mailagent')

let browser: Browser
const reports: ScreenReport[] = []

function cli(...args: string[]): string {
  return execFileSync(MAILAGENT, args, { env: { ...process.env, MAILAGENT_DATA_DIR: inject('dataDir') }, stdio: 'pipe' }).toString()
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login')
  await page.getByLabel('Email', { exact: true }).fill(email)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/mail\//)
}

beforeAll(async () => {
  cli('user', 'create', '--email', EMAIL, '--password', PASSWORD)
  cli('mail', 'connect-demo', '--user', EMAIL)
  browser = await launch()
})

afterAll(async () => {
  await browser?.close()
  expect(reports.flatMap((r) => r.violations.map((v) => `${r.name}: ${v.id} ${v.targets.join(', ')}`))).toEqual([])
})

it('shows the audit log with actors by e-mail, filtered by e-mail, without routine noise, inside 1440 px, and exports it', async () => {
  // Some routine noise from the user: sign-ins (and the refreshes and searches the app makes).
  const user: Session = await openSession(browser, inject('baseUrl'), { width: 1440, height: 900 })
  await signIn(user.page, EMAIL, PASSWORD)
  await user.page.reload()
  await user.page.waitForURL(/\/mail\//)
  await user.context.close()

  const session = await openSession(browser, inject('baseUrl'), { width: 1440, height: 900 })
  const page = session.page
  await signIn(page, inject('adminEmail'), inject('adminPassword'))
  await page.goto('/admin/audit')
  const table = page.getByRole('region', { name: 'Audit log table' })
  await table.getByText(EMAIL).first().waitFor()
  await page.getByLabel('Actor e-mail').fill(EMAIL.toUpperCase())
  await page.getByRole('button', { name: 'Apply filters' }).click()
  await page.waitForURL(/actor=/)
  await table.getByText('auth.login_success').first().waitFor()
  const actions = await table.locator('tbody tr td:nth-child(2)').allTextContents()
  expect(actions.length).toBeGreaterThan(0)
  expect(actions).not.toContain('auth.refresh')
  expect(new Set(await table.locator('tbody tr td:nth-child(3)').allTextContents())).toEqual(new Set([EMAIL]))

  // The table fits the window: neither the page nor the table scrolls sideways at 1440 px.
  const widths = await page.evaluate(() => {
    const region = document.querySelector('[aria-label="Audit log table"]')
    return { page: document.documentElement.scrollWidth, window: window.innerWidth, table: region ? region.scrollWidth - region.clientWidth : -1 }
  })
  expect(widths.page).toBeLessThanOrEqual(widths.window)
  expect(widths.table).toBe(0)
  await lookAt(page, 'settings-01-audit-filtered', reports)

  // "Show every entry" brings the refreshes back.
  await page.getByLabel('Show').selectOption('all')
  await page.getByRole('button', { name: 'Apply filters' }).click()
  await page.waitForURL(/show=all/)
  await table.getByText('auth.refresh').first().waitFor()

  // CSV of the current filter.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()])
  expect(download.suggestedFilename()).toMatch(/^audit-log-\d{8}T\d{6}Z\.csv$/)
  const path = await download.path()
  const csv = readFileSync(path, 'utf8').trim().split('\n')
  expect(csv[0]).toBe('time,action,actor_email,actor_name,actor_id,target,ip,user_agent,request_id,details,seq,hash')
  expect(csv.length).toBeGreaterThan(3)
  expect(csv.slice(1).every((line) => line.split(',')[2] === EMAIL)).toBe(true)
  expect(csv.some((line) => line.includes(',auth.refresh,'))).toBe(true)
  await page.getByRole('status').getByText(/Saved audit-log-/).waitFor()
  expect(session.consoleErrors).toEqual([])
  await session.context.close()
})
