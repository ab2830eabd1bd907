// One conversation with the agent: its history, what this page sent and heard since, live tool activity and decisions.
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { useNavigate } from 'react-router'
import { ApiError } from '@/lib/api-error'
import { onLiveEvent } from '@/lib/live-socket'
import { QUERY_ROOTS } from '@/lib/query-keys'
import { approveAction } from '../api/approve-action'
import { postChat } from '../api/chat'
import { editAction } from '../api/edit-action'
import { conversationQueryOptions } from '../api/get-conversation'
import { conversationsQueryOptions } from '../api/list-conversations'
import { pendingActionsQueryOptions } from '../api/list-pending-actions'
import { rejectAction } from '../api/reject-action'
import { undoChange } from '../api/undo-change'
import { lineFromEvent } from '../components/describe-action'
import type { AgentChange, PendingAction, TranscriptEntry } from '../types/agent'
import { EMPTY_TRANSCRIPT, applyTurn, entriesFromDetail, entryId, newest, upsertLine, type Transcript } from './transcript'

export interface AgentConversation {
  entries: TranscriptEntry[]
  action: (id: string) => PendingAction | undefined
  title: string | null
  loading: boolean
  loadError: unknown
  working: boolean
  sendError: unknown
  /** Resolves true when the agent answered (the composer may then forget the text). */
  send: (message: string) => Promise<boolean>
  /** Approve (exactly the snapshot the card shows) or reject. Throws the API error, for the card to show. */
  decide: (action: PendingAction, approve: boolean) => Promise<void>
  /** A new snapshot from edited arguments (none: the draft's new version); the card then shows it. Throws. */
  edit: (action: PendingAction, payload?: Record<string, unknown>) => Promise<void>
  change: (id: string) => AgentChange | undefined
  /** Reverse one change the agent made on its own. Throws the API error. */
  undo: (change: AgentChange) => Promise<void>
  startNew: () => void
}

