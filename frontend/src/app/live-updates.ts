// Live updates: while signed in, keep the WebSocket open, refresh what an event changes and announce what matters.
import { useQueryClient, type QueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import { toast } from 'sonner'
import { liveStatus, onLiveEvent, onLiveStatus, startLive, stopLive, type LiveEvent, type LiveStatus } from '@/lib/live-socket'
import { QUERY_ROOTS } from '@/lib/query-keys'
import { isHeldSend, settleHeldSend } from '@/lib/undo-send'

function text(value: unknown, fallback = ''): string {
  return typeof value === 'string' && value ? value : fallback
}

/** Where the person is, for announcements that would repeat what the screen already shows. */
export interface AnnounceContext {
  pathname: string
}

export function announce(event: LiveEvent, where: AnnounceContext = { pathname: '' }): void {
  const data = event.data
  switch (event.type) {
    case 'email.received': {
      const from = data.from as { name?: string; address?: string } | string | undefined
      const sender = typeof from === 'string' ? from : from?.name || from?.address || 'someone'
      toast(`New mail from ${sender}`, { description: text(data.subject, '(no subject)') })
      break
    }
    case 'scheduled_email.sent':
      // A send held for its undo window: its own notice ("Sending…") now says "Message sent".
      if (settleHeldSend(data.scheduled_id, { status: 'sent' }) || isHeldSend(data.scheduled_id)) break
      toast.success('Scheduled email sent', { description: text(data.subject) })
      break
    case 'scheduled_email.failed':
      if (settleHeldSend(data.scheduled_id, { status: 'failed', error: text(data.error) || null })) break
      toast.error(isHeldSend(data.scheduled_id) ? 'Your message could not be sent' : 'A scheduled email could not be sent', {
        description: text(data.error, text(data.subject)),
      })
      break
    case 'agent.action_pending':
      // The agent's page shows the card itself; a toast there would only cover it (and the Send button).
      if (where.pathname.startsWith('/agent')) break
      toast('The agent is waiting for your approval', { description: text(data.summary) })
      break
    case 'agent.task_completed':
      toast.success('The agent finished', { description: text(data.summary) })
      break
    case 'calendar.event_created':
    case 'calendar.event_updated':
    case 'calendar.event_deleted':
      break // the calendar refreshes itself (invalidated below); no toast for what the person just did
    case 'mailbox.watch_lapsed':
      toast.warning('Live updates from Gmail paused; checking every few minutes instead.')
      break
    case 'webhook.endpoint_disabled':
      toast.warning(`Webhook endpoint ${text(data.url_host, '')} was disabled`, {
        description:
          data.reason === 'gone'
            ? 'It answered 410 Gone. Enable it again in Settings → Integrations.'
            : 'Every delivery failed for 5 days. Enable it again in Settings → Integrations.',
      })
      break
    case 'replay.truncated':
      toast('You were offline for a while; the mailbox was reloaded.')
      break
    default:
      break
  }
}

/** What an event makes out of date on screen (the query roots fetched again). */
export function staleAfter(event: LiveEvent): string[] {
  const type = event.type
  if (type.startsWith('email.')) return [QUERY_ROOTS.emails, QUERY_ROOTS.labels, QUERY_ROOTS.thread, QUERY_ROOTS.drafts]
  // A scheduled send that went out has a sent copy in Sent and in its conversation.
  if (type === 'scheduled_email.sent') return [QUERY_ROOTS.scheduled, QUERY_ROOTS.emails, QUERY_ROOTS.labels, QUERY_ROOTS.thread]
  if (type.startsWith('scheduled_email.')) return [QUERY_ROOTS.scheduled]
  if (type.startsWith('agent.')) return [QUERY_ROOTS.agent]
  if (type === 'mailbox.watch_lapsed') return [QUERY_ROOTS.accounts]
  if (type.startsWith('calendar.')) return [QUERY_ROOTS.calendar]
  if (type === 'webhook.endpoint_disabled') return [QUERY_ROOTS.webhooks]
  return []
}

/** The connection is back: what failed while it was away is fetched again, so its "could not be reached" goes
 * away by itself (issue 17, item 4) instead of waiting for a click on Try again. */
export function recoverAfterOutage(queryClient: QueryClient): Promise<void> {
  return queryClient.refetchQueries({ predicate: (query) => query.state.status === 'error' })
}

export function useLiveUpdates(enabled: boolean): void {
  const queryClient = useQueryClient()
  useEffect(() => {
    if (!enabled) return undefined
    const off = onLiveEvent((event) => {
      if (event.type === 'replay.truncated') void queryClient.invalidateQueries()
      for (const root of staleAfter(event)) void queryClient.invalidateQueries({ queryKey: [root] })
      announce(event, { pathname: window.location.pathname })
    })
    let last: LiveStatus = liveStatus()
    const offStatus = onLiveStatus((status) => {
      if (status === 'live' && last !== 'live') recoverAfterOutage(queryClient)
      last = status
    })
    startLive()
    return () => {
      off()
      offStatus()
      stopLive()
    }
  }, [enabled, queryClient])
}
