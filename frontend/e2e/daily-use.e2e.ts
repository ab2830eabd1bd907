// The web app people live in all day (issue 17), in Chromium against the real backend: a compose survives a reload
// and leaving it, the one Drafts entry opens drafts for editing, outage messages are right and go away, and undo.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { cli, signIn, toast } from './support/actions'
import { launch, openSession, type Session } from './support/browser'
import { lookAt, type ScreenReport } from './support/journey'

const EMAIL = 'noor.haddad@e2e-daily.example'
const PASSWORD = 'Copper-willow 81 tides!'

let browser: Browser
let session: Session
let page: Page
const reports: ScreenReport[] = []

beforeAll(async () => {
  cli('user', 'create', '--email', EMAIL, '--password', PASSWORD)
  cli('mail', 'connect-demo', '--user', EMAIL)
  browser = await launch()
  session = await openSession(browser, inject('baseUrl'), { width: 1366, height: 768 })
  page = session.page
  await signIn(page, EMAIL, PASSWORD)
})

afterAll(async () => {
  await browser?.close()
})

it('autosaves a compose as it is typed, and the draft is there after a reload', async () => {
  await page.goto('/compose')
  await page.getByRole('heading', { name: 'New message' }).waitFor()
  const to = page.getByRole('combobox', { name: 'To' })
  await to.fill('carol@northwind.example')
  await to.press('Enter')
  await page.getByLabel('Subject').fill('Budget for March')
  await page.getByRole('textbox', { name: 'Message body' }).click()
  await page.keyboard.type('Numbers attached by Friday.')
  // Nothing pressed: the draft is saved once typing pauses, and the URL names it.
  await page.waitForURL(/\/compose\?draft=/, { timeout: 30_000 })
  await page.getByText('Draft saved', { exact: true }).waitFor({ timeout: 30_000 })
  await lookAt(page, 'daily-01-compose-autosaved', reports)
  await page.reload()
  await page.getByRole('heading', { name: 'Edit draft' }).waitFor()
  await expect.poll(() => page.getByLabel('Subject').inputValue()).toBe('Budget for March')
  await page.getByRole('textbox', { name: 'Message body' }).getByText('Numbers attached by Friday.').waitFor()
  await page.getByText('carol@northwind.example').first().waitFor()
})

it('keeps what was typed when leaving a compose, and says where it went', async () => {
  await page.goto('/compose')
  await page.getByRole('heading', { name: 'New message' }).waitFor()
  await page.getByLabel('Subject').fill('Left mid-sentence')
  await page.getByRole('textbox', { name: 'Message body' }).click()
  await page.keyboard.type('I was about to say')
  // At once, before any autosave: a click on Inbox.
  await page.getByRole('navigation', { name: 'Mailboxes and sections' }).getByRole('link', { name: /^Inbox/ }).click()
  await page.waitForURL(/\/mail\/INBOX/)
  await toast(page, 'Your message is in Drafts.')
  await page.goto('/drafts')
  await page.getByRole('heading', { name: 'Drafts', level: 1 }).waitFor()
  await page.getByText('Left mid-sentence').first().waitFor()
  await lookAt(page, 'daily-02-drafts', reports)
})

it('has one Drafts entry, which opens drafts to edit and send, listed by recipient', async () => {
  await page.goto('/mail/INBOX')
  const sidebar = page.getByRole('navigation', { name: 'Mailboxes and sections' })
  await expect.poll(() => sidebar.getByRole('link', { name: 'Drafts', exact: true }).count()).toBe(1)
  await sidebar.getByRole('link', { name: 'Drafts', exact: true }).click()
  await page.waitForURL(/\/drafts$/)
  await page.getByText('To: carol@northwind.example').first().waitFor()
  await page.getByRole('link', { name: /^Edit draft: Budget for March/ }).first().waitFor()
  // The old label address leads to the same screen.
  await page.goto('/mail/DRAFT')
  await page.waitForURL(/\/drafts$/)
})

it('says the server could not be reached during an outage, and clears it when the connection is back', async () => {
  session.expectConsoleError(/ERR_INTERNET_DISCONNECTED|ERR_NAME_NOT_RESOLVED|WebSocket|Failed to load resource|net::/)
  await page.goto('/mail/INBOX')
  const inbox = page.getByRole('list', { name: 'Inbox messages' })
  const first = inbox.getByRole('link').first()
  await first.waitFor()
  await session.context.setOffline(true)
  await first.click()
  await page.getByText(/could not be reached/).first().waitFor({ timeout: 30_000 })
  expect(await page.getByText(/new version/i).count()).toBe(0)
  await lookAt(page, 'daily-03-outage', reports)
  await session.context.setOffline(false)
  // Back: the screen loads by itself (no click on Try again) and the message goes.
  await page.getByRole('toolbar', { name: 'Conversation actions' }).waitFor({ timeout: 60_000 })
  await expect.poll(() => page.getByText(/could not be reached/).count(), { timeout: 60_000 }).toBe(0)
  await page.getByText('Live', { exact: true }).waitFor({ timeout: 60_000 })
})