export function useAgentConversation(conversationId: string | null): AgentConversation {
  const queryClient = useQueryClient()
  const navigate = useNavigate()
  const [transcript, setTranscript] = useState<Transcript>(EMPTY_TRANSCRIPT)
  const [inFlight, setInFlight] = useState(0)
  const [sendError, setSendError] = useState<unknown>(null)

  const detail = useQuery({ ...conversationQueryOptions(conversationId ?? ''), enabled: conversationId !== null })
  const pending = useQuery(pendingActionsQueryOptions())

  // The page's own transcript wins over the stored history while it is about this conversation: it also knows the
  // arguments of each tool call, which the history does not keep.
  const isLocal = transcript.conversationId === conversationId && (conversationId !== null || transcript.entries.length > 0)
  const serverEntries = useMemo(() => (detail.data ? entriesFromDetail(detail.data) : []), [detail.data])

  const actionSources = useMemo(() => {
    const fromDetail = new Map((detail.data?.actions ?? []).map((a) => [a.id, a]))
    const fromPending = new Map((pending.data ?? []).map((a) => [a.id, a]))
    return { fromDetail, fromPending }
  }, [detail.data, pending.data])

  const changeSources = useMemo(() => new Map((detail.data?.changes ?? []).map((c) => [c.id, c])), [detail.data])
  const change = useCallback(
    (id: string) => {
      const mine = transcript.changes[id]
      const stored = changeSources.get(id)
      // an undone copy is newer than a not-yet-undone one
      return mine?.undone_at ? mine : (stored ?? mine)
    },
    [transcript.changes, changeSources],
  )

  const action = useCallback(
    (id: string) => newest(transcript.actions[id], actionSources.fromPending.get(id), actionSources.fromDetail.get(id)),
    [transcript.actions, actionSources],
  )

  const entries = useMemo(() => {
    const base = isLocal ? transcript.entries : serverEntries
    // Actions that wait in this conversation but are not in the transcript yet (a live agent.action_pending, or one
    // proposed from another tab) are shown at the end.
    const placed = new Set(base.flatMap((e) => (e.kind === 'action' ? [e.actionId] : [])))
    const waiting = (pending.data ?? []).filter((a) => conversationId !== null && a.conversation_id === conversationId && !placed.has(a.id))
    return [...base, ...waiting.map((a): TranscriptEntry => ({ kind: 'action', id: `action-${a.id}`, actionId: a.id }))]
  }, [isLocal, transcript.entries, serverEntries, pending.data, conversationId])

  // Live events read the latest values through refs: the subscription lives as long as the page.
  const latest = useRef({ conversationId, isLocal, working: inFlight > 0, transcriptId: transcript.conversationId })
  useEffect(() => {
    latest.current = { conversationId, isLocal, working: inFlight > 0, transcriptId: transcript.conversationId }
  })

  useEffect(
    () =>
      onLiveEvent((event) => {
        if (!event.type.startsWith('agent.')) return
        const cid = typeof event.data.conversation_id === 'string' ? event.data.conversation_id : null
        const now = latest.current
        // A brand-new conversation learns its id only from the answer: while its first message is on its way, the
        // events of the conversation being created are its events.
        const awaitingFirstAnswer = now.conversationId === null && now.transcriptId === null && now.working
        const ours = cid !== null && (cid === now.conversationId || awaitingFirstAnswer)
        if (event.type === 'agent.action_pending') void queryClient.invalidateQueries({ queryKey: pendingActionsQueryOptions().queryKey })
        if (event.type === 'agent.task_completed' || event.type === 'agent.message') {
          void queryClient.invalidateQueries({ queryKey: conversationsQueryOptions().queryKey })
        }
        if (!ours) return
        if (event.type === 'agent.tool_call') {
          const line = lineFromEvent(event.data)
          if (!line || (line.status === 'pending' && event.data.pending_action_id)) return
          if (now.isLocal || awaitingFirstAnswer) {
            setTranscript((prev) => (prev.conversationId === (awaitingFirstAnswer ? null : cid) ? { ...prev, entries: upsertLine(prev.entries, line) } : prev))
          } else {
            void queryClient.invalidateQueries({ queryKey: conversationQueryOptions(cid).queryKey })
          }
        }
      }),
    [queryClient],
  )

  /** The transcript as shown now, made the page's own so that answers can be appended to it. */
  const takeOver = (): Transcript => {
    const current = isLocal ? transcript : { conversationId, entries: serverEntries, actions: {}, changes: {} }
    return current
  }

  const send = async (message: string): Promise<boolean> => {
    const start = takeOver()
    const userEntry: TranscriptEntry = { kind: 'user', id: entryId('user'), text: message }
    const requestedFor = conversationId
    setTranscript({ ...start, entries: [...start.entries, userEntry] })
    setSendError(null)
    setInFlight((n) => n + 1)
    try {
      const turn = await postChat({ message, conversationId: requestedFor })
      setTranscript((prev) => (prev.conversationId === requestedFor ? applyTurn(prev, turn) : prev))
      void queryClient.invalidateQueries({ queryKey: conversationsQueryOptions().queryKey })
      if (turn.pending_actions.length) void queryClient.invalidateQueries({ queryKey: pendingActionsQueryOptions().queryKey })
      // Only move to the new conversation's address if the person is still on the new-conversation screen.
      if (requestedFor === null && latest.current.conversationId === null) navigate(`/agent/${turn.conversation_id}`)
      return true
    } catch (error) {
      setTranscript((prev) => ({ ...prev, entries: prev.entries.filter((e) => e.id !== userEntry.id) }))
      setSendError(error)
      return false
    } finally {
      setInFlight((n) => n - 1)
    }
  }

  const edit = async (target: PendingAction, payload?: Record<string, unknown>): Promise<void> => {
    const cid = target.conversation_id
    if (!isLocal && cid === conversationId) setTranscript(takeOver())
    const revised = await editAction(target.id, payload)
    setTranscript((prev) => (prev.conversationId === cid ? { ...prev, actions: { ...prev.actions, [revised.id]: revised } } : prev))
    void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.agent, 'actions'] })
  }

  const undo = async (target: AgentChange): Promise<void> => {
    const cid = target.conversation_id
    if (!isLocal && cid === conversationId) setTranscript(takeOver())
    const undone = await undoChange(target.id)
    setTranscript((prev) => (prev.conversationId === cid ? { ...prev, changes: { ...prev.changes, [undone.id]: undone } } : prev))
    void queryClient.invalidateQueries({ queryKey: conversationQueryOptions(cid).queryKey })
  }

  const decide = async (target: PendingAction, approve: boolean): Promise<void> => {
    const cid = target.conversation_id
    if (!isLocal && cid === conversationId) setTranscript(takeOver())
    setInFlight((n) => n + 1)
    try {
      const decision = approve ? await approveAction(target.id, target.snapshot?.hash ?? null) : await rejectAction(target.id)
      setTranscript((prev) => {
        if (prev.conversationId !== cid) return prev
        const withAction = { ...prev, actions: { ...prev.actions, [decision.action.id]: decision.action } }
        return decision.turn ? applyTurn(withAction, decision.turn) : withAction
      })
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        // Decided elsewhere meanwhile: show what actually became of it.
        const fresh = await queryClient.fetchQuery({ ...conversationQueryOptions(cid), staleTime: 0 }).catch(() => null)
        const found = fresh?.actions.find((a) => a.id === target.id)
        if (found) setTranscript((prev) => (prev.conversationId === cid ? { ...prev, actions: { ...prev.actions, [found.id]: found } } : prev))
      }
      throw error
    } finally {
      setInFlight((n) => n - 1)
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.agent, 'actions'] })
      void queryClient.invalidateQueries({ queryKey: conversationsQueryOptions().queryKey })
    }
  }

  const startNew = () => {
    setTranscript(EMPTY_TRANSCRIPT)
    setSendError(null)
    navigate('/agent')
  }

  const title = conversationId === null ? null : (detail.data?.title ?? null)
  return {
    entries,
    action,
    title,
    loading: conversationId !== null && !isLocal && detail.isPending,
    loadError: isLocal ? null : detail.error,
    working: inFlight > 0,
    sendError,
    send,
    decide,
    edit,
    change,
    undo,
    startNew,
  }
}
