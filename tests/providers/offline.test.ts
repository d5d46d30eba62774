import { describe, expect, it } from "vitest";
import type { PreparedImage } from "@/lib/image/prepare-image";
import { createOfflineProvider } from "@/lib/providers/offline";
import type { ProviderEvent } from "@/lib/providers/types";

const image: PreparedImage = {
  data: Buffer.from([1, 2, 3]),
  mimeType: "image/png",
  width: 640,
  height: 480,
  bytes: 3,
  source: { mimeType: "image/png", width: 640, height: 480 },
};

describe("offline provider", () => {
  it("says plainly that no model is configured, with the prepared size and how to set a key", async () => {
    const events: ProviderEvent[] = [];
    for await (const event of createOfflineProvider().analyze({ image, prompt: "Explain", signal: new AbortController().signal })) {
      events.push(event);
    }
    expect(events).toHaveLength(2);
    const [delta, done] = events;
    expect(delta?.type).toBe("delta");
    const text = delta?.type === "delta" ? delta.text : "";
    expect(text).toContain("No model is configured");
    expect(text).toContain("640 × 480 px");
    expect(text).toContain("GEMINI_API_KEY");
    expect(text).toContain("OPENAI_BASE_URL");
    expect(text).not.toMatch(/%WIDTH%|%HEIGHT%/);
    expect(done).toEqual({ type: "done", finishReason: "stop" });
  });
});
