// A person's whole first session, in Chromium against the real backend: sign-up to the admin's audit log.
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { signIn, toast } from './support/actions'
import { launch, openSession, type Session } from './support/browser'
import { lookAt, wallTimeAhead, type ScreenReport } from './support/journey'
import { linkFromOutbox } from './support/outbox'

const USER_EMAIL = 'ana.lima@e2e-journey.example'
const USER_PASSWORD = 'Violet harbour 48 kites!'
const MAILAGENT = resolve(import.meta.dirname, '..', '..', '.venv', 'bin', 'mailagent')
const ZONE = 'Europe/Paris' // the browser context's zone (support/browser.ts)

let browser: Browser
let session: Session
let page: Page
const reports: ScreenReport[] = []

beforeAll(async () => {
  browser = await launch()
  session = await openSession(browser, inject('baseUrl'))
  page = session.page
})

afterAll(async () => {
  await browser?.close()
})

async function fillLoginForm(email: string, password: string): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(email)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

it('registers, verifies the address from the mail it receives, and signs in', async () => {
  await page.goto('/')
  await page.waitForURL(/\/login/)
  await page.getByRole('heading', { name: 'Sign in to mailagent' }).waitFor()
  await lookAt(page, '01-sign-in', reports)

  await page.getByRole('link', { name: 'Create an account' }).click()
  await page.getByRole('heading', { name: 'Create your account' }).waitFor()
  await page.getByLabel('Email', { exact: true }).fill(USER_EMAIL)
  await page.getByLabel('Display name (optional)').fill('Ana Lima')
  const rules = page.getByRole('list', { name: 'Password rules' })
  await page.getByLabel('Password', { exact: true }).fill('short')
  expect(await rules.locator('[data-met="false"]').count()).toBeGreaterThan(0)
  await page.getByLabel('Password', { exact: true }).fill(USER_PASSWORD)
  await expect.poll(() => rules.locator('[data-met="false"]').count()).toBe(0)
  await lookAt(page, '02-register', reports)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor()

  const link = await linkFromOutbox(inject('dataDir'), USER_EMAIL, '/verify-email?token=')
  expect(new URL(link).origin).toBe(inject('baseUrl'))
  await page.goto(link)
  await page.getByText(/is confirmed/).waitFor()
  await lookAt(page, '03-verified', reports)
  await page.getByRole('link', { name: 'Sign in' }).first().click()
  await fillLoginForm(USER_EMAIL, USER_PASSWORD)
  await page.waitForURL(/\/mail\/INBOX/)

  // The refresh token is an httpOnly cookie the page's scripts cannot read.
  const cookies = await session.context.cookies()
  const refresh = cookies.find((c) => c.name === 'mailagent_refresh')
  expect(refresh?.httpOnly).toBe(true)
  expect(refresh?.sameSite).toBe('Strict')
  expect(await page.evaluate(() => document.cookie)).not.toContain('mailagent_refresh')
  // A reload keeps the session (silent refresh through the cookie).
  await page.reload()
  await page.waitForURL(/\/mail\/INBOX/)
  await page.getByRole('button', { name: 'Account menu' }).waitFor()
})

it('connects the demo mailbox', async () => {
  await page.goto('/settings/accounts')
  await page.getByRole('heading', { name: 'Mailboxes' }).waitFor()
  await lookAt(page, '04-mailboxes-empty', reports)
  await page.getByRole('button', { name: 'Use the demo mailbox' }).click()
  await page.getByText('Connected', { exact: true }).first().waitFor()
  await lookAt(page, '05-mailboxes-connected', reports)
})

it('searches the inbox with Gmail syntax and reads a thread', async () => {
  await page.goto('/mail/INBOX')
  await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor()
  const inbox = page.getByRole('list', { name: 'Inbox messages' })
  await inbox.getByRole('listitem').first().waitFor()
  await lookAt(page, '06-inbox', reports)
  // Keyboard: j moves down the list, o opens, u goes back.
  await page.keyboard.press('j')
  await page.keyboard.press('j')
  await page.keyboard.press('o')
  await page.waitForURL(/\/mail\/INBOX\/[^/?]+/)
  await page.getByRole('toolbar', { name: 'Conversation actions' }).waitFor()
  await page.keyboard.press('u')
  await page.waitForURL(/\/mail\/INBOX(\?|$)/)

  await page.getByRole('searchbox', { name: 'Search mail' }).fill('offsite')
  await page.getByRole('button', { name: 'Search', exact: true }).click()
  await page.waitForURL(/q=offsite/)
  const offsite = inbox.getByRole('link', { name: /Team offsite in Lisbon/ }).first()
  await offsite.waitFor()
  await lookAt(page, '07-search', reports)
  await page.getByRole('button', { name: 'Filters' }).click()
  await page.getByRole('checkbox', { name: 'Unread only' }).check()
  await expect.poll(() => page.getByRole('searchbox', { name: 'Search mail' }).inputValue()).toContain('is:unread')
  await lookAt(page, '07b-search-filters', reports)

  await offsite.click()
  await page.getByRole('heading', { level: 1, name: /Team offsite in Lisbon/ }).waitFor()
  await page.getByRole('article').first().waitFor()
  await lookAt(page, '08-thread', reports)
})

