/**
 * How the evaluation and the benchmarks decide that a label was read: one matching for all, so
 * their recall figures agree.
 */

/** Whether `label` appears in `text`, ignoring case, spaces and punctuation, one slip per six characters. */
export function appearsIn(label: string, text: string): boolean {
  const needle = squash(label);
  const haystack = squash(text);
  if (!needle) return true;
  if (haystack.includes(needle)) return true;
  return approximateDistance(needle, haystack) <= Math.floor(needle.length / 6);
}

/** Whether two texts are the same label, with the same tolerance. */
export function sameText(a: string, b: string): boolean {
  const [x, y] = [squash(a), squash(b)];
  return x === y || (Math.abs(x.length - y.length) <= 2 && approximateDistance(x, y) <= Math.floor(Math.max(x.length, y.length) / 6));
}

/** Sellers' algorithm: the fewest edits that turn `needle` into some substring of `haystack`. */
function approximateDistance(needle: string, haystack: string): number {
  let previous = Array.from({ length: needle.length + 1 }, (_, index) => index);
  let best = previous[needle.length]!;
  for (const character of haystack) {
    const current = [0];
    for (let index = 1; index <= needle.length; index++) {
      const substitution = previous[index - 1]! + (needle[index - 1] === character ? 0 : 1);
      current.push(Math.min(substitution, previous[index]! + 1, current[index - 1]! + 1));
    }
    best = Math.min(best, current[needle.length]!);
    previous = current;
  }
  return best;
}

function squash(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, "");
}
