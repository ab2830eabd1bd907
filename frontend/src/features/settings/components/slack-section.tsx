// Slack: connect (an incoming webhook URL, or a bot token and a channel), send a test message, the rules (events,
// quiet hours, a Gmail-syntax filter), the daily summary's schedule and a preview of the next summary.
import { useQuery } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import type { components } from '@/api/schema'
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import { fullDate } from '@/components/format-date'
import { Loading } from '@/components/loading'
import { TextField } from '@/components/text-field'
import { useConfigureSlack } from '../api/configure-slack'
import { useDisconnectSlack } from '../api/disconnect-slack'
import { slackConfigQueryOptions } from '../api/slack-config'
import { slackSummaryPreviewQueryOptions } from '../api/slack-summary-preview'
import { useTestSlack } from '../api/test-slack'
import { Section } from './section'

type SlackConfig = components['schemas']['SlackOut']
type SlackConfigureIn = components['schemas']['SlackConfigureIn']

const EVENTS = [
  { value: 'email.received', label: 'New mail' },
  { value: 'agent.action_pending', label: 'Agent actions waiting for approval' },
  { value: 'scheduled_email.failed', label: 'Scheduled sends that failed' },
]
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']

function SlackForm({ current }: { current: SlackConfig | null }) {
  const configure = useConfigureSlack()
  const [webhookUrl, setWebhookUrl] = useState('')
  const [events, setEvents] = useState<string[]>(current?.events ?? EVENTS.map((e) => e.value))
  const [timezone, setTimezone] = useState(current?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC')
  const [quietStart, setQuietStart] = useState(current?.quiet_start ?? '')
  const [quietEnd, setQuietEnd] = useState(current?.quiet_end ?? '')
  const [filter, setFilter] = useState(current?.mail_filter ?? '')
  const [summaryAt, setSummaryAt] = useState(current?.summary_at ?? '')
  const [days, setDays] = useState<string[]>(current?.summary_weekdays.length ? current.summary_weekdays : DAYS.slice(0, 5))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    configure.mutate({
      webhook_url: webhookUrl.trim() || null,
      events: events as SlackConfigureIn['events'],
      // The server names the zones it accepts (an enum) and answers 422 for any other.
      timezone: timezone as SlackConfigureIn['timezone'],
      quiet_start: quietStart || null,
      quiet_end: quietEnd || null,
      mail_filter: filter,
      summary_at: summaryAt || null,
      summary_weekdays: days as SlackConfigureIn['summary_weekdays'],
      enabled: true,
    })
  }
  return (
    <form onSubmit={submit} className="flex flex-col gap-4 rounded-md border border-slate-200 bg-white p-4" aria-label="Slack settings">
      <TextField
        label={current ? 'New incoming webhook URL (leave empty to keep the current one)' : 'Incoming webhook URL'}
        name="webhook_url"
        type="url"
        required={!current}
        value={webhookUrl}
        hint="https://hooks.slack.com/services/… — stored in the secret store and never shown again."
        onChange={(e) => setWebhookUrl(e.target.value)}
      />
      <fieldset className="flex flex-col gap-1.5">
        <legend className="mb-1 text-sm font-medium text-slate-700">Post about</legend>
        {EVENTS.map((item) => (
          <label key={item.value} className="flex items-center gap-2 text-sm text-slate-800">
            <input
              type="checkbox"
              checked={events.includes(item.value)}
              onChange={(e) => setEvents(e.target.checked ? [...events, item.value] : events.filter((v) => v !== item.value))}
            />
            {item.label}
          </label>
        ))}
      </fieldset>
      <TextField label="Time zone" name="timezone" value={timezone} hint="IANA name, e.g. Europe/Berlin" onChange={(e) => setTimezone(e.target.value)} />
      <div className="flex flex-wrap gap-4">
        <TextField label="Quiet from" name="quiet_start" type="time" value={quietStart} onChange={(e) => setQuietStart(e.target.value)} />
        <TextField label="Quiet until" name="quiet_end" type="time" value={quietEnd} onChange={(e) => setQuietEnd(e.target.value)} />
      </div>
      <TextField
        label="Only mail matching"
        name="mail_filter"
        value={filter}
        hint="Gmail search syntax, e.g. is:important (empty: all new mail)"
        onChange={(e) => setFilter(e.target.value)}
      />
      <TextField label="Daily summary at" name="summary_at" type="time" value={summaryAt} hint="Empty: no summary" onChange={(e) => setSummaryAt(e.target.value)} />
      <fieldset className="flex flex-wrap gap-3">
        <legend className="mb-1 text-sm font-medium text-slate-700">Summary days</legend>
        {DAYS.map((day) => (
          <label key={day} className="flex items-center gap-1 text-sm text-slate-800">
            <input type="checkbox" checked={days.includes(day)} onChange={(e) => setDays(e.target.checked ? [...days, day] : days.filter((d) => d !== day))} />
            {day}
          </label>
        ))}
      </fieldset>
      <ErrorMessage error={configure.error} />
      {configure.isSuccess && (
        <p role="status" className="text-sm text-slate-700">
          Saved.
        </p>
      )}
      <Button type="submit" variant="primary" className="self-start" busy={configure.isPending}>
        {current ? 'Save Slack settings' : 'Connect Slack'}
      </Button>
    </form>
  )
}

function SummaryPreview() {
  const preview = useQuery(slackSummaryPreviewQueryOptions())
  return (
    <div className="flex flex-col gap-2">
      <Button size="sm" className="self-start" busy={preview.isFetching} onClick={() => void preview.refetch()}>
        Preview the next summary
      </Button>
      <ErrorMessage error={preview.error} />
      {preview.data && (
        <div className="rounded-md border border-slate-200 bg-slate-50 p-3">
          {preview.data.next_at && <p className="mb-2 text-xs text-slate-600">Next summary: {fullDate(preview.data.next_at)}</p>}
          <pre aria-label="Summary preview" className="whitespace-pre-wrap text-sm text-slate-800">
            {preview.data.text}
          </pre>
        </div>
      )}
    </div>
  )
}

export function SlackSection() {
  const config = useQuery(slackConfigQueryOptions())
  const test = useTestSlack()
  const disconnect = useDisconnectSlack()
  return (
    <Section title="Slack">
      <p className="-mt-1 text-sm text-slate-600">
        Alerts in a Slack channel and a daily summary. Approvals link to the app: nothing is approved from Slack.
      </p>
      {config.isPending ? (
        <Loading label="Loading Slack settings…" />
      ) : config.isError ? (
        <ErrorMessage error={config.error} />
      ) : (
        <>
          {config.data && (
            <div className="flex flex-wrap items-center gap-2">
              <span className="rounded-full bg-green-100 px-2 py-0.5 text-xs font-semibold text-green-900">
                Connected ({config.data.mode === 'bot' ? `bot, ${config.data.channel ?? ''}` : 'incoming webhook'})
              </span>
              <Button size="sm" busy={test.isPending} onClick={() => test.mutate()}>
                Send test message
              </Button>
              <Button size="sm" variant="ghost" busy={disconnect.isPending} onClick={() => disconnect.mutate()}>
                Disconnect
              </Button>
              {test.isSuccess && (
                <span role="status" className="text-sm text-slate-700">
                  Test message posted.
                </span>
              )}
            </div>
          )}
          <ErrorMessage error={test.error ?? disconnect.error} />
          <SlackForm key={config.data?.updated_at ?? 'new'} current={config.data} />
          {config.data && <SummaryPreview />}
        </>
      )}
    </Section>
  )
}