it('undoes an archive from the list with z, and a trash from the thread with the Undo button', async () => {
  await page.goto('/mail/INBOX')
  const inbox = page.getByRole('list', { name: 'Inbox messages' })
  await inbox.getByRole('listitem').first().waitFor()
  const firstSubject = async () => (await inbox.getByRole('listitem').first().getByRole('link').first().textContent()) ?? ''
  const before = await firstSubject()
  await page.locator('body').click({ position: { x: 5, y: 300 } })
  await page.keyboard.press('e')
  await toast(page, 'Message archived')
  await expect.poll(firstSubject, { timeout: 15_000 }).not.toBe(before)
  await lookAt(page, 'daily-04-undo-toast', reports)
  await page.keyboard.press('z')
  await toast(page, 'Undone')
  await expect.poll(firstSubject, { timeout: 15_000 }).toBe(before)

  await inbox.getByRole('listitem').first().getByRole('link').first().click()
  const toolbar = page.getByRole('toolbar', { name: 'Conversation actions' })
  await toolbar.waitFor()
  await toolbar.getByRole('button', { name: 'Trash' }).click()
  await page.waitForURL(/\/mail\/INBOX(\?|$)/)
  const undo = page.locator('[data-sonner-toast]').filter({ hasText: /moved to Trash/ }).getByRole('button', { name: 'Undo' })
  await undo.click()
  await toast(page, 'Undone')
  await expect.poll(firstSubject, { timeout: 15_000 }).toBe(before)
})

it('holds a send for the undo window: Undo brings the message back as a draft; left alone, it goes out', async () => {
  await page.goto('/compose')
  await page.getByRole('heading', { name: 'New message' }).waitFor()
  const to = page.getByRole('combobox', { name: 'To' })
  await to.fill('dora@northwind.example')
  await to.press('Enter')
  await page.getByLabel('Subject').fill('Second thoughts')
  await page.getByRole('textbox', { name: 'Message body' }).click()
  await page.keyboard.type('Maybe not.')
  await page.getByRole('button', { name: 'Send', exact: true }).click()
  const sending = page.locator('[data-sonner-toast]').filter({ hasText: /Sends in \d+ s/ })
  await sending.waitFor({ timeout: 15_000 })
  await lookAt(page, 'daily-05-undo-send', reports)
  await sending.getByRole('button', { name: 'Undo' }).click()
  await page.waitForURL(/\/compose\?draft=/, { timeout: 15_000 })
  await expect.poll(() => page.getByLabel('Subject').inputValue()).toBe('Second thoughts')

  // Send again and leave it: it goes out once the window closes, and is in Sent once.
  await page.getByRole('button', { name: 'Send', exact: true }).click()
  await toast(page, 'Message sent', 60_000)
  const sentCopies = async () => {
    await page.goto('/mail/SENT')
    const list = page.getByRole('list', { name: /messages/ })
    await list.getByRole('listitem').first().waitFor()
    return list.getByRole('link', { name: /Second thoughts/ }).count()
  }
  await expect.poll(sentCopies, { timeout: 60_000, interval: 2_000 }).toBe(1)
})

it('works from the keyboard: ? lists the shortcuts, c composes, Escape leaves, j/k in a thread, r lands in the editor', async () => {
  await page.goto('/mail/INBOX')
  const inbox = page.getByRole('list', { name: 'Inbox messages' })
  await inbox.getByRole('listitem').first().waitFor()
  await page.keyboard.press('?')
  const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await sheet.waitFor()
  await lookAt(page, 'daily-06-shortcuts', reports)
  await page.keyboard.press('Escape')
  await sheet.waitFor({ state: 'hidden' })

  await page.keyboard.press('c')
  await page.waitForURL(/\/compose$/)
  await page.getByLabel('Subject').fill('Escaped')
  await page.keyboard.press('Escape')
  await page.waitForURL(/\/mail\/INBOX/)
  await toast(page, 'Your message is in Drafts.')

  await inbox.getByRole('link', { name: /Team offsite in Lisbon/ }).first().click()
  await page.getByRole('toolbar', { name: 'Conversation actions' }).waitFor()
  await page.getByRole('article', { name: /^Message from/ }).first().waitFor()
  await page.keyboard.press('j')
  await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '')).toMatch(/^Message from/)
  await page.keyboard.press('r')
  await page.getByRole('region', { name: 'Reply', exact: true }).waitFor()
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.closest('[aria-label="Message body"]') !== null), { timeout: 15_000 })
    .toBe(true)
  await page.keyboard.type('Typed straight away.')
  await page.getByRole('textbox', { name: 'Message body' }).getByText('Typed straight away.').waitFor()
})

it('finishes with no serious accessibility findings and no console errors', () => {
  const findings = reports.filter((r) => r.violations.length > 0)
  expect(findings, JSON.stringify(findings, null, 2)).toEqual([])
  expect(session.consoleErrors).toEqual([])
})
