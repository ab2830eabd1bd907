// One WebSocket to /api/v1/ws per signed-in tab: token as subprotocol, reconnect with backoff, resume by event id.
import { getAccessToken, refreshSession, subscribeSession } from '@/lib/auth-session'

export interface LiveEvent {
  type: string
  id: string | null
  ts: string
  data: Record<string, unknown>
}

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'offline'
type EventListener = (event: LiveEvent) => void
type StatusListener = (status: LiveStatus) => void

const eventListeners = new Set<EventListener>()
const statusListeners = new Set<StatusListener>()
let socket: WebSocket | null = null
let status: LiveStatus = 'offline'
let lastEventId: string | null = null
let attempts = 0
let retryTimer: ReturnType<typeof setTimeout> | null = null
let wanted = false
const seen = new Set<string>()

function setStatus(next: LiveStatus): void {
  status = next
  for (const listener of statusListeners) listener(next)
}

export function liveStatus(): LiveStatus {
  return status
}

export function onLiveEvent(listener: EventListener): () => void {
  eventListeners.add(listener)
  return () => eventListeners.delete(listener)
}

export function onLiveStatus(listener: StatusListener): () => void {
  statusListeners.add(listener)
  return () => statusListeners.delete(listener)
}

function socketUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  const resume = lastEventId ? `?last_event_id=${encodeURIComponent(lastEventId)}` : ''
  return `${scheme}://${window.location.host}/api/v1/ws${resume}`
}

function connect(): void {
  const token = getAccessToken()
  if (!wanted || !token) return
  setStatus(attempts === 0 ? 'connecting' : 'reconnecting')
  const ws = new WebSocket(socketUrl(), ['mailagent.v1', `bearer.${token}`])
  socket = ws
  ws.onmessage = (message) => {
    let event: LiveEvent
    try {
      event = JSON.parse(String(message.data)) as LiveEvent
    } catch {
      return
    }
    if (event.type === 'heartbeat') {
      ws.send('{"type":"pong"}')
      return
    }
    if (event.type === 'ready') {
      attempts = 0
      setStatus('live')
      if (!lastEventId && typeof event.data.last_event_id === 'string') lastEventId = event.data.last_event_id
      if (!lastEventId && typeof event.data.last_event_id === 'number') lastEventId = String(event.data.last_event_id)
    }
    if (event.id) {
      // Delivery is at-least-once: a replay after reconnecting can repeat an event.
      if (seen.has(event.id)) return
      seen.add(event.id)
      if (seen.size > 2000) seen.delete(seen.values().next().value as string)
      lastEventId = event.id
    }
    for (const listener of eventListeners) listener(event)
  }
  ws.onclose = (close) => {
    if (socket === ws) socket = null
    if (!wanted) {
      setStatus('offline')
      return
    }
    if (close.code === 4401) {
      // The access token expired or the session ended: refresh, then reconnect (or stay offline if signed out).
      void refreshSession().then((ok) => (ok ? scheduleReconnect(true) : setStatus('offline')))
      return
    }
    if (close.code === 4403) {
      setStatus('offline')
      return
    }
    scheduleReconnect(false)
  }
}

function scheduleReconnect(immediately: boolean): void {
  if (retryTimer) clearTimeout(retryTimer)
  attempts += 1
  setStatus('reconnecting')
  // Exponential backoff with full jitter, capped at 30 s, so a restarted server is not stampeded.
  const delay = immediately ? 0 : Math.random() * Math.min(30_000, 500 * 2 ** Math.min(attempts, 6))
  retryTimer = setTimeout(connect, delay)
}

export function startLive(): void {
  if (wanted) return
  wanted = true
  attempts = 0
  connect()
}

export function stopLive(): void {
  wanted = false
  if (retryTimer) clearTimeout(retryTimer)
  retryTimer = null
  socket?.close(1000, 'signed out')
  socket = null
  lastEventId = null
  seen.clear()
  setStatus('offline')
}

// A refreshed token is handed to the open socket, so the server's heartbeat check keeps passing.
subscribeSession((session) => {
  if (session.status !== 'signed-in') {
    stopLive()
    return
  }
  if (socket && socket.readyState === WebSocket.OPEN && session.accessToken) {
    socket.send(JSON.stringify({ type: 'auth', token: session.accessToken }))
  }
})
