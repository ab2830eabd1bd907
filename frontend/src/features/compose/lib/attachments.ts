// Files attached to a new message: read as base64 for the API and kept under the size the mail server accepts.

/** Mail servers (Gmail included) refuse messages over 25 MB; the API's per-file limit is the same size. */
export const MAX_TOTAL_ATTACHMENT_BYTES = 25 * 1024 * 1024
/** The API accepts at most 20 attachments per message. */
export const MAX_ATTACHMENTS = 20

export interface PendingAttachment {
  id: string
  filename: string
  mimeType: string
  size: number
  contentBase64: string
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

export function readAsBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onerror = () => reject(reader.error ?? new Error(`Could not read a file.`))
    reader.onload = () => {
      const url = String(reader.result ?? '')
      resolve(url.slice(url.indexOf(',') + 1))
    }
    reader.readAsDataURL(file)
  })
}

/** Why these files cannot be added to what is already attached, or null when they fit. */
export function attachmentProblem(current: PendingAttachment[], files: File[]): string | null {
  if (current.length + files.length > MAX_ATTACHMENTS) return `A message can carry at most ${MAX_ATTACHMENTS} attachments.`
  const total = current.reduce((sum, a) => sum + a.size, 0) + files.reduce((sum, f) => sum + f.size, 0)
  if (total > MAX_TOTAL_ATTACHMENT_BYTES) {
    return `Attachments can total at most ${formatSize(MAX_TOTAL_ATTACHMENT_BYTES)}; these files would make ${formatSize(total)}. Share large files as a link instead.`
  }
  return null
}

/** Base64 of raw bytes, in chunks (spreading a large array into one call would overflow the stack). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = ''
  const chunk = 0x8000
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk))
  return btoa(binary)
}