it('replies from the thread', async () => {
  const threadUrl = page.url()
  const messagesBefore = await page.getByRole('article', { name: /^Message from/ }).count()
  // Inline, under the conversation (issue 17): no trip to another screen.
  await page.getByRole('toolbar', { name: 'Conversation actions' }).getByRole('button', { name: 'Reply', exact: true }).click()
  const inline = page.getByRole('region', { name: 'Reply', exact: true })
  await inline.getByRole('textbox', { name: 'Message body' }).click()
  await page.keyboard.type('Count me in for Lisbon.')
  await lookAt(page, '09-reply', reports)
  await inline.getByRole('button', { name: 'Send', exact: true }).click()
  // Held for the undo window (10 s by default), then sent in the thread.
  await toast(page, 'Message sent', 60_000)
  expect(new URL(page.url()).pathname).toBe(new URL(threadUrl).pathname)
  // The reply joins the thread (its HTML body renders inside the sandboxed frame).
  await expect.poll(() => page.getByRole('article', { name: /^Message from/ }).count(), { timeout: 20_000 }).toBe(messagesBefore + 1)
  const newest = page.frameLocator('iframe[title^="Message from"]').last()
  await newest.getByText('Count me in for Lisbon.').waitFor()
  await lookAt(page, '09a-thread-after-reply', reports)
})

it('shows new mail live: a message delivered to the mailbox appears without a reload', async () => {
  await page.goto('/mail/INBOX')
  await page.getByRole('list', { name: 'Inbox messages' }).getByRole('listitem').first().waitFor()
  execFileSync(MAILAGENT, ['demo', 'deliver', '--to', USER_EMAIL, '--from', 'Dora Diaz <dora@northwind.example>', '--subject', 'Live delivery check'], {
    env: { ...process.env, MAILAGENT_DATA_DIR: inject('dataDir') },
    stdio: 'pipe',
  })
  await toast(page, /New mail from Dora Diaz/, 30_000)
  await page.getByRole('list', { name: 'Inbox messages' }).getByRole('link', { name: /Live delivery check/ }).waitFor({ timeout: 15_000 })
  await lookAt(page, '09b-live-new-mail', reports)
})

it('schedules a send a minute ahead in the browser\'s zone', async () => {
  await page.goto('/compose')
  await page.getByRole('heading', { name: 'New message' }).waitFor()
  const to = page.getByRole('combobox', { name: 'To' })
  await to.fill('carol@northwind.example')
  await to.press('Enter')
  await page.getByLabel('Subject').fill('Quarterly numbers')
  await page.getByRole('textbox', { name: 'Message body' }).click()
  await page.keyboard.type('Here are the numbers we discussed.')
  await lookAt(page, '10-compose', reports)
  await page.getByRole('button', { name: 'Schedule send' }).click()
  const dialog = page.getByRole('dialog', { name: 'Schedule send' })
  await dialog.waitFor()
  await expect.poll(() => dialog.getByLabel('Time zone', { exact: true }).inputValue()).toBe(ZONE)
  await dialog.getByLabel('Date and time').fill(wallTimeAhead(ZONE, 25))
  await lookAt(page, '11-schedule-dialog', reports)
  await dialog.getByRole('button', { name: 'Schedule', exact: true }).click()
  await page.waitForURL(/\/scheduled/)
  await page.getByRole('list', { name: 'Scheduled emails' }).getByText('Quarterly numbers').waitFor()
  await lookAt(page, '12-scheduled', reports)
})

it('asks the agent to draft a reply and send it, and the send waits for approval', async () => {
  await page.goto('/agent')
  await page.getByRole('heading', { name: 'Agent', level: 1 }).waitFor()
  await lookAt(page, '13-agent-empty', reports)
  const composer = page.getByRole('textbox', { name: 'Message the agent' })
  // The offsite thread was read and answered above, so the agent drafts a new mail instead.
  await composer.fill('draft an email to dave@example.com about Lunch saying See you at noon')
  await composer.press('Enter')
  const log = page.getByRole('log', { name: 'Messages' })
  await log.getByText(/I drafted/).waitFor({ timeout: 30_000 })
  await composer.fill('send it')
  await composer.press('Enter')
  const card = page.getByRole('article', { name: 'Send an email' })
  await card.waitFor({ timeout: 30_000 })
  await card.getByText('dave@example.com').first().waitFor()
  await card.getByText(/See you at noon/).first().waitFor()
  await lookAt(page, '14-agent-approval', reports)
  await card.getByRole('button', { name: 'Approve' }).click()
  await card.getByText('Approved — sent.').waitFor({ timeout: 30_000 })
  await log.getByText('Sent.').first().waitFor({ timeout: 30_000 })
  // The live notification arrives over the WebSocket.
  await toast(page, /agent finished|sent/i, 30_000)
  await lookAt(page, '15-agent-approved', reports)
})

