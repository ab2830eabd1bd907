// The typed API client (generated types from the backend's OpenAPI document) with the session's credentials.
import createClient from 'openapi-fetch'
import { errorFromResponse } from '@/lib/api-error'
import { getAccessToken, refreshSession } from '@/lib/auth-session'
import type { paths } from './schema'

/** fetch with the in-memory access token; on a 401 it refreshes once (cookie) and retries the same request. */
export async function authFetch(input: Request): Promise<Response> {
  const retry = input.clone()
  const first = await fetch(withToken(input))
  if (first.status !== 401 || !getAccessToken() || isAuthEndpoint(input.url)) return first
  const refreshed = await refreshSession()
  if (!refreshed) return first
  return fetch(withToken(retry))
}

function withToken(request: Request): Request {
  const token = getAccessToken()
  if (token && !request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${token}`)
  return request
}

function isAuthEndpoint(url: string): boolean {
  return /\/api\/v1\/auth\/(login|refresh|register)/.test(url)
}

export const api = createClient<paths>({ baseUrl: '', fetch: authFetch, credentials: 'same-origin' })

interface Result<T> {
  data?: T
  error?: unknown
  response: Response
}

/** The envelope's `data`, or a thrown ApiError with the envelope's readable message. */
export async function unwrap<T extends { data?: unknown }>(call: Promise<Result<T>>): Promise<NonNullable<T['data']>> {
  let result: Result<T>
  try {
    result = await call
  } catch (error) {
    throw errorFromResponse(0, error)
  }
  if (result.error !== undefined || !result.response.ok) throw errorFromResponse(result.response.status, result.error)
  return (result.data as T).data as NonNullable<T['data']>
}

/** Like unwrap, but keeps the envelope's meta (paging tokens, degraded notices). */
export async function unwrapWithMeta<T extends { data?: unknown; meta?: unknown }>(
  call: Promise<Result<T>>,
): Promise<{ data: NonNullable<T['data']>; meta: NonNullable<T['meta']> }> {
  let result: Result<T>
  try {
    result = await call
  } catch (error) {
    throw errorFromResponse(0, error)
  }
  if (result.error !== undefined || !result.response.ok) throw errorFromResponse(result.response.status, result.error)
  const body = result.data as T
  return { data: body.data as NonNullable<T['data']>, meta: body.meta as NonNullable<T['meta']> }
}
