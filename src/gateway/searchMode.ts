import type { CallToolResult, Tool } from '@modelcontextprotocol/server';
import type { ToolInfo } from '../../machines/types.js';
import { SwitchboardError } from '../core/errors.js';
import { toolFilter } from '../routing/index.js';
import { DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT } from '../search/toolSearch.js';
import type { Switchboard } from '../switchboard/switchboard.js';
import { ERROR_META_KEY } from './errors.js';

/**
 * The search-mode gateway (DESIGN §17): with `gateway.catalog: search` (or a profile's `catalog:
 * search`) `tools/list` answers only the pinned tools plus two tools of the gateway's own, so a
 * host with thousands of upstream tools shows its model a short list:
 *
 * - `search_tools { query, limit? }`: the best matches among the tools the session's view exposes
 *   (the switchboard's tool search), with their names, descriptions and input schemas;
 * - `call_tool { name, arguments? }`: calls one of them exactly as `tools/call` would (routing,
 *   admission, deadlines, progress, cancellation, errors as tool results with
 *   `_meta["mcp-switchboard/error"]`).
 *
 * Every exposed tool stays callable by its own name too: a host that knows it needs no detour.
 */

export const SEARCH_TOOLS = 'search_tools';
export const CALL_TOOL = 'call_tool';

/** How many matches `search_tools` answers when not told. */
const SEARCH_DEFAULT = Math.min(DEFAULT_SEARCH_LIMIT, 10);
/** The most `search_tools` answers at once (each match carries its input schema). */
const SEARCH_MAX = Math.min(MAX_SEARCH_LIMIT, 50);

/** What one view lists: everything, or the pinned tools and the gateway's two. */
export interface CatalogMode {
  mode: 'full' | 'search';
  /** Globs of qualified names listed as they are in search mode. */
  pinned: readonly string[];
}

/** The gateway's own tools, as `tools/list` shows them. */
export const OWN_TOOLS: readonly Tool[] = [
  {
    name: SEARCH_TOOLS,
    title: 'Search tools',
    description:
      'Finds tools among every tool this gateway can call. Describe what you want to do in a few words (e.g. "create a calendar event"); ' +
      'the answer lists the best matching tools with their names, descriptions and input schemas. Call one with call_tool.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, description: 'What the tool should do, in a few words.' },
        limit: { type: 'integer', minimum: 1, maximum: SEARCH_MAX, description: `How many tools at most (default ${SEARCH_DEFAULT}).` },
      },
      required: ['query'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      properties: {
        tools: {
          type: 'array',
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, title: { type: 'string' }, description: { type: 'string' }, inputSchema: { type: 'object' } },
            required: ['name', 'inputSchema'],
          },
        },
      },
      required: ['tools'],
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: CALL_TOOL,
    title: 'Call a tool',
    description: 'Calls a tool found with search_tools by its name, with arguments that match its input schema, and answers what the tool answers.',
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, description: 'The tool\'s name as search_tools gave it.' },
        arguments: { type: 'object', description: 'The tool\'s arguments (its input schema).' },
      },
      required: ['name'],
      additionalProperties: false,
    },
  },
];

/** The list of a search-mode view: the gateway's two tools, then the exposed tools the pinned globs name. */
export function searchModeList(full: readonly Tool[], pinned: readonly string[]): Tool[] {
  const pins = pinned.length === 0 ? () => false : toolFilter({ allow: [...pinned] });
  return [...OWN_TOOLS, ...full.filter((tool) => tool.name !== SEARCH_TOOLS && tool.name !== CALL_TOOL && pins(tool.name))];
}

/** A tool error with `_meta["mcp-switchboard/error"]`, as a refused direct call would answer. */
function refused(code: 'InvalidArguments' | 'ToolNotFound', message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }], _meta: { [ERROR_META_KEY]: { code } } };
}

const refusal = (code: 'InvalidArguments', message: string) => ({ refusal: refused(code, message) });

/** The tool and arguments `call_tool` was asked for, or the tool error its bad arguments get. */
export function callToolTarget(args: unknown): { name: string; arguments: Record<string, unknown> | undefined } | { refusal: CallToolResult } {
  const input = (args ?? {}) as Record<string, unknown>;
  if (typeof input.name !== 'string' || input.name === '') return refusal('InvalidArguments', `${CALL_TOOL}: "name" must be the name of a tool (a non-empty string); find one with ${SEARCH_TOOLS}`);
  const inner = input.arguments;
  if (inner !== undefined && (typeof inner !== 'object' || inner === null || Array.isArray(inner))) {
    return refusal('InvalidArguments', `${CALL_TOOL}: "arguments" must be an object (the tool's arguments), not ${Array.isArray(inner) ? 'an array' : inner === null ? 'null' : typeof inner}`);
  }
  const extra = Object.keys(input).filter((key) => key !== 'name' && key !== 'arguments');
  if (extra.length > 0) return refusal('InvalidArguments', `${CALL_TOOL}: unknown argument ${extra.map((k) => `"${k}"`).join(', ')}; pass the tool's own arguments inside "arguments"`);
  return { name: input.name, arguments: inner as Record<string, unknown> | undefined };
}

/** The answer to an unknown name in `call_tool`: a tool error the model can act on. */
export function callToolUnknown(name: string): CallToolResult {
  return refused('ToolNotFound', `${CALL_TOOL}: no tool named "${name}" here; find tools with ${SEARCH_TOOLS}`);
}

/**
 * `search_tools`: the view's best matches of the query (names are the qualified names a call
 * takes). `shows` is the view's filter (its servers, the gateway's and the profile's globs).
 */
export async function searchTools(sb: Switchboard, args: unknown, shows: (tool: ToolInfo) => boolean, signal: AbortSignal): Promise<CallToolResult> {
  const input = (args ?? {}) as Record<string, unknown>;
  const { query, limit } = input;
  if (typeof query !== 'string' || query.trim() === '') return refused('InvalidArguments', `${SEARCH_TOOLS}: "query" must be a non-empty string: what the tool should do`);
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > SEARCH_MAX)) {
    return refused('InvalidArguments', `${SEARCH_TOOLS}: "limit" must be an integer from 1 to ${SEARCH_MAX}`);
  }
  const extra = Object.keys(input).filter((key) => key !== 'query' && key !== 'limit');
  if (extra.length > 0) return refused('InvalidArguments', `${SEARCH_TOOLS}: unknown argument ${extra.map((k) => `"${k}"`).join(', ')}`);
  if (signal.aborted) throw new SwitchboardError('Cancelled', 'the client cancelled the request');
  // The view's filter goes into the ranking: tools it hides never take a place of one it shows.
  const found = await sb.searchTools(query, { limit: (limit as number | undefined) ?? SEARCH_DEFAULT, filter: shows });
  const tools = found.map((tool) => {
    const match: Record<string, unknown> = { name: tool.qualifiedName };
    if (tool.title !== undefined) match.title = tool.title;
    if (tool.description !== undefined) match.description = tool.description;
    match.inputSchema = tool.inputSchema;
    return match;
  });
  const text = tools.length === 0 ? `No tool matches "${query}". Try other words.` : JSON.stringify(tools, null, 1);
  return { content: [{ type: 'text', text }], structuredContent: { tools } };
}
