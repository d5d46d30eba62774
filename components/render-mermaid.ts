import { createMermaidPlugin, type MermaidConfig } from "@streamdown/mermaid";

/**
 * Mermaid is hundreds of kB of JavaScript, so only MermaidBlock imports this module, with
 * `import()`, and only once an answer holds a complete mermaid block.
 */

export type ColorScheme = "light" | "dark";

/**
 * A mermaid block is model output, as untrusted as the rest of the answer. An `%%{init: …}%%`
 * directive or front matter in a block can change any setting that `secure` does not list, so the
 * list adds what matters here to mermaid's own: the theme (the diagram must stay readable on the
 * page's colours), HTML labels, DOMPurify's settings and KaTeX's HTML output.
 */
const UNTRUSTED_DIAGRAM_CONFIG: MermaidConfig = {
  // No click handlers or callbacks, links through sanitize-url, the SVG through DOMPurify.
  securityLevel: "strict",
  // Labels are SVG text, never HTML inside a foreignObject.
  htmlLabels: false,
  // A block that does not parse throws instead of drawing mermaid's error picture into the page.
  suppressErrorRendering: true,
  // The page's own system fonts: nothing is fetched, and labels look like the answer around them.
  fontFamily: 'ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
  secure: [
    "secure",
    "securityLevel",
    "startOnLoad",
    "maxTextSize",
    "suppressErrorRendering",
    "maxEdges",
    "htmlLabels",
    "dompurifyConfig",
    "theme",
    "themeVariables",
    "themeCSS",
    "darkMode",
    "fontFamily",
    "altFontFamily",
    "legacyMathML",
    "forceLegacyMathML",
  ],
};

const MERMAID_THEME: Record<ColorScheme, MermaidConfig["theme"]> = { light: "default", dark: "dark" };

const plugin = createMermaidPlugin({ config: UNTRUSTED_DIAGRAM_CONFIG });

let queue: Promise<unknown> = Promise.resolve();
let renderedCount = 0;

/**
 * The diagram as an SVG string, sanitised by mermaid; rejects when the source does not parse.
 * Mermaid's configuration is global and `initialize` takes effect at once while `render` is
 * asynchronous, so renders run one after another: otherwise a light render could pick up the
 * dark theme of the next one.
 */
export function renderMermaidSvg(source: string, colorScheme: ColorScheme): Promise<string> {
  const render = queue.then(async () => {
    const mermaid = plugin.getMermaid({ theme: MERMAID_THEME[colorScheme] });
    // Mermaid first removes any element that already has the id, so a redraw (after a theme change)
    // must not reuse the id of the diagram still on the page.
    renderedCount += 1;
    const { svg } = await mermaid.render(`mermaid-diagram-${renderedCount}`, withoutEventHandlers(source));
    return svg;
  });
  queue = render.catch(() => undefined);
  return render;
}

/** An event-handler attribute inside a tag: `<img … onerror=…>`. */
const EVENT_HANDLER_ATTRIBUTE = /(<[a-z][^>]*?)\s+on[a-z]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*)/gi;

/**
 * The source without HTML event handlers in its labels. Mermaid's sanitiser drops them anyway,
 * but it parses labels in a document that shares the page's CSP, and the browser reports each
 * handler it meets there as a violation: a hostile diagram would fill the console with reports
 * of attacks that could not have run.
 */
export function withoutEventHandlers(source: string): string {
  let previous: string;
  let current = source;
  do {
    previous = current;
    current = current.replace(EVENT_HANDLER_ATTRIBUTE, "$1");
  } while (current !== previous);
  return current;
}