it('creates an API key, shown once, and revokes it', async () => {
  await page.goto('/settings/api-keys')
  await page.getByRole('heading', { name: 'Create an API key' }).waitFor()
  await page.getByLabel('Key name').fill('e2e laptop')
  await page.getByRole('checkbox', { name: /Read mail/ }).check()
  await page.getByRole('button', { name: 'Create key' }).click()
  const shown = page.getByRole('dialog', { name: 'Your new API key' })
  await shown.getByText('Copy this key now. It will not be shown again.').waitFor()
  const key = (await shown.getByLabel('API key', { exact: true }).textContent())?.trim() ?? ''
  expect(key.length).toBeGreaterThan(20)
  await lookAt(page, '16-api-key-created', reports)
  // The key works against the API, limited to its scope.
  const me = await fetch(`${inject('baseUrl')}/api/v1/auth/me`, { headers: { 'X-API-Key': key } })
  expect(me.status).toBe(200)
  await shown.getByRole('button', { name: 'Done' }).click()
  await page.getByRole('button', { name: 'Revoke e2e laptop' }).click()
  await page.getByRole('dialog', { name: 'Revoke API key?' }).getByRole('button', { name: 'Revoke key' }).click()
  await page.getByText(/Revoked/).first().waitFor()
  await lookAt(page, '17-api-keys', reports)
  const after = await fetch(`${inject('baseUrl')}/api/v1/auth/me`, { headers: { 'X-API-Key': key } })
  expect(after.status).toBe(401)
  expect(await page.content()).not.toContain(key)
})

it('connects a Gmail account through Google\'s consent screen and reads its inbox', async () => {
  await page.goto('/settings/accounts')
  await page.getByRole('button', { name: 'Connect Gmail' }).click()
  // Google's consent screen (a local fake of accounts.google.com), then back through the OAuth callback.
  await page.getByRole('heading', { name: /wants to access your Google Account/ }).waitFor()
  await page.getByRole('button', { name: 'Allow' }).click()
  await page.waitForURL(/\/settings\/accounts\?connected=/)
  await page.getByText(`Connected ${inject('gmailAddress')}`).waitFor()
  await lookAt(page, '17b-gmail-connected', reports)
  await page.goto('/mail/INBOX')
  await page.getByRole('list', { name: 'Inbox messages' }).getByRole('link', { name: /Flight to Lisbon confirmed/ }).waitFor()
  await lookAt(page, '17c-gmail-inbox', reports)
})

it('sees the scheduled send go out, with a live notification', async () => {
  await page.goto('/scheduled?status=sent')
  await toast(page, 'Scheduled email sent', 150_000)
  await page.reload()
  const list = page.getByRole('list', { name: 'Scheduled emails' })
  await list.getByText('Quarterly numbers').waitFor()
  await list.getByText('Sent', { exact: true }).first().waitFor()
  await lookAt(page, '18-scheduled-sent', reports)
})

it('signs out, and the admin sees the user\'s actions in the audit log', async () => {
  await page.getByRole('button', { name: 'Account menu' }).click()
  await page.getByRole('menuitem', { name: 'Sign out' }).click()
  await page.waitForURL((url) => url.pathname === '/login' && !url.search.includes('next'))
  await fillLoginForm(inject('adminEmail'), inject('adminPassword'))
  await page.waitForURL(/\/mail\//)
  await page.goto('/admin/users')
  await page.getByRole('region', { name: 'Users table' }).getByText(USER_EMAIL).waitFor()
  await lookAt(page, '19-admin-users', reports)
  await page.goto('/admin/audit')
  await page.getByLabel('Action').fill('api_key.created')
  await page.getByRole('button', { name: 'Apply filters' }).click()
  const table = page.getByRole('region', { name: 'Audit log table' })
  await table.getByText('api_key.created').first().waitFor()
  await lookAt(page, '20-admin-audit', reports)
  await page.goto('/admin/system')
  await page.getByRole('heading', { name: 'Metrics' }).waitFor()
  await lookAt(page, '21-admin-system', reports)
})

it('works at a phone\'s width', async () => {
  const phone = await openSession(browser, inject('baseUrl'), { width: 390, height: 844 })
  await signIn(phone.page, inject('adminEmail'), inject('adminPassword'), /\/mail\//)
  await lookAt(phone.page, '22-phone-inbox', reports)
  await phone.page.getByRole('button', { name: 'Open navigation' }).click()
  await phone.page.getByRole('navigation', { name: 'Mailboxes and sections' }).getByRole('link', { name: 'Compose' }).waitFor()
  await lookAt(phone.page, '23-phone-navigation', reports)
  expect(phone.consoleErrors).toEqual([])
  await phone.context.close()
})

it('finishes with no serious accessibility findings and no console errors', () => {
  const findings = reports.filter((r) => r.violations.length > 0)
  expect(findings, JSON.stringify(findings, null, 2)).toEqual([])
  expect(session.consoleErrors).toEqual([])
})

