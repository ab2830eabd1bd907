// The undo window for sends: how many seconds a sent message is held by the server before it leaves (0–30, default
// 10). It is a per-user setting kept on the server (Settings → Profile → Sending), so every device holds alike; the
// server itself applies it to a send made with `undo_hold`. Sends held this way are remembered so their "sent"
// notice says "Message sent", not "Scheduled email sent".
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
