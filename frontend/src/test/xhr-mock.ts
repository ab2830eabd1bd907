// An XMLHttpRequest stand-in for uploads in component tests: progress events, abort, and an answer from a handler.
import { vi } from 'vitest'

export interface SeenUpload {
  url: string
  headers: Record<string, string>
  file: File | null
  xhr: FakeXhr
}

/** What the handler answers: a status and a JSON body; `hold` keeps the request open until `release()`. */
export interface UploadAnswer {
  status: number
  body: unknown
}

type UploadHandler = (upload: SeenUpload) => UploadAnswer | Promise<UploadAnswer>

class FakeUpload {
  onprogress: ((event: ProgressEvent) => void) | null = null
}

export class FakeXhr {
  static handler: UploadHandler = () => ({ status: 500, body: null })
  static seen: SeenUpload[] = []
  readonly upload = new FakeUpload()
  status = 0
  response: unknown = null
  responseType = ''
  aborted = false
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  onabort: (() => void) | null = null
  private url = ''
  private headers: Record<string, string> = {}

  open(_method: string, url: string): void {
    this.url = url
  }

  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value
  }

  send(body: FormData): void {
    const file = body.get('file')
    const entry: SeenUpload = { url: this.url, headers: this.headers, file: file instanceof File ? file : null, xhr: this }
    FakeXhr.seen.push(entry)
    const total = entry.file?.size ?? 0
    void (async () => {
      await Promise.resolve()
      this.upload.onprogress?.({ lengthComputable: true, loaded: Math.floor(total / 2), total } as ProgressEvent)
      const answer = await FakeXhr.handler(entry)
      if (this.aborted) return
      this.upload.onprogress?.({ lengthComputable: true, loaded: total, total } as ProgressEvent)
      this.status = answer.status
      this.response = answer.body
      this.onload?.()
    })()
  }

  abort(): void {
    this.aborted = true
    this.onabort?.()
  }
}

/** Install the fake; every upload is answered by `handler`. Returns the list of uploads seen. */
export function mockUploads(handler: UploadHandler): SeenUpload[] {
  FakeXhr.handler = handler
  FakeXhr.seen = []
  vi.stubGlobal('XMLHttpRequest', FakeXhr)
  return FakeXhr.seen
}

let counter = 0

/** The API's answer for a stored upload of this file. */
export function uploaded(file: File | null, verdict: 'clean' | 'not_scanned' = 'clean', id?: string): UploadAnswer {
  counter += 1
  return {
    status: 201,
    body: {
      data: {
        id: id ?? `up${counter}`,
        filename: file?.name ?? 'file',
        size: file?.size ?? 0,
        sha256: '0'.repeat(64),
        content_type: file?.type || 'application/octet-stream',
        verdict,
        created_at: '2026-12-01T10:00:00Z',
        expires_at: '2026-12-02T10:00:00Z',
        in_use: false,
      },
      error: null,
      meta: { request_id: 'test' },
    },
  }
}
