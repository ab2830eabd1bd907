import { signIn, signOutLocally } from './auth-session'
import { onLiveEvent, startLive, stopLive, type LiveEvent } from './live-socket'
import { envelope, mockApi } from '@/test/fetch-mock'
import { testUser } from '@/test/fixtures'

class FakeSocket {
  static OPEN = 1
  static instances: FakeSocket[] = []
  readyState = 1
  sent: string[] = []
  onmessage: ((message: { data: string }) => void) | null = null
  onclose: ((close: { code: number }) => void) | null = null
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.instances.push(this)
  }
  send(data: string) {
    this.sent.push(data)
  }
  close() {
    this.readyState = 3
  }
  receive(message: Partial<LiveEvent>) {
    this.onmessage?.({ data: JSON.stringify({ id: null, ts: '2026-11-26T10:00:00Z', data: {}, ...message }) })
  }
  drop(code: number) {
    this.readyState = 3
    this.onclose?.({ code })
  }
}

const user = testUser()

beforeEach(() => {
  vi.useFakeTimers()
  FakeSocket.instances = []
  vi.stubGlobal('WebSocket', FakeSocket)
  signIn({ access_token: 'tok-1', expires_in: 900, user })
})

afterEach(() => {
  stopLive()
  signOutLocally()
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('the live socket', () => {
  it('authenticates with the token as a subprotocol, never in the URL, and answers heartbeats', () => {
    startLive()
    const socket = FakeSocket.instances[0] as FakeSocket
    expect(socket.protocols).toEqual(['mailagent.v1', 'bearer.tok-1'])
    expect(socket.url).not.toContain('tok-1')
    socket.receive({ type: 'heartbeat' })
    expect(socket.sent).toContain('{"type":"pong"}')
  })

  it('reconnects after a drop and resumes after the last event it saw, dropping repeats', async () => {
    const seen: string[] = []
    const off = onLiveEvent((e) => e.id && seen.push(e.id))
    startLive()
    const first = FakeSocket.instances[0] as FakeSocket
    first.receive({ type: 'ready', data: { last_event_id: '10' } })
    first.receive({ type: 'email.received', id: '11' })
    first.receive({ type: 'email.received', id: '12' })
    first.drop(1006)
    await vi.advanceTimersByTimeAsync(31_000)
    const second = FakeSocket.instances[1] as FakeSocket
    expect(second.url).toContain('last_event_id=12')
    second.receive({ type: 'email.received', id: '12' }) // replayed: at-least-once delivery
    second.receive({ type: 'email.received', id: '13' })
    expect(seen).toEqual(['11', '12', '13'])
    off()
  })

  it('refreshes the session when the server says the token expired (4401), then reconnects with the new one', async () => {
    mockApi({
      'POST /api/v1/auth/refresh': () => envelope({ access_token: 'tok-2', refresh_token: null, expires_in: 900, user }),
    })
    startLive()
    ;(FakeSocket.instances[0] as FakeSocket).drop(4401)
    await vi.advanceTimersByTimeAsync(10)
    const next = FakeSocket.instances.at(-1) as FakeSocket
    expect(next.protocols).toEqual(['mailagent.v1', 'bearer.tok-2'])
  })

  it('stays offline when the socket is refused for the wrong scope (4403)', async () => {
    startLive()
    ;(FakeSocket.instances[0] as FakeSocket).drop(4403)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(FakeSocket.instances).toHaveLength(1)
  })
})
