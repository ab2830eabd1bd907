// DELETE /attachments/{id}: an upload removed from compose is deleted at once instead of waiting 24 hours.
import { api, unwrap } from '@/api/client'

export function deleteAttachment(attachmentId: string) {
  return unwrap(api.DELETE('/api/v1/attachments/{attachment_id}', { params: { path: { attachment_id: attachmentId } } }))
}
