// Files attached to a message: uploaded one by one (progress, cancel), scanned by the server, sent by id.

/** Mail servers (Gmail included) refuse messages over 25 MB; the API's per-file and per-message limit is the same. */
export const MAX_TOTAL_ATTACHMENT_BYTES = 25 * 1024 * 1024
/** The API accepts at most 20 attachments per message. */
export const MAX_ATTACHMENTS = 20

export type AttachmentState = 'uploading' | 'ready' | 'failed'
export type ScanVerdict = 'clean' | 'not_scanned' | 'infected'

export interface ComposeAttachment {
  /** Stable key for the list while the upload runs (the server's id arrives at the end). */
  key: string
  filename: string
  size: number
  state: AttachmentState
  /** Bytes sent so far (upload progress). */
  sent: number
  /** The upload's id once the server stored it. */
  id?: string
  verdict?: ScanVerdict
  contentType?: string
  /** Why it failed (too large, malware found, network...). */
  error?: string
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

/** What counts against the 25 MB budget: everything attached that did not fail. */
export function usedBytes(list: ComposeAttachment[]): number {
  return list.filter((a) => a.state !== 'failed').reduce((sum, a) => sum + a.size, 0)
}

/** Why these files cannot be added to what is already attached, or null when they fit. */
export function attachmentProblem(current: ComposeAttachment[], files: { size: number }[]): string | null {
  const live = current.filter((a) => a.state !== 'failed')
  if (live.length + files.length > MAX_ATTACHMENTS) return `A message can carry at most ${MAX_ATTACHMENTS} attachments.`
  const total = usedBytes(current) + files.reduce((sum, f) => sum + f.size, 0)
  if (total > MAX_TOTAL_ATTACHMENT_BYTES) {
    return `Attachments can total at most ${formatSize(MAX_TOTAL_ATTACHMENT_BYTES)}; these files would make ${formatSize(total)}. Share large files as a link instead.`
  }
  return null
}

export function verdictLabel(verdict: ScanVerdict | undefined): string {
  if (verdict === 'clean') return 'Scanned, no threat found'
  if (verdict === 'not_scanned') return 'Not scanned (no malware scanner on this server)'
  return ''
}
