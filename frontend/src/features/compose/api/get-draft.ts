// GET /emails/draft/{id}: a saved draft, to continue editing it.
import { api, unwrap } from '@/api/client'

export function getDraft(draftId: string, account: string | null) {
  return unwrap(api.GET('/api/v1/emails/draft/{draft_id}', { params: { path: { draft_id: draftId }, query: account ? { account } : {} } }))
}
