// GET /calendar/events?start=&end=: the event instances in a window (recurring ones expanded) and the calendar's zone.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type CalendarEvent = components['schemas']['EventOut']
export type EventList = components['schemas']['EventListOut']

export function listEvents(start: string, end: string) {
  return unwrap(api.GET('/api/v1/calendar/events', { params: { query: { start, end } } }))
}

export function eventsQueryOptions(start: string, end: string) {
  return queryOptions({
    queryKey: [QUERY_ROOTS.calendar, 'events', start, end],
    queryFn: () => listEvents(start, end),
  })
}
