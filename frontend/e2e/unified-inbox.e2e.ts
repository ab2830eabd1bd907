// The unified inbox (issue 19) in Chromium against the real backend: a person with the demo mailbox and a Gmail
// account (the local fake of Google) picks "All inboxes", sees both accounts' mail in one list with an account chip
// on each row, replies to the Gmail message from Gmail, and sends a new message from the demo mailbox with From.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { cli, signIn, toast } from './support/actions'
import { launch, openSession, type Session } from './support/browser'
import { lookAt, type ScreenReport } from './support/journey'

const EMAIL = 'lea.moreau@e2e-unified.example'
const PASSWORD = 'Amber-quarry 64 finches!'
const DEMO = 'you@demo.mailagent.local'

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

it('connects Gmail beside the demo mailbox and shows both in "All inboxes", each row with its account', async () => {
  await page.goto('/settings/accounts')
  await page.getByRole('button', { name: 'Connect Gmail' }).click()
  await page.getByRole('heading', { name: /wants to access your Google Account/ }).waitFor()
  await page.getByRole('button', { name: 'Allow' }).click()
  await page.getByText(`Connected ${inject('gmailAddress')}`).waitFor()

  await page.goto('/mail/INBOX')
  const switcher = page.getByRole('combobox', { name: 'Mailbox' })
  await switcher.selectOption({ label: 'All inboxes' })
  const list = page.getByRole('list', { name: 'Inbox — all accounts messages' })
  const gmailRow = list.getByRole('link', { name: /Flight to Lisbon confirmed/ })
  await gmailRow.waitFor()
  await expect.poll(() => gmailRow.textContent()).toContain(`in ${inject('gmailAddress')}`)
  // the demo mailbox's mail is in the same list, with its own chip
  await list.getByRole('link', { name: new RegExp(`in ${DEMO.replace(/\./g, '\\.')}`) }).first().waitFor()
  await lookAt(page, 'unified-01-all-inboxes', reports)
})

it('replies to the Gmail message from the Gmail account', async () => {
  const list = page.getByRole('list', { name: 'Inbox — all accounts messages' })
  await list.getByRole('link', { name: /Flight to Lisbon confirmed/ }).click()
  await page.waitForURL(/\/mail\/INBOX\/[^?]+\?.*account=/)
  await page.getByRole('heading', { name: 'Flight to Lisbon confirmed' }).waitFor()
  // Reply opens inside the conversation, which the URL placed in the Gmail account
  await page.getByRole('toolbar', { name: 'Conversation actions' }).getByRole('button', { name: 'Reply', exact: true }).click()
  await page.getByText(`From: ${inject('gmailAddress')}`).waitFor()
  await page.getByRole('textbox', { name: 'Message body' }).click()
  await page.keyboard.type('Thanks, see you in Lisbon.')
  await lookAt(page, 'unified-02-reply-from-gmail', reports)
  await page.getByRole('button', { name: 'Send', exact: true }).click()
  await toast(page, /sent/i, 30_000)

  await page.goto('/mail/SENT')
  const sent = page.getByRole('list', { name: 'Sent — all accounts messages' })
  const reply = sent.getByRole('link', { name: /Re: Flight to Lisbon confirmed/ })
  await reply.waitFor({ timeout: 30_000 })
  await expect.poll(() => reply.textContent()).toContain(`in ${inject('gmailAddress')}`)
})

it('sends a new message from the demo mailbox chosen in From', async () => {
  await page.goto('/compose')
  await page.getByRole('heading', { name: 'New message' }).waitFor()
  const from = page.getByRole('combobox', { name: 'From' })
  await from.selectOption({ label: DEMO })
  const to = page.getByRole('combobox', { name: 'To' })
  await to.fill('paulo@lisbon.example')
  await to.press('Enter')
  await page.getByLabel('Subject').fill('Sent from the demo mailbox')
  await page.getByRole('textbox', { name: 'Message body' }).click()
  await page.keyboard.type('Chosen in From.')
  await lookAt(page, 'unified-03-from-picker', reports)
  await page.getByRole('button', { name: 'Send', exact: true }).click()
  await toast(page, /sent/i, 30_000)

  await page.goto('/mail/SENT')
  const sent = page.getByRole('list', { name: 'Sent — all accounts messages' })
  const row = sent.getByRole('link', { name: /Sent from the demo mailbox/ })
  await row.waitFor({ timeout: 30_000 })
  await expect.poll(() => row.textContent()).toContain(`in ${DEMO}`)
  await lookAt(page, 'unified-04-sent-all-accounts', reports)
})

it('finishes with no serious accessibility findings and no console errors', () => {
  const findings = reports.filter((r) => r.violations.length > 0)
  expect(findings, JSON.stringify(findings, null, 2)).toEqual([])
  expect(session.consoleErrors).toEqual([])
})
