// What every browser test does the same way: run the real CLI against the test server's data dir, sign in through the
// login form, and wait for a toast. One copy, so a change of the login form or of the toasts is made once.
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { inject } from 'vitest'

const MAILAGENT = resolve(import.meta.dirname, '..', '..', '..', '.venv', 'bin', 'mailagent')

/** Runs `mailagent <args>` on the data dir of the server under test and returns what it printed. */
export function cli(...args: string[]): string {
  return execFileSync(MAILAGENT, args, { env: { ...process.env, MAILAGENT_DATA_DIR: inject('dataDir') }, stdio: 'pipe' }).toString()
}

/** Signs in through the login form and waits until the app has taken the user to `landing`. */
export async function signIn(page: Page, email: string, password: string, landing: RegExp = /\/mail\/INBOX/): Promise<void> {
  await page.goto('/login')
  await page.getByLabel('Email', { exact: true }).fill(email)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(landing)
}

/** Waits for a toast whose text matches. */
export async function toast(page: Page, text: string | RegExp, timeout = 15_000): Promise<void> {
  await page.locator('[data-sonner-toast]').filter({ hasText: text }).first().waitFor({ timeout })
}
