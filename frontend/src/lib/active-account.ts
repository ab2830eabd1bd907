// Which connected mailbox the screens show; remembered per browser (an account id is not a secret).
import { useSyncExternalStore } from 'react'

const KEY = 'mailagent.activeAccount'
const listeners = new Set<() => void>()

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

export function useActiveAccountId(): string | null {
  return useSyncExternalStore(subscribe, getActiveAccountId, () => null)
}
