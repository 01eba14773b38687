/**
 * Framework tools (DESIGN §18), the `mcp-switchboard/frameworks` entry: the switchboard's tools as
 * OpenAI and Anthropic tool specs, and a way to run a model's tool call through `sb.callTool`.
 * Re-exports only. The Vercel AI SDK adapter is `mcp-switchboard/frameworks/ai` (`./ai.ts`), so
 * this entry loads without the optional `ai` package.
 */
export {
  toOpenAITools, toOpenAIResponsesTools, runOpenAIToolCall, runOpenAIResponsesToolCall,
  type OpenAIChatTool, type OpenAIChatToolCall, type OpenAIToolMessage, type OpenAIResponsesTool, type OpenAIFunctionCall,
  type OpenAIFunctionCallOutput, type OpenAIFunctionOutputPart,
} from './openai.js';
export {
  toAnthropicTools, runAnthropicToolUse,
  type AnthropicTool, type AnthropicToolUseBlock, type AnthropicToolResultBlock, type AnthropicToolResultContent,
} from './anthropic.js';
export { PROVIDER_TOOL_NAME, type FrameworkToolOptions, type FrameworkCallOptions, type ObjectSchema } from './tools.js';
export type { ModelImageType } from './content.js';
