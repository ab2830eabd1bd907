import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { AuditPage } from './audit-page'

afterEach(() => vi.unstubAllGlobals())

const entry = {
  seq: 1,
  id: 'e1',
  occurred_at: '2026-01-01T10:00:00Z',
  action: 'auth.login_success',
  actor_id: 'u1',
  target: 'user:u1',
  ip: '127.0.0.1',
  user_agent: 'test',
  request_id: 'req-1',
  details: { method: 'password' },
  hash: 'h',
}

describe('AuditPage', () => {
  it('writes the filters into the URL and the request', async () => {
    const seen = mockApi({ 'GET /api/v1/admin/audit-logs': () => envelope([entry], { total: 1 }) })
    const { router } = renderWithApp(<AuditPage />, { url: '/admin/audit', path: '/admin/audit' })
    expect(await screen.findByText('req-1')).toBeInTheDocument()

    await userEvent.type(screen.getByLabelText('Action'), 'auth.login_failure')
    await userEvent.type(screen.getByLabelText('Actor user id'), 'u9')
    await userEvent.type(screen.getByLabelText('From'), '2026-01-01T00:00')
    await userEvent.click(screen.getByRole('button', { name: 'Apply filters' }))

    await waitFor(() => expect(router.state.location.search).toContain('action=auth.login_failure'))
    const url = new URLSearchParams(router.state.location.search)
    expect(url.get('actor')).toBe('u9')
    expect(url.get('since')).toBe('2026-01-01T00:00')
    await waitFor(() => expect(seen.length).toBeGreaterThan(1))
    const last = seen[seen.length - 1]
    expect(last?.search.get('action')).toBe('auth.login_failure')
    expect(last?.search.get('user_id')).toBe('u9')
    expect(last?.search.get('since')).toBe(new Date('2026-01-01T00:00').toISOString())
    expect(last?.search.has('until')).toBe(false)
    expect(last?.search.get('offset')).toBe('0')
  })

  it('reads filters from the URL, pages and shows details', async () => {
    const seen = mockApi({ 'GET /api/v1/admin/audit-logs': (r) => envelope([{ ...entry, id: `e${r.search.get('offset')}` }], { total: 120 }) })
    const { router } = renderWithApp(<AuditPage />, { url: '/admin/audit?action=api_key.created', path: '/admin/audit' })
    expect(await screen.findByLabelText('Action')).toHaveValue('api_key.created')
    await waitFor(() => expect(seen[0]?.search.get('action')).toBe('api_key.created'))
    expect(await screen.findByText(/1–1 of 120/)).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Next page' }))
    await waitFor(() => expect(router.state.location.search).toContain('offset=50'))
    expect(router.state.location.search).toContain('action=api_key.created')
    await waitFor(() => expect(seen[seen.length - 1]?.search.get('offset')).toBe('50'))
    expect(screen.getByText(/"method": "password"/)).toBeInTheDocument()
  })
})
