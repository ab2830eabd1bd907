// React access to the in-memory session.
import { useSyncExternalStore } from 'react'
import { getSession, subscribeSession, type SessionState } from '@/lib/auth-session'

export function useSession(): SessionState {
  return useSyncExternalStore(subscribeSession, getSession, getSession)
}
