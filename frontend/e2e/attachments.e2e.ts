// Attachments in Chromium against the real backend (with a real clamd): drop a file into compose, watch it upload
// and get scanned, send it, and find it in the sent copy byte for byte; EICAR dropped in is refused with its name.
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { cli, signIn } from './support/actions'
import { launch, openSession, type Session } from './support/browser'
import { lookAt, type ScreenReport } from './support/journey'

const EMAIL = 'rui.costa@e2e-attachments.example'
const PASSWORD = 'Amber-falcon 73 rivers!'
// The EICAR test file (harmless; every scanner knows it), assembled so this source file is not itself flagged.
const EICAR = ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'].join('')

let browser: Browser
let session: Session
let page: Page
const reports: ScreenReport[] = []

beforeAll(async () => {
  cli('user', 'create', '--email', EMAIL, '--password', PASSWORD)
  cli('mail', 'connect-demo', '--user', EMAIL)
  browser = await launch()
  session = await openSession(browser, inject('baseUrl'))
  page = session.page
  await signIn(page, EMAIL, PASSWORD)
})

afterAll(async () => {
  await browser?.close()
})

/** Drop files on the compose form the way a desktop drag does: dragover, then drop with a DataTransfer. */
async function dropFiles(files: { name: string; type: string; base64: string }[]): Promise<void> {
  const transfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer()
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))
      dt.items.add(new File([bytes], f.name, { type: f.type }))
    }
    return dt
  }, files)
  const zone = page.getByTestId('compose-dropzone')
  await zone.dispatchEvent('dragenter', { dataTransfer: transfer })
  await zone.dispatchEvent('dragover', { dataTransfer: transfer })
  await zone.dispatchEvent('drop', { dataTransfer: transfer })
}

it('attaches a dropped file, shows its upload and scan, sends it, and the sent copy has the same bytes', async () => {
  const content = randomBytes(3 * 1024 * 1024)
  const digest = createHash('sha256').update(content).digest('hex')
  await page.goto('/compose')
  await page.getByRole('heading', { name: 'New message', level: 1 }).waitFor()
  await page.getByRole('combobox', { name: 'To' }).fill('bea@northwind.example')
  await page.getByRole('textbox', { name: 'Subject' }).fill('Plans for the offsite')
  await page.getByRole('textbox', { name: 'Message body' }).click()
  await page.keyboard.type('The floor plan is attached.')

  await dropFiles([{ name: 'floor-plan.bin', type: 'application/octet-stream', base64: content.toString('base64') }])
  const chip = page.getByRole('listitem', { name: 'Attachment floor-plan.bin' })
  await chip.waitFor()
  await chip.getByText('Scanned, no threat found').waitFor({ timeout: 60_000 })
  await expect.poll(() => page.getByTestId('attachment-budget').textContent()).toBe('3.0 MB of 25.0 MB')
  await lookAt(page, 'attachments-01-compose', reports)

  await page.getByRole('button', { name: 'Send', exact: true }).click()
  await page.locator('[data-sonner-toast]').filter({ hasText: 'Message sent' }).first().waitFor({ timeout: 60_000 })

  // The recipient's copy: the message as it went out (the demo mailbox keeps it in Sent), its attachment downloaded.
  await page.goto('/mail/SENT')
  await page.getByRole('link', { name: /Plans for the offsite/ }).first().click()
  const attachments = page.getByRole('list', { name: 'Attachments' })
  await attachments.getByText('floor-plan.bin').waitFor()
  await lookAt(page, 'attachments-02-sent-copy', reports)
  const [download] = await Promise.all([page.waitForEvent('download'), attachments.getByRole('button', { name: 'Download floor-plan.bin' }).click()])
  const saved = readFileSync(await download.path())
  expect(createHash('sha256').update(saved).digest('hex')).toBe(digest)
})

it('refuses EICAR dropped into compose, naming the file, and sends nothing with it', async () => {
  await page.goto('/compose')
  await page.getByRole('heading', { name: 'New message', level: 1 }).waitFor()
  session.expectConsoleError(/422/)
  await dropFiles([{ name: 'invoice.com', type: 'application/octet-stream', base64: Buffer.from(EICAR).toString('base64') }])
  const chip = page.getByRole('listitem', { name: 'Attachment invoice.com' })
  await chip.getByRole('alert').filter({ hasText: "'invoice.com' was refused on upload" }).waitFor({ timeout: 60_000 })
  await expect.poll(() => page.getByTestId('attachment-budget').textContent()).toBe('0 B of 25.0 MB')
  await lookAt(page, 'attachments-03-eicar-refused', reports)
  await page.getByRole('combobox', { name: 'To' }).fill('bea@northwind.example')
  await page.getByRole('button', { name: 'Send', exact: true }).click()
  await page.getByText('Remove the attachments that could not be uploaded first.').waitFor()
  await chip.getByRole('button', { name: 'Remove attachment invoice.com' }).click()
  await chip.waitFor({ state: 'detached' })
})

it('finishes with no serious accessibility findings and no console errors', () => {
  const findings = reports.filter((r) => r.violations.length > 0)
  expect(findings, JSON.stringify(findings, null, 2)).toEqual([])
  expect(session.consoleErrors).toEqual([])
})
