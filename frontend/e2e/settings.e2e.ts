// Settings and the admin's audit log (issue 17, items 8 and 9 and the per-user settings), in Chromium against the
// real backend: the audit log names actors, filters by e-mail, hides routine entries, fits a 1440 px window and
// exports CSV.
import { readFileSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { cli, signIn } from './support/actions'
import { launch, openSession, type Session } from './support/browser'
import { lookAt, type ScreenReport } from './support/journey'

const EMAIL = 'ines.moreau@e2e-settings.example'
const PASSWORD = 'Amber-harbour 42 kites!'

let browser: Browser
const reports: ScreenReport[] = []

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
  await signIn(user.page, EMAIL, PASSWORD, /\/mail\//)
  // A reload signs in again with the refresh cookie: an auth.refresh entry (wait for it, or closing races it).
  await Promise.all([user.page.waitForResponse((r) => r.url().includes('/api/v1/auth/refresh') && r.ok()), user.page.reload()])
  await user.context.close()

  const session = await openSession(browser, inject('baseUrl'), { width: 1440, height: 900 })
  const page = session.page
  await signIn(page, inject('adminEmail'), inject('adminPassword'), /\/mail\//)
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
  const csv = readFileSync(path, 'utf8').trim().split(/\r?\n/)
  expect(csv[0]).toBe('time,action,actor_email,actor_name,actor_id,target,ip,user_agent,request_id,details,seq,hash')
  expect(csv.length).toBeGreaterThan(3)
  expect(csv.slice(1).every((line) => line.split(',')[2] === EMAIL)).toBe(true)
  expect(csv.some((line) => line.includes(',auth.refresh,'))).toBe(true)
  await page.getByRole('status').getByText(/Saved audit-log-/).waitFor()
  expect(session.consoleErrors).toEqual([])
  await session.context.close()
})

it('keeps a person’s settings on the server: name, undo window used by the send hold, images from a sender, password', async () => {
  const baseUrl = inject('baseUrl')
  // An HTML mail with a remote image (served by the app itself, so nothing leaves the machine).
  cli('demo', 'deliver', '--to', EMAIL, '--from', 'Shop News <news@shop.example>', '--subject', 'Winter sale',
    '--body', 'Winter sale', '--html', `<p>Winter sale</p><img alt="banner" src="${baseUrl}/images/banner.png">`)
  const other = await openSession(browser, baseUrl, { width: 1366, height: 768 })
  await signIn(other.page, EMAIL, PASSWORD, /\/mail\//)
  const session = await openSession(browser, baseUrl, { width: 1366, height: 768 })
  const page = session.page
  await signIn(page, EMAIL, PASSWORD, /\/mail\//)

  // Images: hidden, then always shown for this sender, which survives a reload (kept on the server).
  await page.goto('/mail/INBOX')
  await page.getByRole('list', { name: 'Inbox messages' }).getByRole('link', { name: /Winter sale/ }).first().click()
  const frame = page.getByTitle(/^Message from/).last()
  await page.getByText('Remote images are hidden to protect your privacy.').waitFor()
  expect(await frame.getAttribute('srcdoc')).not.toContain('/images/banner.png')
  await page.getByRole('button', { name: 'Always show images from news@shop.example' }).click()
  await expect.poll(() => frame.getAttribute('srcdoc')).toContain('/images/banner.png')
  await page.reload()
  await page.getByText(/you always show images from news@shop\.example/).waitFor()
  expect(await page.getByTitle(/^Message from/).last().getAttribute('srcdoc')).toContain('/images/banner.png')
  await lookAt(page, 'settings-02-thread-images-shown', reports)

  // Settings: the sender is listed; name and undo window saved; sessions say where they are.
  await page.goto('/settings/profile')
  await page.getByRole('list', { name: 'Senders whose images are shown' }).getByText('news@shop.example').waitFor()
  await page.getByLabel('Display name', { exact: true }).fill('Inès Moreau')
  await page.getByRole('button', { name: 'Save name' }).click()
  await page.getByText('Saved: you are shown as Inès Moreau.').waitFor()
  await page.getByLabel('Undo send window').selectOption('5')
  await page.getByRole('status').getByText('Saved', { exact: true }).waitFor()
  await page.getByText(/^This computer \(127\.0\.0\.1\) · signed in/).first().waitFor()
  await lookAt(page, 'settings-03-profile', reports)

  // The send hold uses the window kept with the user, not a number in this browser.
  await page.goto('/compose')
  await page.getByRole('heading', { name: 'New message' }).waitFor({ timeout: 90_000 })
  const to = page.getByRole('combobox', { name: 'To' })
  await to.fill('carol@northwind.example')
  await to.press('Enter')
  await page.getByLabel('Subject').fill('Held for five seconds')
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/emails/schedule') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Send', exact: true }).click(),
  ])
  // The server chose the time (the browser sends undo_hold, no time: the Vitest suite checks the request).
  const held = ((await response.json()) as { data: { send_at: string; created_at: string } }).data
  const heldSeconds = (Date.parse(held.send_at) - Date.parse(held.created_at)) / 1000
  expect(heldSeconds).toBeGreaterThan(4)
  expect(heldSeconds).toBeLessThan(6)
  await page.locator('[data-sonner-toast]').filter({ hasText: /Sends in \d s/ }).first().waitFor()

  // Password: the current one is required; the change signs the other session out and this one stays.
  await page.goto('/settings/profile')
  const form = page.getByRole('form', { name: 'Change password' })
  await form.getByLabel('Current password').fill('not my password')
  await form.getByLabel('New password', { exact: true }).fill('Brighter-harbour 43 kites!')
  await form.getByLabel('Repeat the new password').fill('Brighter-harbour 43 kites!')
  session.expectConsoleError(/422/)
  await form.getByRole('button', { name: 'Change password' }).click()
  await form.getByText('Your current password is not right.').waitFor()
  await form.getByLabel('Current password').fill(PASSWORD)
  await form.getByRole('button', { name: 'Change password' }).click()
  await form.getByText(/Your password was changed\. \d+ other sessions? signed out\./).waitFor()
  await lookAt(page, 'settings-04-password-changed', reports)
  other.expectConsoleError(/401/)
  await other.page.reload()
  await other.page.waitForURL(/\/login/)
  await page.reload()
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor()
  expect(session.consoleErrors).toEqual([])
  await other.context.close()
  await session.context.close()
})
