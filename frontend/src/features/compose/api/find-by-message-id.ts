// GET /emails?q=rfc822msgid:…: the mailbox's id of the message a saved reply answers (a draft keeps only the
// In-Reply-To header), so sending the draft later keeps it in that conversation.
import { api, unwrap } from '@/api/client'

export async function findByMessageId(rfc822Id: string, account: string | null): Promise<string | null> {
  const found = await unwrap(
    api.GET('/api/v1/emails', { params: { query: { q: `rfc822msgid:${rfc822Id}`, limit: 1, ...(account ? { account } : {}) } } }),
  )
  return found[0]?.id ?? null
}
