import { render, screen } from '@testing-library/react'
import { createMemoryRouter, RouterProvider } from 'react-router'
import { signIn, signOutLocally } from '@/lib/auth-session'
import { RequireAdmin, RequireAuth, RequireGuest } from './guards'
import { testUser } from '@/test/fixtures'

const user = testUser()

function renderAt(url: string) {
  const router = createMemoryRouter(
    [
      { element: <RequireGuest />, children: [{ path: '/login', element: <p>sign-in screen</p> }] },
      {
        element: <RequireAuth />,
        children: [
          { path: '/mail/:label', element: <p>mailbox</p> },
          { path: '/admin', element: <RequireAdmin />, children: [{ index: true, element: <p>admin area</p> }] },
        ],
      },
    ],
    { initialEntries: [url] },
  )
  render(<RouterProvider router={router} />)
  return router
}

afterEach(() => signOutLocally())

describe('route guards', () => {
  it('sends a signed-out visitor to sign in, remembering where they were going', () => {
    signOutLocally('expiry')
    const router = renderAt('/mail/INBOX?q=from:bob')
    expect(screen.getByText('sign-in screen')).toBeInTheDocument()
    expect(router.state.location.search).toBe(`?next=${encodeURIComponent('/mail/INBOX?q=from:bob')}`)
  })

  it('does not carry the previous page to the next person after a deliberate sign-out', () => {
    signOutLocally('logout')
    const router = renderAt('/mail/INBOX')
    expect(screen.getByText('sign-in screen')).toBeInTheDocument()
    expect(router.state.location.search).toBe('')
  })

  it('returns a signed-in person to the page they asked for, but never off-site', () => {
    signIn({ access_token: 't', expires_in: 900, user })
    let router = renderAt(`/login?next=${encodeURIComponent('/mail/SENT')}`)
    expect(router.state.location.pathname).toBe('/mail/SENT')
    router = renderAt(`/login?next=${encodeURIComponent('//evil.example/x')}`)
    expect(router.state.location.pathname).toBe('/mail/INBOX')
  })

  it('refuses the admin area to a non-admin and opens it to an admin', () => {
    signIn({ access_token: 't', expires_in: 900, user })
    renderAt('/admin')
    expect(screen.getByText('This area is for administrators.')).toBeInTheDocument()
    expect(screen.queryByText('admin area')).not.toBeInTheDocument()
  })

  it('opens the admin area to an admin', () => {
    signIn({ access_token: 't', expires_in: 900, user: testUser({ role: 'admin' }) })
    renderAt('/admin')
    expect(screen.getByText('admin area')).toBeInTheDocument()
  })
})
