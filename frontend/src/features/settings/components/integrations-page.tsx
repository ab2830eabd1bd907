// Integrations: outgoing webhooks and Slack.
import { SlackSection } from './slack-section'
import { WebhooksSection } from './webhooks-section'

export function IntegrationsPage() {
  return (
    <div className="flex flex-col gap-10">
      <WebhooksSection />
      <SlackSection />
    </div>
  )
}
