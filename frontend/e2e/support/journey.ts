// Helpers for the journey: look at a screen (axe + screenshot), wall-clock times in a zone.
import type { Page } from 'playwright-core'
import { axeViolations, screenshot, type AxeFinding } from './browser'

export interface ScreenReport {
  name: string
  violations: AxeFinding[]
}

/** Check the screen as it is now with axe-core and save its screenshot; findings are collected, not thrown. */
export async function lookAt(page: Page, name: string, reports: ScreenReport[]): Promise<void> {
  await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => undefined)
  // Wait for loading indicators to go, so the screenshot and the axe check see the real screen.
  await page
    .getByText(/^Loading/)
    .first()
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => undefined)
  // Toasts fade in over 400 ms; axe would measure the contrast of half-transparent text.
  if ((await page.locator('[data-sonner-toast]').count()) > 0) await page.waitForTimeout(800)
  reports.push({ name, violations: await axeViolations(page) })
  await screenshot(page, name)
}

/** `YYYY-MM-DDTHH:MM` wall time in `timeZone`, `secondsAhead` from now rounded up to a whole minute. */
export function wallTimeAhead(timeZone: string, secondsAhead: number): string {
  const when = new Date(Math.ceil((Date.now() + secondsAhead * 1000) / 60_000) * 60_000)
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(when)
      .map((p) => [p.type, p.value]),
  )
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`
}
