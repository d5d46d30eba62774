import "server-only";
/**
 * Which names a text spells as a run of whole consecutive words, spaces and punctuation ignored:
 * "API Gateway", "api-gateway" and "APIGateway" all spell "apigateway", "gateways" spells nothing.
 *
 * Names are squashed (lower-case letters and digits only). The text's words are squashed into one
 * string and walked once through an Aho-Corasick automaton of the names; a name counts where it
 * starts at a word start and ends at a word end. The work is one step per character of the text
 * plus, at each word end, one step per name ending there, so a long text of short words costs no
 * more than its length: trying every run of words instead costs the square of the word count in
 * runs and as much again in characters.
 */

/** Names and words are made of a-z and 0-9, after lower-casing. */
const SYMBOLS = 36;

function symbolOf(code: number): number {
  if (code >= 97 && code <= 122) return code - 97;
  if (code >= 48 && code <= 57) return code - 48 + 26;
  return -1;
}

export interface NameScan {
  /** The names the text spells. */
  readonly names: ReadonlySet<string>;
  /** Automaton steps taken: the work done, for callers and tests that bound it. */
  readonly steps: number;
}

export class WordRunNames {
  /** The trie of the names: edges.get(node * SYMBOLS + symbol) is the child. Sparse, as long labels make many nodes. */
  private readonly edges = new Map<number, number>();
  /** Where to carry on when a node has no edge for the next character: its longest proper suffix in the trie. */
  private readonly failure: number[] = [0];
  /** The name that ends at a node, if any. */
  private readonly nameAt: Array<string | undefined> = [undefined];
  /** The nearest node down the failure links at which a name ends, or -1. */
  private readonly nextNamed: number[] = [-1];

  /** `names` are squashed already; one with anything else in it can never be spelled and is ignored. */
  constructor(names: Iterable<string>) {
    const { edges, nameAt } = this;
    for (const name of new Set(names)) {
      if (!name || [...name].some((char) => symbolOf(char.charCodeAt(0)) < 0)) continue;
      let node = 0;
      for (let i = 0; i < name.length; i++) {
        const key = node * SYMBOLS + symbolOf(name.charCodeAt(i));
        let child = edges.get(key);
        if (child === undefined) {
          child = nameAt.length;
          nameAt.push(undefined);
          edges.set(key, child);
        }
        node = child;
      }
      nameAt[node] = name;
    }
    const childrenOf: Array<Array<[symbol: number, child: number]>> = nameAt.map(() => []);
    for (const [key, child] of edges) childrenOf[Math.floor(key / SYMBOLS)]!.push([key % SYMBOLS, child]);
    // Breadth first, so a node's failure target is settled before the node's children need it.
    const queue = [0];
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!;
      for (const [symbol, child] of childrenOf[node]!) {
        let fallback = node === 0 ? -1 : this.failure[node]!;
        while (fallback >= 0 && !edges.has(fallback * SYMBOLS + symbol)) fallback = fallback === 0 ? -1 : this.failure[fallback]!;
        const target = fallback < 0 ? 0 : edges.get(fallback * SYMBOLS + symbol)!;
        this.failure[child] = target;
        this.nextNamed[child] = nameAt[target] !== undefined ? target : (this.nextNamed[target] ?? -1);
        queue.push(child);
      }
    }
  }

  /**
   * The names spelled in the first `maxChars` characters of `text`. A word the limit cuts is left
   * out whole, so a cut never makes a shorter word out of a longer one.
   */
  scan(text: string, maxChars = Infinity): NameScan {
    const cut = text.length > maxChars;
    let lower = (cut ? text.slice(0, maxChars) : text).toLowerCase();
    const cutInsideWord = cut && symbolOf(lower.charCodeAt(lower.length - 1)) >= 0 && symbolOf(text.charAt(maxChars).toLowerCase().charCodeAt(0)) >= 0;
    if (cutInsideWord) {
      let end = lower.length;
      while (end > 0 && symbolOf(lower.charCodeAt(end - 1)) >= 0) end--;
      lower = lower.slice(0, end);
    }

    const names = new Set<string>();
    let steps = 0;
    let node = 0;
    /** Offset in the squashed words of the current word's first character. */
    let squashed = 0;
    /** Squashed offsets at which a word starts, as a set of small integers. */
    const wordStarts = new Uint8Array(lower.length + 1);
    let inWord = false;
    const endWord = () => {
      // Every name ending here, longest first, down the chain of names that are suffixes of it.
      for (let at = this.nameAt[node] !== undefined ? node : this.nextNamed[node]!; at >= 0; at = this.nextNamed[at]!) {
        steps++;
        const name = this.nameAt[at]!;
        if (wordStarts[squashed - name.length]) names.add(name);
      }
    };
    for (let i = 0; i < lower.length; i++) {
      const symbol = symbolOf(lower.charCodeAt(i));
      if (symbol < 0) {
        if (inWord) endWord();
        inWord = false;
        continue;
      }
      if (!inWord) wordStarts[squashed] = 1;
      inWord = true;
      // Down the failure links until a node goes on with this character; each step down undoes
      // a step up, so over the text there are never more of them than characters.
      let next = this.edges.get(node * SYMBOLS + symbol);
      while (next === undefined && node !== 0) {
        node = this.failure[node]!;
        next = this.edges.get(node * SYMBOLS + symbol);
        steps++;
      }
      node = next ?? 0;
      squashed++;
      steps++;
    }
    if (inWord) endWord();
    return { names, steps };
  }
}
