// The API's error envelope as an Error a screen can show: a readable message plus per-field details.
export interface ErrorDetail {
  field?: string | null
  message?: string
  type?: string
  [key: string]: unknown
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: ErrorDetail[]
  readonly requestId: string | null

  constructor(status: number, code: string, message: string, details: ErrorDetail[] = [], requestId: string | null = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
    this.requestId = requestId
  }

  /** The message for one form field, matched on the last part of the backend's field path (`body.to.0` → `to`). */
  fieldMessage(field: string): string | undefined {
    const hit = this.details.find((d) => {
      const path = (d.field ?? '').split('.')
      return path.includes(field)
    })
    return hit?.message
  }
}

interface Envelope {
  data?: unknown
  error?: { code?: string; message?: string; details?: ErrorDetail[] } | null
  meta?: { request_id?: string | null }
}

export function errorFromResponse(status: number, body: unknown): ApiError {
  const envelope = (body ?? {}) as Envelope
  const error = envelope.error
  if (error && typeof error.message === 'string') {
    return new ApiError(status, error.code ?? 'error', error.message, error.details ?? [], envelope.meta?.request_id ?? null)
  }
  if (status === 0) return new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.')
  return new ApiError(status, 'http_' + status, `The server answered ${status}. Try again in a moment.`)
}

/** A readable message for anything thrown: API errors keep their message, other errors get a generic one. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message
  if (error instanceof TypeError) return 'The server could not be reached. Check your connection and try again.'
  if (error instanceof Error && error.message) return error.message
  return 'Something went wrong. Try again.'
}
