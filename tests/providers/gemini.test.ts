import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { prepareImage } from "@/lib/image/prepare-image";
import { createGeminiProvider } from "@/lib/providers/gemini";
import { SYSTEM_INSTRUCTION } from "@/lib/providers/system-instruction";
import type { ProviderEvent } from "@/lib/providers/types";
import { errorReply, startFakeGemini, textReply, type FakeGemini } from "@/tests/helpers/fake-gemini";
import { diagramPng } from "@/tests/helpers/images";
import { writeTemp } from "@/tests/helpers/temp-files";
import type { PreparedImage } from "@/lib/image/prepare-image";

let fake: FakeGemini;
let image: PreparedImage;

beforeAll(async () => {
  fake = await startFakeGemini();
  image = await prepareImage(await writeTemp(await diagramPng()), { maxPixels: 1e8, maxEdge: 3072 });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

function provider(maxRetries = 0) {
  return createGeminiProvider({ apiKey: "test-key", model: "gemini-test", baseUrl: fake.url }, { maxRetries });
}

async function collect(signal = new AbortController().signal): Promise<ProviderEvent[]> {
  const events: ProviderEvent[] = [];
  for await (const event of provider().analyze({ image, prompt: "Explain this architecture", signal })) events.push(event);
  return events;
}

async function failure(): Promise<AppError> {
  try {
    await collect();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected the provider to fail");
}

describe("Gemini provider against a fake Gemini server", () => {
  it("sends the image, the task and the system instruction, and streams the text back", async () => {
    fake.reply(textReply(["## Overview", "\nAn API."]));
    const events = await collect();
    expect(events).toEqual([
      { type: "delta", text: "## Overview" },
      { type: "delta", text: "\nAn API." },
      { type: "done", finishReason: "stop", usage: { inputTokens: 1290, outputTokens: 42, totalTokens: 1332 } },
    ]);
    const [request] = fake.requests;
    expect(request?.model).toBe("gemini-test");
    expect(request?.apiKey).toBe("test-key");
    const parts = request?.body.contents[0]?.parts ?? [];
    expect(parts[0]?.inlineData).toEqual({ mimeType: image.mimeType, data: image.data.toString("base64") });
    expect(parts[1]?.text).toBe("Explain this architecture");
    expect(request?.body.systemInstruction?.parts[0]?.text).toBe(SYSTEM_INSTRUCTION);
    expect(request?.body.generationConfig ?? {}).not.toHaveProperty("temperature");
  });

  it("maps a quota error to 503 with the retry time the API gave", async () => {
    fake.reply(
      errorReply(429, "Resource has been exhausted", "RESOURCE_EXHAUSTED", [
        { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "37s" },
      ]),
    );
    const error = await failure();
    expect(error).toMatchObject({ code: "provider_quota", status: 503, retryAfterSeconds: 37 });
    expect(error.message).toContain("37 s");
  });
});
