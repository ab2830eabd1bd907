// What a new conversation starts with: what the agent may do on its own, what it asks first, and prompts to try.
import { Button } from '@/components/button'

// Commands of the offline model (docs/agent-commands.md) that do something with the demo mailbox.
const EXAMPLE_PROMPTS = [
  'find unread mail about the offsite',
  'summarize the thread about the offsite',
  'find unread mail about the offsite and draft a reply saying I am in',
  'label newsletters as Later',
  'help',
]

export function AgentEmptyState({ onPick }: { onPick: (prompt: string) => void }) {
  return (
    <div className="mx-auto flex max-w-xl flex-col gap-3 py-8 text-sm text-slate-700">
      <p className="text-base font-medium text-slate-900">Ask the agent to work through your mail</p>
      <p>
        It searches, reads, summarizes, labels and drafts on its own. Before anything leaves your mailbox — sending,
        replying, forwarding, scheduling or moving mail to the trash — it shows you exactly what it wants to do and
        waits for your approval.
      </p>
      <p>
        Without an AI service configured it runs the offline model, which understands short commands like the ones
        below (its first reply says so); type <strong>help</strong> for the full list.
      </p>
      <div>
        <p className="mb-2 font-medium text-slate-900">Try:</p>
        <ul className="flex flex-wrap gap-2">
          {EXAMPLE_PROMPTS.map((prompt) => (
            <li key={prompt}>
              <Button size="sm" onClick={() => onPick(prompt)}>
                {prompt}
              </Button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  )
}
