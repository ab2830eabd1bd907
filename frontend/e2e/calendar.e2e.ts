// The calendar and contacts screens against the real backend's demo calendar: the Lisbon offsite from the demo mail is
// there in the calendar's zone (shown), an invitation is answered, an event with Alice from the address book is created
// and listed, the week view has a today line, the contacts page finds both Johns; no serious accessibility finding.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { cli, signIn } from './support/actions'
import { axeViolations, launch, openSession, screenshot } from './support/browser'

const EMAIL = 'ines.calendar@e2e-calendar.example'
const PASSWORD = 'Harbour-lantern 48 gulls!'

let browser: Browser

beforeAll(async () => {
  cli('user', 'create', '--email', EMAIL, '--password', PASSWORD)
  cli('mail', 'connect-demo', '--user', EMAIL)
  browser = await launch()
})

afterAll(async () => {
  await browser?.close()
})

it('shows the demo calendar, answers an invitation, creates an event with Alice and searches contacts', async () => {
  const session = await openSession(browser, inject('baseUrl'), { width: 1366, height: 900 })
  const page = session.page
  await signIn(page, EMAIL, PASSWORD)

  await page.getByRole('navigation', { name: 'Mailboxes and sections' }).getByRole('link', { name: 'Calendar' }).click()
  await page.getByRole('heading', { name: 'Calendar', level: 1 }).waitFor()
  await page.getByText('Team offsite').first().waitFor({ timeout: 30_000 })
  await expect.poll(() => page.getByLabel('Time zone').textContent()).toContain('Europe/Lisbon')
  await screenshot(page, 'calendar-agenda')
  expect(await axeViolations(page)).toEqual([])

  // The offsite invitation from Carol: accept it (Carol is told by mail).
  const offsite = page.getByRole('listitem').filter({ hasText: 'Team offsite' })
  await offsite.getByRole('button', { name: 'Accept' }).click()
  await expect.poll(() => offsite.getByRole('button', { name: 'Accept' }).getAttribute('aria-pressed')).toBe('true')

  // A new event with Alice, picked from the address book.
  await page.getByRole('button', { name: 'New event' }).click()
  const dialog = page.getByRole('dialog', { name: 'New event' })
  await dialog.getByLabel('Title').fill('Invoice review with Alice')
  await dialog.getByRole('combobox', { name: 'Attendees' }).fill('alice')
  await expect.poll(async () => {
    await dialog.getByRole('combobox', { name: 'Attendees' }).press('Enter')
    return dialog.getByRole('list', { name: 'Invited' }).textContent()
  }).toContain('alice@northwind.example')
  await screenshot(page, 'calendar-new-event')
  expect(await axeViolations(page)).toEqual([])
  await dialog.getByRole('button', { name: 'Save and send invitations' }).click()
  await page.getByText('Invoice review with Alice').first().waitFor()

  await page.getByRole('button', { name: 'Week' }).click()
  await page.getByRole('grid', { name: 'Week' }).waitFor()
  expect(await page.getByTestId('today-line').count()).toBe(1)
  await screenshot(page, 'calendar-week')

  await page.getByRole('navigation', { name: 'Mailboxes and sections' }).getByRole('link', { name: 'Contacts' }).click()
  await page.getByLabel('Search contacts').fill('john')
  await page.getByText('John Smith').waitFor()
  await page.getByText('John Park').waitFor()
  await screenshot(page, 'contacts-search')
  expect(await axeViolations(page)).toEqual([])
  expect(session.consoleErrors).toEqual([])
  await session.context.close()
})
