// Which connected mailbox the screens show; remembered per browser (an account id is not a secret).
// The stored choice may be "all" (the unified inbox): lists then span every account, while anything that acts in one
// account uses the message's own account (AccountOverride, set by the screens that show one message) or the first.
import { createContext, useContext, useSyncExternalStore } from 'react'

const KEY = 'mailagent.activeAccount'
export const ALL_ACCOUNTS = 'all'
const listeners = new Set<() => void>()

/** The account of the message (or draft) a screen is about: its hooks act in that account, whatever is chosen. */
export const AccountOverride = createContext<string | null>(null)

export function getActiveAccountId(): string | null {
  return window.localStorage.getItem(KEY)
}

export function setActiveAccountId(id: string | null): void {
  if (id) window.localStorage.setItem(KEY, id)
  else window.localStorage.removeItem(KEY)
  for (const listener of listeners) listener()
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** What the mail lists show: one account's id, "all" (every account, merged by date), or null (the first account). */
export function useMailScope(): string | null {
  return useSyncExternalStore(subscribe, getActiveAccountId, () => null)
}

/** The one account to act in: the screen's message's account, else the chosen one (null: the first, also for "all"). */
export function useActiveAccountId(): string | null {
  const override = useContext(AccountOverride)
  const chosen = useMailScope()
  if (override) return override
  return chosen === ALL_ACCOUNTS ? null : chosen
}
