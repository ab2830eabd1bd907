// The first element of every query key, shared so live events can invalidate what they change.
export const QUERY_ROOTS = {
  emails: 'emails',
  thread: 'thread',
  labels: 'labels',
  accounts: 'accounts',
  drafts: 'drafts',
  scheduled: 'scheduled',
  agent: 'agent',
  apiKeys: 'api-keys',
  admin: 'admin',
  me: 'me',
  contacts: 'contacts',
  webhooks: 'webhooks',
  slack: 'slack',
  calendar: 'calendar',
} as const
