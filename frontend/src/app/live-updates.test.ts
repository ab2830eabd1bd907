import { QueryClient } from '@tanstack/react-query'
import { confirmHeldSend, rememberHeldSend } from '@/lib/undo-send'
import { QUERY_ROOTS } from '@/lib/query-keys'
import { announce, recoverAfterOutage, staleAfter } from './live-updates'

const toastMock = vi.hoisted(() => {
  const fn = vi.fn() as ReturnType<typeof vi.fn> &
    Record<'success' | 'error' | 'warning' | 'loading' | 'dismiss', ReturnType<typeof vi.fn>>
  fn.success = vi.fn()
  fn.loading = vi.fn()
  fn.dismiss = vi.fn()
  fn.error = vi.fn()
  fn.warning = vi.fn()
  return fn
})
vi.mock('sonner', () => ({ toast: toastMock }))

const event = (type: string, data: Record<string, unknown>) => ({ type, id: '1', ts: '2026-11-26T10:00:00Z', data })

describe('live notifications', () => {
  beforeEach(() => vi.clearAllMocks())

  it('announces new mail by sender and subject', () => {
    announce(event('email.received', { from: { name: 'Dora Diaz', address: 'dora@example.com' }, subject: 'Lunch?' }))
    expect(toastMock).toHaveBeenCalledWith('New mail from Dora Diaz', { description: 'Lunch?' })
  })

  it('announces scheduled sends and their failures', () => {
    announce(event('scheduled_email.sent', { subject: 'Numbers' }))
    expect(toastMock.success).toHaveBeenCalledWith('Scheduled email sent', { description: 'Numbers' })
    announce(event('scheduled_email.failed', { subject: 'Numbers', error: 'Gmail refused it' }))
    expect(toastMock.error).toHaveBeenCalledWith('A scheduled email could not be sent', { description: 'Gmail refused it' })
  })

  it('settles the notice of a held send from the feed, instead of announcing a scheduled email', async () => {
    rememberHeldSend('held-1')
    const outcome = confirmHeldSend('held-1', 'undo-9', { check: async () => null, pollMs: 60_000 })
    announce(event('scheduled_email.sent', { scheduled_id: 'held-1', subject: 'Numbers' }))
    await expect(outcome).resolves.toEqual({ status: 'sent' })
    expect(toastMock.success).toHaveBeenCalledTimes(1)
    expect(toastMock.success).toHaveBeenCalledWith('Message sent', expect.objectContaining({ id: 'undo-9' }))
    // A repeat of the event (at least once) says nothing more.
    announce(event('scheduled_email.sent', { scheduled_id: 'held-1', subject: 'Numbers' }))
    expect(toastMock.success).toHaveBeenCalledTimes(1)

    rememberHeldSend('held-2')
    const failed = confirmHeldSend('held-2', 'undo-10', { check: async () => null, pollMs: 60_000 })
    announce(event('scheduled_email.failed', { scheduled_id: 'held-2', subject: 'Numbers', error: 'Gmail refused it' }))
    await expect(failed).resolves.toEqual({ status: 'failed', error: 'Gmail refused it' })
    expect(toastMock.error).toHaveBeenCalledWith('Your message could not be sent', expect.objectContaining({ id: 'undo-10', description: 'Gmail refused it' }))
    expect(toastMock.error).toHaveBeenCalledTimes(1)
  })

  it('announces an agent action waiting for approval, and stays quiet for label changes', () => {
    announce(event('agent.action_pending', { summary: "Send the draft 'Lunch'" }))
    expect(toastMock).toHaveBeenCalledWith('The agent is waiting for your approval', { description: "Send the draft 'Lunch'" })
    vi.clearAllMocks()
    announce(event('email.labels_changed', { message_id: 'm1' }))
    expect(toastMock).not.toHaveBeenCalled()
    expect(toastMock.success).not.toHaveBeenCalled()
  })

  it('announces a webhook endpoint disabled automatically, with how to enable it again', () => {
    announce(event('webhook.endpoint_disabled', { endpoint_id: 'w1', url_host: 'hooks.example.com', reason: 'gone' }))
    expect(toastMock.warning).toHaveBeenCalledWith('Webhook endpoint hooks.example.com was disabled', {
      description: 'It answered 410 Gone. Enable it again in Settings → Integrations.',
    })
  })

  it('does not announce a waiting approval on the agent page, which shows the card itself', () => {
    announce(event('agent.action_pending', { summary: 'Send it' }), { pathname: '/agent/c1' })
    expect(toastMock).not.toHaveBeenCalled()
    announce(event('agent.action_pending', { summary: 'Send it' }), { pathname: '/mail/INBOX' })
    expect(toastMock).toHaveBeenCalledWith('The agent is waiting for your approval', { description: 'Send it' })
  })
})

describe('what an event refreshes', () => {
  it('refreshes the mail lists and conversations when a scheduled send went out (its copy is in Sent)', () => {
    expect(staleAfter(event('scheduled_email.sent', { scheduled_id: 's1' }))).toEqual(
      expect.arrayContaining([QUERY_ROOTS.scheduled, QUERY_ROOTS.emails, QUERY_ROOTS.thread, QUERY_ROOTS.labels]),
    )
    expect(staleAfter(event('scheduled_email.failed', { scheduled_id: 's1' }))).toEqual([QUERY_ROOTS.scheduled])
    expect(staleAfter(event('email.received', {}))).toEqual(expect.arrayContaining([QUERY_ROOTS.emails, QUERY_ROOTS.thread]))
    expect(staleAfter(event('calendar.event_created', {}))).toEqual([QUERY_ROOTS.calendar])
  })
})

describe('coming back after an outage', () => {
  it('fetches again what failed while the server was away, and leaves the rest alone', async () => {
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } })
    let up = false
    const failing = vi.fn(async () => {
      if (!up) throw new TypeError('Failed to fetch')
      return 'thread'
    })
    const fine = vi.fn(async () => 'labels')
    await client.fetchQuery({ queryKey: ['labels'], queryFn: fine }).catch(() => undefined)
    await client.fetchQuery({ queryKey: ['thread'], queryFn: failing }).catch(() => undefined)
    expect(client.getQueryState(['thread'])?.status).toBe('error')
    up = true
    await recoverAfterOutage(client)
    expect(client.getQueryState(['thread'])?.status).toBe('success')
    expect(client.getQueryData(['thread'])).toBe('thread')
    expect(fine).toHaveBeenCalledTimes(1)
  })
})
