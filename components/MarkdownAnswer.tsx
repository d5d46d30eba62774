"use client";

import { code } from "@streamdown/code";
import { harden } from "rehype-harden";
import { defaultRehypePlugins, Streamdown, type StreamdownProps } from "streamdown";

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

export function MarkdownAnswer({ markdown, streaming }: { markdown: string; streaming: boolean }) {
  return (
    <Streamdown
      mode={streaming ? "streaming" : "static"}
      isAnimating={streaming}
      plugins={{ code }}
      rehypePlugins={rehypePlugins}
      skipHtml
      urlTransform={urlTransform}
      controls={{ table: { copy: true, download: false, fullscreen: false }, code: { copy: true, download: false } }}
      lineNumbers={false}
      className="answer-markdown"
    >
      {markdown}
    </Streamdown>
  );
}
