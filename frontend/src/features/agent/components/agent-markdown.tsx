// The agent's reply as formatted text: Markdown without raw HTML (react-markdown's default), links in a new tab.
import Markdown, { type Components } from 'react-markdown'

const COMPONENTS: Components = {
  a: ({ href, title, children }) => (
    <a href={href} title={title} target="_blank" rel="noopener noreferrer" className="text-brand-700 underline">
      {children}
    </a>
  ),
}

export function AgentMarkdown({ text }: { text: string }) {
  return (
    <div className="space-y-2 break-words text-sm leading-relaxed text-slate-900 [&_code]:rounded [&_code]:bg-slate-100 [&_code]:px-1 [&_li]:my-0.5 [&_ol]:list-decimal [&_ol]:pl-5 [&_pre]:overflow-x-auto [&_pre]:rounded [&_pre]:bg-slate-100 [&_pre]:p-2 [&_ul]:list-disc [&_ul]:pl-5">
      <Markdown components={COMPONENTS}>{text}</Markdown>
    </div>
  )
}
