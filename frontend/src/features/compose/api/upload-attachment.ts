// POST /attachments/upload: one file as multipart, through XMLHttpRequest for its upload progress events and abort.
import type { components } from '@/api/schema'
import { ApiError, errorFromResponse } from '@/lib/api-error'
import { getAccessToken, refreshSession } from '@/lib/auth-session'

export type UploadedAttachment = components['schemas']['AttachmentUploadOut']

export interface UploadHandle {
  /** Resolves with the stored attachment (id, size, SHA-256, type, scan verdict); rejects with an ApiError. */
  done: Promise<UploadedAttachment>
  /** Stop sending; `done` rejects with an ApiError whose code is `aborted`. */
  cancel: () => void
}

export const UPLOAD_URL = '/api/v1/attachments/upload'

function send(file: Blob, filename: string, onProgress: (sent: number, total: number) => void, xhr: XMLHttpRequest): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    xhr.open('POST', UPLOAD_URL)
    xhr.responseType = 'json'
    const token = getAccessToken()
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`)
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total)
    }
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.response as unknown })
    xhr.onerror = () => reject(errorFromResponse(0, null))
    xhr.onabort = () => reject(new ApiError(0, 'aborted', `The upload of ${filename} was cancelled.`))
    const form = new FormData()
    form.append('file', file, filename)
    xhr.send(form)
  })
}

/** Upload a file with progress; a 401 (the access token expired meanwhile) refreshes the session once and retries. */
export function uploadAttachment(file: Blob, filename: string, onProgress: (sent: number, total: number) => void = () => {}): UploadHandle {
  let current = new XMLHttpRequest()
  let cancelled = false
  const done = (async () => {
    let result = await send(file, filename, onProgress, current)
    if (result.status === 401 && !cancelled && (await refreshSession())) {
      current = new XMLHttpRequest()
      result = await send(file, filename, onProgress, current)
    }
    if (result.status < 200 || result.status >= 300) throw errorFromResponse(result.status, result.body)
    return (result.body as { data: UploadedAttachment }).data
  })()
  return {
    done,
    cancel: () => {
      cancelled = true
      current.abort()
    },
  }
}
