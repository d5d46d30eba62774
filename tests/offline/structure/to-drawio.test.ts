import { describe, expect, it } from "vitest";
import { structureToDrawio } from "@/lib/offline";
import { findAll, parseXml, type XmlElement } from "@/tests/helpers/parse-xml";
import { pipelineStructure } from "@/tests/offline/structure/structure-fixtures";

function cells(xml: string): Map<string, XmlElement> {
  return new Map(findAll(parseXml(xml), "mxCell").map((cell) => [cell.attributes.id!, cell]));
}

function cellNamed(all: Map<string, XmlElement>, value: string): XmlElement {
  const found = [...all.values()].find((cell) => cell.attributes.value === value);
  if (!found) throw new Error(`no cell "${value}"`);
  return found;
}

function geometry(cell: XmlElement): number[] {
  const { x, y, width, height } = cell.children.find((child) => child.name === "mxGeometry")!.attributes;
  return [x, y, width, height].map(Number);
}

describe("structureToDrawio", () => {
  it("writes a well-formed mxfile › diagram › mxGraphModel › root with the two base cells", () => {
    const document = parseXml(structureToDrawio(pipelineStructure()));
    const [file] = document.children;
    expect(file!.name).toBe("mxfile");
    const diagram = file!.children[0]!;
    expect(diagram.name).toBe("diagram");
    expect(diagram.attributes.name).toBe("Test <Pipeline> & co");
    const model = diagram.children[0]!;
    expect(model.name).toBe("mxGraphModel");
    const root = model.children[0]!;
    expect(root.name).toBe("root");
    expect(root.children[0]!.attributes).toEqual({ id: "0" });
    expect(root.children[1]!.attributes).toEqual({ id: "1", parent: "0" });
  });

  it("makes groups containers, the outer one first, with the inner one as its child", () => {
    const all = cells(structureToDrawio(pipelineStructure()));
    const cloud = cellNamed(all, "Cloud");
    const ingestion = cellNamed(all, "Ingestion");
    for (const group of [cloud, ingestion]) {
      expect(group.attributes.vertex).toBe("1");
      expect(group.attributes.style).toContain("container=1");
    }
    expect(cloud.attributes.parent).toBe("1");
    expect(ingestion.attributes.parent).toBe(cloud.attributes.id);
    const order = [...all.keys()];
    expect(order.indexOf(cloud.attributes.id!)).toBeLessThan(order.indexOf(ingestion.attributes.id!));
    expect(geometry(cloud)).toEqual([200, 60, 780, 500]);
    // Relative to the parent's corner, as draw.io places children.
    expect(geometry(ingestion)).toEqual([40, 40, 300, 260]);
  });

  it("places components at their sizes inside their group, with the step number in the name", () => {
    const all = cells(structureToDrawio(pipelineStructure()));
    const gateway = cellNamed(all, "1. API Gateway");
    expect(gateway.attributes.vertex).toBe("1");
    expect(gateway.attributes.parent).toBe(cellNamed(all, "Ingestion").attributes.id);
    expect(geometry(gateway)).toEqual([20, 40, 160, 60]);
    expect(cellNamed(all, 'Lambda "Functions"').attributes.parent).toBe(cellNamed(all, "Ingestion").attributes.id);
    const users = cellNamed(all, "Users");
    expect(users.attributes.parent).toBe("1");
    expect(geometry(users)).toEqual([40, 200, 120, 60]);
  });

  it("connects each edge to its two boxes, with its label, and a head only when directed", () => {
    const all = cells(structureToDrawio(pipelineStructure()));
    const edges = [...all.values()].filter((cell) => cell.attributes.edge === "1");
    expect(edges).toHaveLength(2);
    const [https, plain] = edges;
    expect(https!.attributes.source).toBe(cellNamed(all, "Users").attributes.id);
    expect(https!.attributes.target).toBe(cellNamed(all, "1. API Gateway").attributes.id);
    expect(https!.attributes.value).toBe("HTTPS");
    expect(https!.attributes.style).toContain("endArrow=classic");
    expect(plain!.attributes.style).toContain("endArrow=none");
    expect(https!.children[0]!.attributes).toMatchObject({ relative: "1", as: "geometry" });
  });

  it("connects an arrow drawn to a whole group to the group's container", () => {
    const structure = pipelineStructure();
    structure.edges.push({ from: "n3", to: "c2", label: null, directed: true });
    const all = cells(structureToDrawio(structure));
    const toGroup = [...all.values()].find((cell) => cell.attributes.edge === "1" && cell.attributes.target === cellNamed(all, "Ingestion").attributes.id);
    expect(toGroup?.attributes.source).toBe(cellNamed(all, "Users").attributes.id);
  });

  it("leaves out an edge whose end is not in the structure", () => {
    const structure = pipelineStructure();
    structure.edges.push({ from: "n1", to: "gone", label: null, directed: true });
    const edges = [...cells(structureToDrawio(structure)).values()].filter((cell) => cell.attributes.edge === "1");
    expect(edges).toHaveLength(2);
  });
});
