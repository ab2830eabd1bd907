import { getAccessToken, getSession, refreshSession, restoreSession, signIn, signOutLocally } from './auth-session'
import { envelope, apiError, mockApi } from '@/test/fetch-mock'
import { testUser } from '@/test/fixtures'

const user = testUser({ display_name: 'Ana' })

afterEach(() => {
  signOutLocally()
  vi.unstubAllGlobals()
})

describe('the in-memory session', () => {
  it('keeps the access token in memory only and leaves a non-secret hint', () => {
    signIn({ access_token: 'secret-access', expires_in: 900, user })
    expect(getAccessToken()).toBe('secret-access')
    expect(getSession().status).toBe('signed-in')
    expect(window.localStorage.getItem('mailagent.hasSession')).toBe('1')
    expect(JSON.stringify({ ...window.localStorage })).not.toContain('secret-access')
    signOutLocally()
    expect(getAccessToken()).toBeNull()
    expect(window.localStorage.getItem('mailagent.hasSession')).toBeNull()
  })

  it('does not call the server on a first visit without the hint', async () => {
    const seen = mockApi({})
    expect(await restoreSession()).toBe(false)
    expect(seen).toHaveLength(0)
    expect(getSession().status).toBe('signed-out')
  })

  it('refreshes through the cookie once for concurrent callers, with the CSRF header', async () => {
    const seen = mockApi({
      'POST /api/v1/auth/refresh': () => envelope({ access_token: 'fresh', refresh_token: null, expires_in: 900, user }),
    })
    const results = await Promise.all([refreshSession(), refreshSession(), refreshSession()])
    expect(results).toEqual([true, true, true])
    expect(seen.filter((r) => r.path === '/api/v1/auth/refresh')).toHaveLength(1)
    expect(seen[0]?.headers.get('X-Requested-With')).toBe('mailagent')
    expect(getAccessToken()).toBe('fresh')
  })

  it('signs out when the refresh is refused', async () => {
    signIn({ access_token: 'old', expires_in: 900, user })
    mockApi({ 'POST /api/v1/auth/refresh': () => apiError(401, 'unauthenticated', 'You are signed out: sign in again.') })
    expect(await refreshSession()).toBe(false)
    expect(getSession().status).toBe('signed-out')
  })
})
