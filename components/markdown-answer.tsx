"use client";

import { code } from "@streamdown/code";
import { harden } from "rehype-harden";
import { defaultRehypePlugins, Streamdown, type LinkSafetyConfig, type PluginConfig, type StreamdownProps } from "streamdown";
import { MermaidBlock } from "@/components/mermaid-block";

/**
 * Model output is untrusted text. Raw HTML in it never becomes elements (no rehype-raw, and
 * `skipHtml`; the browser test checks that no script, image or handler appears). The tree is
 * sanitised, and rehype-harden blocks every image (none is ever fetched from another origin) and
 * every link outside http, https and mailto.
 */
const sanitize = defaultRehypePlugins.sanitize;
if (!sanitize) throw new Error("streamdown no longer provides its sanitize plugin; review MarkdownAnswer.");

const rehypePlugins: StreamdownProps["rehypePlugins"] = [
  sanitize,
  [harden, { allowedLinkPrefixes: ["*"], allowedImagePrefixes: [], allowDataImages: false }],
];

const SAFE_LINK = /^(https?:|mailto:)/i;

function urlTransform(url: string, key: string): string | null {
  if (key === "href") return SAFE_LINK.test(url) ? url : null;
  return null;
}

/**
 * Mermaid blocks go to MermaidBlock rather than to streamdown's own diagram (`plugins.mermaid`):
 * that one draws while the block is still streaming, has no way back to the code, and its plugin
 * imports mermaid statically, which would put it in the page's first bundle.
 */
const plugins: PluginConfig = { code, renderers: [{ language: "mermaid", component: MermaidBlock }] };

/** Streamdown's default, stated so that it stays: a link to another site opens only after a confirmation. */
const linkSafety: LinkSafetyConfig = { enabled: true };

export function MarkdownAnswer({ markdown, streaming }: { markdown: string; streaming: boolean }) {
  return (
    <Streamdown
      // Streaming mode even once the answer is complete: switching to "static" renders another
      // tree, which remounts every block, so a diagram drawn mid-answer would be drawn again.
      mode="streaming"
      isAnimating={streaming}
      plugins={plugins}
      rehypePlugins={rehypePlugins}
      skipHtml
      urlTransform={urlTransform}
      linkSafety={linkSafety}
      controls={{ table: { copy: true, download: false, fullscreen: false }, code: { copy: true, download: false } }}
      lineNumbers={false}
      className="answer-markdown"
    >
      {markdown}
    </Streamdown>
  );
}
