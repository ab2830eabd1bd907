import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { envelope, mockApi, apiError } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { AuditPage } from './audit-page'

afterEach(() => vi.unstubAllGlobals())

const entry = {
  seq: 1,
  id: 'e1',
  occurred_at: '2026-01-01T10:00:00Z',
  action: 'auth.login_success',
  actor_id: 'u1',
  actor_email: 'alice@example.com',
  actor_name: 'Alice Liddell',
  target: 'user:u1',
  ip: '127.0.0.1',
  user_agent: 'test',
  request_id: 'req-1',
  details: { method: 'password' },
  hash: 'h',
}

describe('AuditPage', () => {
  it('names actors by name and e-mail, never by their id', async () => {
    mockApi({
      'GET /api/v1/admin/audit-logs': () =>
        envelope(
          [
            { ...entry, actor_id: '7f3a9c1e-alice' },
            { ...entry, id: 'e2', actor_name: null, actor_email: 'bob@example.com', actor_id: '0b5c22d4-bob' },
          ],
          { total: 2 },
        ),
    })
    renderWithApp(<AuditPage />, { url: '/admin/audit', path: '/admin/audit' })
    const table = await screen.findByRole('region', { name: 'Audit log table' })
    expect(table).toHaveTextContent('Alice Liddell')
    expect(table).toHaveTextContent('alice@example.com')
    expect(table).toHaveTextContent('bob@example.com')
    expect(table).not.toHaveTextContent('7f3a9c1e')
    expect(table).not.toHaveTextContent('0b5c22d4')
  })

  it('hides routine entries by default, filters by actor e-mail and keeps the filters in the URL', async () => {
    const seen = mockApi({ 'GET /api/v1/admin/audit-logs': () => envelope([entry], { total: 1 }) })
    const { router } = renderWithApp(<AuditPage />, { url: '/admin/audit', path: '/admin/audit' })
    expect(await screen.findByText('alice@example.com')).toBeInTheDocument()
    expect(seen[0]?.search.getAll('exclude_action')).toEqual(['auth.refresh', 'mail.search', 'mail.read'])

    await userEvent.type(screen.getByLabelText('Action'), 'auth.login_failure')
    await userEvent.type(screen.getByLabelText('Actor e-mail'), 'alice@example.com')
    await userEvent.type(screen.getByLabelText('From'), '2026-01-01T00:00')
    await userEvent.selectOptions(screen.getByLabelText('Show'), 'Show every entry')
    await userEvent.click(screen.getByRole('button', { name: 'Apply filters' }))

    await waitFor(() => expect(router.state.location.search).toContain('action=auth.login_failure'))
    const url = new URLSearchParams(router.state.location.search)
    expect(url.get('actor')).toBe('alice@example.com')
    expect(url.get('show')).toBe('all')
    await waitFor(() => expect(seen.length).toBeGreaterThan(1))
    const last = seen[seen.length - 1]
    expect(last?.search.get('action')).toBe('auth.login_failure')
    expect(last?.search.get('actor')).toBe('alice@example.com')
    expect(last?.search.has('user_id')).toBe(false)
    expect(last?.search.has('exclude_action')).toBe(false)
    expect(last?.search.get('since')).toBe(new Date('2026-01-01T00:00').toISOString())
    expect(last?.search.has('until')).toBe(false)
    expect(last?.search.get('offset')).toBe('0')
  })

  it('reads filters from the URL, pages and shows details', async () => {
    const seen = mockApi({ 'GET /api/v1/admin/audit-logs': (r) => envelope([{ ...entry, id: `e${r.search.get('offset')}` }], { total: 120 }) })
    const { router } = renderWithApp(<AuditPage />, { url: '/admin/audit?action=api_key.created&show=quiet', path: '/admin/audit' })
    expect(await screen.findByLabelText('Action')).toHaveValue('api_key.created')
    expect(screen.getByLabelText('Show')).toHaveValue('quiet')
    await waitFor(() => expect(seen[0]?.search.get('action')).toBe('api_key.created'))
    expect(seen[0]?.search.getAll('exclude_action')).toContain('agent.tool_call')
    expect(await screen.findByText(/1–1 of 120/)).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Next page' }))
    await waitFor(() => expect(router.state.location.search).toContain('offset=50'))
    expect(router.state.location.search).toContain('action=api_key.created')
    await waitFor(() => expect(seen[seen.length - 1]?.search.get('offset')).toBe('50'))
    expect(screen.getByText(/"method": "password"/)).toBeInTheDocument()
    expect(screen.getByText('req-1')).toBeInTheDocument()
  })

  it('exports the current filter as a CSV file, and says so when it is refused', async () => {
    const createObjectURL = vi.fn((blob: Blob) => `blob:${blob.size}`)
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() })
    let refuse = false
    const seen = mockApi({
      'GET /api/v1/admin/audit-logs': () => envelope([entry], { total: 1 }),
      'GET /api/v1/admin/audit-logs/export.csv': () =>
        refuse
          ? apiError(403, 'permission_denied', 'Only administrators can do this.')
          : new Response('time,action\n2026-01-01,auth.login_success\n', {
              headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="audit-log-20260101T100000Z.csv"' },
            }),
    })
    renderWithApp(<AuditPage />, { url: '/admin/audit?actor=alice%40example.com&action=auth.login_success', path: '/admin/audit' })
    await screen.findByText('alice@example.com')
    await userEvent.click(screen.getByRole('button', { name: 'Export CSV' }))
    expect(await screen.findByRole('status')).toHaveTextContent('Saved audit-log-20260101T100000Z.csv')
    const exported = seen.find((r) => r.path.endsWith('/export.csv'))
    expect(exported?.search.get('actor')).toBe('alice@example.com')
    expect(exported?.search.get('action')).toBe('auth.login_success')
    expect(exported?.search.getAll('exclude_action')).toEqual(['auth.refresh', 'mail.search', 'mail.read'])
    expect(exported?.search.has('offset')).toBe(false)
    expect(createObjectURL).toHaveBeenCalledTimes(1)

    refuse = true
    await userEvent.click(screen.getByRole('button', { name: 'Export CSV' }))
    expect(await screen.findByText('Only administrators can do this.')).toBeInTheDocument()
    Reflect.deleteProperty(URL, 'createObjectURL')
    Reflect.deleteProperty(URL, 'revokeObjectURL')
  })
})
