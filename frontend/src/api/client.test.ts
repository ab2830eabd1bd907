import { api, unwrap } from './client'
import { ApiError } from '@/lib/api-error'
import { signIn, signOutLocally } from '@/lib/auth-session'
import { apiError, envelope, mockApi } from '@/test/fetch-mock'
import { testUser } from '@/test/fixtures'

const user = testUser()

afterEach(() => {
  signOutLocally()
  vi.unstubAllGlobals()
})

describe('the API client', () => {
  it('sends the in-memory token and returns the envelope data', async () => {
    signIn({ access_token: 'tok-1', expires_in: 900, user })
    const seen = mockApi({ 'GET /api/v1/api-keys': () => envelope([]) })
    await expect(unwrap(api.GET('/api/v1/api-keys'))).resolves.toEqual([])
    expect(seen[0]?.headers.get('Authorization')).toBe('Bearer tok-1')
  })

  it('refreshes once on a 401 and retries the same request with the new token', async () => {
    signIn({ access_token: 'expired', expires_in: 900, user })
    let calls = 0
    const seen = mockApi({
      'POST /api/v1/api-keys': (request) => {
        calls += 1
        return request.headers.get('Authorization') === 'Bearer renewed'
          ? envelope({ id: 'k1', name: (request.body as { name: string }).name })
          : apiError(401, 'token_expired', 'Your session expired.')
      },
      'POST /api/v1/auth/refresh': () => envelope({ access_token: 'renewed', refresh_token: null, expires_in: 900, user }),
    })
    const created = await unwrap(api.POST('/api/v1/api-keys', { body: { name: 'laptop', scopes: ['mail:read'] } }))
    expect(created).toMatchObject({ id: 'k1', name: 'laptop' })
    expect(calls).toBe(2)
    expect(seen.map((r) => r.path)).toEqual(['/api/v1/api-keys', '/api/v1/auth/refresh', '/api/v1/api-keys'])
  })

  it('turns an error envelope into an ApiError with its message', async () => {
    signIn({ access_token: 'tok', expires_in: 900, user })
    mockApi({ 'GET /api/v1/api-keys': () => apiError(403, 'forbidden', 'This key may not manage keys.') })
    const error = await unwrap(api.GET('/api/v1/api-keys')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(403)
    expect((error as ApiError).message).toBe('This key may not manage keys.')
  })
})
