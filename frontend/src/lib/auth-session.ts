// The signed-in session: the access token lives only in memory; the refresh token is an httpOnly cookie the
// script cannot read. A reload (or an expiring token) gets a new access token from POST /auth/refresh.
import type { components } from '@/api/schema'

/** The signed-in person with their own settings (undo window, image senders): kept on the server, per user. */
export type SessionUser = components['schemas']['AccountOut']

export interface SessionState {
  status: 'unknown' | 'signed-in' | 'signed-out'
  user: SessionUser | null
  accessToken: string | null
  expiresAt: number | null
  /** Why the session ended: a person who signed out is not sent back to the page they left. */
  endedBy?: 'logout' | 'expiry'
}

type Listener = (state: SessionState) => void

const REFRESH_MARGIN_MS = 60_000
// Not a secret: only a hint that this browser holds a refresh cookie, so a first visit skips a pointless 401.
const SESSION_HINT = 'mailagent.hasSession'
let state: SessionState = { status: 'unknown', user: null, accessToken: null, expiresAt: null }
const listeners = new Set<Listener>()
let refreshTimer: ReturnType<typeof setTimeout> | null = null
let inFlight: Promise<boolean> | null = null

function emit(next: SessionState): void {
  state = next
  for (const listener of listeners) listener(state)
}

export function getSession(): SessionState {
  return state
}

export function subscribeSession(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function getAccessToken(): string | null {
  return state.accessToken
}

interface TokenPayload {
  access_token: string
  expires_in: number
  user: SessionUser
}

export function signIn(tokens: TokenPayload): void {
  const expiresAt = Date.now() + tokens.expires_in * 1000
  window.localStorage.setItem(SESSION_HINT, '1')
  emit({ status: 'signed-in', user: tokens.user, accessToken: tokens.access_token, expiresAt })
  scheduleRefresh(expiresAt)
}

export function updateUser(user: SessionUser): void {
  if (state.status === 'signed-in') emit({ ...state, user })
}

export function signOutLocally(endedBy: 'logout' | 'expiry' = 'expiry'): void {
  if (refreshTimer) clearTimeout(refreshTimer)
  refreshTimer = null
  window.localStorage.removeItem(SESSION_HINT)
  emit({ status: 'signed-out', user: null, accessToken: null, expiresAt: null, endedBy })
}

function scheduleRefresh(expiresAt: number): void {
  if (refreshTimer) clearTimeout(refreshTimer)
  const delay = Math.max(5_000, expiresAt - Date.now() - REFRESH_MARGIN_MS)
  refreshTimer = setTimeout(() => {
    void refreshSession()
  }, delay)
}

/** On page load: restore the session from the refresh cookie if this browser has one, else show the sign-in. */
export function restoreSession(): Promise<boolean> {
  if (window.localStorage.getItem(SESSION_HINT) !== '1') {
    signOutLocally()
    return Promise.resolve(false)
  }
  return refreshSession()
}

/**
 * Trade the refresh cookie for a new access token. Concurrent callers share one request (the backend rotates
 * the refresh token, so two parallel refreshes would end the session). Resolves false when signed out.
 */
export function refreshSession(): Promise<boolean> {
  if (inFlight) return inFlight
  inFlight = withRefreshLock(async () => {
    try {
      const response = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'mailagent' },
        body: '{}',
      })
      if (!response.ok) {
        signOutLocally()
        return false
      }
      const body = (await response.json()) as { data: TokenPayload }
      signIn(body.data)
      return true
    } catch {
      // Offline: keep what we have; the next request or timer tries again.
      if (state.status === 'unknown') signOutLocally()
      return false
    } finally {
      inFlight = null
    }
  })
  return inFlight
}

/**
 * Tabs share the refresh cookie and the backend rotates it on use: a Web Lock makes tabs refresh one after another,
 * so the second tab sends the cookie the first one just received instead of the spent one (reuse ends the session).
 */
async function withRefreshLock(work: () => Promise<boolean>): Promise<boolean> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined
  if (!locks) return work()
  return await locks.request('mailagent-refresh', work)
}
