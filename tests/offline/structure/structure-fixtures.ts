import type { DiagramStructure } from "@/lib/offline";

/**
 * A small structure as the analyzer would hand it over: a cloud group holding an ingestion
 * group, three components (one outside any group), two arrows (one plain line), one step.
 */
export function pipelineStructure(): DiagramStructure {
  return {
    image: { width: 1000, height: 600 },
    title: "Test <Pipeline> & co",
    components: [
      { id: "n1", name: "API Gateway", box: [260, 140, 160, 60], group: "c2", step: 1, catalogue: "Amazon API Gateway" },
      { id: "n2", name: 'Lambda "Functions"', box: [260, 260, 160, 60], group: "c2", step: null, catalogue: "AWS Lambda" },
      { id: "n3", name: "Users", box: [40, 200, 120, 60], group: null, step: null, catalogue: null },
    ],
    groups: [
      { id: "c2", name: "Ingestion", box: [240, 100, 300, 260], parent: "c1" },
      { id: "c1", name: "Cloud", box: [200, 60, 780, 500], parent: null },
    ],
    edges: [
      { from: "n3", to: "n1", label: "HTTPS", directed: true },
      { from: "n1", to: "n2", label: null, directed: false },
    ],
    steps: [{ number: 1, component: "n1", group: null, edge: ["n3", "n1"], text: null }],
    legend: [],
    text: [{ text: "Draft", box: [20, 560, 60, 20] }],
  };
}
