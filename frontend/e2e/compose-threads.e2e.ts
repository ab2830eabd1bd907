// Compose in the conversation (issue 17), in Chromium against the real backend: few Tab stops before the search box,
// a forward written inline with a file of its own and the original's, held for the undo window and taken back, then
// a scheduled reply that goes out in its thread.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { cli, signIn, toast } from './support/actions'
import { launch, openSession, type Session } from './support/browser'
import { lookAt, type ScreenReport } from './support/journey'

const EMAIL = 'ines.okafor@e2e-threads.example'
const PASSWORD = 'Lantern-harbour 64 reeds!'
// Before issue 17's fix a keyboard user pressed Tab 22 times to reach the search box.
const MAX_TAB_STOPS_BEFORE_SEARCH = 8

let browser: Browser
let session: Session
let page: Page
const reports: ScreenReport[] = []

async function openOffsite(): Promise<void> {
  await page.goto('/mail/INBOX')
  const inbox = page.getByRole('list', { name: 'Inbox messages' })
  await inbox.getByRole('link', { name: /Team offsite in Lisbon/ }).first().click()
  await page.getByRole('toolbar', { name: 'Conversation actions' }).waitFor()
  await page.getByRole('article', { name: /^Message from/ }).first().waitFor()
}

const articles = () => page.getByRole('article', { name: /^Message from/ }).count()

beforeAll(async () => {
  cli('user', 'create', '--email', EMAIL, '--password', PASSWORD)
  cli('mail', 'connect-demo', '--user', EMAIL)
  browser = await launch()
  session = await openSession(browser, inject('baseUrl'), { width: 1440, height: 900 })
  page = session.page
  await signIn(page, EMAIL, PASSWORD)
})

afterAll(async () => {
  await browser?.close()
})

it('reaches the search box in a few Tab presses; arrows move along the sidebar', async () => {
  await page.goto('/mail/INBOX')
  const search = page.getByRole('searchbox', { name: 'Search mail' })
  await search.waitFor()
  await page.getByRole('list', { name: 'Inbox messages' }).getByRole('listitem').first().waitFor()
  // From a fresh load, as a keyboard user starts.
  await page.reload()
  await search.waitFor()
  await page.getByRole('list', { name: 'Inbox messages' }).getByRole('listitem').first().waitFor()
  let presses = 0
  const onSearch = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') === 'Search mail')
  while (!(await onSearch()) && presses < 40) {
    await page.keyboard.press('Tab')
    presses += 1
  }
  expect(await onSearch()).toBe(true)
  expect(presses).toBeLessThanOrEqual(MAX_TAB_STOPS_BEFORE_SEARCH)

  // The sidebar's links are one stop: Tab lands on the current mailbox; ↓ goes to the next, Enter opens it.
  await page.keyboard.press('Shift+Tab')
  const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '')
  let back = 0
  while (!/^Inbox/.test(await focused()) && back < 10) {
    await page.keyboard.press('Shift+Tab')
    back += 1
  }
  expect(await focused()).toMatch(/^Inbox/)
  await page.keyboard.press('ArrowDown')
  expect(await focused()).toMatch(/^Starred/)
  await page.keyboard.press('End')
  expect(await focused()).toMatch(/Settings|Admin/)
  await page.keyboard.press('Home')
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/mail\/STARRED/)
  await lookAt(page, 'threads-01-sidebar-focus', reports)
})

