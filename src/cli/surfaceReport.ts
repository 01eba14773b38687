import type { GetPromptResult, ReadResourceResult } from '../protocol/index.js';
import type { PromptInfo, ResourceInfo, ResourceTemplateInfo } from '../../machines/types.js';
import { blobSummary, contentText } from './content.js';
import { short, table } from './format.js';
import { noteUnavailable, out, outJson, type Unavailable } from './report.js';
import { terminalText } from './terminal.js';

/**
 * What `resources`, `read`, `prompts` and `prompt` print: tables and text for people, one JSON
 * document for scripts (`--json`). Shared by the standalone and the `--url` modes.
 */

/** Writes text as it is but escaped for the terminal (terminal.ts), ending it with one newline. */
const text = (value: string): void => {
  const safe = terminalText(value, { multiline: true });
  process.stdout.write(safe.endsWith('\n') ? safe : `${safe}\n`);
};

/** Resources as a table, then the templates under their own heading; `{ resources, resourceTemplates, unavailable }` with --json. */
export function printResources(resources: ResourceInfo[], resourceTemplates: ResourceTemplateInfo[], unavailable: Unavailable[], json: boolean | undefined): void {
  if (json) {
    outJson({ resources, resourceTemplates, unavailable });
    return;
  }
  out(table(['URI', 'SERVER', 'NAME', 'MIME'], resources.map((r) => [r.uri, r.server, r.name, r.mimeType ?? ''])));
  if (resourceTemplates.length > 0) {
    out('\nTemplates (read them with a matching uri):');
    out(table(['URI TEMPLATE', 'SERVER', 'NAME', 'MIME'], resourceTemplates.map((t) => [t.uriTemplate, t.server, t.name, t.mimeType ?? ''])));
  }
  noteUnavailable(unavailable, 'its resources cannot be read now');
}

/** A read result: each content's text, blobs as `<N bytes of MIME>`; the whole result with --json. */
export function printRead(result: ReadResourceResult, json: boolean | undefined): number {
  if (json) {
    outJson(result);
    return 0;
  }
  for (const content of result.contents) {
    if ('text' in content && typeof content.text === 'string') text(content.text);
    else if ('blob' in content && typeof content.blob === 'string') out(blobSummary(content.blob, content.mimeType));
  }
  return 0;
}

/** A prompt's arguments for a table cell: required ones bare, optional ones with `?`. */
const argumentsCell = (prompt: PromptInfo) => (prompt.arguments ?? []).map((a) => (a.required ? a.name : `${a.name}?`)).join(', ');

/** Prompts as a table or `{ prompts, unavailable }` JSON. */
export function printPrompts(prompts: PromptInfo[], unavailable: Unavailable[], json: boolean | undefined): void {
  if (json) {
    outJson({ prompts, unavailable });
    return;
  }
  out(table(['PROMPT', 'SERVER', 'QUALIFIED NAME', 'ARGUMENTS', 'DESCRIPTION'], prompts.map((p) => [p.name, p.server, p.qualifiedName, argumentsCell(p), short(p.description)])));
  noteUnavailable(unavailable, 'its prompts cannot be got now');
}

/** A prompt's messages as `role: text`; the whole result with --json. */
export function printPrompt(result: GetPromptResult, json: boolean | undefined): number {
  if (json) outJson(result);
  else for (const message of result.messages) text(`${message.role}: ${contentText(message.content)}`);
  return 0;
}
