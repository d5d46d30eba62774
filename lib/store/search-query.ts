import "server-only";

/** Words searched at most: a longer query is a paste, and each word is one more index lookup. */
const MAX_WORDS = 8;
const MAX_WORD_CHARS = 64;

/**
 * The words of what a person typed in the search box, as both indexes read them: letters and
 * digits only, so nothing typed can be an operator of FTS5's or PostgreSQL's query language.
 */
export function searchWords(query: string): string[] {
  const words = query.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.slice(0, MAX_WORDS).map((word) => word.slice(0, MAX_WORD_CHARS));
}

/**
 * An FTS5 query where every word must appear, the last ones as prefixes too: search as you type
 * finds "gateway" while "gatew" is typed. Each word is a quoted string, never syntax.
 */
export function sqliteMatchQuery(words: string[]): string {
  return words.map((word) => `"${word}"*`).join(" AND ");
}

/** The same for PostgreSQL's `to_tsquery`: every word, as a prefix. */
export function postgresTsQuery(words: string[]): string {
  return words.map((word) => `${word}:*`).join(" & ");
}

/** A LIKE pattern that finds `text` anywhere, its own `%`, `_` and `\` taken literally (ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}
