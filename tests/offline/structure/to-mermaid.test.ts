import { describe, expect, it } from "vitest";
import { structureToMermaid } from "@/lib/offline";
import { pipelineStructure } from "@/tests/offline/structure/structure-fixtures";

describe("structureToMermaid", () => {
  it("writes nested groups as nested subgraphs holding their components", () => {
    const lines = structureToMermaid(pipelineStructure()).split("\n");
    expect(lines[0]).toBe("flowchart LR");
    const cloud = lines.indexOf('  subgraph id_c1["Cloud"]');
    const ingestion = lines.indexOf('    subgraph id_c2["Ingestion"]');
    const gateway = lines.indexOf('      id_n1["1. API Gateway"]');
    expect(cloud).toBeGreaterThan(0);
    expect(ingestion).toBeGreaterThan(cloud);
    expect(gateway).toBeGreaterThan(ingestion);
    expect(lines.indexOf("    end")).toBeGreaterThan(gateway);
    expect(lines).toContain('  id_n3["Users"]');
  });

  it("escapes quotes in labels and writes links with labels and heads", () => {
    const chart = structureToMermaid(pipelineStructure());
    expect(chart).toContain('id_n2["Lambda #quot;Functions#quot;"]');
    expect(chart).toContain('  id_n3 -->|"HTTPS"| id_n1');
    expect(chart).toContain("  id_n1 --- id_n2");
  });

  it("draws a tall diagram top to bottom", () => {
    const structure = { ...pipelineStructure(), image: { width: 600, height: 1000 } };
    expect(structureToMermaid(structure).startsWith("flowchart TB\n")).toBe(true);
  });
});
