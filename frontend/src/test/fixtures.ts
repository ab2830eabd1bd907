// A signed-in user as the API describes one, for tests that need a session.
import type { SessionUser } from '@/lib/auth-session'

export function testUser(overrides: Partial<SessionUser> = {}): SessionUser {
  return {
    id: 'u1',
    email: 'ana@example.com',
    role: 'user',
    status: 'active',
    display_name: null,
    created_at: '2026-11-01T00:00:00Z',
    email_verified_at: null,
    undo_send_seconds: 10,
    image_senders: [],
    conversation_view: true,
    ...overrides,
  }
}
