import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { IntegrationsPage } from './integrations-page'

afterEach(() => vi.unstubAllGlobals())

const hook = {
  id: 'w1',
  url: 'https://hooks.example.com/in',
  description: 'CRM',
  event_types: ['email.received'],
  enabled: true,
  disabled_reason: null,
  failing_since: null,
  previous_secret_valid_until: null,
  created_at: '2026-12-01T10:00:00Z',
  updated_at: '2026-12-01T10:00:00Z',
}
const failed = {
  id: 'd1',
  endpoint_id: 'w1',
  event_id: 'evt-1',
  event_type: 'email.received',
  status: 'failed',
  attempts: 2,
  replays: 0,
  created_at: '2026-12-01T10:00:00Z',
  next_attempt_at: null,
  delivered_at: null,
  last_status_code: 500,
  last_error: null,
  attempt_log: [
    { number: 1, at: '2026-12-01T10:00:00Z', status_code: 500, latency_ms: 12, response: 'boom', error: null, outcome: 'retrying' },
    { number: 2, at: '2026-12-01T10:00:05Z', status_code: null, latency_ms: 15000, response: '', error: 'timed out after 15 s', outcome: 'failed' },
  ],
}

function slackMissing() {
  return envelope(null)
}

describe('IntegrationsPage', () => {
  it('adds a webhook, shows its secret once, lists deliveries with every attempt and replays one', { timeout: 60_000 }, async () => {
    let hooks: (typeof hook)[] = []
    const seen = mockApi({
      'GET /api/v1/integrations/webhooks': () => envelope(hooks),
      'GET /api/v1/integrations/webhooks/event-types': () => envelope(['email.received', 'email.sent']),
      'POST /api/v1/integrations/webhooks': () => {
        hooks = [hook]
        return envelope({ ...hook, secret: 'whsec_c2VjcmV0LXZhbHVl' }, {}, 201)
      },
      'GET /api/v1/integrations/webhooks/w1/deliveries': () => envelope([failed]),
      'POST /api/v1/integrations/webhooks/deliveries/d1/replay': () => envelope({ ...failed, status: 'pending', replays: 1 }),
      'GET /api/v1/integrations/slack/configure': slackMissing,
    })
    renderWithApp(<IntegrationsPage />)
    expect(await screen.findByText('No webhooks yet')).toBeInTheDocument()

    await userEvent.type(screen.getByLabelText('Receiver URL'), 'https://hooks.example.com/in')
    await userEvent.click(screen.getByRole('checkbox', { name: /Every event/ }))
    await userEvent.click(await screen.findByRole('checkbox', { name: 'email.received' }))
    await userEvent.click(screen.getByRole('button', { name: 'Add webhook' }))

    const dialog = await screen.findByRole('dialog', { name: 'Your webhook signing secret' })
    expect(within(dialog).getByLabelText('Signing secret')).toHaveTextContent('whsec_c2VjcmV0LXZhbHVl')
    expect(seen.find((r) => r.method === 'POST')?.body).toEqual({
      url: 'https://hooks.example.com/in',
      description: '',
      event_types: ['email.received'],
      enabled: true,
    })
    await userEvent.click(within(dialog).getByRole('button', { name: 'Done' }))
    expect(screen.queryByText('whsec_c2VjcmV0LXZhbHVl')).not.toBeInTheDocument()

    await userEvent.click(await screen.findByRole('button', { name: 'Deliveries' }))
    expect(await screen.findByText(/timed out after 15 s/)).toBeInTheDocument()
    expect(screen.getByText(/#1 500 in 12 ms/)).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Replay' }))
    await waitFor(() => expect(seen.some((r) => r.method === 'POST' && r.path.endsWith('/deliveries/d1/replay'))).toBe(true))
  })

  it('connects Slack with a webhook URL and previews the summary', { timeout: 60_000 }, async () => {
    let connected = false
    const config = {
      mode: 'webhook',
      channel: null,
      events: ['email.received'],
      timezone: 'UTC',
      quiet_start: null,
      quiet_end: null,
      mail_filter: 'is:important',
      summary_at: '08:00',
      summary_weekdays: ['mon'],
      enabled: true,
      last_summary_at: null,
      updated_at: '2026-12-01T10:00:00Z',
    }
    const seen = mockApi({
      'GET /api/v1/integrations/webhooks': () => envelope([]),
      'GET /api/v1/integrations/webhooks/event-types': () => envelope(['email.received']),
      'GET /api/v1/integrations/slack/configure': () => (connected ? envelope(config) : slackMissing()),
      'POST /api/v1/integrations/slack/configure': () => {
        connected = true
        return envelope(config)
      },
      'POST /api/v1/integrations/slack/test': () => envelope({ sent: true }),
      'GET /api/v1/integrations/slack/summary/preview': () =>
        envelope({ text: 'You have 2 new messages\n• Zoë: Quarterly numbers', message: {}, next_at: '2026-12-07T08:00:00Z', period_start: '2026-12-06T08:00:00Z' }),
    })
    renderWithApp(<IntegrationsPage />)
    await userEvent.type(await screen.findByLabelText('Incoming webhook URL'), 'https://hooks.slack.com/services/T1/B1/X1')
    await userEvent.type(screen.getByLabelText('Only mail matching'), 'is:important')
    await userEvent.click(screen.getByRole('button', { name: 'Connect Slack' }))
    await waitFor(() => expect(seen.some((r) => r.method === 'POST' && r.path.endsWith('/slack/configure'))).toBe(true))
    const body = seen.find((r) => r.method === 'POST' && r.path.endsWith('/slack/configure'))?.body as Record<string, unknown>
    expect(body.webhook_url).toBe('https://hooks.slack.com/services/T1/B1/X1')
    expect(body.mail_filter).toBe('is:important')

    await userEvent.click(await screen.findByRole('button', { name: 'Send test message' }))
    expect(await screen.findByText('Test message posted.')).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Preview the next summary' }))
    expect(await screen.findByLabelText('Summary preview')).toHaveTextContent('Quarterly numbers')
  })
})
