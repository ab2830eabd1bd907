// A person's whole first session, in Chromium against the real backend: sign-up to the admin's audit log.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { launch, openSession, screenshot, type Session } from './support/browser'
import { lookAt, wallTimeAhead, type ScreenReport } from './support/journey'
import { linkFromOutbox } from './support/outbox'

const USER_EMAIL = 'ana.lima@e2e-journey.example'
const USER_PASSWORD = 'Violet harbour 48 kites!'
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

async function signIn(email: string, password: string): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(email)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

async function toast(text: string | RegExp, timeout = 15_000): Promise<void> {
  await page.locator('[data-sonner-toast]').filter({ hasText: text }).first().waitFor({ timeout })
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
  await signIn(USER_EMAIL, USER_PASSWORD)
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

it('finishes with no serious accessibility findings and no console errors', () => {
  const findings = reports.filter((r) => r.violations.length > 0)
  expect(findings, JSON.stringify(findings, null, 2)).toEqual([])
  expect(session.consoleErrors).toEqual([])
})

void screenshot
