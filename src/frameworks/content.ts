import type { CallToolResult, ContentBlock } from '../protocol/index.js';

/**
 * An MCP tool result as the parts a model API can carry (DESIGN §18): text, and images where the
 * API takes them. Each adapter turns these parts into its own blocks; what no API carries (audio,
 * binary resources, images of other types) becomes a short note, so the model knows it was there.
 */

/**
 * Image types every API here accepts in a tool result: Anthropic's image blocks take JPEG, PNG,
 * GIF and WebP; OpenAI's `input_image` takes PNG, JPEG, WebP and non-animated GIF.
 */
export type ModelImageType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';

const MODEL_IMAGE_TYPES: ReadonlySet<string> = new Set<ModelImageType>(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

function isModelImageType(mimeType: string): mimeType is ModelImageType {
  return MODEL_IMAGE_TYPES.has(mimeType);
}

/** A piece of a tool result a model can read. */
export type ModelPart = { type: 'text'; text: string } | { type: 'image'; data: string; mimeType: ModelImageType };

/** What a result with nothing to show reads as: Anthropic refuses an empty tool result. */
export const NO_OUTPUT = '(no output)';

/**
 * The parts of `result`, in order. With `images` false every image is a note (an API whose tool
 * results are text only). `structuredContent` is added as JSON text when no text block carries
 * it (the MCP spec asks servers to send both; not all do).
 */
export function resultParts(result: CallToolResult, images: boolean): ModelPart[] {
  const content: ContentBlock[] = Array.isArray(result.content) ? result.content : [];
  const parts = content.map((block) => blockPart(block, images));
  if (result.structuredContent !== undefined && !content.some((block) => block.type === 'text')) {
    parts.push({ type: 'text', text: JSON.stringify(result.structuredContent) });
  }
  return parts;
}

/** The parts as one text: texts joined by line breaks, images as notes; `(no output)` when empty. */
export function partsText(parts: ModelPart[]): string {
  const text = parts.map((part) => (part.type === 'text' ? part.text : note(part.data, part.mimeType))).join('\n');
  return text === '' ? NO_OUTPUT : text;
}

function blockPart(block: ContentBlock, images: boolean): ModelPart {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image':
      return imagePart(block.data, block.mimeType, images);
    case 'audio':
      return { type: 'text', text: note(block.data, block.mimeType) };
    case 'resource_link':
      return { type: 'text', text: `<resource link "${block.name}": ${block.uri}>` };
    case 'resource': {
      const resource = block.resource;
      if ('text' in resource) return { type: 'text', text: `<resource ${resource.uri}>\n${resource.text}` };
      const mimeType = resource.mimeType ?? 'application/octet-stream';
      if (images && isModelImageType(mimeType)) return { type: 'image', data: resource.blob, mimeType };
      return { type: 'text', text: `<resource ${resource.uri}: ${note(resource.blob, mimeType).slice(1)}` };
    }
    default:
      // A block type newer than this code: say it was there rather than drop it silently.
      return { type: 'text', text: `<${String((block as { type?: unknown }).type)} content, not shown>` };
  }
}

function imagePart(data: string, mimeType: string, images: boolean): ModelPart {
  if (images && isModelImageType(mimeType)) return { type: 'image', data, mimeType };
  return { type: 'text', text: note(data, mimeType) };
}

/** Base64 data a model does not get, as `<N bytes of MIME, not shown>` (the CLI's wording for blobs). */
function note(base64: string, mimeType: string): string {
  return `<${Buffer.byteLength(base64, 'base64')} bytes of ${mimeType}, not shown>`;
}
