// The frame of every sign-in screen: product name and logo above a centred card with the screen's one heading.
import type { ReactNode } from 'react'
import { Link, type LinkProps } from 'react-router'

export function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <main className="flex min-h-dvh flex-col items-center justify-center bg-slate-50 px-4 py-10">
      <div className="mb-6 flex items-center gap-2 text-lg font-semibold text-slate-900">
        <img src="/favicon.svg" alt="" className="size-8" />
        mailagent
      </div>
      <section className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <h1 className="mb-4 text-xl font-semibold text-slate-900">{title}</h1>
        {children}
      </section>
      {footer && <div className="mt-4 flex flex-col items-center gap-1 text-sm text-slate-700">{footer}</div>}
    </main>
  )
}

export function AuthLink({ className = '', ...rest }: LinkProps) {
  return <Link className={`font-medium text-brand-700 underline underline-offset-2 hover:text-brand-800 ${className}`} {...rest} />
}
