import { describe, expect, it } from "vitest";
import { buildStructure } from "@/lib/offline";
import { catalogueSpelling } from "@/lib/offline/structure/build-structure";
import { clickstream } from "@/tests/offline/analysis-fixtures";

describe("buildStructure", () => {
  it("hands over components with their box, group, first step and catalogue name", () => {
    const structure = buildStructure(clickstream());
    expect(structure.image).toEqual({ width: 1600, height: 900 });
    expect(structure.components[0]).toEqual({
      id: "n1",
      name: "API Gateway",
      box: [180, 260, 360, 110],
      group: "c1",
      step: 1,
      catalogue: "API Gateway",
    });
    expect(structure.components.find((component) => component.id === "n4")).toMatchObject({ step: null, group: "c2", catalogue: "Amazon S3" });
  });

  it("hands over groups, arrows (directed unless said otherwise), steps and notes", () => {
    const structure = buildStructure(clickstream());
    expect(structure.groups.map((group) => [group.id, group.name, group.parent])).toEqual([
      ["c1", "Data Ingestion", null],
      ["c2", "Storage and Monitoring", null],
    ]);
    expect(structure.edges[1]).toEqual({ from: "n2", to: "n3", label: "events", directed: true });
    expect(structure.steps[0]).toEqual({ number: 1, component: "n1", group: null, edge: null, text: null });
    expect(structure.text.length).toBeGreaterThan(0);
    expect(structure.legend).toEqual([]);
  });
});

describe("catalogueSpelling", () => {
  it("writes a label as its catalogue name when only spaces, case or punctuation differ", () => {
    expect(catalogueSpelling("LambdaFunctions", ["AWS Lambda", "Lambda", "Lambda Functions"])).toBe("Lambda Functions");
    expect(catalogueSpelling("amazon-s3", ["Amazon S3"])).toBe("Amazon S3");
  });

  it("keeps the label as read otherwise: a different word is never invented", () => {
    expect(catalogueSpelling("Lambda Function URL", ["AWS Lambda", "Lambda Functions"])).toBe("Lambda Function URL");
    expect(catalogueSpelling("Orders API", [])).toBe("Orders API");
  });
});
