import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diagramPng, DIAGRAM_LABELS, TEXT_FILE } from "@/tests/helpers/images";
import { startNextServer, type RunningServer } from "@/tests/helpers/next-server";

/**
 * POST /api/structure through `next start`: the offline analyzer's reading of a drawn diagram as
 * JSON, Mermaid and draw.io, and the upload's errors as /api/analyze gives them.
 */

let server: RunningServer;

beforeAll(async () => {
  server = await startNextServer({ OCR_TIME_BUDGET_SECONDS: "60" });
});
afterAll(async () => server?.stop());

async function structure(format: string | null, image: Uint8Array | null = null, headers: Record<string, string> = {}) {
  const form = new FormData();
  if (image) form.append("image", new Blob([new Uint8Array(image)], { type: "image/png" }), "diagram.png");
  const query = format === null ? "" : `?format=${format}`;
  return fetch(`${server.url}/api/structure${query}`, { method: "POST", body: form, headers });
}

describe("POST /api/structure", () => {
  it("returns the diagram's components, groups, steps and arrows as JSON", async () => {
    const response = await structure(null, await diagramPng());
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBeTruthy();
    const body = (await response.json()) as { image: { width: number }; components: Array<{ id: string; name: string; box: number[] }>; edges: Array<{ from: string; to: string; directed: boolean }>; groups: unknown[]; steps: unknown[]; legend: unknown[]; text: unknown[] };
    expect(body.image.width).toBe(900);
    expect(body.components.map((component) => component.name)).toEqual(expect.arrayContaining(DIAGRAM_LABELS));
    for (const component of body.components) expect(component.box).toHaveLength(4);
    const idOf = (name: string) => body.components.find((component) => component.name === name)?.id;
    // The drawn arrows: API Gateway → Lambda Functions → Amazon S3.
    expect(body.edges).toEqual(expect.arrayContaining([expect.objectContaining({ from: idOf("API Gateway"), to: idOf("Lambda Functions") })]));
    for (const key of ["groups", "steps", "legend", "text"] as const) expect(Array.isArray(body[key])).toBe(true);
  });

  it("returns a Mermaid flowchart and a draw.io file to download", async () => {
    const png = await diagramPng();
    const mermaid = await structure("mermaid", png);
    expect(mermaid.headers.get("content-disposition")).toBe('attachment; filename="diagram.mmd"');
    const chart = await mermaid.text();
    expect(chart).toMatch(/^flowchart (LR|TB)\n/);
    for (const label of DIAGRAM_LABELS) expect(chart).toContain(label);

    const drawio = await structure("drawio", png);
    expect(drawio.headers.get("content-type")).toContain("application/xml");
    expect(drawio.headers.get("content-disposition")).toBe('attachment; filename="diagram.drawio"');
    const xml = await drawio.text();
    expect(xml).toContain("<mxGraphModel");
    for (const label of DIAGRAM_LABELS) expect(xml).toMatch(new RegExp(`value="${label}"[^>]*vertex="1"`));
    expect(xml).toMatch(/edge="1"[^>]*source="[^"]+"[^>]*target="[^"]+"/);
  });

  it("refuses a bad format, no image, a file that is not an image, and a cross-site request", async () => {
    const badFormat = await structure("pdf", await diagramPng());
    expect(badFormat.status).toBe(400);
    expect(((await badFormat.json()) as { error: { message: string } }).error.message).toMatch(/json, mermaid, drawio/);
    const none = await structure(null);
    expect(none.status).toBe(400);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("missing_image");
    const text = await structure(null, TEXT_FILE);
    expect(text.status).toBe(415);
    const crossSite = await structure(null, await diagramPng(), { "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
  });
});
