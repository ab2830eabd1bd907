// The agent's API shapes (generated) and the entries of a conversation as the page shows them.
import type { components } from '@/api/schema'

export type AgentTurn = components['schemas']['TurnOut']
export type ToolActivity = components['schemas']['ActivityOut']
export type PendingAction = components['schemas']['PendingActionOut']
export type ActionStatus = components['schemas']['PendingStatus']
export type Conversation = components['schemas']['ConversationOut']
export type ConversationDetail = components['schemas']['ConversationDetailOut']
export type HistoryMessage = components['schemas']['entrypoints__http__routes__agent__MessageOut']
export type Decision = components['schemas']['DecisionOut']
/** The frozen effect an approval runs, with its hash and the card made from it. */
export type ActionSnapshot = components['schemas']['SnapshotOut']
export type ActionCard = components['schemas']['CardOut']
export type CardRecipient = components['schemas']['RecipientOut']
/** A change the agent made on its own (labels, read state, archive, a draft), with whether it can be undone. */
export type AgentChange = components['schemas']['ChangeOut']

/** A compact line about a tool the agent used; `key` identifies the call so later news about it replaces the line. */
export interface ToolLine {
  key: string
  tool: string
  status: string
  text: string
}

export type TranscriptEntry =
  | { kind: 'user'; id: string; text: string }
  | { kind: 'agent'; id: string; text: string }
  | { kind: 'tool'; id: string; line: ToolLine }
  | { kind: 'action'; id: string; actionId: string }
  | { kind: 'changes'; id: string; changeIds: string[] }
