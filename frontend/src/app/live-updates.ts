// Live updates: while signed in, keep the WebSocket open, refresh what an event changes and announce what matters.
import { useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import { toast } from 'sonner'
import { onLiveEvent, startLive, stopLive, type LiveEvent } from '@/lib/live-socket'
import { QUERY_ROOTS } from '@/lib/query-keys'

function text(value: unknown, fallback = ''): string {
  return typeof value === 'string' && value ? value : fallback
}

export function announce(event: LiveEvent): void {
  const data = event.data
  switch (event.type) {
    case 'email.received': {
      const from = data.from as { name?: string; address?: string } | string | undefined
      const sender = typeof from === 'string' ? from : from?.name || from?.address || 'someone'
      toast(`New mail from ${sender}`, { description: text(data.subject, '(no subject)') })
      break
    }
    case 'scheduled_email.sent':
      toast.success('Scheduled email sent', { description: text(data.subject) })
      break
    case 'scheduled_email.failed':
      toast.error('A scheduled email could not be sent', { description: text(data.error, text(data.subject)) })
      break
    case 'agent.action_pending':
      toast('The agent is waiting for your approval', { description: text(data.summary) })
      break
    case 'agent.task_completed':
      toast.success('The agent finished', { description: text(data.summary) })
      break
    case 'mailbox.watch_lapsed':
      toast.warning('Live updates from Gmail paused; checking every few minutes instead.')
      break
    case 'replay.truncated':
      toast('You were offline for a while; the mailbox was reloaded.')
      break
    default:
      break
  }
}

export function useLiveUpdates(enabled: boolean): void {
  const queryClient = useQueryClient()
  useEffect(() => {
    if (!enabled) return undefined
    const off = onLiveEvent((event) => {
      const invalidate = (...roots: string[]) => {
        for (const root of roots) void queryClient.invalidateQueries({ queryKey: [root] })
      }
      if (event.type.startsWith('email.')) invalidate(QUERY_ROOTS.emails, QUERY_ROOTS.labels, QUERY_ROOTS.thread, QUERY_ROOTS.drafts)
      if (event.type.startsWith('scheduled_email.')) invalidate(QUERY_ROOTS.scheduled)
      if (event.type.startsWith('agent.')) invalidate(QUERY_ROOTS.agent)
      if (event.type === 'mailbox.watch_lapsed') invalidate(QUERY_ROOTS.accounts)
      if (event.type === 'replay.truncated') void queryClient.invalidateQueries()
      announce(event)
    })
    startLive()
    return () => {
      off()
      stopLive()
    }
  }, [enabled, queryClient])
}
