/**
 * Our own MCP shapes (DESIGN §2, "The protocol seam"): everything above `src/protocol/` sees these
 * types, never an SDK type, so a second protocol era can stand behind the same API. They follow
 * the MCP 2025-11-25 schema structurally, so an embedder's value typed by an SDK (v1
 * `@modelcontextprotocol/sdk/types.js` or a later one) assigns to them and back
 * (test/protocol/types.test.ts checks both directions). Objects MCP leaves open — results,
 * capabilities, `_meta` — keep an index signature so a newer server's extra fields are not lost.
 * Plain data only: no classes, no functions, nothing the SDK constructs.
 */

/** An open record: `_meta` and the other places where MCP allows any extra field. */
export type Meta = { [key: string]: unknown };

/** A JSON-RPC request id. */
export type RequestId = string | number;
/** An opaque progress token a request carries in `_meta.progressToken`. */
export type ProgressToken = string | number;
/** An opaque pagination cursor. */
export type Cursor = string;
/** Who a message or annotated block is for. */
export type Role = 'user' | 'assistant';

/** `_meta` of a request's params: MCP reserves `progressToken`; anything else passes through. */
export type RequestMeta = Meta & {
  progressToken?: ProgressToken;
  /** The task a request belongs to (MCP tasks). */
  'io.modelcontextprotocol/related-task'?: { taskId: string };
};

/** Fields every result may carry: `_meta` and whatever else a server adds. */
export interface Result {
  _meta?: RequestMeta;
  [key: string]: unknown;
}

/** An icon of a tool, prompt, resource or implementation. */
export interface Icon {
  src: string;
  mimeType?: string;
  sizes?: string[];
  theme?: 'light' | 'dark';
}

/** Hints about a block or resource: who it is for, how much it matters, when it changed. */
export interface Annotations {
  audience?: Role[];
  /** 0 (least) to 1 (most important). */
  priority?: number;
  /** ISO 8601 timestamp. */
  lastModified?: string;
}

/** Name and version of an MCP client or server (`serverInfo` / `clientInfo`). */
export interface Implementation {
  name: string;
  title?: string;
  version: string;
  description?: string;
  websiteUrl?: string;
  icons?: Icon[];
}

/** What a server declared at initialize time. */
export interface ServerCapabilities {
  experimental?: { [key: string]: object };
  logging?: object;
  completions?: object;
  prompts?: { listChanged?: boolean; [key: string]: unknown };
  resources?: { subscribe?: boolean; listChanged?: boolean; [key: string]: unknown };
  tools?: { listChanged?: boolean; [key: string]: unknown };
  tasks?: { list?: object; cancel?: object; requests?: { tools?: { call?: object; [key: string]: unknown }; [key: string]: unknown }; [key: string]: unknown };
  extensions?: { [key: string]: object };
}

/** What a client declares to a server at initialize time. */
export interface ClientCapabilities {
  experimental?: { [key: string]: object };
  roots?: { listChanged?: boolean; [key: string]: unknown };
  sampling?: { context?: object; tools?: object; [key: string]: unknown };
  /** `form.applyDefaults`: the client fills in the schema's defaults of accepted form content. */
  elicitation?: { form?: { applyDefaults?: boolean }; url?: object; [key: string]: unknown };
  tasks?: { list?: object; cancel?: object; requests?: { [key: string]: unknown }; [key: string]: unknown };
  extensions?: { [key: string]: object };
}

/** Severity of a server's log message (RFC 5424 order, lowest first). */
export type LoggingLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';

/** A progress notification as a caller's `onProgress` sees it. */
export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

// ---- content --------------------------------------------------------------------------------

/** Text for or from a model. */
export interface TextContent {
  type: 'text';
  text: string;
  annotations?: Annotations;
  _meta?: Meta;
}

/** A base64 image. */
export interface ImageContent {
  type: 'image';
  data: string;
  mimeType: string;
  annotations?: Annotations;
  _meta?: Meta;
}

/** Base64 audio. */
export interface AudioContent {
  type: 'audio';
  data: string;
  mimeType: string;
  annotations?: Annotations;
  _meta?: Meta;
}

/** A resource's text contents. */
export interface TextResourceContents {
  uri: string;
  mimeType?: string;
  text: string;
  _meta?: Meta;
}

