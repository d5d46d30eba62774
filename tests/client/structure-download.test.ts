import { describe, expect, it } from "vitest";
import { installFakeFetch } from "@/tests/helpers/fake-fetch";
import { downloadStructure, fetchImageFile, structureFileName } from "@/lib/client/structure-download";

/** The page's side of POST /api/structure, with the network played by a fake fetch. */

const { sent, answers } = installFakeFetch();

const image = () => new File([new Uint8Array([137, 80, 78, 71])], "serverless-diagram.png", { type: "image/png" });

const DRAWIO = '<mxfile><diagram><mxGraphModel><root><mxCell id="2" value="API Gateway" vertex="1"/></root></mxGraphModel></diagram></mxfile>';
const MERMAID = "flowchart LR\n  n1[API Gateway] --> n2[Lambda Functions]\n";

function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify({ error: { code, message } }), { status, headers: { "Content-Type": "application/json", ...headers } });
}

describe("downloadStructure", () => {
  it("posts the image alone and returns the draw.io file, named after the picked image", async () => {
    answers.push(new Response(DRAWIO, { headers: { "Content-Type": "application/xml", "Content-Disposition": 'attachment; filename="diagram.drawio"' } }));
    const result = await downloadStructure(image(), "drawio");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe("/api/structure?format=drawio");
    expect(sent[0]!.method).toBe("POST");
    const form = sent[0]!.body as FormData;
    expect([...form.keys()]).toEqual(["image"]);
    expect((form.get("image") as File).name).toBe("serverless-diagram.png");
    expect(result.fileName).toBe("serverless-diagram.drawio");
    expect(await result.blob.text()).toBe(DRAWIO);
  });

  it("returns the Mermaid flowchart as a .mmd file", async () => {
    answers.push(new Response(MERMAID, { headers: { "Content-Type": "text/plain; charset=utf-8" } }));
    const result = await downloadStructure(image(), "mermaid");
    expect(sent[0]!.url).toBe("/api/structure?format=mermaid");
    expect(result.fileName).toBe("serverless-diagram.mmd");
    expect(await result.blob.text()).toBe(MERMAID);
  });

  it("throws the server's own sentence when it refuses", async () => {
    answers.push(errorResponse(503, "server_busy", "The server is busy reading other diagrams. Try again in a few seconds.", { "Retry-After": "5" }));
    await expect(downloadStructure(image(), "drawio")).rejects.toThrow("The server is busy reading other diagrams. Try again in a few seconds.");
  });

  it("falls back to a sentence of its own when the error is not the API's JSON", async () => {
    answers.push(new Response("<html>Bad gateway</html>", { status: 502, headers: { "Content-Type": "text/html" } }));
    await expect(downloadStructure(image(), "mermaid")).rejects.toThrow("The server could not read the diagram (HTTP 502). Please try again in a moment.");
  });

  it("says the server could not be reached when the network fails", async () => {
    answers.push(new TypeError("Failed to fetch"));
    await expect(downloadStructure(image(), "drawio")).rejects.toThrow("The server could not be reached. Check your connection and try again.");
  });

  it("lets a stop be a stop, not a network failure", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(downloadStructure(image(), "drawio", controller.signal)).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("structureFileName", () => {
  it("keeps the base name, and names a nameless image diagram", () => {
    expect(structureFileName("my.arch.v2.jpg", "drawio")).toBe("my.arch.v2.drawio");
    expect(structureFileName("Explain: a/b?.png", "mermaid")).toBe("Explain- a-b-.mmd");
    expect(structureFileName(".png", "mermaid")).toBe("diagram.mmd");
  });
});

describe("fetchImageFile", () => {
  it("reads a saved conversation's image into a file named after it", async () => {
    answers.push(new Response(new Uint8Array([255, 216, 255]), { headers: { "Content-Type": "image/jpeg" } }));
    const file = await fetchImageFile("/api/conversations/abc/image", "Explain this architecture");
    expect(sent[0]).toMatchObject({ url: "/api/conversations/abc/image", method: "GET" });
    expect(file.name).toBe("Explain this architecture.jpg");
    expect(file.type).toBe("image/jpeg");
    expect(file.size).toBe(3);
  });

  it("throws the server's sentence when the image is gone", async () => {
    answers.push(errorResponse(404, "not_found", "This conversation no longer exists."));
    await expect(fetchImageFile("/api/conversations/abc/image", "x")).rejects.toThrow("This conversation no longer exists.");
  });
});
