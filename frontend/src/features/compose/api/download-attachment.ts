// GET /emails/{id}/attachments/{attachment_id}: a draft's saved attachment, fetched so a re-save keeps it.
import { authFetch } from '@/api/client'
import { errorFromResponse } from '@/lib/api-error'
import { bytesToBase64 } from '../lib/attachments'

/** The attachment's bytes as base64 (the draft update replaces attachments, so they are sent again). */
export async function downloadAttachmentBase64(downloadUrl: string, account: string | null): Promise<string> {
  const url = new URL(downloadUrl, window.location.origin)
  // The link names the message only; the mailbox it lives in is the active account.
  if (account && !url.searchParams.has('account')) url.searchParams.set('account', account)
  const response = await authFetch(new Request(url))
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => null)
    throw errorFromResponse(response.status, body)
  }
  return bytesToBase64(new Uint8Array(await response.arrayBuffer()))
}
