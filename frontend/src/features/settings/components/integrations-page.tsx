// Integrations that are planned but not built yet: said plainly, with no forms that would do nothing.
import { Section } from './section'

const PLANNED = [
  { name: 'Slack', text: 'Get a message in a Slack channel when important mail arrives, and ask the agent about your mail from Slack.' },
  { name: 'Webhooks', text: 'Have mailagent call a URL of yours when mail arrives, is sent or a scheduled message goes out.' },
  { name: 'MCP', text: 'Let AI assistants that speak the Model Context Protocol search, read and draft mail through mailagent, with your API key.' },
]

export function IntegrationsPage() {
  return (
    <Section title="Integrations">
      <p className="-mt-1 text-sm text-slate-600">These connections are planned. Nothing here is active yet.</p>
      <ul className="grid gap-3 sm:grid-cols-2">
        {PLANNED.map((item) => (
          <li key={item.name} className="flex flex-col gap-2 rounded-md border border-slate-200 bg-white p-4">
            <h3 className="font-semibold text-slate-900">{item.name}</h3>
            <p className="text-sm text-slate-700">{item.text}</p>
            <p className="mt-auto text-xs font-medium text-slate-600">Coming in a later release</p>
          </li>
        ))}
      </ul>
    </Section>
  )
}
