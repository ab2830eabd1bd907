import { screen } from '@testing-library/react'
import { StrictMode } from 'react'
import { apiError, envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { VerifyEmailPage } from './verify-email-page'

afterEach(() => vi.unstubAllGlobals())

describe('VerifyEmailPage', () => {
  it('posts the token once, even under StrictMode, and offers to sign in', async () => {
    const seen = mockApi({
      'POST /api/v1/auth/verify-email': () =>
        envelope({ id: 'u1', email: 'ann@example.com', role: 'user', status: 'active', display_name: null, created_at: '2026-01-01T00:00:00Z', email_verified_at: '2026-01-02T00:00:00Z' }),
    })
    renderWithApp(
      <StrictMode>
        <VerifyEmailPage />
      </StrictMode>,
      { url: '/verify-email?token=tok-123', path: '/verify-email' },
    )
    expect(await screen.findByText(/is confirmed/)).toHaveTextContent('ann@example.com')
    expect(screen.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/login')
    expect(seen.filter((r) => r.path === '/api/v1/auth/verify-email')).toHaveLength(1)
    expect(seen[0]?.body).toEqual({ token: 'tok-123' })
  })

  it('explains an expired or used link', async () => {
    mockApi({ 'POST /api/v1/auth/verify-email': () => apiError(401, 'authentication_failed', 'This link has expired or was already used.') })
    renderWithApp(<VerifyEmailPage />, { url: '/verify-email?token=old', path: '/verify-email' })
    expect(await screen.findByRole('alert')).toHaveTextContent('This link has expired or was already used.')
    expect(screen.getByRole('link', { name: 'Register again' })).toBeInTheDocument()
  })

  it('says so when the link has no token, without calling the API', () => {
    const seen = mockApi({})
    renderWithApp(<VerifyEmailPage />, { url: '/verify-email', path: '/verify-email' })
    expect(screen.getByRole('alert')).toHaveTextContent('no verification token')
    expect(seen).toHaveLength(0)
  })
})
