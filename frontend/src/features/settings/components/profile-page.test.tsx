import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { ProfilePage } from './profile-page'

afterEach(() => vi.unstubAllGlobals())

const me = {
  id: 'u1',
  email: 'ann@example.com',
  role: 'admin',
  status: 'active',
  display_name: 'Ann',
  created_at: '2026-01-01T00:00:00Z',
  email_verified_at: '2026-01-02T00:00:00Z',
  scopes: [],
  auth: 'session',
}
const session = (id: string, current: boolean, agent: string) => ({
  id,
  created_at: '2026-01-03T00:00:00Z',
  expires_at: '2026-02-03T00:00:00Z',
  last_used_at: null,
  revoked_at: null,
  ip: '127.0.0.1',
  user_agent: agent,
  current,
})

describe('ProfilePage', () => {
  it('shows the user and signs out another session', async () => {
    let sessions = [session('s1', true, 'Firefox'), session('s2', false, 'Phone')]
    const seen = mockApi({
      'GET /api/v1/auth/me': () => envelope(me),
      'GET /api/v1/auth/sessions': () => envelope(sessions),
      'DELETE /api/v1/auth/sessions/s2': () => {
        sessions = sessions.filter((s) => s.id !== 's2')
        return envelope({ message: 'Signed out.' })
      },
    })
    renderWithApp(<ProfilePage />)
    expect(await screen.findByText('ann@example.com')).toBeInTheDocument()
    expect(screen.getByText('Administrator')).toBeInTheDocument()
    expect(await screen.findByText('This device')).toBeInTheDocument()
    // Only the other session can be signed out from here.
    expect(screen.getAllByRole('button', { name: /^Sign out session/ })).toHaveLength(1)
    await userEvent.click(screen.getByRole('button', { name: 'Sign out session Phone from 127.0.0.1' }))
    await waitFor(() => expect(screen.queryByText('Phone')).not.toBeInTheDocument())
    expect(seen.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual(['/api/v1/auth/sessions/s2'])
  })
})
