// The link from the verification e-mail: confirm the token once, then point to sign-in (or explain what went wrong).
import { useEffect, useRef } from 'react'
import { useSearchParams } from 'react-router'
import { ErrorMessage } from '@/components/error-message'
import { Loading } from '@/components/loading'
import { useVerifyEmail } from '../api/verify-email'
import { AuthCard, AuthLink } from './auth-card'

export function VerifyEmailPage() {
  const [params] = useSearchParams()
  const token = params.get('token') ?? ''
  const verify = useVerifyEmail()
  const { mutate } = verify
  // The token is single-use: StrictMode runs effects twice in development, and a second POST would report "used".
  const sent = useRef(false)
  useEffect(() => {
    if (!token || sent.current) return
    sent.current = true
    mutate(token)
  }, [token, mutate])

  if (!token) {
    return (
      <AuthCard title="Verify your e-mail" footer={<AuthLink to="/login">Go to sign in</AuthLink>}>
        <p role="alert" className="text-sm text-slate-700">
          This link has no verification token. Open the link from the e-mail again, or copy the whole address into the browser.
        </p>
      </AuthCard>
    )
  }
  return (
    <AuthCard title="Verify your e-mail">
      {verify.isSuccess ? (
        <div className="flex flex-col gap-4">
          <p role="status" className="text-sm text-slate-700">
            Your e-mail address <strong className="text-slate-900">{verify.data.email}</strong> is confirmed. You can sign in now.
          </p>
          <AuthLink to="/login" className="self-start rounded-md bg-brand-600 px-3.5 py-2 text-white no-underline hover:bg-brand-700 hover:text-white">
            Sign in
          </AuthLink>
        </div>
      ) : verify.isError ? (
        <div className="flex flex-col gap-3">
          <ErrorMessage error={verify.error} />
          <p className="text-sm text-slate-700">
            Verification links work once and expire after a while. If you already confirmed your address, just sign in. Otherwise
            register again with the same address to get a new link.
          </p>
          <p className="flex gap-4 text-sm">
            <AuthLink to="/login">Sign in</AuthLink>
            <AuthLink to="/register">Register again</AuthLink>
          </p>
        </div>
      ) : (
        <Loading label="Confirming your e-mail address…" />
      )}
    </AuthCard>
  )
}
