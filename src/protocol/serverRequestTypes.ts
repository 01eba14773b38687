/**
 * Our own shapes of the requests a server makes of the client (DESIGN §10): sampling and
 * elicitation, structurally the MCP 2025-11-25 ones like the rest of `./types.ts` (which
 * re-exports this file). An embedder's handler typed with an SDK's params and results fits.
 */
import type { AudioContent, ContentBlock, ImageContent, RequestMeta, Result, Role, TextContent, Tool } from './types.js';

/** Asks for a task-augmented request (MCP tasks): how long the task's result is kept. */
export interface TaskMetadata {
  ttl?: number;
}

/** A model's request to call a tool, inside a sampling message. */
export interface ToolUseContent {
  type: 'tool_use';
  id: string;
  name: string;
  input: { [key: string]: unknown };
  _meta?: { [key: string]: unknown };
}

/** The result of a tool call, handed back to the model inside a sampling message. */
export interface ToolResultContent {
  type: 'tool_result';
  toolUseId: string;
  content: ContentBlock[];
  structuredContent?: { [key: string]: unknown };
  isError?: boolean;
  _meta?: { [key: string]: unknown };
}

/** A block of a sampling message. */
export type SamplingMessageContentBlock = TextContent | ImageContent | AudioContent | ToolUseContent | ToolResultContent;

/** One message of the conversation a server asks the client's model to continue. */
export interface SamplingMessage {
  role: Role;
  content: SamplingMessageContentBlock | SamplingMessageContentBlock[];
  _meta?: { [key: string]: unknown };
}

/** A hint at a model name (substring match; the client decides). */
export interface ModelHint {
  name?: string;
}

/** The server's priorities for model choice, each 0 to 1. */
export interface ModelPreferences {
  hints?: ModelHint[];
  costPriority?: number;
  speedPriority?: number;
  intelligencePriority?: number;
}

/** Whether the model must, may or must not call the offered tools. */
export interface ToolChoice {
  mode?: 'auto' | 'required' | 'none';
}

/** Params of `sampling/createMessage`: what a `sampling` handler receives. */
export interface CreateMessageRequestParams {
  messages: SamplingMessage[];
  modelPreferences?: ModelPreferences;
  systemPrompt?: string;
  /** Soft-deprecated by MCP; honoured only if the client declared `sampling.context`. */
  includeContext?: 'none' | 'thisServer' | 'allServers';
  temperature?: number;
  maxTokens: number;
  stopSequences?: string[];
  /** Provider-specific metadata, passed through. */
  metadata?: object;
  /** Offered only if the client declared `sampling.tools`. */
  tools?: Tool[];
  toolChoice?: ToolChoice;
  task?: TaskMetadata;
  _meta?: RequestMeta;
}

/** The `sampling/createMessage` request. */
export interface CreateMessageRequest {
  method: 'sampling/createMessage';
  params: CreateMessageRequestParams;
}

/** What a `sampling` handler answers: one message of the model (no tool use). */
export interface CreateMessageResult extends Result {
  model: string;
  stopReason?: 'endTurn' | 'stopSequence' | 'maxTokens' | (string & {});
  role: Role;
  content: TextContent | ImageContent | AudioContent;
}

/** A sampling answer when the client declared `sampling.tools`: it may ask for tool calls. */
export interface CreateMessageResultWithTools extends Result {
  model: string;
  stopReason?: 'endTurn' | 'stopSequence' | 'maxTokens' | 'toolUse' | (string & {});
  role: Role;
  content: SamplingMessageContentBlock | SamplingMessageContentBlock[];
}

// ---- elicitation ----------------------------------------------------------------------------

/** A free-text field of an elicitation form. */
export interface StringSchema {
  type: 'string';
  title?: string;
  description?: string;
  minLength?: number;
  maxLength?: number;
  format?: 'email' | 'uri' | 'date' | 'date-time';
  default?: string;
}

/** A numeric field of an elicitation form. */
export interface NumberSchema {
  type: 'number' | 'integer';
  title?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  default?: number;
}

/** A yes/no field of an elicitation form. */
export interface BooleanSchema {
  type: 'boolean';
  title?: string;
  description?: string;
  default?: boolean;
}

/** A single choice from plain values. */
export interface UntitledSingleSelectEnumSchema {
  type: 'string';
  title?: string;
  description?: string;
  enum: string[];
  default?: string;
}

/** A single choice from titled values. */
export interface TitledSingleSelectEnumSchema {
  type: 'string';
  title?: string;
  description?: string;
  oneOf: Array<{ const: string; title: string }>;
  default?: string;
}

/** A multiple choice from plain values. */
export interface UntitledMultiSelectEnumSchema {
  type: 'array';
  title?: string;
  description?: string;
  minItems?: number;
  maxItems?: number;
  items: { type: 'string'; enum: string[] };
  default?: string[];
}

/** A multiple choice from titled values. */
export interface TitledMultiSelectEnumSchema {
  type: 'array';
  title?: string;
  description?: string;
  minItems?: number;
  maxItems?: number;
  items: { anyOf: Array<{ const: string; title: string }> };
  default?: string[];
}

/** The pre-2025-11-25 titled choice (`enumNames`), still accepted. */
export interface LegacyTitledEnumSchema {
  type: 'string';
  title?: string;
  description?: string;
  enum: string[];
  enumNames?: string[];
  default?: string;
}

/** Any choice field of an elicitation form. */
export type EnumSchema =
  | UntitledSingleSelectEnumSchema
  | TitledSingleSelectEnumSchema
  | UntitledMultiSelectEnumSchema
  | TitledMultiSelectEnumSchema
  | LegacyTitledEnumSchema;

/** One field of an elicitation form: flat, primitive, no nesting. */
export type PrimitiveSchemaDefinition = StringSchema | NumberSchema | BooleanSchema | EnumSchema;

/** Form-mode elicitation: ask the user to fill in fields. `mode` is absent from older servers. */
export interface ElicitRequestFormParams {
  mode?: 'form';
  message: string;
  requestedSchema: {
    $schema?: string;
    type: 'object';
    properties: { [key: string]: PrimitiveSchemaDefinition };
    required?: string[];
  };
  task?: TaskMetadata;
  _meta?: RequestMeta;
}

/** URL-mode elicitation: send the user to a page (sign-in, payment) outside the client. */
export interface ElicitRequestURLParams {
  mode: 'url';
  message: string;
  elicitationId: string;
  url: string;
  task?: TaskMetadata;
  _meta?: RequestMeta;
}

/** Params of `elicitation/create`: what an `elicitation` handler receives. */
export type ElicitRequestParams = ElicitRequestFormParams | ElicitRequestURLParams;

/** The `elicitation/create` request. */
export interface ElicitRequest {
  method: 'elicitation/create';
  params: ElicitRequestParams;
}

/** What an `elicitation` handler answers; `content` only with `accept` in form mode. */
export interface ElicitResult extends Result {
  action: 'accept' | 'decline' | 'cancel';
  content?: { [key: string]: string | number | boolean | string[] };
}
