/** HTML the switchboard's pages share: one escape, and one head for the pages with a script. */

/** Escapes text for HTML content and attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The opening of a page with its own stylesheet and script (the live view, the inspector bridge):
 * everything up to and including `</head>`. `title` is HTML: escape what comes from outside.
 */
export function pageHead(title: string, stylesheet: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeHtml(stylesheet)}">
<script src="${escapeHtml(script)}" defer></script>
</head>`;
}
