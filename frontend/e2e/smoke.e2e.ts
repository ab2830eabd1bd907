// The app loads from the backend in Chromium and a signed-out visitor lands on the sign-in screen.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { axeViolations, launch, openSession, screenshot } from './support/browser'

let browser: Browser

beforeAll(async () => {
  browser = await launch()
})

afterAll(async () => {
  await browser?.close()
})

it('serves the app and sends a signed-out visitor to sign in, without console errors', async () => {
  const { page, consoleErrors, context } = await openSession(browser, inject('baseUrl'))
  const response = await page.goto('/mail/INBOX')
  expect(response?.status()).toBe(200)
  await page.waitForURL(/\/login\?next=/)
  await expect.poll(() => page.getByRole('heading', { level: 1 }).first().textContent()).toBeTruthy()
  expect(await axeViolations(page)).toEqual([])
  await screenshot(page, '00-signed-out')
  expect(consoleErrors).toEqual([])
  await context.close()
})
