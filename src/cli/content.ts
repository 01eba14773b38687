import type { ContentBlock } from '../protocol/index.js';
import { jsonText } from './terminal.js';

/**
 * How a block of a tool result or prompt message reads on a terminal: text as is, binary data as
 * its size and type (`<55 bytes of image/png>`), never kilobytes of base64. `--json` output does
 * not come through here: it keeps the whole result.
 */

/** A blob's size and type, never its bytes. */
export function blobSummary(blob: string, mimeType: string | undefined): string {
  return `<${Buffer.byteLength(blob, 'base64')} bytes of ${mimeType ?? 'application/octet-stream'}>`;
}

/** One content block as a line (or lines) of text. */
export function contentText(content: ContentBlock): string {
  switch (content.type) {
    case 'text':
      return content.text;
    case 'image':
    case 'audio':
      return blobSummary(content.data, content.mimeType);
    case 'resource': {
      const resource = content.resource;
      if ('text' in resource && typeof resource.text === 'string') return resource.text;
      return `${resource.uri} ${'blob' in resource && typeof resource.blob === 'string' ? blobSummary(resource.blob, resource.mimeType) : ''}`.trimEnd();
    }
    case 'resource_link':
      return `<link ${content.uri}>`;
    default:
      return jsonText(content, 0);
  }
}
