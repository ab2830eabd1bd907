// Every server message for one form field (the password rules can fail several at once).
import { ApiError } from '@/lib/api-error'

export function fieldErrors(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined
  const messages = error.details.filter((d) => (d.field ?? '').split('.').includes(field)).map((d) => d.message ?? '')
  const text = messages.filter(Boolean).join(' ')
  return text || undefined
}
