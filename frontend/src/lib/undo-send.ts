// The undo window for sends: how many seconds a sent message is held by the server before it leaves (0–30, default
// 10). It is a per-user setting kept on the server (Settings → Profile → Sending), so every device holds alike; the
// server itself applies it to a send made with `undo_hold`. Sends held this way are remembered so their "sent"
// notice says "Message sent" (once the server has sent it), not "Scheduled email sent".
import { toast } from 'sonner'
import { getSession } from './auth-session'

export const UNDO_SEND_DEFAULT = 10
export const UNDO_SEND_MAX = 30

/** The signed-in person's undo window, as the server last told us (sign-in, refresh, or a settings change). */
export function undoSendSeconds(): number {
  const value = getSession().user?.undo_send_seconds
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.min(UNDO_SEND_MAX, value)) : UNDO_SEND_DEFAULT
}

/** Seconds left until a held send leaves, from the server's own send time (never less than 1 while held). */
export function secondsUntil(sendAt: string, now = Date.now()): number {
  const ms = Date.parse(sendAt) - now
  return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : UNDO_SEND_DEFAULT
}

const held = new Set<string>()

export function rememberHeldSend(scheduledId: string): void {
  held.add(scheduledId)
}

export function isHeldSend(scheduledId: unknown): boolean {
  return typeof scheduledId === 'string' && held.has(scheduledId)
}

/** How a held send ended, as the server tells it. */
export type HeldOutcome = { status: 'sent' } | { status: 'failed'; error: string | null } | { status: 'cancelled' }

const waiting = new Map<string, (outcome: HeldOutcome) => void>()

/** The live feed says a held send ended (`scheduled_email.sent` / `.failed`): the notice waiting for it says so.
 * True when a notice was waiting (the feed's own announcement is then not needed). */
export function settleHeldSend(scheduledId: unknown, outcome: HeldOutcome): boolean {
  if (typeof scheduledId !== 'string') return false
  const settle = waiting.get(scheduledId)
  if (!settle) return false
  settle(outcome)
  return true
}

export interface ConfirmOptions {
  /** Asks the server how the send stands: an outcome once it has ended, null while it is still to go or going. */
  check: () => Promise<HeldOutcome | null>
  /** Called once the message has gone out (lists and the conversation gain the sent copy). */
  onSent?: () => void
  /** How often the server is asked when the live feed is quiet (a dropped socket, an event missed at page load). */
  pollMs?: number
  /** After this long the notice stops waiting and says the send is still on its way. */
  giveUpMs?: number
}

/** The undo window is over: the notice (`toastId`) says "Sending…" until the server says the message went out, then
 * "Message sent" — or why it could not be sent. The countdown in the browser is not the send: the server sends at
 * its own time (a busy worker can be late, a provider can refuse), so "sent" is only said once it is true. The live
 * feed settles it at once; the server is also asked every `pollMs` in case the feed misses it. */
export function confirmHeldSend(scheduledId: string, toastId: string, options: ConfirmOptions): Promise<HeldOutcome | null> {
  const { check, onSent, pollMs = 2_000, giveUpMs = 120_000 } = options
  toast.loading('Sending…', { id: toastId, description: undefined, action: undefined })
  return new Promise((resolve) => {
    let done = false
    let timer: number | undefined
    const started = Date.now()
    const finish = (outcome: HeldOutcome | null) => {
      if (done) return
      done = true
      window.clearTimeout(timer)
      waiting.delete(scheduledId)
      if (outcome === null) {
        toast('Still sending', {
          id: toastId,
          description: 'It goes out as soon as the server can; Scheduled shows how it stands.',
          duration: 8_000,
        })
      } else if (outcome.status === 'sent') {
        toast.success('Message sent', { id: toastId, description: undefined, duration: 4_000 })
        onSent?.()
      } else if (outcome.status === 'failed') {
        toast.error('Your message could not be sent', {
          id: toastId,
          description: outcome.error || 'Scheduled shows it; it can be sent again from there.',
          duration: 10_000,
        })
      } else {
        toast.dismiss(toastId)
      }
      resolve(outcome)
    }
    waiting.set(scheduledId, finish)
    const poll = () => {
      timer = window.setTimeout(async () => {
        if (done) return
        const outcome = await check().catch(() => null)
        if (outcome) finish(outcome)
        else if (Date.now() - started >= giveUpMs) finish(null)
        else poll()
      }, pollMs)
    }
    poll()
  })
}
