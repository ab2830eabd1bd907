// Previous/next paging for offset-based admin lists, with "21–40 of 93".
import { Button } from '@/components/button'

export function Pager({
  offset,
  limit,
  shown,
  total,
  label,
  onChange,
}: {
  offset: number
  limit: number
  shown: number
  total: number | null | undefined
  label: string
  onChange: (offset: number) => void
}) {
  const hasNext = total != null ? offset + shown < total : shown === limit
  if (offset === 0 && !hasNext) return null
  const range = shown === 0 ? 'None' : `${offset + 1}–${offset + shown}`
  return (
    <nav aria-label={label} className="flex items-center justify-end gap-3 text-sm text-slate-700">
      <span>
        {range}
        {total != null ? ` of ${total}` : ''}
      </span>
      <Button size="sm" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        Previous page
      </Button>
      <Button size="sm" disabled={!hasNext} onClick={() => onChange(offset + limit)}>
        Next page
      </Button>
    </nav>
  )
}
