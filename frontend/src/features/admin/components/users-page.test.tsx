import { cleanup, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { signIn, signOutLocally } from '@/lib/auth-session'
import { apiError, envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { UsersPage } from './users-page'

afterEach(() => vi.unstubAllGlobals())

const ann = { id: 'u1', email: 'ann@example.com', role: 'user', status: 'active', display_name: 'Ann', created_at: '2026-01-01T00:00:00Z', email_verified_at: '2026-01-01T01:00:00Z' }
const bob = { id: 'u2', email: 'bob@example.com', role: 'admin', status: 'active', display_name: null, created_at: '2026-01-02T00:00:00Z', email_verified_at: null }

describe('UsersPage', () => {
  it('lists users and sends a PATCH when a role changes', async () => {
    let users = [ann, bob]
    const seen = mockApi({
      'GET /api/v1/admin/users': () => envelope(users, { total: 2, offset: 0, limit: 50 }),
      'PATCH /api/v1/admin/users/u1': () => {
        users = [{ ...ann, role: 'admin' }, bob]
        return envelope(users[0])
      },
    })
    renderWithApp(<UsersPage />)
    const role = await screen.findByRole('combobox', { name: 'Role for ann@example.com' })
    expect(role).toHaveValue('user')
    expect(seen[0]?.search.get('offset')).toBe('0')
    expect(seen[0]?.search.get('limit')).toBe('50')
    await userEvent.selectOptions(role, 'admin')
    await waitFor(() => expect(seen.find((r) => r.method === 'PATCH')?.body).toEqual({ role: 'admin' }))
    expect(seen.find((r) => r.method === 'PATCH')?.path).toBe('/api/v1/admin/users/u1')
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Role for ann@example.com' })).toHaveValue('admin'))
  })

  it('disables a user, and shows the refusal inline when the backend says no', async () => {
    const seen = mockApi({
      'GET /api/v1/admin/users': () => envelope([ann, bob], { total: 2 }),
      'PATCH /api/v1/admin/users/u1': () => envelope({ ...ann, status: 'disabled' }),
      'PATCH /api/v1/admin/users/u2': () => apiError(409, 'conflict', 'You cannot demote or disable yourself.'),
    })
    renderWithApp(<UsersPage />)
    await userEvent.click(await screen.findByRole('button', { name: 'Disable ann@example.com' }))
    await waitFor(() => expect(seen.find((r) => r.path === '/api/v1/admin/users/u1')?.body).toEqual({ disabled: true }))
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Role for bob@example.com' }), 'user')
    expect(await screen.findByRole('alert')).toHaveTextContent('You cannot demote or disable yourself.')
  })
})

describe('UsersPage for the signed-in admin', () => {
  afterEach(() => {
    cleanup() // unmount before the session store changes, so the page does not re-render outside act()
    signOutLocally()
  })

  it('does not offer to change your own role or disable yourself', async () => {
    signIn({ access_token: 't', expires_in: 900, user: { ...bob, role: 'admin', status: 'active' } as never })
    mockApi({ 'GET /api/v1/admin/users': () => envelope([ann, bob], { total: 2 }) })
    renderWithApp(<UsersPage />)
    const mine = await screen.findByRole('combobox', { name: 'Role for bob@example.com' })
    expect(mine).toBeDisabled()
    expect(mine).toHaveAccessibleDescription(/This is you/)
    expect(screen.getByRole('button', { name: 'Disable bob@example.com' })).toBeDisabled()
    expect(screen.getByRole('combobox', { name: 'Role for ann@example.com' })).toBeEnabled()
  })
})
