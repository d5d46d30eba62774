"use client";

import { useEffect, useState, useSyncExternalStore, type ReactNode } from "react";
import { CodeBlock, CodeBlockCopyButton, type CustomRendererProps } from "streamdown";
import type { ColorScheme } from "@/components/render-mermaid";

/**
 * A ```mermaid block of an answer. Until its fence closes (or the stream ends) it is code with a
 * calm note: a half-written diagram would only flicker between parse errors. Then it is drawn, in
 * the page's colour scheme, with a Diagram/Code switch; a block that does not parse stays code.
 */
export function MermaidBlock({ code, isIncomplete }: CustomRendererProps) {
  const colorScheme = usePreferredColorScheme();
  const drawing = useMermaidDrawing(code, !isIncomplete, colorScheme);
  if (isIncomplete) return <MermaidSource code={code} isIncomplete note="The diagram will be drawn when this block is complete." />;
  if (!drawing) return <MermaidSource code={code} note="Drawing the diagram…" />;
  if (drawing.svg === null) return <MermaidSource code={code} note="Could not draw this diagram; here is its code." />;
  return <MermaidFigure code={code} svg={drawing.svg} />;
}

function MermaidSource({ code, isIncomplete = false, note }: { code: string; isIncomplete?: boolean; note: string }) {
  return (
    <div className="mermaid-source" data-testid="mermaid-source">
      <p className="text-sm text-muted-foreground">{note}</p>
      <CodeBlock code={code} language="mermaid" isIncomplete={isIncomplete} lineNumbers={false}>
        <CodeBlockCopyButton />
      </CodeBlock>
    </div>
  );
}

function MermaidFigure({ code, svg }: { code: string; svg: string }) {
  const [view, setView] = useState<"diagram" | "code">("diagram");
  return (
    <div className="my-4 flex flex-col gap-2 rounded-xl border border-border bg-sidebar p-2" data-testid="mermaid-block">
      <div className="flex min-h-8 items-center justify-between gap-2 text-xs text-muted-foreground">
        <span className="ml-1 font-mono lowercase">mermaid</span>
        <div className="flex items-center gap-2">
          <div role="group" aria-label="Show this mermaid block as" className="flex overflow-hidden rounded-md border border-border">
            <ViewButton pressed={view === "diagram"} onPress={() => setView("diagram")}>
              Diagram
            </ViewButton>
            <ViewButton pressed={view === "code"} onPress={() => setView("code")}>
              Code
            </ViewButton>
          </div>
          <CodeBlockCopyButton code={code} />
        </div>
      </div>
      {view === "diagram" ? (
        // Mermaid in strict mode has passed the SVG through DOMPurify (no scripts, no handlers), and
        // the page's CSP would refuse anything from another origin.
        <figure aria-label="Mermaid diagram" className="mermaid-diagram" dangerouslySetInnerHTML={{ __html: svg }} />
      ) : (
        <pre className="overflow-x-auto rounded-md border border-border bg-background p-4 text-sm">
          <code className="font-mono">{code}</code>
        </pre>
      )}
    </div>
  );
}

function ViewButton({ pressed, onPress, children }: { pressed: boolean; onPress: () => void; children: ReactNode }) {
  return (
    <button
      type="button"
      aria-pressed={pressed}
      onClick={onPress}
      className="px-2.5 py-1 hover:text-foreground focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-ring aria-pressed:bg-muted aria-pressed:font-medium aria-pressed:text-foreground"
    >
      {children}
    </button>
  );
}

/** `svg` is null when mermaid could not draw the source. */
interface MermaidDrawing {
  source: string;
  svg: string | null;
}

/**
 * The drawing of `source`, once `ready`. After a colour-scheme change the previous drawing stays
 * on screen until the new one is ready, so the diagram never blinks out.
 */
function useMermaidDrawing(source: string, ready: boolean, colorScheme: ColorScheme): MermaidDrawing | null {
  const [drawing, setDrawing] = useState<MermaidDrawing | null>(null);
  useEffect(() => {
    if (!ready) return;
    let current = true;
    import("@/components/render-mermaid")
      .then(({ renderMermaidSvg }) => renderMermaidSvg(source, colorScheme))
      .then(
        (svg) => current && setDrawing({ source, svg }),
        () => current && setDrawing({ source, svg: null }),
      );
    return () => {
      current = false;
    };
  }, [source, ready, colorScheme]);
  return drawing?.source === source ? drawing : null;
}

const DARK_SCHEME = "(prefers-color-scheme: dark)";

function subscribeToColorScheme(onChange: () => void): () => void {
  const query = window.matchMedia(DARK_SCHEME);
  query.addEventListener("change", onChange);
  return () => query.removeEventListener("change", onChange);
}

/** The same signal app/globals.css follows, so diagrams switch with the rest of the page. */
function usePreferredColorScheme(): ColorScheme {
  return useSyncExternalStore(
    subscribeToColorScheme,
    () => (window.matchMedia(DARK_SCHEME).matches ? "dark" : "light"),
    () => "light",
  );
}
