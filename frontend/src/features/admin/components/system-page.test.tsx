import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { SystemPage } from './system-page'

afterEach(() => vi.unstubAllGlobals())

describe('SystemPage', () => {
  it('shows the metrics and retries a failed job', async () => {
    let failed = [{ id: 'j1', name: 'send_scheduled_email', payload: {}, error: 'UpstreamError: timeout', attempts: 3, failed_at: '2026-01-01T00:00:00Z' }]
    const seen = mockApi({
      'GET /api/v1/admin/metrics': () =>
        envelope({
          circuits: [{ service: 'gmail', state: 'open', consecutive_failures: 5, failures: 7, successes: 40, ignored_errors: 0, rejections: 2, state_changes: 1, opened_at: null, retry_after_seconds: 12.2 }],
          cache: { hits: 30, misses: 10 },
          mail_cache: { thread: { hits: 1, misses: 1 } },
          jobs: { failed: failed.length },
          audit: { head_seq: 120, unsealed: 3, lag_seconds: 1.25 },
        }),
      'GET /api/v1/admin/jobs/failed': () => envelope(failed, { total: failed.length }),
      'POST /api/v1/admin/jobs/failed/j1/requeue': () => {
        failed = []
        return envelope({ id: 'j1', name: 'send_scheduled_email', requeued: true })
      },
    })
    renderWithApp(<SystemPage />)
    expect(await screen.findByText('75% hits')).toBeInTheDocument()
    expect(screen.getByText('Open circuits').nextSibling).toHaveTextContent('1')
    expect(screen.getByText('Mail cache: thread').nextSibling).toHaveTextContent('1 / 2')
    expect(screen.getByText('Failed jobs', { selector: 'dt' }).nextSibling).toHaveTextContent('1')
    expect(screen.getByText('Audit entries waiting to be sealed').nextSibling).toHaveTextContent('3')
    expect(screen.getByText('chain sealed up to #120; oldest waiting 1.3 s')).toBeInTheDocument()
    await userEvent.click(await screen.findByRole('button', { name: 'Retry send_scheduled_email (j1)' }))
    expect(await screen.findByText('No failed jobs')).toBeInTheDocument()
    expect(seen.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual(['/api/v1/admin/jobs/failed/j1/requeue'])
    await waitFor(() => expect(screen.getByText('Failed jobs', { selector: 'dt' }).nextSibling).toHaveTextContent('0'))
  })
})
