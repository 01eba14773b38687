export { createSwitchboard, Switchboard, type CallToolOptions, type SwitchboardInput, type SwitchboardOptions } from './switchboard/switchboard.js';
export type { AuthInput } from './switchboard/options.js';
export {
  SwitchboardError, isSwitchboardError, toErrorInfo, ERROR_TABLE, ERROR_CLASSES,
  type ErrorCode, type ErrorRule, type ConfigIssue, type SwitchboardErrorOf, type SwitchboardErrorOptions,
} from './core/errors.js';
// One class per code (ERROR_CLASSES): an error with that code is an instance of it.
export {
  ConfigError, InvalidRequestError, InvalidArgumentsError, ServerNotFoundError, ToolNotFoundError, AmbiguousToolError,
  PromptNotFoundError, ResourceNotFoundError, AmbiguousPromptError, AmbiguousResourceError, NotSupportedError,
  ServerBusyError, ServerUnavailableError, CircuitOpenError, StoppedError, AuthRequiredError, UnsupportedProtocolVersionError,
  ConnectionLostError, ProtocolError, ServerError, ToolCallTimeoutError, CancelledError,
} from './core/errors.js';
export type { SwitchboardEvent, SwitchboardEventMap, SwitchboardEventType, EventOf, ServerLog, ResourceUpdated, ServerStateChangedEvent } from './events/index.js';
export type { CallCompleted, CallKind } from './calls/index.js';
// Oversized results (DESIGN §17): the cut the switchboard applies, for hosts that cut their own results the same way.
export { capResult, TRUNCATED_META_KEY } from './calls/resultCap.js';
export type { Embed, SearchToolsOptions, ToolSearchOptions } from './search/toolSearch.js';
export type { ServerStatus, HealthReport, ServerProtocol } from './servers/index.js';
export type { TransportSource } from './protocol/index.js';
export type { ServerRequestHandlers, HandlerContext, WithheldCapabilities } from './protocol/index.js';
export type { RequestOptions } from './switchboard/surface.js';
// Our own MCP shapes (structurally MCP 2025-11-25): what the API takes and returns, no SDK type.
export type {
  CallToolResult, ContentBlock, TextContent, ImageContent, AudioContent, ResourceLink, EmbeddedResource,
  ResourceContents, TextResourceContents, BlobResourceContents, ReadResourceResult, GetPromptResult, PromptMessage,
  CompleteRequest, CompleteRequestParams, CompleteResult, PromptReference, ResourceTemplateReference,
  Tool, ToolAnnotations, ToolExecution, Resource, ResourceTemplate, Prompt, PromptArgument, Root, ListRootsResult,
  Implementation, ServerCapabilities, ClientCapabilities, LoggingLevel, Progress, Icon, Annotations, Meta,
  CreateMessageRequest, CreateMessageRequestParams, CreateMessageResult, CreateMessageResultWithTools,
  SamplingMessage, SamplingMessageContentBlock, ToolUseContent, ToolResultContent, ModelPreferences,
  ElicitRequest, ElicitRequestParams, ElicitRequestFormParams, ElicitRequestURLParams, ElicitResult, PrimitiveSchemaDefinition,
} from './protocol/index.js';
export { LOGGING_LEVELS, isLoggingLevel } from './protocol/index.js';
export type { Logger, LogLevel } from './core/logger.js';
export type { RuntimeClock, Clock } from './core/clock.js';
export { qualifiedName, splitQualified } from './routing/index.js';
export * from './config/index.js';
export type { ToolInfo, PromptInfo, ResourceInfo, ResourceTemplateInfo, ServerCatalog, CatalogKind, ErrorInfo, ServerFacts, TransportKind } from '../machines/types.js';
export type { BreakerStatus, BreakerState } from '../machines/breakerModel.js';
export type { ConnectionStateName } from '../machines/serverConnection.js';
export * from './gateway/index.js';
export { AuthError, fileTokenStore, memoryTokenStore, type Authorize, type AuthorizeRequest, type TokenStore, type StoredAuth, type AuthorizationResponse } from './auth/index.js';
export { loginServer, type LoginOptions, type LoginResult } from './servers/index.js';
