/**
 * Splits a message that is longer than a platform allows into several, at
 * the most natural boundary that fits (paragraph, line, sentence, word) and
 * never inside a word, an HTML tag or an entity. With `markup: 'html'` a tag
 * still open at a cut is closed at the end of the chunk and reopened at the
 * start of the next one, so every chunk is valid on its own (Telegram
 * rejects a message with unbalanced tags).
 */
export interface SplitOptions {
  markup?: 'none' | 'html';
}

type Token = { kind: 'text'; value: string } | { kind: 'open'; value: string; name: string } | { kind: 'close'; value: string; name: string } | { kind: 'atom'; value: string };

const TAG = /<\/?([a-zA-Z][a-zA-Z0-9-]*)(?:\s[^<>]*)?>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);/g;

function tokenise(text: string, markup: 'none' | 'html'): Token[] {
  if (markup === 'none') return [{ kind: 'text', value: text }];
  const tokens: Token[] = [];
  let last = 0;
  for (const m of text.matchAll(TAG)) {
    if (m.index > last) tokens.push({ kind: 'text', value: text.slice(last, m.index) });
    const value = m[0];
    if (value.startsWith('&')) tokens.push({ kind: 'atom', value });
    else if (value.startsWith('</')) tokens.push({ kind: 'close', value, name: m[1]!.toLowerCase() });
    else tokens.push({ kind: 'open', value, name: m[1]!.toLowerCase() });
    last = m.index + value.length;
  }
  if (last < text.length) tokens.push({ kind: 'text', value: text.slice(last) });
  return tokens;
}

/** Where a cut inside `s` (at most `max` characters in) is best: the end of a paragraph, a line, a sentence, a word; -1 when none fits. */
function bestCut(s: string, max: number): number {
  const head = s.slice(0, max + 1);
  for (const sep of [/\n\s*\n/g, /\n/g, /[.!?。！？]\s/g, /\s/g]) {
    let cut = -1;
    for (const m of head.matchAll(sep)) if (m.index + m[0].length <= max + 1 && m.index > 0) cut = m.index + m[0].length;
    if (cut > 0) return Math.min(cut, max);
  }
  return -1;
}

/** Cuts a run of plain text into pieces of at most `max` characters; a single word longer than a whole message is the only thing ever cut mid-word. */
function cutText(s: string, first: number, max: number): string[] {
  const out: string[] = [];
  let room = first;
  let rest = s;
  while (rest.length > room) {
    let cut = bestCut(rest, room);
    if (cut <= 0) {
      // No boundary fits in what is left of this chunk: start a fresh chunk, unless even that cannot hold the word.
      if (room < max) {
        out.push('');
        room = max;
        continue;
      }
      cut = Array.from(rest.slice(0, room)).join('').length;
      // Do not cut a surrogate pair (emoji, rare CJK) in half.
      if (/[\uD800-\uDBFF]/.test(rest.charAt(cut - 1))) cut -= 1;
    }
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
    room = max;
  }
  out.push(rest);
  return out;
}

export function splitText(text: string, limit: number, opts: SplitOptions = {}): string[] {
  if (limit < 16) throw new RangeError('splitText needs a limit of at least 16 characters');
  if (text.length <= limit) return [text];
  const markup = opts.markup ?? 'none';
  const chunks: string[] = [];
  const open: Extract<Token, { kind: 'open' }>[] = [];
  const closers = () => open.map((t) => `</${t.name}>`).reverse().join('');
  let current = '';
  const flush = () => {
    const body = current + closers();
    if (body.trim().length > 0) chunks.push(body.replace(/\s+$/u, ''));
    current = open.map((t) => t.value).join('');
  };
  for (const token of tokenise(text, markup)) {
    const reserve = closers().length;
    if (token.kind === 'text') {
      const room = limit - reserve - current.length;
      const pieces = cutText(token.value, Math.max(room, 0), limit - reserve - open.map((t) => t.value).join('').length);
      pieces.forEach((piece, i) => {
        if (i > 0) flush();
        current += i > 0 ? piece.replace(/^\s+/u, '') : piece;
      });
      continue;
    }
    if (token.kind === 'close') {
      const at = open.map((t) => t.name).lastIndexOf(token.name);
      if (at >= 0) open.splice(at, 1);
      current += token.value;
      continue;
    }
    const extra = token.kind === 'open' ? token.value.length + `</${token.name}>`.length : token.value.length;
    if (current.length + reserve + extra > limit) flush();
    current += token.value;
    if (token.kind === 'open') open.push(token);
  }
  const tail = current;
  if (tail.replace(/<[^>]*>/g, '').trim().length > 0) chunks.push(tail);
  return chunks.filter((c) => c.replace(/<[^>]*>/g, '').trim().length > 0);
}
