// The conversation screen with replies and forwards written inline: the app composes the mail feature's thread
// view with the compose feature's form (features do not import each other).
import { InlineCompose } from '@/features/compose/components/inline-compose'
import { ThreadPage } from '@/features/mail/components/thread-page'

export function ThreadRoute() {
  return <ThreadPage renderComposer={(props) => <InlineCompose {...props} />} />
}