/** A resource's binary contents, base64. */
export interface BlobResourceContents {
  uri: string;
  mimeType?: string;
  blob: string;
  _meta?: Meta;
}

/** Either kind of resource contents. */
export type ResourceContents = TextResourceContents | BlobResourceContents;

/** A resource a server can read (`resources/list`). */
export interface Resource {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  size?: number;
  annotations?: Annotations;
  icons?: Icon[];
  _meta?: Meta;
}

/** A link to a resource inside a result; it need not appear in `resources/list`. */
export interface ResourceLink extends Resource {
  type: 'resource_link';
}

/** A resource's contents embedded in a result. */
export interface EmbeddedResource {
  type: 'resource';
  resource: ResourceContents;
  annotations?: Annotations;
  _meta?: Meta;
}

/** A block of a tool result or prompt message. */
export type ContentBlock = TextContent | ImageContent | AudioContent | ResourceLink | EmbeddedResource;

// ---- results --------------------------------------------------------------------------------

/** What `tools/call` returns. `isError: true` is a tool-level failure the model should see. */
export interface CallToolResult extends Result {
  content: ContentBlock[];
  structuredContent?: { [key: string]: unknown };
  isError?: boolean;
}

/** What `resources/read` returns. */
export interface ReadResourceResult extends Result {
  contents: ResourceContents[];
}

/** One message of a prompt. */
export interface PromptMessage {
  role: Role;
  content: ContentBlock;
}

/** What `prompts/get` returns. */
export interface GetPromptResult extends Result {
  description?: string;
  messages: PromptMessage[];
}

/** A prompt a completion is for. */
export interface PromptReference {
  type: 'ref/prompt';
  name: string;
  title?: string;
}

/** A resource template a completion is for. */
export interface ResourceTemplateReference {
  type: 'ref/resource';
  uri: string;
}

/** Params of `completion/complete`: which argument of which prompt or template, typed so far. */
export interface CompleteRequestParams {
  ref: PromptReference | ResourceTemplateReference;
  argument: { name: string; value: string };
  /** Arguments already resolved, for context-aware completion. */
  context?: { arguments?: { [key: string]: string } };
  _meta?: RequestMeta;
}

/** The `completion/complete` request. `CompleteRequest['params']` is what `complete()` takes. */
export interface CompleteRequest {
  method: 'completion/complete';
  params: CompleteRequestParams;
}

/** What `completion/complete` returns: at most 100 values. */
export interface CompleteResult extends Result {
  completion: { values: string[]; total?: number; hasMore?: boolean; [key: string]: unknown };
}

// ---- catalog entries -------------------------------------------------------------------------

/** Hints about a tool's behaviour; untrusted unless the server is. */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** How a tool runs: `taskSupport: 'required'` tools are called as tasks. */
export interface ToolExecution {
  taskSupport?: 'forbidden' | 'optional' | 'required';
}

/** A JSON Schema object of a tool's input or output. */
export interface ObjectSchema {
  $schema?: string;
  type: 'object';
  properties?: { [key: string]: object };
  required?: string[];
  [key: string]: unknown;
}

/** A tool as a server lists it. */
export interface Tool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: ObjectSchema;
  outputSchema?: ObjectSchema;
  annotations?: ToolAnnotations;
  execution?: ToolExecution;
  icons?: Icon[];
  _meta?: Meta;
}

/** A resource template (RFC 6570 `uriTemplate`) as a server lists it. */
export interface ResourceTemplate {
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  annotations?: Annotations;
  icons?: Icon[];
  _meta?: Meta;
}

/** One argument a prompt takes. */
export interface PromptArgument {
  name: string;
  title?: string;
  description?: string;
  required?: boolean;
}

/** A prompt as a server lists it. */
export interface Prompt {
  name: string;
  title?: string;
  description?: string;
  arguments?: PromptArgument[];
  icons?: Icon[];
  _meta?: Meta;
}

/** A root the client exposes to servers (`roots/list`). */
export interface Root {
  /** A `file://` URI. */
  uri: string;
  name?: string;
  _meta?: Meta;
}

/** What the client answers to `roots/list`. */
export interface ListRootsResult extends Result {
  roots: Root[];
}

