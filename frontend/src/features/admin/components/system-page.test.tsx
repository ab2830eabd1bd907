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

  it('lists the live workers and the scheduler holder, and says plainly when no worker runs', async () => {
    let jobs: Record<string, unknown> = {
      failed: 0,
      workers: [
        { id: 'host:41:ab', host: 'host', pid: 41, state: 'busy', scheduler: true, started_at: '2026-01-01T00:00:00Z', last_seen_at: '2026-01-01T00:01:00Z', jobs_done: 12, jobs_failed: 1, down: [], outages: {} },
        { id: 'host:42:cd', host: 'host', pid: 42, state: 'waiting', scheduler: false, started_at: '2026-01-01T00:00:00Z', last_seen_at: '2026-01-01T00:01:00Z', jobs_done: 3, jobs_failed: 0, down: ['redis'], outages: { redis: 1 } },
      ],
      scheduler: 'host:41:ab',
      depths: { periodic: 0, default: 4, delayed: 2, running: 1, failed: 0 },
      in_process: false,
      summary: '2 worker(s) live; host:41:ab holds the scheduler role; waiting for redis.',
      problem: false,
    }
    mockApi({
      'GET /api/v1/admin/metrics': () => envelope({ circuits: [], cache: { hits: 0, misses: 0 }, mail_cache: {}, jobs, audit: null }),
      'GET /api/v1/admin/jobs/failed': () => envelope([], { total: 0 }),
    })
    const { unmount } = renderWithApp(<SystemPage />)
    expect(await screen.findByText('2 worker(s) live; host:41:ab holds the scheduler role; waiting for redis.')).toBeInTheDocument()
    const table = screen.getByRole('region', { name: 'Workers table' })
    expect(table).toHaveTextContent('host:41:ab')
    expect(table).toHaveTextContent('holds the role')
    expect(table).toHaveTextContent('waiting (waiting for redis)')
    expect(screen.getByText('default:').nextSibling).toHaveTextContent('4')
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
    unmount()

    jobs = { failed: 0, workers: [], scheduler: null, depths: { periodic: 1, default: 13, delayed: 0, running: 0, failed: 0 }, in_process: false, summary: 'No worker is running: 14 job(s) wait and nothing runs them until a `mailagent worker` process starts.', problem: true }
    renderWithApp(<SystemPage />)
    expect(await screen.findByRole('alert')).toHaveTextContent('No worker is running: 14 job(s) wait')
    expect(screen.queryByRole('region', { name: 'Workers table' })).not.toBeInTheDocument()
  })
})