it('forwards inline with a file of its own, held for the undo window, and Undo takes it back', async () => {
  await openOffsite()
  const before = await articles()
  await page.getByRole('toolbar', { name: 'Conversation actions' }).getByRole('button', { name: 'Forward', exact: true }).click()
  const inline = page.getByRole('region', { name: 'Forward', exact: true })
  const to = inline.getByRole('combobox', { name: 'To' })
  await to.fill('dora@northwind.example')
  await to.press('Enter')
  await inline.getByRole('textbox', { name: 'Message body' }).click()
  await page.keyboard.type('For your calendar.')
  await inline.locator('input[type=file]').setInputFiles({ name: 'agenda.txt', mimeType: 'text/plain', buffer: Buffer.from('Day 1: arrivals\n') })
  await inline.getByText('agenda.txt').waitFor()
  await expect.poll(() => inline.getByRole('button', { name: 'Send', exact: true }).isEnabled(), { timeout: 30_000 }).toBe(true)
  await lookAt(page, 'threads-02-inline-forward', reports)
  await inline.getByRole('button', { name: 'Send', exact: true }).click()
  const sending = page.locator('[data-sonner-toast]').filter({ hasText: /Sends in \d+ s/ })
  await sending.waitFor({ timeout: 15_000 })
  // The form has closed, the conversation is still on screen, and the held send is waiting on the server.
  await inline.waitFor({ state: 'detached' })
  expect(page.url()).toMatch(/\/mail\/INBOX\//)
  await sending.getByRole('button', { name: 'Undo' }).click()
  await page.waitForURL(/\/compose\?draft=/, { timeout: 30_000 })
  await expect.poll(() => page.getByLabel('Subject').inputValue()).toMatch(/^Fwd: .*Team offsite in Lisbon/)
  await page.getByText('agenda.txt').waitFor()
  await lookAt(page, 'threads-03-forward-undone', reports)
  // Nothing went out: the held send was cancelled before the draft came back (Undo waits for the server's answer),
  // so Sent has no forward; the conversation gained only the draft.
  await page.goto('/mail/SENT')
  const sent = page.getByRole('list', { name: /messages/ })
  await sent.getByRole('listitem').first().waitFor()
  expect(await sent.getByRole('link', { name: /Fwd: .*Team offsite/ }).count()).toBe(0)
  await openOffsite()
  expect(await articles()).toBe(before + 1)
})

it('schedules an inline reply that goes out in its conversation', async () => {
  await openOffsite()
  const before = await articles()
  await page.keyboard.press('r')
  const inline = page.getByRole('region', { name: 'Reply', exact: true })
  await inline.waitFor()
  // The recipients are on screen (the sender of the latest message), not worked out unseen by the server.
  await expect.poll(() => inline.getByRole('button', { name: /^Remove / }).count()).toBeGreaterThan(0)
  // The caret is in the body (a key that reached the page instead would be a shortcut: the f of "flight" once made it
  // a forward), and what was typed is what the body holds.
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.closest('[aria-label="Message body"]') !== null), { timeout: 15_000 })
    .toBe(true)
  await page.keyboard.type('Booked my flight.')
  await inline.getByRole('textbox', { name: 'Message body' }).getByText('Booked my flight.').waitFor()
  await inline.getByRole('button', { name: 'Schedule send' }).click()
  const dialog = page.getByRole('dialog', { name: 'Schedule send' })
  await dialog.waitFor()
  await lookAt(page, 'threads-04-schedule-reply', reports)
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  // Sent now instead (held for the undo window), it joins the conversation once the window closes.
  await inline.getByRole('button', { name: 'Send', exact: true }).click()
  await toast(page, 'Message sent', 60_000)
  await expect.poll(articles, { timeout: 60_000, interval: 1_000 }).toBe(before + 1)
  // Its body renders in one of the conversation's sandboxed frames (the restored forward draft is there too).
  const inSomeFrame = async () => {
    for (const frame of page.frames()) if ((await frame.content().catch(() => '')).includes('Booked my flight.')) return true
    return false
  }
  await expect.poll(inSomeFrame, { timeout: 60_000, interval: 1_000 }).toBe(true)
  await lookAt(page, 'threads-05-reply-in-thread', reports)
})

it('lists conversations with their message count, and the choice to list messages is kept', async () => {
  await page.goto('/mail/INBOX')
  const inbox = page.getByRole('list', { name: 'Inbox messages' })
  await inbox.getByRole('listitem').first().waitFor()
  const offsite = inbox.getByRole('listitem').filter({ hasText: /Team offsite in Lisbon/ })
  await expect.poll(() => offsite.count()).toBe(1) // one row for the whole conversation
  const count = Number((await offsite.getByTestId('conversation-count').textContent())?.replace(/\D+/g, ''))
  expect(count).toBeGreaterThan(1)
  await lookAt(page, 'threads-06-conversation-view', reports)
  // The box follows the saved choice: it changes once the server has stored it.
  await page.getByRole('checkbox', { name: 'Conversation view' }).click()
  await expect.poll(() => page.getByRole('checkbox', { name: 'Conversation view' }).isChecked(), { timeout: 15_000 }).toBe(false)
  // Messages again: no conversation counts in the list.
  await expect.poll(() => inbox.getByTestId('conversation-count').count(), { timeout: 15_000 }).toBe(0)
  await page.reload()
  await inbox.getByRole('listitem').first().waitFor()
  expect(await page.getByRole('checkbox', { name: 'Conversation view' }).isChecked()).toBe(false) // kept on the server
  await page.getByRole('checkbox', { name: 'Conversation view' }).click()
  await expect.poll(() => offsite.getByTestId('conversation-count').count(), { timeout: 15_000 }).toBe(1)
})

it('finishes with no serious accessibility findings and no console errors', () => {
  const findings = reports.filter((r) => r.violations.length > 0)
  expect(findings, JSON.stringify(findings, null, 2)).toEqual([])
  expect(session.consoleErrors).toEqual([])
})
