import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { getActiveAccountId, setActiveAccountId } from '@/lib/active-account'
import { getSession, signOutLocally } from '@/lib/auth-session'
import { apiError, envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { LoginPage } from './login-page'

const user = { id: 'u1', email: 'ann@example.com', role: 'user', status: 'active', display_name: 'Ann', created_at: '2026-01-01T00:00:00Z', email_verified_at: null }

afterEach(() => {
  signOutLocally()
  vi.unstubAllGlobals()
})

async function fillAndSubmit() {
  await userEvent.type(screen.getByLabelText('Email'), 'ann@example.com')
  await userEvent.type(screen.getByLabelText('Password'), 'Secret password 1!')
  await userEvent.click(screen.getByRole('button', { name: 'Sign in' }))
}

describe('LoginPage', () => {
  it('asks for the refresh cookie, stores the session and goes to ?next=', async () => {
    const seen = mockApi({
      'POST /api/v1/auth/login': () => envelope({ access_token: 'at-1', refresh_token: null, token_type: 'bearer', expires_in: 900, user }),
    })
    setActiveAccountId('someone-elses-mailbox')
    const { router } = renderWithApp(<LoginPage />, { url: '/login?next=%2Fsettings%2Fprofile', path: '/login' })
    expect(screen.getByRole('heading', { level: 1, name: 'Sign in to mailagent' })).toBeInTheDocument()
    await fillAndSubmit()
    await waitFor(() => expect(router.state.location.pathname).toBe('/settings/profile'))
    expect(seen[0]?.body).toEqual({ email: 'ann@example.com', password: 'Secret password 1!', refresh_cookie: true })
    expect(getSession()).toMatchObject({ status: 'signed-in', accessToken: 'at-1', user: { email: 'ann@example.com' } })
    expect(getActiveAccountId()).toBeNull()
  })

  it('ignores a ?next= that leaves the site', async () => {
    mockApi({ 'POST /api/v1/auth/login': () => envelope({ access_token: 'a', refresh_token: null, token_type: 'bearer', expires_in: 900, user }) })
    const { router } = renderWithApp(<LoginPage />, { url: '/login?next=%2F%2Fevil.example', path: '/login' })
    await fillAndSubmit()
    await waitFor(() => expect(router.state.location.pathname).toBe('/mail/INBOX'))
  })

  it('explains a wrong password (401) and stays signed out', async () => {
    mockApi({ 'POST /api/v1/auth/login': () => apiError(401, 'authentication_failed', 'Invalid credentials.') })
    const { router } = renderWithApp(<LoginPage />, { url: '/login', path: '/login' })
    await fillAndSubmit()
    expect(await screen.findByRole('alert')).toHaveTextContent('The e-mail address or password is not correct.')
    expect(getSession().status).not.toBe('signed-in')
    expect(router.state.location.pathname).toBe('/login')
  })

  it('shows the backend message for an unverified account and for rate limiting', async () => {
    let status = 403
    mockApi({
      'POST /api/v1/auth/login': () =>
        status === 403
          ? apiError(403, 'permission_denied', 'Confirm your e-mail address first: open the link we sent you.')
          : apiError(429, 'rate_limited', 'Try again in 60 seconds.'),
    })
    renderWithApp(<LoginPage />, { url: '/login', path: '/login' })
    await fillAndSubmit()
    expect(await screen.findByRole('alert')).toHaveTextContent('Confirm your e-mail address first')
    status = 429
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }))
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('Too many sign-in attempts. Try again in 60 seconds.'))
  })

  it('links to registering and to the password reset', () => {
    mockApi({})
    renderWithApp(<LoginPage />, { url: '/login', path: '/login' })
    expect(screen.getByRole('link', { name: 'Create an account' })).toHaveAttribute('href', '/register')
    expect(screen.getByRole('link', { name: 'Forgot password?' })).toHaveAttribute('href', '/forgot-password')
  })
})
