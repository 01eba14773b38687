import { describe, expect, it } from 'vitest';
import type { ToolInfo } from '../../machines/types.js';
import { editDistance, ToolSearch } from '../../src/search/toolSearch.js';

/** A small catalog named the ways real servers name tools: verb first, verb last, camelCase. */
function tool(server: string, name: string, description: string, params: string[] = []): ToolInfo {
  return { server, name, qualifiedName: `${server}__${name}`, description, inputSchema: { type: 'object', properties: Object.fromEntries(params.map((p) => [p, { type: 'string' }])) } };
}
const TRACKER = [
  tool('tracker', 'issue_get', 'One issue by number', ['number']),
  tool('tracker', 'issue_create', 'Opens an issue', ['title', 'body']),
  tool('tracker', 'issue_delete', 'Removes an issue for good', ['number']),
  tool('tracker', 'issue_comment_create', 'Comments on an issue', ['number', 'body']),
  tool('tracker', 'listIssues', 'Issues of a repository, by state', ['state']),
  tool('tracker', 'exportReports', 'Reports as CSV', ['since']),
];
const CALENDAR = [
  tool('calendar', 'update_event', 'Changes an event', ['event_id', 'start']),
  tool('calendar', 'update_event_note', 'Changes the note of an event', ['event_id', 'text']),
  tool('calendar', 'get_event', 'One event', ['event_id']),
  tool('calendar', 'view_list', 'Saved views of the calendar', []),
];

function searchOf(...catalogs: ToolInfo[][]): ToolSearch {
  const search = new ToolSearch();
  search.sync(catalogs.map((tools) => ({ server: tools[0]!.server, keys: [tools], tools: () => tools })));
  return search;
}
const names = async (search: ToolSearch, q: string, limit = 3) => (await search.search(q, { limit })).map((t) => t.name);

describe('ToolSearch ranking', () => {
  it('counts a transposition as one edit', () => {
    expect(editDistance('refnud', 'refund', 2)).toBe(1);
    expect(editDistance('lsit', 'list', 2)).toBe(1);
    expect(editDistance('kitten', 'sitting', 5)).toBe(3);
    expect(editDistance('abcdef', 'uvwxyz', 1)).toBe(2);
  });

  it('meets a verb synonym in a verb-last or camelCase name, and a misspelt verb too', async () => {
    const search = searchOf(TRACKER, CALENDAR);
    expect((await names(search, 'add an issue'))[0]).toBe('issue_create');
    expect((await names(search, 'drop the issue'))[0]).toBe('issue_delete');
    expect((await names(search, 'show issues'))[0]).toBe('listIssues');
    expect((await names(search, 'dowload reports'))[0]).toBe('exportReports');
    expect((await names(search, 'isue craete'))[0]).toBe('issue_create');
  });

  it('prefers the tool whose name has no words the query lacks, and does not read an object as a verb', async () => {
    const search = searchOf(TRACKER, CALENDAR);
    expect((await names(search, 'updte calender evnt'))[0]).toBe('update_event');
    expect((await names(search, 'change the note of an event'))[0]).toBe('update_event_note');
    // "view" is the object of view_list, not its verb: "get event" is not pulled towards it.
    expect((await names(search, 'view event'))[0]).toBe('get_event');
    expect((await names(search, 'saved view list'))[0]).toBe('view_list');
  });

  it('ranks tools meeting more of the query words first, then those with fewer words the query lacks', async () => {
    const search = searchOf(TRACKER);
    expect((await names(search, 'comment on issue body'))[0]).toBe('issue_comment_create');
    const docs = searchOf([
      tool('docs', 'report_summary', 'Report of the reports: a report summary per report', ['report']),
      tool('docs', 'prune_reports', 'Prunes old reports', ['days']),
      tool('docs', 'event_note_update', 'Updates a note on an event', ['event_id', 'note']),
      tool('docs', 'event_update', 'Changes an event', ['event_id']),
    ]);
    expect((await names(docs, 'old report'))[0]).toBe('prune_reports');
    expect((await names(docs, 'update an event'))[0]).toBe('event_update');
  });

  it('drops a gone server\'s tools, and keeps the words another server still has for corrections', async () => {
    const other = CALENDAR.map((t) => ({ ...t, server: 'calendar2', qualifiedName: `calendar2__${t.name}` }));
    const search = searchOf(TRACKER, CALENDAR, other);
    expect(search.size).toBe(TRACKER.length + 2 * CALENDAR.length);
    search.sync([{ server: 'tracker', keys: [TRACKER], tools: () => TRACKER }, { server: 'calendar', keys: [CALENDAR], tools: () => CALENDAR }]);
    expect(search.size).toBe(TRACKER.length + CALENDAR.length);
    expect((await search.search('updte evnt', { limit: 5 })).map((t) => t.qualifiedName)).toEqual(expect.arrayContaining(['calendar__update_event']));
    expect((await search.search('updte evnt', { limit: 5 })).every((t) => t.server !== 'calendar2')).toBe(true);
    expect((await search.search('evnt', { limit: 1 }))[0]?.server).toBe('calendar');
    search.sync([{ server: 'tracker', keys: [TRACKER], tools: () => TRACKER }]);
    expect(await names(search, 'updte evnt')).toEqual([]);
    expect(await names(search, 'event')).toEqual([]);
  });

  it('keeps lexical first place when the embedder knows nothing, and follows it when it does', async () => {
    const flat = new ToolSearch({ embed: async (texts) => texts.map(() => [1, 0]) });
    flat.sync([{ server: 'calendar', keys: [CALENDAR], tools: () => CALENDAR }]);
    expect((await flat.search('updte evnt', { limit: 1 }))[0]?.name).toBe('update_event');
    const knows = new ToolSearch({ embed: async (texts) => texts.map((t) => (/note|memo/i.test(t) ? [1, 0] : [0, 1])) });
    knows.sync([{ server: 'calendar', keys: [CALENDAR], tools: () => CALENDAR }]);
    expect((await knows.search('event memo', { limit: 1 }))[0]?.name).toBe('update_event_note');
  });
});
