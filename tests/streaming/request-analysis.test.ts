import { afterEach, describe, expect, it, vi } from "vitest";
import type { AnalyzeEvent } from "@/lib/streaming/events";
import { AnalysisRequestError, requestAnalysis } from "@/lib/streaming/request-analysis";
import { encodeEvent } from "@/lib/streaming/sse";

/** The page's side of POST /api/analyze, with the network replaced by a scripted fetch. */

afterEach(() => {
  vi.unstubAllGlobals();
});

const image = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "diagram.png", { type: "image/png" });

async function collect(signal = new AbortController().signal): Promise<AnalyzeEvent[]> {
  const events: AnalyzeEvent[] = [];
  for await (const event of requestAnalysis({ image, prompt: "Explain", signal })) events.push(event);
  return events;
}

async function requestError(): Promise<AnalysisRequestError> {
  try {
    await collect();
  } catch (error) {
    if (error instanceof AnalysisRequestError) return error;
    throw error;
  }
  throw new Error("expected requestAnalysis to fail");
}

describe("requestAnalysis", () => {
  it("posts the image and the task as a form and yields the streamed events", async () => {
    const fetchMock = vi.fn(async (_url: string, init: RequestInit) => {
      void init;
      return new Response(new Uint8Array(encodeEvent({ event: "delta", data: { text: "Hi" } })), {
        headers: { "Content-Type": "text/event-stream" },
      });
    });
    vi.stubGlobal("fetch", fetchMock);
    expect(await collect()).toEqual([{ event: "delta", data: { text: "Hi" } }]);
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe("/api/analyze");
    expect(init.method).toBe("POST");
    const form = init.body as FormData;
    expect(form.get("prompt")).toBe("Explain");
    expect((form.get("image") as File).name).toBe("diagram.png");
  });

  it("shows the server's own explanation and code for an error response", async () => {
    vi.stubGlobal("fetch", async () =>
      Response.json({ error: { code: "unsupported_media_type", message: "Only JPEG and PNG images are accepted." } }, { status: 415 }),
    );
    const error = await requestError();
    expect(error.message).toBe("Only JPEG and PNG images are accepted.");
    expect(error.code).toBe("unsupported_media_type");
  });

  it("explains a 413 from a proxy that sent no JSON", async () => {
    vi.stubGlobal("fetch", async () => new Response("<html>413 Request Entity Too Large</html>", { status: 413 }));
    const error = await requestError();
    expect(error.code).toBe("file_too_large");
    expect(error.message).toContain("too large");
  });

  it("names the status of any other unexplained failure", async () => {
    vi.stubGlobal("fetch", async () => new Response("Bad gateway", { status: 502 }));
    const error = await requestError();
    expect(error.code).toBe("http_error");
    expect(error.message).toContain("HTTP 502");
  });

  it("turns a network failure into a sentence about the connection", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    const error = await requestError();
    expect(error.code).toBe("network");
    expect(error.message).toContain("could not be reached");
  });

  it("lets the abort through when the person pressed Stop", async () => {
    const controller = new AbortController();
    vi.stubGlobal("fetch", async () => {
      controller.abort();
      throw new DOMException("The operation was aborted.", "AbortError");
    });
    await expect(collect(controller.signal)).rejects.toMatchObject({ name: "AbortError" });
  });
});
