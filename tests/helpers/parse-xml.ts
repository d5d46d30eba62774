/**
 * A strict little XML reader for the tests: elements, attributes (entities decoded) and nesting,
 * enough to read a draw.io file back. It throws on a tag that closes out of turn, so a test that
 * parses a file also proves it well formed.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
}

const TAG = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+\s*=\s*"[^"]*")*)\s*(\/?)>/g;
const ATTRIBUTE = /([\w:.-]+)\s*=\s*"([^"]*)"/g;

export function parseXml(text: string): XmlElement {
  const body = text.replace(/^<\?xml[^>]*\?>/, "").trim();
  const root: XmlElement = { name: "#document", attributes: {}, children: [] };
  const open: XmlElement[] = [root];
  let last = 0;
  for (const match of body.matchAll(TAG)) {
    const between = body.slice(last, match.index);
    if (/[<>]/.test(between)) throw new Error(`Malformed XML near: ${between.slice(0, 40)}`);
    last = match.index + match[0].length;
    const [, closing, name, attributeText, selfClosing] = match;
    if (closing) {
      const element = open.pop();
      if (!element || element.name !== name) throw new Error(`</${name}> closes <${element?.name}>`);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key, value] of attributeText!.matchAll(ATTRIBUTE)) attributes[key!] = decode(value!);
    const element: XmlElement = { name: name!, attributes, children: [] };
    open.at(-1)!.children.push(element);
    if (!selfClosing) open.push(element);
  }
  if (open.length !== 1) throw new Error(`<${open.at(-1)!.name}> is never closed`);
  if (/[<>]/.test(body.slice(last))) throw new Error("Malformed XML at the end");
  return root;
}

/** Every element named `name`, at any depth, in document order. */
export function findAll(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((child) => [...(child.name === name ? [child] : []), ...findAll(child, name)]);
}

function decode(value: string): string {
  return value
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#10;/g, "\n")
    .replace(/&amp;/g, "&");
}
