// Loading indicator announced to screen readers.
export function Loading({ label = 'Loading…', className = '' }: { label?: string; className?: string }) {
  return (
    <div role="status" className={`flex items-center gap-2 p-4 text-sm text-slate-600 ${className}`}>
      <span className="size-4 animate-spin rounded-full border-2 border-slate-400 border-t-transparent" aria-hidden="true" />
      {label}
    </div>
  )
}
