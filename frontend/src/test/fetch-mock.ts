// A fetch stand-in for component tests: routes "METHOD /path" to handlers and records every request it saw.
import { vi } from 'vitest'

export interface SeenRequest {
  method: string
  path: string
  search: URLSearchParams
  body: unknown
  headers: Headers
}

type Handler = (request: SeenRequest) => Response | Promise<Response>

export function envelope(data: unknown, meta: Record<string, unknown> = {}, status = 200): Response {
  return new Response(JSON.stringify({ data, error: null, meta: { request_id: 'test', ...meta } }), {
    status,
    headers: { 'Content-Type': 'application/json' },
  })
}

export function apiError(status: number, code: string, message: string, details: unknown[] = []): Response {
  return new Response(JSON.stringify({ data: null, error: { code, message, details }, meta: { request_id: 'test' } }), {
    status,
    headers: { 'Content-Type': 'application/json' },
  })
}

/** Install a fetch that answers from `routes` ("GET /api/v1/labels"); unknown routes answer 404 and are recorded. */
export function mockApi(routes: Record<string, Handler>): SeenRequest[] {
  const seen: SeenRequest[] = []
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), 'http://localhost'), init)
    const url = new URL(request.url, 'http://localhost')
    const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text()
    let body: unknown
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      body = text
    }
    const entry = { method: request.method, path: url.pathname, search: url.searchParams, body, headers: request.headers }
    seen.push(entry)
    const handler = routes[`${request.method} ${url.pathname}`]
    if (!handler) return apiError(404, 'not_found', `No mock for ${request.method} ${url.pathname}`)
    return handler(entry)
  })
  return seen
}
