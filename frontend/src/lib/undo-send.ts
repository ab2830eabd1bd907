// The undo window for sends: how many seconds a sent message is held by the server before it leaves (0–30, default
// 10), kept per browser. Sends held this way are remembered so their "sent" notice says "Message sent", not
// "Scheduled email sent".
const KEY = 'mailagent.undoSendSeconds'
export const UNDO_SEND_DEFAULT = 10
export const UNDO_SEND_MAX = 30

export function undoSendSeconds(): number {
  const raw = window.localStorage.getItem(KEY)
  const value = raw === null ? UNDO_SEND_DEFAULT : Number(raw)
  return Number.isFinite(value) ? Math.max(0, Math.min(UNDO_SEND_MAX, Math.round(value))) : UNDO_SEND_DEFAULT
}

export function setUndoSendSeconds(seconds: number): void {
  window.localStorage.setItem(KEY, String(Math.max(0, Math.min(UNDO_SEND_MAX, Math.round(seconds)))))
}

const held = new Set<string>()

export function rememberHeldSend(scheduledId: string): void {
  held.add(scheduledId)
}

export function isHeldSend(scheduledId: unknown): boolean {
  return typeof scheduledId === 'string' && held.has(scheduledId)
}
