// Every screen and its URL. Screens load on demand (one chunk per feature) to keep the first load small.
import { createBrowserRouter, Navigate } from 'react-router'
import { Loading } from '@/components/loading'
import { AppLayout } from './app-layout'
import { RequireAdmin, RequireAuth, RequireGuest } from './guards'
import { NotFoundPage, RouteError } from './not-found-page'

export const router = createBrowserRouter([
  {
    errorElement: <RouteError />,
    // What shows while a full load fetches the first screen's lazy chunk (React Router warns on every load without).
    hydrateFallbackElement: <Loading label="Loading…" />,
    children: [
      {
        element: <RequireGuest />,
        children: [
          { path: '/login', lazy: () => import('@/features/auth/components/login-page').then((m) => ({ Component: m.LoginPage })) },
          { path: '/register', lazy: () => import('@/features/auth/components/register-page').then((m) => ({ Component: m.RegisterPage })) },
          {
            path: '/forgot-password',
            lazy: () => import('@/features/auth/components/forgot-password-page').then((m) => ({ Component: m.ForgotPasswordPage })),
          },
        ],
      },
      // Links from e-mails work whether or not someone is signed in.
      { path: '/verify-email', lazy: () => import('@/features/auth/components/verify-email-page').then((m) => ({ Component: m.VerifyEmailPage })) },
      {
        path: '/reset-password',
        lazy: () => import('@/features/auth/components/reset-password-page').then((m) => ({ Component: m.ResetPasswordPage })),
      },
      {
        element: <RequireAuth />,
        children: [
          {
            element: <AppLayout />,
            children: [
              { path: '/', element: <Navigate to="/mail/INBOX" replace /> },
              { path: '/mail', element: <Navigate to="/mail/INBOX" replace /> },
              // The drafts "label" is the drafts screen (editable drafts, listed by recipient), not a read-only list.
              { path: '/mail/DRAFT', element: <Navigate to="/drafts" replace /> },
              { path: '/mail/:labelId', lazy: () => import('@/features/mail/components/mailbox-page').then((m) => ({ Component: m.MailboxPage })) },
              {
                path: '/mail/:labelId/:messageId',
                lazy: () => import('./thread-route').then((m) => ({ Component: m.ThreadRoute })),
              },
              { path: '/compose', lazy: () => import('@/features/compose/components/compose-page').then((m) => ({ Component: m.ComposePage })) },
              { path: '/drafts', lazy: () => import('@/features/compose/components/drafts-page').then((m) => ({ Component: m.DraftsPage })) },
              {
                path: '/scheduled',
                lazy: () => import('@/features/scheduled/components/scheduled-page').then((m) => ({ Component: m.ScheduledPage })),
              },
              { path: '/calendar', lazy: () => import('@/features/calendar/components/calendar-page').then((m) => ({ Component: m.CalendarPage })) },
              { path: '/contacts', lazy: () => import('@/features/calendar/components/contacts-page').then((m) => ({ Component: m.ContactsPage })) },
              { path: '/agent', lazy: () => import('@/features/agent/components/agent-page').then((m) => ({ Component: m.AgentPage })) },
              {
                path: '/agent/:conversationId',
                lazy: () => import('@/features/agent/components/agent-page').then((m) => ({ Component: m.AgentPage })),
              },
              {
                path: '/settings',
                lazy: () => import('@/features/settings/components/settings-layout').then((m) => ({ Component: m.SettingsLayout })),
                children: [
                  { index: true, element: <Navigate to="/settings/profile" replace /> },
                  {
                    path: 'profile',
                    lazy: () => import('@/features/settings/components/profile-page').then((m) => ({ Component: m.ProfilePage })),
                  },
                  {
                    path: 'accounts',
                    lazy: () => import('@/features/settings/components/accounts-page').then((m) => ({ Component: m.AccountsPage })),
                  },
                  {
                    path: 'api-keys',
                    lazy: () => import('@/features/settings/components/api-keys-page').then((m) => ({ Component: m.ApiKeysPage })),
                  },
                  {
                    path: 'integrations',
                    lazy: () => import('@/features/settings/components/integrations-page').then((m) => ({ Component: m.IntegrationsPage })),
                  },
                ],
              },
              {
                path: '/admin',
                element: <RequireAdmin />,
                children: [
                  {
                    lazy: () => import('@/features/admin/components/admin-layout').then((m) => ({ Component: m.AdminLayout })),
                    children: [
                  { index: true, element: <Navigate to="/admin/users" replace /> },
                  { path: 'users', lazy: () => import('@/features/admin/components/users-page').then((m) => ({ Component: m.UsersPage })) },
                  { path: 'audit', lazy: () => import('@/features/admin/components/audit-page').then((m) => ({ Component: m.AuditPage })) },
                  { path: 'system', lazy: () => import('@/features/admin/components/system-page').then((m) => ({ Component: m.SystemPage })) },
                    ],
                  },
                ],
              },
              { path: '*', element: <NotFoundPage /> },
            ],
          },
        ],
      },
    ],
  },
])
